package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ReapResult;
import java.util.function.IntPredicate;

/**
 * As PID 1 (a container's entrypoint) the master is also the parent of every orphan in the container, and nobody
 * else will reap them. Each is reaped by pid, never with waitpid(-1), which would steal workers' exits from the
 * pool. Listing children reads /proc, so it runs once per loop turn, and only as PID 1.
 */
final class OrphanReaper {

    private final Os os;
    private final WorkerPool pool;
    /** A child the spawner reaps itself (a class-data training run): no orphan. */
    private final IntPredicate spawnersOwn;

    OrphanReaper(Os os, WorkerPool pool, IntPredicate spawnersOwn) {
        this.os = os;
        this.pool = pool;
        this.spawnersOwn = spawnersOwn;
    }

    void reapExited() {
        for (int pid : os.children()) {
            if (pool.isWorker(pid) || spawnersOwn.test(pid)) {
                continue;
            }
            try {
                ReapResult result = os.reap(pid);
                if (result instanceof ReapResult.Exited exited) {
                    Log.info("reaped orphan process %d: %s", pid, exited.status());
                }
                // Running: not yet; NotAChild: gone or reaped meanwhile. Nothing to do either way.
            } catch (OsException e) {
                Log.error("reaping orphan process %d: %s", pid, e.getMessage());
            }
        }
    }
}
