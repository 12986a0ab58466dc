package dev.herd.supervisor.master;

import dev.herd.config.Durations;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.spawn.WorkerSpawner;
import dev.herd.supervisor.status.StatusSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The master's single thread and the only owner of supervisor state. Each turn it handles the queued events, then
 * runs the same fixed tail: reap exited workers, act on deadlines (not ready in time, hung, not drained in time),
 * recycle workers that served their limit, advance a rolling restart, reconcile (fill every slot up to the wanted
 * count, drain the slots above it), settle waiting scale requests, and tell the service manager how things stand.
 * Scale, restart, reload and crash recovery all change the wanted state and let that tail act. A graceful stop is
 * the same machinery with nothing left to reconcile: SIGTERM to every worker, then reap until no worker, and
 * nothing a worker started, is left.
 *
 * <p>A step that throws is logged and the loop goes on: the workers still need a master. What escapes
 * {@link #run()} anyway is the caller's to handle (it stops the workers hard and exits with a named code).
 */
public final class MasterLoop {

    /** The longest the loop sleeps: a missed SIGCHLD still gets a worker reaped within this. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /**
     * Waking this much later than planned means the master itself was not running (SIGSTOP, a frozen VM, a
     * starved machine): see {@link #turnAfterWait}.
     */
    static final long PAUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Os os;
    private final WorkerSpawner spawner;
    private final BlockingQueue<MasterEvent> events;
    private final MasterClock clock;
    /** Read by the tests; the loop's helpers get what they need through the views below. */
    final WorkerPool pool;
    /** Read by the tests, as {@link #pool}. */
    final RestartDriver restarts;
    private final CapacityWaits capacity = new CapacityWaits();
    private final ServiceReporter service;
    private final Supervisor supervisor;
    private final Reconciler reconciler;
    private final StrayReaper strays;
    private final WorkerStopper stopper;
    private final EventHandler eventHandler = new EventHandler();
    private final HelpersView helpersView = new HelpersView();
    private CommandExecutor commands;
    /** Restores the shared socket if a worker shut it down: see {@link #watchListener}. */
    private Runnable listenerCheck = () -> { };
    private SupervisionPolicy policy;
    private int desiredWorkers;
    private int desiredSpares;
    /** A spare accepted without waiting for its promotion: its app cannot have spares (until a reload). */
    private boolean sparesDisabled;
    private MasterState state = MasterState.RUNNING;

    MasterLoop(Os os, WorkerSpawner spawner, ServiceNotifier notifier, int desiredWorkers, SupervisionPolicy policy,
               BlockingQueue<MasterEvent> events, LongSupplier clock, MasterInfo info) {
        this.os = os;
        this.spawner = spawner;
        this.pool = new WorkerPool(os, spawner);
        this.events = events;
        this.clock = new MasterClock(clock, info);
        this.desiredWorkers = desiredWorkers;
        this.policy = policy;
        this.service = new ServiceReporter(notifier, this::summary, clock.getAsLong());
        this.restarts = new RestartDriver(this.service, clock);
        this.stopper = new WorkerStopper(pool, clock, policy.gracefulTimeout());
        this.supervisor = new Supervisor(pool, restarts, stopper, this.clock, helpersView);
        this.reconciler = new Reconciler(pool, supervisor, restarts, stopper);
        this.strays = new StrayReaper(os, pool, spawner::isOwnChild);
    }

    /** Lets the loop answer admin requests; without it they get an error reply. */
    void setCommands(CommandExecutor commands) {
        this.commands = commands;
    }

    /** Runs {@code check} on every turn: it restores the shared listening socket if a worker shut it down. */
    void watchListener(Runnable check) {
        this.listenerCheck = check;
    }

    /**
     * Runs until a stop has been requested, every worker has been reaped and nothing they started is left (see
     * {@link StrayReaper}); returns the exit code.
     */
    public int run() throws InterruptedException {
        // The first turn handles what is already queued before it starts any worker: a SIGTERM that came during
        // the master's start-up stops it with no worker started, rather than after starting all N.
        runOnce(events.poll());
        while (!stopped()) {
            long wait = nanosUntilNextDeadline();
            long waitFrom = now();
            turnAfterWait(events.poll(wait, TimeUnit.NANOSECONDS), waitFrom, wait);
        }
        Log.info("all workers have exited");
        return 0;
    }

    /**
     * A turn after the loop waited from {@code waitFromNanos} for at most {@code plannedNanos}. Waking up far
     * later than planned means the whole master was paused, the thread that reads the workers' notifications too:
     * their heartbeats of that time are still in their sockets, and the deadlines must not count the pause against
     * them, or a SIGSTOP of the master would get every healthy worker killed as hung when it resumes.
     */
    void turnAfterWait(MasterEvent first, long waitFromNanos, long plannedNanos) {
        long paused = now() - waitFromNanos;
        if (paused - plannedNanos > PAUSE_NANOS) {
            guarded("catching up after a pause", () -> supervisor.masterPaused(paused, now()));
        }
        runOnce(first);
    }

    /** One turn: the given event (if any) and every other queued one, then the fixed tail. */
    void runOnce(MasterEvent first) {
        for (MasterEvent event = first; event != null; event = events.poll()) {
            MasterEvent current = event;
            guarded("handling " + event, () -> handle(current));
        }
        guarded("checking the listening socket", listenerCheck);
        guarded("reaping workers", () -> pool.reap().forEach(exit -> {
            strays.workerExited(exit.worker(), now());
            supervisor.workerExited(exit);
        }));
        guarded("stopping strays", () -> strays.sweep(now()));
        guarded("supervising the spawner's other processes", spawner::superviseOthers);
        guarded("checking deadlines", supervisor::actOnDeadlines);
        if (commands != null) {
            guarded("checking the reload's deadline", () -> commands.actOnDeadlines(now()));
        }
        if (state == MasterState.RUNNING) {
            guarded("recycling", () -> restarts.recycleWorkersAtTheirLimit(pool, desiredWorkers, now()));
            guarded("checking memory", () -> restarts.recycleWorkersOverMemory(pool, os, desiredWorkers,
                    policy.maxWorkerMemory(), now()));
            guarded("advancing the rolling restart",
                    () -> restarts.advance(pool, stopper, desiredWorkers, maxProcesses(), policy, now(), wallNow()));
            guarded("reconciling", this::reconcile);
        }
        guarded("settling scale requests", () -> capacity.settle(readyWorkers(), desiredWorkers,
                pool.surplusSlots(desiredWorkers), now()));
        guarded("reporting to the service manager",
                () -> service.report(stopping(), readyWorkers(), desiredWorkers, now()));
    }

    /** A bug in one step must not end supervision: the workers still need a master. */
    private static void guarded(String step, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            Log.error("%s failed: %s", step, e);
        }
    }

    private void handle(MasterEvent event) {
        event.handleWith(eventHandler);
    }

    /** What the loop does with each kind of event: {@link MasterEvent.Handler} lists them all. */
    private final class EventHandler implements MasterEvent.Handler {
        @Override
        public void signalReceived(MasterEvent.SignalReceived received) {
            handleSignal(received.signal());
        }

        @Override
        public void childStateChanged(MasterEvent.ChildStateChanged changed) {
            strays.childStateChanged(); // the reaps run right after every batch of events
        }

        @Override
        public void workerNotified(MasterEvent.WorkerNotified notified) {
            MasterLoop.this.workerNotified(notified);
        }

        @Override
        public void metricsRequested(MasterEvent.MetricsRequested requested) {
            if (commands == null) {
                requested.reading().completeExceptionally(new IllegalStateException("no status report"));
            } else {
                requested.reading().complete(commands.reading());
            }
        }

        @Override
        public void workDone(MasterEvent.WorkDone done) {
            done.apply().run();
        }

        @Override
        public void adminRequested(MasterEvent.AdminRequested requested) {
            if (commands == null) {
                requested.reply().complete(new AdminException(AdminException.INTERNAL, "no admin commands")
                        .toReply());
            } else {
                commands.execute(requested.request(), requested.reply());
            }
        }
    }

    private void workerNotified(MasterEvent.WorkerNotified notified) {
        Optional<WorkerHandle> found = pool.bySerial(notified.serial());
        if (found.isEmpty()) {
            // A class-data training run's, or a worker reaped meanwhile.
            spawner.otherProcessNotified(notified.serial(), notified.notifications());
            return;
        }
        WorkerHandle worker = found.get();
        for (var notification : notified.notifications()) {
            boolean wasReady = worker.state() == WorkerState.READY;
            supervisor.notified(worker, notification);
            if (!wasReady && worker.state() == WorkerState.READY) {
                spawner.workerReady(worker.serial(), worker.pid());
            }
        }
    }

    private void handleSignal(Signal signal) {
        if (stopping() && signal != Signal.TERM && signal != Signal.INT && signal != Signal.USR1) {
            Log.warn("ignoring SIG%s: the master is stopping", signal);
            return;
        }
        switch (signal) {
            case TERM -> beginStop("SIGTERM", policy.gracefulTimeout());
            case INT -> {
                if (stopping()) {
                    supervisor.killAllNow("second SIGINT");
                } else {
                    beginStop("SIGINT", policy.gracefulTimeout());
                }
            }
            case HUP -> {
                if (commands != null) {
                    commands.reloadOnSignal();
                }
            }
            case TTIN -> scaleTo(desiredWorkers + 1, "SIGTTIN");
            case TTOU -> scaleTo(desiredWorkers - 1, "SIGTTOU");
            case USR1 -> Log.reopen();
            default -> Log.warn("ignoring SIG%s", signal);
        }
    }

    /**
     * Begins the graceful stop: every worker drains (SIGTERM) and is killed after {@code timeout}. Idempotent:
     * a second SIGTERM (systemd's, or a signal to the whole process group) comes back here. The deadline is
     * computed before anything changes, so that a bad timeout cannot leave a half-begun stop.
     */
    void beginStop(String reason, Duration timeout) {
        if (state != MasterState.RUNNING) {
            return;
        }
        long deadline = stopper.masterStopDeadline(timeout);
        state = state.moveTo(MasterState.STOPPING);
        spawner.stopOthers();
        if (restarts.active()) {
            restarts.finish(Optional.of("the master is stopping"));
        }
        capacity.abort("the master is stopping");
        service.stopping();
        Log.info("%s: stopping %d %s (graceful timeout %s)", reason, pool.live(),
                pool.live() == 1 ? "worker" : "workers", Durations.format(timeout));
        stopper.stopAll(deadline);
    }

    /** Whether the master's stop is complete: no worker left, and nothing they started (the loop then ends). */
    private boolean stopped() {
        if (state == MasterState.STOPPING && pool.live() == 0 && strays.settled()) {
            state = state.moveTo(MasterState.STOPPED);
        }
        return state == MasterState.STOPPED;
    }

    private void reconcile() {
        reconciler.reconcile(desiredWorkers, wantedSpares(), policy, now(), wallNow());
    }

    /** The spares to keep warm: none while the app is known to accept before its promotion. */
    private int wantedSpares() {
        return sparesDisabled ? 0 : desiredSpares;
    }

    /** The most processes the pool may run at once now: see {@link WorkerPool#maxProcesses}. */
    private int maxProcesses() {
        return WorkerPool.maxProcesses(desiredWorkers, wantedSpares());
    }

    /**
     * A rolling restart (admin restart, reload, SIGHUP) of {@code slots}: the spares on the bench run the code and
     * configuration it replaces, so they are stopped first; fresh ones follow once it is done.
     */
    CompletableFuture<RestartDriver.Outcome> restart(List<Integer> slots, RestartReason reason) {
        for (WorkerHandle spare : pool.spares()) {
            stopper.stopWorker(spare, reason);
        }
        return restarts.restart(slots, pool.nextSerial(), reason, now());
    }

    long nanosUntilNextDeadline() {
        long now = now();
        long wait = TICK_NANOS;
        for (Slot slot : pool.slots().values()) {
            // A free wanted slot is filled when its backoff ends. The bench is never "held" by a warm spare: it
            // wakes the loop only for a spare still to start after its backoff, or the loop would spin.
            boolean waitsToStart = slot.number() == WorkerPool.BENCH
                    ? pool.spares().size() < wantedSpares() && slot.backingOff(now)
                    : !slot.isHeld() && pool.canStart(maxProcesses(), 0) && slot.number() <= desiredWorkers;
            if (waitsToStart && state == MasterState.RUNNING) {
                wait = Math.min(wait, slot.restartNotBeforeNanos() - now);
            }
            for (WorkerHandle worker : slot.workers()) {
                var deadline = worker.nextDeadline();
                if (deadline.isPresent()) {
                    wait = Math.min(wait, deadline.get().atNanos() - now);
                }
            }
        }
        var ping = service.nextDeadlineNanos();
        if (ping.isPresent()) {
            wait = Math.min(wait, ping.getAsLong() - now);
        }
        return Math.max(wait, 0);
    }

    /**
     * After the loop itself failed: nobody is left to supervise the workers, so each gets SIGKILL and is reaped
     * (a bounded wait: a SIGKILLed process is gone within milliseconds unless stuck in the kernel).
     */
    void killAllAfterFailure() throws InterruptedException {
        pool.all().stream().filter(w -> w.state() != WorkerState.KILLED)
                .forEach(w -> pool.kill(w, "the master loop failed", RestartReason.EXIT));
        strays.killAllNow();
        long deadline = now() + TimeUnit.SECONDS.toNanos(2);
        while (pool.live() > 0 && now() - deadline < 0) {
            pool.reap();
            Thread.sleep(10); // the waitpid polling interval, bounded by the deadline above
        }
    }

    /** Sets the wanted worker count, kept within 1..1024; returns the count now wanted. */
    int scaleTo(int requested, String reason) {
        int workers = Math.max(1, Math.min(requested, 1024));
        if (workers != desiredWorkers) {
            Log.info("%s: scaling from %d to %d workers", reason, desiredWorkers, workers);
            desiredWorkers = workers;
            capacity.wantedChanged(workers, reason);
        }
        return workers;
    }

    /** The one-line summary systemd shows: "4/4 workers ready, 0 restarts" (", 1/1 spares warm" with spares). */
    String summary() {
        int restartCount = pool.slots().values().stream().mapToInt(Slot::restarts).sum();
        long warm = pool.spares().stream().filter(w -> w.state() == WorkerState.SPARE).count();
        return readyWorkers() + "/" + desiredWorkers + (desiredWorkers == 1 ? " worker" : " workers") + " ready, "
                + restartCount + (restartCount == 1 ? " restart" : " restarts")
                + (desiredSpares > 0 ? ", " + warm + "/" + desiredSpares + " spares warm" : "")
                + (restarts.active() ? ", rolling restart in progress" : "");
    }

    /** Sets how many hot spares to keep; a reload also lifts {@link #disableSpares()}. */
    void setDesiredSpares(int spares) {
        desiredSpares = spares;
        sparesDisabled = false;
    }

    /** An app that accepts without waiting for its promotion cannot have spares: none start until a reload. */
    void disableSpares() {
        sparesDisabled = true;
    }

    int readyWorkers() {
        return pool.ready(desiredWorkers);
    }

    int desiredWorkers() {
        return desiredWorkers;
    }

    SupervisionPolicy policy() {
        return policy;
    }

    void setPolicy(SupervisionPolicy next) {
        policy = next;
        stopper.useGracefulTimeout(next.gracefulTimeout());
    }

    /** Whether a stop has begun (the workers drain, nothing is started or replaced any more). */
    boolean stopping() {
        return state != MasterState.RUNNING;
    }

    MasterState state() {
        return state;
    }

    MasterInfo info() {
        return clock.info();
    }

    long now() {
        return clock.now();
    }

    Instant wallNow() {
        return clock.wallNow();
    }

    /**
     * In a master an upgrade exec'ed into: takes the old master's workers over. A ready worker of a wanted slot
     * keeps serving until its replacement is ready (a rolling restart, as a reload's); every other one (starting,
     * draining, a spare) is told to drain now. Returns that rolling restart's outcome.
     */
    CompletableFuture<RestartDriver.Outcome> adopt(List<HandOver.Worker> workers) {
        service.upgradedInPlace();
        List<Integer> slots = new ArrayList<>();
        for (HandOver.Worker adopted : workers) {
            WorkerHandle worker = pool.adopt(adopted, policy, now());
            if (!adopted.ready() || worker.onBench()) {
                stopper.stopWorker(worker, RestartReason.UPGRADE);
            } else if (worker.slot() <= desiredWorkers) {
                slots.add(worker.slot());
            } // else a ready worker above the wanted count: reconcile drains it, as after a scale-down
        }
        strays.inheritPreviousProgramsChildren();
        return restarts.restart(slots, pool.nextSerial(), RestartReason.UPGRADE, now());
    }

    /**
     * What an upgrade needs of the loop: whether it may begin, and the hand-over of the workers as they are now,
     * completed by {@code parts} with what the master holds besides (see {@link Upgrader.Master}).
     */
    Upgrader.Master forUpgrades(Reloader reload, HandOverParts parts) {
        return new Upgrader.Master() {
            @Override
            public boolean stopping() {
                // A stop still queued would be lost with the exec: it goes first, and the upgrade is refused.
                return MasterLoop.this.stopping() || events.stream().anyMatch(StopAsked::by);
            }

            @Override
            public Optional<String> busyWith() {
                if (restarts.active()) {
                    return Optional.of("a rolling restart is in progress");
                }
                if (reload.reading()) {
                    return Optional.of("a reload is reading its configuration");
                }
                // Not a class-data training run: the hand-over ends it (an upgrade never waits on an optimisation).
                return Optional.empty();
            }

            @Override
            public void handingOver(int upgrade) {
                service.handingOver(now(), "upgrade " + upgrade + ": the new herd starts in this process (pid "
                        + os.pid() + ")");
            }

            @Override
            public void handOverFailed() {
                service.reloadDone();
            }

            @Override
            public Optional<Path> configFile() {
                return reload.config().source();
            }

            @Override
            public HandOver handOver(int upgrades) {
                spawner.endOthersNow("herd is being upgraded; the new herd trains again once a worker is ready");
                List<WorkerHandle> workers = pool.all().stream()
                        .sorted(Comparator.comparingInt(WorkerHandle::serial)).toList();
                return parts.handOver(upgrades, workers);
            }
        };
    }

    /** What the master holds besides the workers, for a hand-over: see {@link #forUpgrades}. */
    interface HandOverParts {
        HandOver handOver(int upgrades, List<WorkerHandle> workers);
    }

    /** What a reload needs of the loop: see {@link Reloader.Master}. */
    Reloader.Master forReloads() {
        return new Reloader.Master() {
            @Override
            public long now() {
                return MasterLoop.this.now();
            }

            @Override
            public boolean stopping() {
                return MasterLoop.this.stopping();
            }

            @Override
            public void want(SupervisionPolicy next, int workers, int spares, String reason) {
                setPolicy(next);
                scaleTo(workers, reason);
                setDesiredSpares(spares);
            }

            @Override
            public CompletableFuture<RestartDriver.Outcome> restartAll(RestartReason reason) {
                List<Integer> slots = pool.slots().values().stream().filter(slot -> !slot.isEmpty())
                        .map(Slot::number).toList();
                return restart(slots, reason);
            }

            @Override
            public CompletableFuture<Optional<String>> classDataFirst() {
                return spawner.classDataFirst();
            }

            @Override
            public Optional<CompletableFuture<RestartDriver.Outcome>> joinReloadInProgress() {
                return restarts.isReload() ? Optional.of(restarts.join()) : Optional.empty();
            }

            @Override
            public void whenRestartDone(Consumer<RestartDriver.Outcome> action) {
                restarts.whenDone(action);
            }
        };
    }

    /** Where the duration of each finished reload goes (the metrics' histogram). */
    void timeReloadsWith(Consumer<Duration> times) {
        restarts.onReloadTimed(times);
    }

    /** What the admin commands need of the loop: see {@link CommandExecutor.Master}. */
    CommandExecutor.Master forCommands() {
        return helpersView;
    }

    /**
     * A status report of this loop's workers and state (see {@link StatusReport}); {@code adminSocket} is where the
     * admin socket is, when the report should say so.
     */
    StatusReport statusReport(StatusReport.Socket socket, Supplier<Optional<Path>> configFile,
                              Supplier<StatusSnapshot.Upgrade> upgrade, Optional<Path> adminSocket) {
        return new StatusReport(helpersView, pool, os, socket, configFile, upgrade, adminSocket);
    }

    /**
     * What the loop's helpers may ask of it. One object answers them all, but each helper is handed it as its own
     * narrow interface ({@link Supervisor.Master}, {@link CommandExecutor.Master}, {@link StatusReport.Master}) and
     * sees nothing else of the loop.
     */
    private final class HelpersView implements Supervisor.Master, CommandExecutor.Master, StatusReport.Master {
        @Override
        public SupervisionPolicy policy() {
            return policy;
        }

        @Override
        public boolean stopping() {
            return MasterLoop.this.stopping();
        }

        @Override
        public void disableSpares() {
            MasterLoop.this.disableSpares();
        }

        @Override
        public int maxProcesses() {
            return MasterLoop.this.maxProcesses();
        }

        @Override
        public MasterInfo info() {
            return MasterLoop.this.info();
        }

        @Override
        public long now() {
            return MasterLoop.this.now();
        }

        @Override
        public int desiredWorkers() {
            return desiredWorkers;
        }

        @Override
        public int readyWorkers() {
            return MasterLoop.this.readyWorkers();
        }

        @Override
        public String summary() {
            return MasterLoop.this.summary();
        }

        @Override
        public int scaleTo(int workers, String reason) {
            return MasterLoop.this.scaleTo(workers, reason);
        }

        @Override
        public CompletableFuture<Optional<String>> awaitCapacity(int workers, long deadlineNanos) {
            return capacity.add(workers, deadlineNanos);
        }

        @Override
        public CompletableFuture<RestartDriver.Outcome> restart(List<Integer> slots, RestartReason reason) {
            return MasterLoop.this.restart(slots, reason);
        }

        @Override
        public void beginStop(String reason, Duration timeout) {
            MasterLoop.this.beginStop(reason, timeout);
        }

        @Override
        public Map<RestartReason, Long> restartCounts() {
            return pool.restartCounts();
        }
    }
}
