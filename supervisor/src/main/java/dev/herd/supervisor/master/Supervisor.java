package dev.herd.supervisor.master;

import dev.herd.config.Durations;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.spawn.Notification;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The rules the master applies to each worker: what an exit means (a planned one, a crash, a worker that cannot
 * boot or ran out of memory) and how long its slot then waits; what each sd_notify message does; what happens at a
 * deadline (not ready in time, heartbeats late or missing, not drained in time); and how every worker is told to
 * stop when the master stops. Faults the master detects itself (a hang, a ready timeout) are counted when it acts,
 * so that the slot's replacement starts on the backoff's schedule, without waiting for the killed process to be
 * reaped. Used on the master thread only.
 */
final class Supervisor {

    /** EXTEND_TIMEOUT_USEC is capped at a day: a wild value must not overflow the deadline. */
    private static final long MAX_READY_EXTENSION_NANOS = TimeUnit.DAYS.toNanos(1);
    /** What a JVM exits with after SIGTERM when nothing in it handles the signal: 128 + 15. */
    private static final int EXIT_AFTER_SIGTERM = 143;
    /** How long a hung JVM gets to print its thread dump after SIGQUIT before SIGKILL. */
    static final Duration THREAD_DUMP_GRACE = Duration.ofSeconds(2);

    /** What the supervisor needs of the master's state, and nothing more. */
    interface Master {
        /** The rules in force (a reload may change them). */
        SupervisionPolicy policy();

        /** Whether the master's stop has begun: exits are then expected, and nothing is replaced. */
        boolean stopping();

        /** An app that accepts before its promotion cannot have spares: none start until a reload. */
        void disableSpares();

        /** The most processes the pool may run at once now: see {@link WorkerPool#maxProcesses}. */
        int maxProcesses();
    }

    private final WorkerPool pool;
    private final RestartDriver restarts;
    private final WorkerStopper stopper;
    private final MasterClock clock;
    private final Master master;

    Supervisor(WorkerPool pool, RestartDriver restarts, WorkerStopper stopper, MasterClock clock, Master master) {
        this.pool = pool;
        this.restarts = restarts;
        this.stopper = stopper;
        this.clock = clock;
        this.master = master;
    }

    /** Fills a wanted slot: with a warm spare if there is one, else with a new worker. */
    void startWorker(Slot slot) {
        long now = clock.now();
        try {
            pool.startInto(slot, master.policy(), now, 0);
        } catch (OsException e) {
            Duration delay = pool.failed(slot, RestartReason.BOOT_FAILURE, 0, now, clock.wallNow(),
                    master.policy().flappingWindow());
            Log.error("cannot start worker-%d: %s; retrying %s", slot.number(), e.getMessage(),
                    describeDelay(delay, slot.consecutiveFailures()));
        }
    }

    /**
     * A reaped worker: a planned exit is only logged; anything else is a failure of its slot (for a spare, of the
     * bench, which then backs off like a slot).
     */
    void workerExited(WorkerPool.Exit exit) {
        WorkerHandle worker = exit.worker();
        Slot slot = exit.slot();
        if (exit.output().saidStopping() && worker.leaving().isEmpty() && !worker.onBench() && !master.stopping()) {
            // It said STOPPING=1 and exited at once, and was reaped before that message reached the loop (the two
            // come by separate paths): the same planned exit as if the message had come first.
            stoppedOnItsOwn(worker, slot, clock.now());
        }
        // A spare that got warm booted; one that dies later crashed, like a worker after READY=1.
        boolean wasReady = worker.readyAfterNanos().isPresent() || worker.wasWarm();
        String how = worker.killedBecause().map(why -> exit.status() + ", " + why).orElse(exit.status().toString());
        if (worker.jvm() && exit.status().exitCode() == EXIT_AFTER_SIGTERM
                && (master.stopping() || worker.leaving().isPresent())) {
            // A JVM told to stop runs its shutdown hooks (a framework's graceful shutdown) and exits 143 on SIGTERM:
            // the way every framework stops, and an app under herd's agent, unchanged, stops the same way.
            how = "exited 143 after SIGTERM (clean stop)";
        }
        if (!master.stopping()) {
            restarts.workerExited(worker, wasReady, how);
        }
        if (master.stopping() || worker.leaving().isPresent()) {
            // Drained, recycled, scaled away, left on its own, or a fault counted when the master killed it.
            Log.info("%s (pid %d) %s", worker.name(), worker.pid(), how.startsWith("exited") ? how : "exited: " + how);
            return;
        }
        long now = clock.now();
        long uptime = now - worker.startedAtNanos();
        RestartReason reason = !wasReady ? RestartReason.BOOT_FAILURE
                : worker.jvm() && exit.output().outOfMemory() ? RestartReason.OOM : RestartReason.CRASH;
        Duration delay = pool.failed(slot, reason, uptime, now, clock.wallNow(), master.policy().flappingWindow());
        String next = slot.isHeld() ? "another process holds the slot"
                : (reason == RestartReason.BOOT_FAILURE ? "retrying " : "replacing it ") + nextStart(slot, delay);
        switch (reason) {
            case BOOT_FAILURE -> {
                String why = exit.output().rootCause().orElse("it wrote no error");
                slot.cannotBoot(why);
                Log.error("%s (pid %d) cannot boot: %s (%s after %d ms); %s", worker.name(), worker.pid(), why, how,
                        millis(uptime), next);
            }
            case OOM -> Log.error("%s (pid %d) ran out of memory (OutOfMemoryError) after %d ms: %s; %s",
                    worker.name(), worker.pid(), millis(uptime), how, next);
            default -> Log.warn("%s (pid %d) died after %d ms: %s; %s", worker.name(), worker.pid(),
                    millis(uptime), how, next);
        }
        warnIfFlapping(slot, now);
    }

    /** One sd_notify message from a worker (see {@link Notification}). */
    void notified(WorkerHandle worker, Notification notification) {
        notification.handleWith(new Notified(worker, clock.now()));
    }

    /** What each kind of sd_notify message does to the worker that sent it: {@link Notification.Handler}. */
    private final class Notified implements Notification.Handler {
        private final WorkerHandle worker;
        private final long now;

        Notified(WorkerHandle worker, long now) {
            this.worker = worker;
            this.now = now;
        }

        @Override
        public void ready() {
            if (worker.onBench()) {
                spareAccepts(worker, now);
            } else if (worker.state() == WorkerState.STARTING) {
                // Not from a worker already killed for its ready timeout: its READY crossed the SIGKILL.
                worker.ready(now);
                int recoveredFrom = pool.slot(worker.slot(), now).workerReady();
                Log.info((worker.promoted() ? "%s (pid %d) ready %d ms after its promotion"
                        : "%s (pid %d) ready after %d ms") + "%s", worker.name(), worker.pid(),
                        millis(worker.readyAfterNanos().orElse(0L)), recovered(recoveredFrom));
            }
        }

        @Override
        public void spareWarm() {
            if (worker.onBench() && worker.state() == WorkerState.STARTING) {
                worker.warm();
                int recoveredFrom = pool.slot(WorkerPool.BENCH, now).workerReady();
                Log.info("spare (pid %d) warm after %d ms; waiting to be promoted%s", worker.pid(),
                        millis(now - worker.startedAtNanos()), recovered(recoveredFrom));
            }
        }

        @Override
        public void heartbeat() {
            worker.heartbeat(now);
        }

        @Override
        public void killRequested() {
            if (worker.state().holdsSlot() && !master.stopping()) {
                Log.error("%s asked to be killed (WATCHDOG=trigger); sending SIGKILL", worker);
                fault(worker, "asked to be killed (WATCHDOG=trigger)", RestartReason.HANG, now);
                pool.kill(worker, "asked to be killed (WATCHDOG=trigger)", RestartReason.HANG);
            }
        }

        @Override
        public void status(Notification.Status status) {
            worker.status(status.text());
        }

        @Override
        public void stopping() {
            if (worker.state().holdsSlot() && !master.stopping()) {
                stopper.stoppingOnItsOwn(worker);
                stoppedOnItsOwn(worker, pool.slot(worker.slot(), now), now);
            }
        }

        @Override
        public void extendReadyTimeout(Notification.ExtendReadyTimeout extend) {
            if (worker.state() == WorkerState.STARTING) {
                worker.extendReadyDeadline(now + Math.min(TimeUnit.MICROSECONDS.toNanos(extend.micros()),
                        MAX_READY_EXTENSION_NANOS));
            }
        }

        @Override
        public void served(Notification.Served served) {
            worker.reportServed(served.count());
        }
    }

    /**
     * A worker leaves on its own (STOPPING=1): a planned exit, not counted as a crash; but its replacement starts on
     * the backoff's schedule, or a worker that says STOPPING=1 as soon as it starts would be replaced as fast as it
     * says so.
     */
    private void stoppedOnItsOwn(WorkerHandle worker, Slot slot, long now) {
        worker.leftOnItsOwn();
        pool.replaced(slot, RestartReason.EXIT, clock.wallNow());
        Duration delay = slot.leftOnItsOwn(now - worker.startedAtNanos(), now);
        Log.info("%s is stopping on its own; starting its replacement %s", worker, nextStart(slot, delay));
    }

    /**
     * When the slot's next worker starts: after its backoff {@code delay}, and only once the pool has room (see
     * {@link WorkerPool#maxProcesses}); a full pool waits for one of its processes to leave.
     */
    private String nextStart(Slot slot, Duration delay) {
        int maxProcesses = master.maxProcesses();
        if (pool.canStart(maxProcesses, 0)) {
            return describeDelay(delay, slot.consecutiveFailures());
        }
        String once = "once one of the pool's " + pool.running() + " processes has left (it runs " + maxProcesses
                + " at most)";
        return delay.isZero() ? once : describeDelay(delay, slot.consecutiveFailures()) + ", " + once;
    }

    /**
     * A spare said READY=1 before any promotion: its app accepts at once instead of waiting for it
     * (Herd.awaitPromotion()), so it is a worker too many and spares cannot work with this app. It is stopped, and
     * no spare is started again until a reload.
     */
    private void spareAccepts(WorkerHandle spare, long now) {
        if (spare.state() != WorkerState.STARTING && spare.state() != WorkerState.SPARE || master.stopping()) {
            return;
        }
        Log.error("spare (pid %d) sent READY=1 before it was promoted: its app accepts without waiting for its "
                + "promotion (Herd.awaitPromotion()); stopping it, and starting no more spares until a reload",
                spare.pid());
        master.disableSpares();
        stopper.stopWorker(spare, RestartReason.SCALE);
    }

    /**
     * Acts on every deadline that has passed: see {@link WorkerHandle.Due}. Each action moves the worker's next
     * deadline on (a late heartbeat's warning, then its hang), so after a long pause (a SIGSTOPped master) every
     * step that fell due is taken, in order, in one pass.
     */
    void actOnDeadlines() {
        long now = clock.now();
        for (WorkerHandle worker : pool.all()) {
            for (Optional<WorkerHandle.Deadline> deadline = worker.nextDeadline();
                 deadline.isPresent() && now - deadline.get().atNanos() >= 0; deadline = worker.nextDeadline()) {
                actOn(worker, deadline.get().due(), now);
            }
        }
    }

    /**
     * The master did not run for {@code pausedNanos} (SIGSTOP, a frozen VM, a machine that starved it of CPU), and
     * neither did the thread that reads the workers' notifications: what the workers sent meanwhile still waits in
     * their sockets. Their silence says nothing about them, so it is not held against them: see
     * {@link WorkerHandle#masterPaused}. Drain and thread-dump deadlines stand: they wait for an exit, not a message.
     */
    void masterPaused(long pausedNanos, long now) {
        Log.warn("the master did not run for %d ms (stopped, or starved of CPU); the workers' heartbeat deadlines "
                + "count from now", millis(pausedNanos));
        pool.all().forEach(worker -> worker.masterPaused(pausedNanos, now));
    }

    private void actOn(WorkerHandle worker, WorkerHandle.Due due, long now) {
        SupervisionPolicy policy = master.policy();
        switch (due) {
            case READY_TIMEOUT -> {
                String why = "not ready within " + Durations.format(policy.readyTimeout());
                Log.error("%s %s; sending SIGKILL", worker, why);
                pool.slot(worker.slot(), now).cannotBoot(why);
                fault(worker, why, RestartReason.BOOT_FAILURE, now);
                pool.kill(worker, why, RestartReason.BOOT_FAILURE);
            }
            case HEARTBEAT_LATE -> {
                worker.warnedLate();
                Log.warn("%s sent no heartbeat for %d ms, three quarters of its heartbeat timeout (%s)", worker,
                        millis(now - worker.lastHeartbeatNanos()), timeout(worker));
            }
            case HEARTBEAT_MISSED -> hung(worker, now, policy);
            case DUMP_DONE -> {
                Log.error("%s: sending SIGKILL", worker);
                pool.kill(worker, worker.killedBecause().orElse("hung"), RestartReason.HANG);
            }
            case DRAIN_TIMEOUT -> {
                Log.warn("%s did not exit by its stop deadline; sending SIGKILL", worker);
                pool.kill(worker, "did not drain within the graceful timeout", RestartReason.EXIT);
            }
        }
    }

    /**
     * A ready worker that missed its heartbeat. A JVM first gets SIGQUIT and a moment to print its thread dump,
     * which reaches the log tagged with the worker (evidence of where it hung); then SIGKILL. Its replacement
     * starts at once: a hung worker serves nobody.
     */
    private void hung(WorkerHandle worker, long now, SupervisionPolicy policy) {
        String why = "hung: no heartbeat for " + millis(now - worker.lastHeartbeatNanos()) + " ms";
        fault(worker, why, RestartReason.HANG, now);
        if (worker.jvm() && policy.hangDiagnostics()) {
            Log.error("%s is %s (heartbeatTimeout %s); sending SIGQUIT for a thread dump, SIGKILL in %d ms", worker,
                    why, timeout(worker), THREAD_DUMP_GRACE.toMillis());
            worker.hung(now + THREAD_DUMP_GRACE.toNanos(), why);
            pool.signal(worker, Signal.QUIT);
            // A stopped JVM (SIGSTOP, a debugger) prints its dump only once it runs again; it dies right after.
            pool.signal(worker, Signal.CONT);
        } else {
            Log.error("%s is %s (heartbeatTimeout %s); sending SIGKILL", worker, why, timeout(worker));
            pool.kill(worker, why, RestartReason.HANG);
        }
    }

    /** A fault the master found itself: the slot counts it now and its replacement follows the backoff. */
    private void fault(WorkerHandle worker, String why, RestartReason reason, long now) {
        if (master.stopping()) {
            return;
        }
        Slot slot = pool.slot(worker.slot(), now);
        Duration delay = pool.failed(slot, reason, now - worker.startedAtNanos(), now, clock.wallNow(),
                master.policy().flappingWindow());
        if (!delay.isZero()) {
            Log.info("worker-%d: next start %s", slot.number(), describeDelay(delay, slot.consecutiveFailures()));
        }
        warnIfFlapping(slot, now);
    }

    /** A second Ctrl+C: no more waiting for drains. */
    void killAllNow(String reason) {
        List<WorkerHandle> alive = pool.all().stream().filter(w -> w.state() != WorkerState.KILLED).toList();
        Log.warn("%s: killing %d workers now", reason, alive.size());
        alive.forEach(w -> pool.kill(w, reason, RestartReason.EXIT));
    }

    /**
     * Warns once when a slot starts flapping: at its first failure past the limit, or at its first failure after it
     * had recovered while its window still held too many. Says what the slot does meanwhile: it keeps retrying.
     */
    private void warnIfFlapping(Slot slot, long now) {
        SupervisionPolicy policy = master.policy();
        int failures = slot.failuresWithin(now, policy.flappingWindow());
        if (slot.flapping(now, policy.flappingCrashes(), policy.flappingWindow())
                && (failures == policy.flappingCrashes() + 1 || slot.failuresSinceReady() == 1)) {
            Duration delay = Duration.ofNanos(Math.max(0, slot.restartNotBeforeNanos() - now));
            String next = slot.isHeld() ? "another process holds the slot meanwhile"
                    : "it retries " + (delay.isZero() ? "now" : "in " + delay.toMillis() + " ms") + ", the delay "
                            + "doubling up to " + Durations.format(RestartBackoff.MAX_DELAY) + " while workers fail";
            Log.warn("worker-%d is flapping: %d crashes within %s; %s; status shows backoff until one is ready",
                    slot.number(), failures, Durations.format(policy.flappingWindow()), next);
        }
    }

    /** The ready line's tail when the worker's slot had failed since its last ready worker. */
    private static String recovered(int failures) {
        return failures == 0 ? "" : failures == 1 ? "; its slot recovered after 1 failure"
                : "; its slot recovered after " + failures + " failures";
    }

    private static String timeout(WorkerHandle worker) {
        return Durations.format(Duration.ofNanos(worker.heartbeatTimeoutNanos()));
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static String describeDelay(Duration delay, int consecutiveFailures) {
        return delay.isZero() ? "now"
                : "in " + delay.toMillis() + " ms (" + consecutiveFailures + " failures in a row)";
    }
}
