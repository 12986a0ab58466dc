package dev.herd.supervisor.master;

import dev.herd.config.ConfigValues;
import dev.herd.log.Log;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The master's single thread and the only owner of supervisor state. Each turn it takes the queued events, then
 * runs the same fixed tail: reap exited workers, SIGKILL workers that overran their stop deadline, advance a
 * rolling restart, and reconcile (fill every slot up to the desired count, drain the slots above it). Scale,
 * restart, reload and crash recovery all change the wanted state and let that tail act. A graceful stop is the
 * same machinery with nothing left to reconcile: kill(0, SIGTERM), then reap until no worker is left.
 */
public final class MasterLoop {

    /** The longest the loop sleeps: a missed SIGCHLD still gets a worker reaped within this. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /**
     * How long a replacement must stay up before a rolling restart moves on to the next slot. Until workers
     * report readiness, this is what keeps a reload with a broken worker option from replacing every worker
     * with one that cannot start: the first replacement dies within it and the restart stops there.
     */
    static final long RESTART_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final int ECHILD = 10;

    private final Os os;
    private final WorkerSpawner spawner;
    private final BlockingQueue<MasterEvent> events;
    private final LongSupplier nanoClock;
    private final SortedMap<Integer, Slot> slots = new TreeMap<>();
    /** Slots still to be restarted one after another (admin restart, reload); the head is in progress. */
    private final Deque<Integer> pendingRestarts = new ArrayDeque<>();
    private Duration gracefulTimeout;
    private int desiredWorkers;
    private int restartingPid;
    private boolean stopping;
    private AdminExecutor admin;

    MasterLoop(Os os, WorkerSpawner spawner, int desiredWorkers, Duration gracefulTimeout,
               BlockingQueue<MasterEvent> events, LongSupplier nanoClock) {
        this.os = os;
        this.spawner = spawner;
        this.desiredWorkers = desiredWorkers;
        this.gracefulTimeout = gracefulTimeout;
        this.events = events;
        this.nanoClock = nanoClock;
    }

    /** Runs until a stop has been requested and every worker has been reaped; returns the exit code. */
    public int run() throws InterruptedException {
        reconcile();
        while (!(stopping && liveWorkers() == 0)) {
            runOnce(events.poll(nanosUntilNextDeadline(), TimeUnit.NANOSECONDS));
        }
        Log.info("all workers have exited");
        return 0;
    }

    /** Lets the loop answer admin requests; without it they get an error reply. */
    void setAdminExecutor(AdminExecutor admin) {
        this.admin = admin;
    }

    /** One turn: the given event (if any) and every other queued one, then the fixed tail. */
    void runOnce(MasterEvent first) {
        for (MasterEvent event = first; event != null; event = events.poll()) {
            try {
                handle(event);
            } catch (RuntimeException e) {
                // A bug in handling one event must not end supervision: the workers still need a master.
                Log.error("handling %s failed: %s", event, e);
            }
        }
        reapWorkers();
        killOverdueWorkers();
        if (!stopping) {
            advanceRestarts();
            reconcile();
        }
    }

    private void handle(MasterEvent event) {
        // Java 17 has no pattern switch over a sealed interface; every case of MasterEvent is listed here.
        if (event instanceof MasterEvent.SignalReceived received) {
            handleSignal(received.signal());
        } else if (event instanceof MasterEvent.ChildStateChanged) {
            // nothing to decide here: reapWorkers() runs right after every batch of events
            return;
        } else if (event instanceof MasterEvent.AdminRequest request) {
            if (admin == null) {
                request.reply().completeExceptionally(new IllegalStateException("no admin commands"));
            } else {
                admin.execute(request, this);
            }
        } else {
            throw new IllegalStateException("unhandled event " + event);
        }
    }

    private void handleSignal(Signal signal) {
        if (stopping && signal != Signal.TERM && signal != Signal.INT) {
            Log.warn("ignoring SIG%s: the master is stopping", signal);
            return;
        }
        switch (signal) {
            case TERM -> beginStop("SIGTERM", gracefulTimeout);
            case HUP -> {
                if (admin != null) {
                    admin.reload(this).ifPresent(error -> Log.error("SIGHUP: reload failed: %s", error));
                }
            }
            case TTIN -> scaleTo(desiredWorkers + 1, "SIGTTIN");
            case TTOU -> scaleTo(desiredWorkers - 1, "SIGTTOU");
            case USR1 -> Log.reopen();
            case INT -> {
                if (stopping) {
                    killAllWorkersNow("second SIGINT");
                } else {
                    beginStop("SIGINT", gracefulTimeout);
                }
            }
            default -> Log.warn("ignoring SIG%s", signal);
        }
    }

    /**
     * Idempotent: kill(0, SIGTERM) delivers a SIGTERM to the master too, and that one comes back here.
     */
    void beginStop(String reason, Duration timeout) {
        if (stopping) {
            return;
        }
        stopping = true;
        gracefulTimeout = timeout;
        pendingRestarts.clear();
        restartingPid = 0;
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        Log.info("%s: stopping %d workers (graceful timeout %d ms)", reason, liveWorkers(), timeout.toMillis());
        for (Slot slot : slots.values()) {
            slot.worker().ifPresent(w -> {
                if (w.state() == WorkerState.RUNNING) {
                    w.stopping(deadline);
                } else {
                    w.shortenStopDeadline(deadline); // already draining (scale down, restart)
                }
            });
        }
        List<Integer> strangers = os.strangersInProcessGroup();
        if (!strangers.isEmpty()) {
            Log.info("process group also holds %s, not started by herd; sending SIGTERM to each worker instead",
                    strangers);
            signalEachWorker(Signal.TERM);
            return;
        }
        try {
            // One call reaches every worker at once, and any process a worker started in our group as well.
            os.killProcessGroup(Signal.TERM);
        } catch (OsException e) {
            Log.error("%s; sending SIGTERM to each worker instead", e.getMessage());
            signalEachWorker(Signal.TERM);
        }
    }

    private void killAllWorkersNow(String reason) {
        Log.warn("%s: killing %d workers now", reason, liveWorkers());
        for (Slot slot : slots.values()) {
            slot.worker().filter(w -> !w.killed()).ifPresent(this::kill);
        }
    }

    private void reapWorkers() {
        for (Slot slot : slots.values()) {
            Optional<WorkerHandle> worker = slot.worker();
            if (worker.isEmpty()) {
                continue;
            }
            try {
                Optional<ExitStatus> status = os.reap(worker.get().pid());
                status.ifPresent(exit -> workerExited(slot, worker.get(), exit));
            } catch (OsException e) {
                if (e.errno() != ECHILD) {
                    Log.error("%s: %s; trying again", worker.get(), e.getMessage());
                    continue;
                }
                // The pid is not our child any more; nothing can bring it back. Free the slot.
                Log.error("%s: %s; forgetting this worker", worker.get(), e.getMessage());
                worker.get().exited();
                slot.vacate(null);
            }
        }
    }

    private void workerExited(Slot slot, WorkerHandle worker, ExitStatus status) {
        boolean expected = worker.state() == WorkerState.STOPPING;
        worker.exited();
        slot.vacate(status);
        long now = nanoClock.getAsLong();
        if (expected || stopping) {
            Log.info("worker-%d (pid %d) exited: %s", worker.slot(), worker.pid(), status);
            return;
        }
        long uptime = now - worker.startedAtNanos();
        Integer restartingSlot = pendingRestarts.peek();
        if (restartingPid != 0 && restartingSlot != null && restartingSlot == slot.number()) {
            Log.error("worker-%d's replacement died (%s): rolling restart stopped, %d slots left as they are",
                    slot.number(), status, pendingRestarts.size() - 1);
            pendingRestarts.clear();
            restartingPid = 0;
        }
        int crashes = slot.recordCrash(uptime);
        Duration delay = RestartBackoff.delayAfter(crashes);
        slot.restartNotBefore(now + delay.toNanos());
        Log.warn("worker-%d (pid %d) died after %d ms: %s; replacing it %s", worker.slot(), worker.pid(),
                TimeUnit.NANOSECONDS.toMillis(uptime), status, describeDelay(delay, crashes));
    }

    private void killOverdueWorkers() {
        long now = nanoClock.getAsLong();
        for (Slot slot : slots.values()) {
            slot.worker()
                    .filter(w -> w.state() == WorkerState.STOPPING && !w.killed() && now - w.stopDeadlineNanos() >= 0)
                    .ifPresent(w -> {
                        Log.warn("%s did not exit by its stop deadline; sending SIGKILL", w);
                        kill(w);
                    });
        }
    }

    private void reconcile() {
        long now = nanoClock.getAsLong();
        for (int number = 1; number <= desiredWorkers; number++) {
            Slot slot = slots.computeIfAbsent(number, n -> new Slot(n, now));
            if (slot.worker().isEmpty() && now - slot.restartNotBeforeNanos() >= 0) {
                startWorker(slot, now);
            }
        }
        // Scaling down drains the highest slots; a slot above the desired count is forgotten once empty.
        long deadline = now + gracefulTimeout.toNanos();
        slots.tailMap(desiredWorkers + 1).values().forEach(slot -> slot.worker()
                .filter(w -> w.state() == WorkerState.RUNNING)
                .ifPresent(w -> stopWorker(w, deadline)));
        slots.tailMap(desiredWorkers + 1).values().removeIf(slot -> slot.worker().isEmpty());
    }

    /**
     * Restarts the head of {@link #pendingRestarts}: stop its worker gracefully; reconcile fills the slot again at
     * once (an exit the master asked for is not a crash); move on once the slot runs a new process.
     */
    private void advanceRestarts() {
        while (!pendingRestarts.isEmpty()) {
            Slot slot = slots.get(pendingRestarts.peek());
            Optional<WorkerHandle> worker = slot == null ? Optional.empty() : slot.worker();
            if (slot == null || pendingRestarts.peek() > desiredWorkers) {
                pendingRestarts.poll(); // scaled away meanwhile
                restartingPid = 0;
            } else if (restartingPid == 0 && worker.isPresent()) {
                restartingPid = worker.get().pid();
                if (worker.get().state() == WorkerState.RUNNING) { // one already stopping just needs replacing
                    Log.info("restarting %s", worker.get());
                    stopWorker(worker.get(), nanoClock.getAsLong() + gracefulTimeout.toNanos());
                }
                return;
            } else if (worker.isPresent() && worker.get().pid() != restartingPid
                    && nanoClock.getAsLong() - worker.get().startedAtNanos() >= RESTART_SETTLE_NANOS) {
                pendingRestarts.poll(); // replaced, and the replacement stayed up: on to the next slot
                restartingPid = 0;
            } else {
                return; // still stopping, or waiting for its replacement
            }
        }
    }

    /**
     * Queues slots for a rolling restart, one after another, skipping those already waiting. The slot in
     * progress is queued again: its replacement may already run with what this request wants to replace.
     */
    void restart(List<Integer> slotNumbers) {
        Integer inProgress = restartingPid == 0 ? null : pendingRestarts.peek();
        for (int slot : slotNumbers) {
            if (!pendingRestarts.contains(slot) || Integer.valueOf(slot).equals(inProgress)) {
                pendingRestarts.add(slot);
            }
        }
    }

    /** Sets the wanted worker count, kept within 1..1024; returns the count now wanted. */
    int scaleTo(int requested, String reason) {
        int workers = Math.max(ConfigValues.MIN_WORKERS, Math.min(requested, ConfigValues.MAX_WORKERS));
        if (workers != desiredWorkers) {
            Log.info("%s: scaling from %d to %d workers", reason, desiredWorkers, workers);
            desiredWorkers = workers;
        }
        return workers;
    }

    void setGracefulTimeout(Duration timeout) {
        gracefulTimeout = timeout;
    }

    int desiredWorkers() {
        return desiredWorkers;
    }

    boolean stopping() {
        return stopping;
    }

    long now() {
        return nanoClock.getAsLong();
    }

    private void stopWorker(WorkerHandle worker, long deadlineNanos) {
        worker.stopping(deadlineNanos);
        signal(worker, Signal.TERM);
    }

    private void startWorker(Slot slot, long now) {
        try {
            int pid = spawner.spawn(slot.number());
            slot.occupy(new WorkerHandle(slot.number(), pid, now));
            Log.info("started worker-%d (pid %d)", slot.number(), pid);
        } catch (OsException e) {
            int failures = slot.recordCrash(0);
            Duration delay = RestartBackoff.delayAfter(failures);
            slot.restartNotBefore(now + delay.toNanos());
            Log.error("cannot start worker-%d: %s; retrying %s", slot.number(), e.getMessage(),
                    describeDelay(delay, failures));
        }
    }

    private void signalEachWorker(Signal signal) {
        slots.values().forEach(slot -> slot.worker().ifPresent(w -> signal(w, signal)));
    }

    private void kill(WorkerHandle worker) {
        worker.markKilled();
        signal(worker, Signal.KILL);
    }

    private void signal(WorkerHandle worker, Signal signal) {
        try {
            os.kill(worker.pid(), signal);
        } catch (OsException e) {
            Log.error("%s: %s", worker, e.getMessage());
        }
    }

    private long nanosUntilNextDeadline() {
        long now = nanoClock.getAsLong();
        long wait = TICK_NANOS;
        for (Slot slot : slots.values()) {
            Optional<WorkerHandle> worker = slot.worker();
            if (worker.isEmpty() && !stopping && slot.number() <= desiredWorkers) {
                wait = Math.min(wait, slot.restartNotBeforeNanos() - now);
            } else if (worker.isPresent() && worker.get().state() == WorkerState.STOPPING && !worker.get().killed()) {
                wait = Math.min(wait, worker.get().stopDeadlineNanos() - now);
            }
        }
        return Math.max(wait, 0);
    }

    private int liveWorkers() {
        return (int) slots.values().stream().filter(slot -> slot.worker().isPresent()).count();
    }

    private static String describeDelay(Duration delay, int consecutiveFailures) {
        return delay.isZero() ? "now"
                : "in " + delay.toMillis() + " ms (" + consecutiveFailures + " failures in a row)";
    }

    /** The slots, for status and for tests; read on the master thread only. */
    SortedMap<Integer, Slot> slots() {
        return slots;
    }
}
