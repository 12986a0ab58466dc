package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The last step of each loop turn: brings the pool to what is wanted. Every wanted slot that is free and not backing
 * off gets a worker (a warm spare first) while the pool has room ({@link WorkerPool#maxProcesses}), the slots above
 * the wanted count are drained, and the bench is kept at the wanted number of spares. Scale, crash recovery and
 * the end of a rolling restart only change what is wanted or free a slot; this is where the pool follows.
 */
final class Reconciler {

    private final WorkerPool pool;
    private final Supervisor supervisor;
    private final RestartDriver restarts;
    private final WorkerStopper stopper;

    Reconciler(WorkerPool pool, Supervisor supervisor, RestartDriver restarts, WorkerStopper stopper) {
        this.pool = pool;
        this.supervisor = supervisor;
        this.restarts = restarts;
        this.stopper = stopper;
    }

    void reconcile(int workers, int spares, SupervisionPolicy policy, long now, Instant wallNow) {
        int maxProcesses = WorkerPool.maxProcesses(workers, spares);
        for (int number = 1; number <= workers; number++) {
            Slot slot = pool.slot(number, now);
            // A full pool starts nothing, whatever its workers say: a slot waits until a process has left (one on
            // its way out exits, or is sent SIGKILL at its stop deadline).
            if (!slot.isHeld() && !slot.backingOff(now) && pool.canStart(maxProcesses, 0)) {
                supervisor.startWorker(slot);
            }
        }
        for (Slot slot : pool.slots().tailMap(workers + 1).values()) {
            for (WorkerHandle worker : slot.workers().stream().filter(w -> w.state().holdsSlot()).toList()) {
                stopper.stopWorker(worker, RestartReason.SCALE);
                pool.replaced(slot, RestartReason.SCALE, wallNow);
            }
        }
        pool.dropEmptySlotsAbove(workers);
        reconcileSpares(workers, spares, maxProcesses, policy, now, wallNow);
    }

    /**
     * Spares start only once every wanted slot has a ready worker and no rolling restart runs: they would only take
     * CPU from the workers that serve, and a restart retires them anyway. Surplus spares (fewer wanted since) are
     * stopped, the newest first.
     */
    private void reconcileSpares(int workers, int wanted, int maxProcesses, SupervisionPolicy policy, long now,
                                 Instant wallNow) {
        List<WorkerHandle> spares = pool.spares();
        for (int i = spares.size() - 1; i >= wanted; i--) {
            stopper.stopWorker(spares.get(i), RestartReason.SCALE);
        }
        // The bench is a slot that pool.slot() makes on first use: only when a spare is wanted.
        if (spares.size() >= wanted || restarts.active() || !pool.allReady(workers)
                || pool.slot(WorkerPool.BENCH, now).backingOff(now)) {
            return;
        }
        for (int i = spares.size(); i < wanted && pool.hasRoom(maxProcesses); i++) {
            try {
                pool.spawnSpare(policy, now);
            } catch (OsException e) {
                Duration delay = pool.failed(pool.slot(WorkerPool.BENCH, now), RestartReason.BOOT_FAILURE, 0, now,
                        wallNow,
                        policy.flappingWindow());
                Log.error("cannot start a spare: %s; retrying in %d ms", e.getMessage(), delay.toMillis());
                return;
            }
        }
    }
}
