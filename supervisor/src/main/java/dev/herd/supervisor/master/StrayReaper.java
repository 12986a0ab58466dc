package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.FailureEpisode;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ReapResult;
import dev.herd.supervisor.os.Signal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Stops and reaps what workers leave behind: helper processes a worker started that would otherwise outlive it,
 * holding the shared listening socket (it is their fd 0 too) long after herd has gone. Two means, both set up by
 * the master: every worker leads a process group of its own, and the master is a child subreaper, so an orphan
 * among its workers' descendants is re-parented to it rather than to PID 1.
 *
 * <ul>
 * <li>When a worker has been reaped, its process group gets SIGTERM, and SIGKILL {@link #GRACE_NANOS} later if
 *     anything is still in it: its children, grandchildren, a double-forked helper that stayed in the group.</li>
 * <li>A child of the master that it did not start as a worker and that is not in the master's own process group
 *     is an adopted orphan. One inside the group of a live worker is that worker's (it goes with the group); any
 *     other left its worker's group (setsid, setpgid) and herd cannot tell whose it was: it is a stray, and gets
 *     SIGTERM, then SIGKILL after the grace. Exited ones are reaped, each by pid.</li>
 * </ul>
 *
 * As PID 1 every orphan of the container comes to the master, those of {@code docker exec} sessions too: there
 * only an orphan in the master's own session (a worker's helper that did not call setsid) can be a stray; the
 * others are reaped when they exit, never killed.
 *
 * <p>The JDK's own children (ProcessBuilder) stay in the master's process group and are neither signalled nor reaped
 * here: the JDK reaps them, and waitpid on them would steal their exit status. Only as PID 1 does the master also
 * reap exited children in its own group: there nobody else would. Never waitpid(-1), for the same reason.
 * Used on the master thread only.
 */
final class StrayReaper {

    /** How often the master's children are looked at when nothing is going on. */
    static final long SWEEP_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** How long a worker's helpers and adopted strays get between SIGTERM and SIGKILL. */
    static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Os os;
    private final WorkerPool pool;
    /** The launcher's processes that are not workers (a class-data training run): herd's own, never strays. */
    private final IntPredicate ownChild;
    private final int ownGroup;
    private final boolean pid1;
    /** As PID 1 only the master's own session is searched for strays: see the class comment. */
    private final int ownSession;
    /** Process groups of reaped workers that still held processes: group to its SIGKILL time. */
    private final Map<Integer, Long> leftGroups = new HashMap<>();
    /** Adopted strays that got SIGTERM: pid to its SIGKILL time. */
    private final Map<Integer, Long> strays = new HashMap<>();
    /** Strays and groups that got SIGKILL: to when herd stops waiting for them (a process stuck in the kernel). */
    private final Map<Integer, Long> killedStrays = new HashMap<>();
    private final Map<Integer, Long> killedGroups = new HashMap<>();
    /**
     * Children of the program this process ran before an upgrade's exec (in the master's group, none of them a
     * worker): reaped by pid once they exit, since this JVM did not start them and its own reaper never will.
     */
    private final Set<Integer> previousProgram = new HashSet<>();
    /** Ones that outlived SIGKILL by {@link #GRACE_NANOS}: logged once, not waited for. */
    private final Set<Integer> abandoned = new HashSet<>();
    private boolean sweepDue = true;
    private long lastSweepNanos;
    /** Listing the children failed (out of descriptors): told once per episode. */
    private final FailureEpisode listingFailures = new FailureEpisode(TimeUnit.SECONDS.toNanos(10));

    StrayReaper(Os os, WorkerPool pool, IntPredicate ownChild) {
        this.os = os;
        this.pool = pool;
        this.ownChild = ownChild;
        this.ownGroup = os.processGroup();
        this.pid1 = os.pid() == 1;
        this.ownSession = os.processState(os.pid()).map(Os.ProcessState::session).orElse(-1);
    }

    /**
     * In a master an upgrade exec'ed into, before it starts any process: the children it has that are not the
     * handed-over workers were the previous program's (a command its launcher ran, say), in the master's own
     * process group. They are reaped when they exit, never signalled.
     */
    void inheritPreviousProgramsChildren() {
        try {
            for (int pid : os.children()) {
                if (!pool.isWorker(pid) && !ownChild.test(pid)) {
                    previousProgram.add(pid);
                }
            }
        } catch (OsException e) {
            Log.warn("cannot list the children the previous program left: %s", e.getMessage());
        }
        sweepDue = true;
    }

    /** SIGCHLD: an orphan may have exited; the next sweep looks at once. */
    void childStateChanged() {
        sweepDue = true;
    }

    /** A worker was reaped: what is left in its process group is told to stop. */
    void workerExited(WorkerHandle worker, long now) {
        sweepDue = true; // its children outside the group are the master's now
        try {
            if (os.killProcessGroup(worker.pid(), Signal.TERM)) {
                Log.warn("%s (pid %d) left processes behind in its process group; sending them SIGTERM, SIGKILL "
                        + "in %d ms", worker.name(), worker.pid(), TimeUnit.NANOSECONDS.toMillis(GRACE_NANOS));
                leftGroups.put(worker.pid(), now + GRACE_NANOS);
            }
        } catch (OsException e) {
            Log.error("stopping what %s left behind: %s", worker.name(), e.getMessage());
        }
    }

    /**
     * Reaps exited orphans, signals new strays, escalates to SIGKILL when a grace is over. Called on every turn of
     * the loop, it looks at most every {@link #SWEEP_INTERVAL_NANOS} (it reads /proc), and at once after a worker
     * exited or while anything is being stopped.
     */
    void sweep(long now) {
        if (settled() && !sweepDue && now - lastSweepNanos < SWEEP_INTERVAL_NANOS) {
            return;
        }
        sweepDue = false;
        lastSweepNanos = now;
        List<Integer> children;
        try {
            children = os.children();
        } catch (OsException e) {
            if (listingFailures.failed(now)) {
                // Out of descriptors, above all: said once, not on every turn, and tried again on the next.
                Log.error("cannot list the master's children: %s; looking for strays again once it works",
                        e.getMessage());
            }
            escalateGroups(now);
            return;
        }
        listingFailures.endIfQuiet(now);
        Set<Integer> seen = new HashSet<>();
        for (int pid : children) {
            if (pool.isWorker(pid) || ownChild.test(pid)) {
                continue; // the pool reaps its workers, the launcher its other processes
            }
            Optional<Os.ProcessState> found = os.processState(pid);
            if (found.isEmpty()) {
                continue; // gone meanwhile
            }
            Os.ProcessState child = found.get();
            if (child.exited()) {
                if (child.processGroup() != ownGroup || pid1 || previousProgram.remove(child.pid())) {
                    reap(child.pid());
                }
            } else if (isStray(child)) {
                seen.add(child.pid());
                stopStray(child, now);
            }
        }
        strays.keySet().retainAll(seen);
        killedStrays.keySet().retainAll(seen);
        escalateGroups(now);
    }

    /**
     * An adopted orphan that nobody else answers for: not one of the JDK's own children (in the master's group),
     * not inside a live worker's group (it goes with that worker) or a left-behind one (it is stopped with its
     * group), not given up on; as PID 1, in the master's own session only.
     */
    private boolean isStray(Os.ProcessState child) {
        int group = child.processGroup();
        return group != ownGroup && (!pid1 || child.session() == ownSession) && !pool.isWorker(group)
                && !ownChild.test(group)
                && !leftGroups.containsKey(group) && !killedGroups.containsKey(group)
                && !abandoned.contains(child.pid());
    }

    /**
     * Whether nothing is left to stop: no left-behind group still holds a process and no stray runs. The master
     * stops only then, so that nothing it started holds the port after it.
     */
    boolean settled() {
        return leftGroups.isEmpty() && strays.isEmpty() && killedStrays.isEmpty() && killedGroups.isEmpty();
    }

    private void stopStray(Os.ProcessState child, long now) {
        int pid = child.pid();
        try {
            if (killedStrays.containsKey(pid)) {
                if (now - killedStrays.get(pid) >= 0) {
                    Log.error("process %d did not die after SIGKILL (stuck in the kernel?); no longer waiting for it",
                            pid);
                    killedStrays.remove(pid);
                    abandoned.add(pid);
                }
            } else if (!strays.containsKey(pid)) {
                Log.warn("process %d (process group %d) outlived the worker that started it; sending SIGTERM, "
                        + "SIGKILL in %d ms", pid, child.processGroup(), TimeUnit.NANOSECONDS.toMillis(GRACE_NANOS));
                os.kill(pid, Signal.TERM);
                strays.put(pid, now + GRACE_NANOS);
            } else if (now - strays.get(pid) >= 0) {
                Log.warn("process %d did not exit after SIGTERM; sending SIGKILL", pid);
                os.kill(pid, Signal.KILL);
                strays.remove(pid);
                killedStrays.put(pid, now + GRACE_NANOS);
            }
        } catch (OsException e) {
            Log.error("stopping process %d: %s", pid, e.getMessage());
        }
    }

    private void escalateGroups(long now) {
        for (Iterator<Map.Entry<Integer, Long>> it = leftGroups.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Integer, Long> group = it.next();
            try {
                if (!os.processGroupExists(group.getKey())) {
                    it.remove();
                } else if (now - group.getValue() >= 0) {
                    Log.warn("process group %d still holds processes after SIGTERM; sending SIGKILL", group.getKey());
                    os.killProcessGroup(group.getKey(), Signal.KILL);
                    killedGroups.put(group.getKey(), now + GRACE_NANOS);
                    it.remove();
                }
            } catch (OsException e) {
                Log.error("stopping process group %d: %s", group.getKey(), e.getMessage());
                it.remove();
            }
        }
        killedGroups.entrySet().removeIf(group -> {
            try {
                if (!os.processGroupExists(group.getKey())) {
                    return true;
                }
            } catch (OsException e) {
                Log.error("checking process group %d: %s", group.getKey(), e.getMessage());
                return true;
            }
            if (now - group.getValue() >= 0) {
                Log.error("process group %d still holds processes after SIGKILL (stuck in the kernel?); no longer "
                        + "waiting for it", group.getKey());
                return true;
            }
            return false;
        });
    }

    /** SIGKILL to every left-behind group and stray now: the master is failing and cannot wait. */
    void killAllNow() {
        Set<Integer> groups = new HashSet<>(leftGroups.keySet());
        pool.all().forEach(worker -> groups.add(worker.pid()));
        for (int pgid : groups) {
            try {
                os.killProcessGroup(pgid, Signal.KILL);
            } catch (OsException e) {
                Log.error("killing process group %d: %s", pgid, e.getMessage());
            }
        }
        for (int pid : List.copyOf(strays.keySet())) {
            try {
                os.kill(pid, Signal.KILL);
            } catch (OsException e) {
                Log.error("killing process %d: %s", pid, e.getMessage());
            }
        }
    }

    private void reap(int pid) {
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
