package dev.herd.supervisor.master;

import dev.herd.config.ConfigValues;
import dev.herd.config.Durations;
import dev.herd.log.Log;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The master's single thread and the only owner of supervisor state. Each turn it takes the queued events, then
 * runs the same fixed tail: reap exited workers, kill those past a deadline (not ready in time, hung, not
 * drained in time), recycle workers that served their limit, advance a rolling restart, reconcile (fill every
 * slot up to the desired count, drain the slots above it), and tell the service manager how things stand.
 * Scale, restart, reload and crash recovery all change the wanted state and let that tail act. A graceful stop
 * is the same machinery with nothing left to reconcile: kill(0, SIGTERM), then reap until no worker is left.
 */
public final class MasterLoop {

    /** The longest the loop sleeps: a missed SIGCHLD still gets a worker reaped within this. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private static final int ECHILD = 10;

    /** EXTEND_TIMEOUT_USEC is capped at a day: a wild value must not overflow the deadline. */
    private static final long MAX_READY_EXTENSION_MICROS = TimeUnit.DAYS.toMicros(1);

    private final Os os;
    private final WorkerSpawner spawner;
    private final BlockingQueue<MasterEvent> events;
    private final LongSupplier nanoClock;
    private final SortedMap<Integer, Slot> slots = new TreeMap<>();
    private final Map<Integer, WorkerHandle> workersBySerial = new HashMap<>();
    private final RollingRestart restart = new RollingRestart();
    private final List<CapacityWait> capacityWaits = new ArrayList<>();
    private SupervisionPolicy policy;
    private ServiceNotifier service = ServiceNotifier.NONE;
    private int desiredWorkers;
    private int nextSerial = 1;
    private boolean stopping;
    private boolean announcedReady;
    private String announcedStatus = "";
    private long nextServiceWatchdogNanos;
    private AdminExecutor admin;
    private final boolean reapsOrphans;

    /** A scale request waiting until every wanted slot has a ready worker and the surplus ones are gone. */
    private record CapacityWait(long deadlineNanos, CompletableFuture<Optional<String>> result) {
    }

    MasterLoop(Os os, WorkerSpawner spawner, int desiredWorkers, SupervisionPolicy policy,
               BlockingQueue<MasterEvent> events, LongSupplier nanoClock) {
        this.os = os;
        this.spawner = spawner;
        this.desiredWorkers = desiredWorkers;
        this.policy = policy;
        this.events = events;
        this.nanoClock = nanoClock;
        this.nextServiceWatchdogNanos = nanoClock.getAsLong();
        this.reapsOrphans = os.pid() == 1;
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

    /** Lets the loop report to systemd (READY, RELOADING, STATUS, STOPPING, WATCHDOG). */
    void setServiceNotifier(ServiceNotifier notifier) {
        this.service = notifier;
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
        reapOrphans();
        killWorkersPastDeadlines();
        if (!stopping) {
            recycleWorkersAtTheirLimit();
            advanceRestart();
            reconcile();
        }
        settleCapacityWaits();
        reportToServiceManager();
    }

    private void handle(MasterEvent event) {
        // Java 17 has no pattern switch over a sealed interface; every case of MasterEvent is listed here.
        if (event instanceof MasterEvent.SignalReceived received) {
            handleSignal(received.signal());
        } else if (event instanceof MasterEvent.ChildStateChanged) {
            // nothing to decide here: reapWorkers() runs right after every batch of events
            return;
        } else if (event instanceof MasterEvent.WorkerNotified notified) {
            handleNotification(notified.serial(), notified.message());
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
        if (stopping && signal != Signal.TERM && signal != Signal.INT && signal != Signal.USR1) {
            Log.warn("ignoring SIG%s: the master is stopping", signal);
            return;
        }
        switch (signal) {
            case TERM -> beginStop("SIGTERM", policy.gracefulTimeout());
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
                    beginStop("SIGINT", policy.gracefulTimeout());
                }
            }
            default -> Log.warn("ignoring SIG%s", signal);
        }
    }

    /**
     * The sd_notify protocol, as systemd reads it from a service: one {@code KEY=VALUE} per line. Unknown keys
     * are ignored, as systemd ignores them. {@code X_HERD_SERVED=} is herd's own: how much a worker without a
     * stats file has served, for maxRequests.
     */
    private void handleNotification(int serial, String message) {
        WorkerHandle worker = workersBySerial.get(serial);
        if (worker == null) {
            return; // reaped meanwhile
        }
        long now = nanoClock.getAsLong();
        for (String line : message.split("\n")) {
            int equals = line.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String key = line.substring(0, equals);
            String value = line.substring(equals + 1);
            switch (key) {
                case "READY" -> {
                    // Not from a worker already killed for its ready timeout: its READY crossed the SIGKILL.
                    if (value.equals("1") && worker.state() == WorkerState.STARTING && !worker.killed()) {
                        worker.ready(now);
                        Log.info("worker-%d (pid %d) ready after %d ms", worker.slot(), worker.pid(),
                                millis(worker.readyAfterNanos().orElse(0L)));
                    }
                }
                case "WATCHDOG" -> {
                    if (value.equals("1")) {
                        worker.heartbeat(now);
                    } else if (value.equals("trigger") && worker.state().holdsSlot() && !worker.killed()) {
                        Log.error("%s asked to be killed (WATCHDOG=trigger); sending SIGKILL", worker);
                        kill(worker, "asked to be killed (WATCHDOG=trigger)");
                    }
                }
                case "STATUS" -> worker.status(value);
                case "STOPPING" -> {
                    if (value.equals("1") && worker.state().holdsSlot()) {
                        // The worker leaves on its own (a planned exit): start its replacement now, and do not
                        // count the exit as a crash.
                        Log.info("%s is stopping on its own; starting its replacement", worker);
                        worker.stopping(now + policy.gracefulTimeout().toNanos());
                    }
                }
                case "EXTEND_TIMEOUT_USEC" -> {
                    if (worker.state() == WorkerState.STARTING) {
                        parseLong(value).ifPresent(micros -> worker.extendReadyDeadline(
                                now + TimeUnit.MICROSECONDS.toNanos(Math.min(micros, MAX_READY_EXTENSION_MICROS))));
                    }
                }
                case "X_HERD_SERVED" -> parseLong(value).ifPresent(worker::reportServed);
                default -> {
                    // MAINPID, ERRNO, FDSTORE and the rest mean nothing for a worker
                }
            }
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
        policy = policy.withGraceful(timeout);
        if (restart.active()) {
            finishRestart(Optional.of("the master is stopping"));
        }
        capacityWaits.forEach(wait -> wait.result().complete(Optional.of("the master is stopping")));
        capacityWaits.clear();
        service.stopping();
        long deadline = nanoClock.getAsLong() + timeout.toNanos();
        Log.info("%s: stopping %d workers (graceful timeout %d ms)", reason, liveWorkers(), timeout.toMillis());
        for (WorkerHandle worker : allWorkers()) {
            if (worker.state().holdsSlot()) {
                worker.stopping(deadline);
            } else {
                worker.shortenStopDeadline(deadline); // already draining (scale down, restart)
            }
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
        allWorkers().stream().filter(w -> !w.killed()).forEach(w -> kill(w, reason));
    }

    private void reapWorkers() {
        for (Slot slot : slots.values()) {
            for (WorkerHandle worker : List.copyOf(slot.workers())) {
                try {
                    os.reap(worker.pid()).ifPresent(exit -> workerExited(slot, worker, exit));
                } catch (OsException e) {
                    if (e.errno() != ECHILD) {
                        Log.error("%s: %s; trying again", worker, e.getMessage());
                        continue;
                    }
                    // The pid is not our child any more; nothing can bring it back. Free the slot.
                    Log.error("%s: %s; forgetting this worker", worker, e.getMessage());
                    forget(slot, worker, null);
                }
            }
        }
    }

    /**
     * As PID 1 (a container's entrypoint) the master is also the parent of every orphan in the container, and
     * nobody else will reap them. Each is reaped by pid, never with waitpid(-1), which would steal workers'
     * exits from {@link #reapWorkers}. Listing children reads /proc, so it runs once per turn, only as PID 1.
     */
    private void reapOrphans() {
        if (!reapsOrphans) {
            return;
        }
        for (int pid : os.children()) {
            if (workersBySerial.values().stream().anyMatch(w -> w.pid() == pid)) {
                continue;
            }
            try {
                os.reap(pid).ifPresent(exit -> Log.info("reaped orphan process %d: %s", pid, exit));
            } catch (OsException e) {
                // ECHILD: it was not ours after all (gone, or reaped meanwhile); nothing to do.
            }
        }
    }

    private void forget(Slot slot, WorkerHandle worker, ExitStatus status) {
        worker.exited();
        slot.remove(worker, status);
        workersBySerial.remove(worker.serial());
        spawner.release(worker.serial());
    }

    private void workerExited(Slot slot, WorkerHandle worker, ExitStatus status) {
        boolean planned = worker.state() == WorkerState.STOPPING;
        boolean wasReady = worker.readyAfterNanos().isPresent();
        forget(slot, worker, status);
        long now = nanoClock.getAsLong();
        String how = worker.failure().map(reason -> status + ", " + reason).orElse(status.toString());
        if (!stopping && restart.successor().filter(worker::equals).isPresent()) {
            finishRestart(Optional.of("worker-" + slot.number() + "'s replacement (pid " + worker.pid() + ") "
                    + (wasReady ? "exited" : "failed before it was ready") + ": " + how));
        }
        if (planned || stopping) {
            Log.info("worker-%d (pid %d) exited: %s", worker.slot(), worker.pid(), status);
            return;
        }
        long uptime = now - worker.startedAtNanos();
        long window = policy.flappingWindow().toNanos();
        int crashes = slot.recordCrash(uptime, now, window);
        Duration delay = RestartBackoff.delayAfter(crashes);
        slot.restartNotBefore(now + delay.toNanos());
        Log.warn("worker-%d (pid %d) died after %d ms: %s; %s", worker.slot(), worker.pid(), millis(uptime), how,
                slot.isHeld() ? "another process holds the slot" : "replacing it " + describeDelay(delay, crashes));
        if (slot.crashesWithin(now, window) == policy.flappingCrashes() + 1) {
            Log.warn("worker-%d is flapping: %d crashes within %s; it stays in backoff until they age out",
                    slot.number(), policy.flappingCrashes() + 1, Durations.format(policy.flappingWindow()));
        }
    }

    /** SIGKILL for workers past a deadline: not drained in time, not ready in time, or silent too long (hung). */
    private void killWorkersPastDeadlines() {
        long now = nanoClock.getAsLong();
        for (WorkerHandle w : allWorkers()) {
            long heartbeatTimeout = w.heartbeatTimeoutNanos();
            if (w.killed()) {
                continue;
            }
            if (w.state() == WorkerState.STOPPING && now - w.stopDeadlineNanos() >= 0) {
                Log.warn("%s did not exit by its stop deadline; sending SIGKILL", w);
                kill(w, "did not drain within the graceful timeout");
            } else if (w.state() == WorkerState.STARTING && now - w.readyDeadlineNanos() >= 0) {
                String why = "not ready within " + Durations.format(policy.readyTimeout());
                Log.error("%s %s; sending SIGKILL", w, why);
                kill(w, why);
            } else if (w.state() == WorkerState.READY && heartbeatTimeout > 0
                    && now - w.lastHeartbeatNanos() >= heartbeatTimeout) {
                String why = "hung: no heartbeat for " + millis(now - w.lastHeartbeatNanos()) + " ms";
                Log.error("%s is %s (heartbeatTimeout %s); sending SIGKILL", w, why,
                        Durations.format(Duration.ofNanos(heartbeatTimeout)));
                kill(w, why);
            }
        }
    }

    /**
     * maxRequests: a worker that has served its limit is replaced like in a reload (its replacement ready
     * first), not left to exit on its own and leave a hole. A slot backing off from crashes waits its turn.
     */
    private void recycleWorkersAtTheirLimit() {
        long now = nanoClock.getAsLong();
        for (Slot slot : slots.values()) {
            if (slot.number() > desiredWorkers || now - slot.restartNotBeforeNanos() < 0) {
                continue;
            }
            for (WorkerHandle w : slot.workers()) {
                if (w.state() != WorkerState.READY || w.servedLimit() == 0 || w.recycling()) {
                    continue;
                }
                long served = Math.max(spawner.served(w.serial()), w.reportedServed());
                if (served >= w.servedLimit()) {
                    Log.info("%s has served %d (its limit is %d); replacing it", w, served, w.servedLimit());
                    w.markRecycling(true);
                    restart.add(slot.number(), w.serial() + 1);
                }
            }
        }
    }

    private void reconcile() {
        long now = nanoClock.getAsLong();
        for (int number = 1; number <= desiredWorkers; number++) {
            Slot slot = slots.computeIfAbsent(number, n -> new Slot(n, now));
            if (!slot.isHeld() && now - slot.restartNotBeforeNanos() >= 0) {
                startWorker(slot, now);
            }
        }
        // Scaling down drains the highest slots; a slot above the desired count is forgotten once empty.
        long deadline = now + policy.gracefulTimeout().toNanos();
        for (Slot slot : slots.tailMap(desiredWorkers + 1).values()) {
            slot.workers().stream().filter(w -> w.state().holdsSlot()).toList()
                    .forEach(w -> stopWorker(w, deadline));
        }
        slots.tailMap(desiredWorkers + 1).values().removeIf(Slot::isEmpty);
    }

    /**
     * Moves the rolling restart on: for the head slot, start a replacement next to the old worker; once it is
     * ready, tell the old one to drain and go on to the next slot. A replacement that dies or is not ready in time
     * ends the restart (see {@link #workerExited}); the old worker then keeps serving.
     */
    private void advanceRestart() {
        long now = nanoClock.getAsLong();
        while (restart.hasSteps()) {
            RollingRestart.Step step = restart.head();
            Slot slot = slots.get(step.slot());
            if (slot == null || step.slot() > desiredWorkers) {
                restart.skipHead(); // scaled away meanwhile
                continue;
            }
            List<WorkerHandle> old = slot.workers().stream()
                    .filter(w -> w.state().holdsSlot() && w.serial() < step.replaceBefore()).toList();
            Optional<WorkerHandle> successor = restart.successor();
            if (successor.isEmpty()) {
                if (old.isEmpty()) {
                    restart.skipHead(); // its old worker is already gone (crashed, or stopped on its own)
                    continue;
                }
                Optional<WorkerHandle> fresh = slot.workers().stream()
                        .filter(w -> w.state().holdsSlot() && w.serial() >= step.replaceBefore()).findFirst();
                if (fresh.isPresent()) {
                    restart.successor(fresh.get());
                    continue;
                }
                Log.info("restarting %s: starting its replacement first", old.get(0));
                try {
                    restart.successor(spawnInto(slot, now));
                } catch (OsException e) {
                    // Counted like a failed start, so that a recycle does not retry it on every turn.
                    int failures = slot.recordCrash(0, now, policy.flappingWindow().toNanos());
                    slot.restartNotBefore(now + RestartBackoff.delayAfter(failures).toNanos());
                    Log.error("cannot start a replacement for worker-%d: %s", slot.number(), e.getMessage());
                    finishRestart(Optional.of("cannot start a replacement for worker-" + slot.number() + ": "
                            + e.getMessage()));
                }
                return;
            }
            if (successor.get().state() == WorkerState.STARTING) {
                return; // its ready timeout and its exit are watched elsewhere
            }
            if (successor.get().state() != WorkerState.READY) {
                finishRestart(Optional.of("worker-" + slot.number() + "'s replacement stopped before it was ready"));
                return;
            }
            old.forEach(w -> stopWorker(w, now + policy.gracefulTimeout().toNanos()));
            restart.headReplaced();
        }
        if (restart.active()) {
            finishRestart(Optional.empty());
        }
    }

    private void finishRestart(Optional<String> failure) {
        boolean reload = restart.isReload();
        int replaced = restart.replaced();
        int left = restart.stepsLeft();
        if (failure.isPresent()) {
            Log.error("rolling restart stopped after %d replaced: %s; %d slots keep their workers", replaced,
                    failure.get(), left);
            // Workers waiting to be recycled were part of what stopped; they may try again.
            allWorkers().forEach(w -> w.markRecycling(false));
        } else if (replaced > 0 || reload) {
            Log.info("rolling restart done: %d workers replaced", replaced);
        }
        restart.finish(failure);
        if (reload && !stopping) {
            announcedStatus = statusLine();
            service.ready(announcedStatus);
        }
    }

    /**
     * Queues slots for a rolling restart, one after another; every worker started before this call is replaced.
     * The future completes when the restart ends, with how many were replaced or why it stopped.
     */
    CompletableFuture<RollingRestart.Outcome> restart(List<Integer> slotNumbers, boolean isReload) {
        if (isReload && !restart.isReload()) {
            restart.markReload();
            // CLOCK_MONOTONIC in microseconds: nanoTime is that clock on Linux.
            service.reloading(nanoClock.getAsLong() / 1000);
        }
        CompletableFuture<RollingRestart.Outcome> outcome = restart.newWaiter();
        for (int slot : slotNumbers) {
            restart.add(slot, nextSerial);
        }
        if (!restart.hasSteps()) {
            finishRestart(Optional.empty());
        }
        return outcome;
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

    /**
     * Completes once every wanted slot has a ready worker and the slots above the wanted count are gone (with
     * nothing), or at the deadline (with what is missing).
     */
    CompletableFuture<Optional<String>> awaitCapacity(Duration timeout) {
        CompletableFuture<Optional<String>> result = new CompletableFuture<>();
        capacityWaits.add(new CapacityWait(nanoClock.getAsLong() + timeout.toNanos(), result));
        return result;
    }

    private void settleCapacityWaits() {
        if (capacityWaits.isEmpty()) {
            return;
        }
        long now = nanoClock.getAsLong();
        boolean settled = readyWorkers() == desiredWorkers && slots.size() == desiredWorkers;
        capacityWaits.removeIf(wait -> {
            if (settled) {
                wait.result().complete(Optional.empty());
            } else if (now - wait.deadlineNanos() >= 0) {
                wait.result().complete(Optional.of(readyWorkers() + " of " + desiredWorkers
                        + " workers ready and " + Math.max(0, slots.size() - desiredWorkers)
                        + " surplus slots still draining"));
            } else {
                return false;
            }
            return true;
        });
    }

    /** READY=1 once every first worker is ready, STATUS= when the summary changes, WATCHDOG=1 on time. */
    private void reportToServiceManager() {
        if (!stopping) {
            String status = statusLine();
            if (!announcedReady && readyWorkers() == desiredWorkers) {
                announcedReady = true;
                Log.info("all %d workers ready", desiredWorkers);
                service.ready(status);
            } else if (!status.equals(announcedStatus)) {
                service.status(status);
            }
            announcedStatus = status;
        }
        // Also while stopping: a drain may take longer than the watchdog period, and the loop still turns.
        Optional<Duration> interval = service.watchdogInterval();
        long now = nanoClock.getAsLong();
        if (interval.isPresent() && now - nextServiceWatchdogNanos >= 0) {
            // Sent from the loop's own thread: a loop that stops turning stops the pings, and systemd notices.
            service.watchdog();
            nextServiceWatchdogNanos = now + interval.get().toNanos();
        }
    }

    /** The one-line summary systemd shows: "4/4 workers ready, 0 restarts". */
    String statusLine() {
        int restarts = slots.values().stream().mapToInt(Slot::restarts).sum();
        return readyWorkers() + "/" + desiredWorkers + " workers ready, " + restarts + " restarts"
                + (restart.active() ? ", rolling restart in progress" : "");
    }

    void setPolicy(SupervisionPolicy next) {
        policy = next;
    }

    SupervisionPolicy policy() {
        return policy;
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

    /** Whether the slot is in backoff: more crashes within the flapping window than the policy allows. */
    boolean flapping(Slot slot) {
        return slot.crashesWithin(nanoClock.getAsLong(), policy.flappingWindow().toNanos())
                > policy.flappingCrashes();
    }

    private void stopWorker(WorkerHandle worker, long deadlineNanos) {
        worker.stopping(deadlineNanos);
        signal(worker, Signal.TERM);
    }

    private void startWorker(Slot slot, long now) {
        try {
            spawnInto(slot, now);
        } catch (OsException e) {
            int failures = slot.recordCrash(0, now, policy.flappingWindow().toNanos());
            Duration delay = RestartBackoff.delayAfter(failures);
            slot.restartNotBefore(now + delay.toNanos());
            Log.error("cannot start worker-%d: %s; retrying %s", slot.number(), e.getMessage(),
                    describeDelay(delay, failures));
        }
    }

    private WorkerHandle spawnInto(Slot slot, long now) throws OsException {
        int serial = nextSerial++;
        int pid = spawner.spawn(slot.number(), serial);
        long limit = policy.maxRequests() == 0 ? 0
                : policy.maxRequests() + ThreadLocalRandom.current().nextLong(policy.maxRequestsJitter() + 1);
        WorkerHandle worker = new WorkerHandle(slot.number(), serial, pid, now,
                now + policy.readyTimeout().toNanos(), limit, policy.heartbeatTimeout().toNanos());
        slot.add(worker);
        workersBySerial.put(serial, worker);
        Log.info("started worker-%d (pid %d)", slot.number(), pid);
        return worker;
    }

    private void signalEachWorker(Signal signal) {
        allWorkers().forEach(w -> signal(w, signal));
    }

    private void kill(WorkerHandle worker, String why) {
        worker.markKilled(why);
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
            if (!slot.isHeld() && !stopping && slot.number() <= desiredWorkers) {
                wait = Math.min(wait, slot.restartNotBeforeNanos() - now);
            }
            for (WorkerHandle w : slot.workers()) {
                if (w.state() == WorkerState.STOPPING && !w.killed()) {
                    wait = Math.min(wait, w.stopDeadlineNanos() - now);
                } else if (w.state() == WorkerState.STARTING) {
                    wait = Math.min(wait, w.readyDeadlineNanos() - now);
                }
            }
        }
        if (service.watchdogInterval().isPresent()) {
            wait = Math.min(wait, nextServiceWatchdogNanos - now);
        }
        return Math.max(wait, 0);
    }

    private List<WorkerHandle> allWorkers() {
        List<WorkerHandle> all = new ArrayList<>();
        slots.values().forEach(slot -> all.addAll(slot.workers()));
        return all;
    }

    private int liveWorkers() {
        return slots.values().stream().mapToInt(slot -> slot.workers().size()).sum();
    }

    /** Wanted slots with a ready worker. */
    int readyWorkers() {
        return (int) slots.values().stream()
                .filter(slot -> slot.number() <= desiredWorkers && slot.hasReadyWorker()).count();
    }

    private static Optional<Long> parseLong(String value) {
        try {
            return Optional.of(Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
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
