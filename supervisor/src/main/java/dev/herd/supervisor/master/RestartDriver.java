package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ProcessStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Rolling restarts (admin restart, reload, SIGHUP) and recycling (maxRequests): the slots still to replace, one
 * after another, the replacement starting for the head slot, and whoever waits for the outcome. One slot at a
 * time, and the replacement must be ready before the old worker is told to drain, so the pool never has fewer
 * ready workers than it had; the next replacement waits until the pool has room, which with no spares means until
 * the old worker of the step before has exited (or was sent SIGKILL at its stop deadline). A replacement that
 * dies, is killed or is not ready in time ends the restart; the old workers of the remaining slots then keep
 * serving. Used on the master thread only.
 */
final class RestartDriver {

    /** Replace the workers of {@code slot} whose serial is below {@code replaceBefore} (started before the request). */
    record Step(int slot, int replaceBefore, RestartReason reason) {
    }

    /** How a rolling restart ended: how many workers it replaced, and why it stopped early, if it did. */
    record Outcome(int replaced, Optional<String> failure) {
    }

    private final ServiceReporter service;
    private final LongSupplier clock;
    private Consumer<Duration> reloadTimes = took -> { };
    private long reloadStartedNanos;
    private final Deque<Step> steps = new ArrayDeque<>();
    private final List<CompletableFuture<Outcome>> waiters = new ArrayList<>();
    private final List<Consumer<Outcome>> whenDone = new ArrayList<>();
    private WorkerHandle successor;
    private int replaced;
    private boolean reload;
    /** Whether this restart replaces the workers an upgrade adopted: systemd waits for its end's READY=1. */
    private boolean upgrade;
    private boolean active;

    RestartDriver(ServiceReporter service, LongSupplier clock) {
        this.service = service;
        this.clock = clock;
    }

    /** Where the duration of each finished reload goes (the metrics' histogram). */
    void onReloadTimed(Consumer<Duration> times) {
        reloadTimes = times;
    }

    boolean active() {
        return active;
    }

    /** Whether the active restart is a reload (systemd heard RELOADING=1 and waits for READY=1). */
    boolean isReload() {
        return reload;
    }

    /**
     * Queues slots, one after another; every worker whose serial is below {@code replaceBefore} is replaced. The
     * future completes when the whole restart (this request merged with any other in progress) ends.
     */
    CompletableFuture<Outcome> restart(List<Integer> slots, int replaceBefore, RestartReason reason, long nowNanos) {
        if (reason == RestartReason.RELOAD && !reload) {
            reload = true;
            reloadStartedNanos = nowNanos;
            service.reloading(nowNanos);
        }
        if (reason == RestartReason.UPGRADE) {
            upgrade = true; // RELOADING=1 was sent by the master before the exec (ServiceReporter.handingOver)
        }
        CompletableFuture<Outcome> outcome = join();
        slots.forEach(slot -> add(new Step(slot, replaceBefore, reason)));
        if (steps.isEmpty()) {
            finish(Optional.empty());
        }
        return outcome;
    }

    /** A waiter for the restart in progress (or the next one). */
    CompletableFuture<Outcome> join() {
        CompletableFuture<Outcome> waiter = new CompletableFuture<>();
        waiters.add(waiter);
        return waiter;
    }

    /** Runs {@code action} (on the master thread) when the restart in progress ends; a failure in it is logged. */
    void whenDone(Consumer<Outcome> action) {
        whenDone.add(action);
    }

    /** Whether a replacement of this worker is already queued (a recycle must not ask twice). */
    boolean covers(WorkerHandle worker) {
        return steps.stream().anyMatch(step -> step.slot() == worker.slot() && worker.serial() < step.replaceBefore());
    }

    /**
     * maxRequests: a worker that has served its limit is replaced like in a reload (its replacement ready first),
     * not left to exit on its own and leave a hole. A slot backing off from failures waits its turn.
     */
    void recycleWorkersAtTheirLimit(WorkerPool pool, int desired, long nowNanos) {
        for (Slot slot : pool.slots().headMap(desired + 1).values()) {
            if (slot.backingOff(nowNanos)) {
                continue;
            }
            for (WorkerHandle worker : slot.workers()) {
                if (worker.state() != WorkerState.READY || worker.servedLimit() == 0 || covers(worker)) {
                    continue;
                }
                long served = pool.served(worker);
                if (served >= worker.servedLimit()) {
                    Log.info("%s has served %d (its limit is %d); replacing it", worker, served, worker.servedLimit());
                    add(new Step(slot.number(), worker.serial() + 1, RestartReason.RECYCLE));
                }
            }
        }
    }

    /** How often a ready worker's resident memory is read, give or take a random fifth so that none align. */
    static final long MEMORY_CHECK_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    /** Checks in a row over the limit before a worker is recycled: a moment's peak (a GC) is not enough. */
    static final int MEMORY_CHECKS_OVER = 2;

    /**
     * maxWorkerMemory: a worker whose resident memory stays above the limit is replaced like at maxRequests, its
     * replacement ready first. Memory is read from /proc every 10 s or so per worker, at jittered times.
     */
    void recycleWorkersOverMemory(WorkerPool pool, Os os, int desired, long limitBytes, long nowNanos) {
        if (limitBytes == 0) {
            return;
        }
        for (Slot slot : pool.slots().headMap(desired + 1).values()) {
            if (slot.backingOff(nowNanos)) {
                continue;
            }
            for (WorkerHandle worker : slot.workers()) {
                if (worker.state() != WorkerState.READY || covers(worker)
                        || !worker.memoryCheckDue(nowNanos, MEMORY_CHECK_NANOS)) {
                    continue;
                }
                long resident = os.processStats(worker.pid()).map(ProcessStats::residentBytes).orElse(0L);
                long jitter = java.util.concurrent.ThreadLocalRandom.current().nextLong(MEMORY_CHECK_NANOS / 5);
                int over = worker.memoryChecked(resident > limitBytes, nowNanos + MEMORY_CHECK_NANOS + jitter);
                if (over >= MEMORY_CHECKS_OVER) {
                    Log.info("%s has used %d MB of memory for %d checks (its limit is %d MB); replacing it", worker,
                            resident >> 20, over, limitBytes >> 20);
                    add(new Step(slot.number(), worker.serial() + 1, RestartReason.MEMORY));
                }
            }
        }
    }

    /**
     * Moves the restart on: for the head slot, start a replacement next to the old worker; once it is ready, tell
     * the old one to drain and go on to the next slot. A replacement starts only while the pool runs fewer than
     * {@code maxProcesses} ({@link WorkerPool#maxProcesses}), the old worker of the step before still draining
     * included, and after every wanted slot without a worker has had its start: a hole in the pool matters more.
     */
    void advance(WorkerPool pool, WorkerStopper stopper, int desired, int maxProcesses, SupervisionPolicy policy,
                 long nowNanos, Instant wallNow) {
        while (!steps.isEmpty()) {
            Step step = steps.peek();
            Slot slot = pool.slots().get(step.slot());
            if (slot == null || step.slot() > desired) {
                skipHead(); // scaled away meanwhile
                continue;
            }
            List<WorkerHandle> old = slot.workers().stream()
                    .filter(w -> w.state().holdsSlot() && w.serial() < step.replaceBefore()).toList();
            if (successor == null) {
                if (old.isEmpty()) {
                    skipHead(); // its old worker is already gone (crashed, or stopped on its own)
                    continue;
                }
                Optional<WorkerHandle> fresh = slot.workers().stream()
                        .filter(w -> w.state().holdsSlot() && w.serial() >= step.replaceBefore()).findFirst();
                if (fresh.isPresent()) {
                    successor = fresh.get();
                    continue;
                }
                if (slot.backingOff(nowNanos) || !pool.canStart(maxProcesses - pool.slotsToFill(desired, nowNanos),
                        step.replaceBefore())) {
                    return; // the pool is full: a process on its way out must leave first
                }
                Log.info("%s %s: starting its replacement first", verb(step.reason()), old.get(0));
                try {
                    // A warm spare started after the request may be the replacement (a recycle's); a restart or
                    // reload retired the spares it found, which run what it replaces.
                    successor = pool.startInto(slot, policy, nowNanos, step.replaceBefore());
                } catch (OsException e) {
                    // Counted like a failed start, so that a recycle does not retry it on every turn.
                    pool.failed(slot, RestartReason.BOOT_FAILURE, 0, nowNanos, wallNow, policy.flappingWindow());
                    Log.error("cannot start a replacement for worker-%d: %s", slot.number(), e.getMessage());
                    finish(Optional.of("cannot start a replacement for worker-" + slot.number() + ": "
                            + e.getMessage()));
                }
                return;
            }
            if (successor.state() == WorkerState.STARTING) {
                return; // its ready timeout and its exit are watched elsewhere
            }
            if (successor.state() != WorkerState.READY) {
                finish(Optional.of("worker-" + slot.number() + "'s replacement (pid " + successor.pid() + ") "
                        + successor.killedBecause().map(why -> "was killed: " + why)
                                .orElse("stopped before it was ready")));
                return;
            }
            old.forEach(w -> stopper.stopWorker(w, step.reason()));
            pool.replaced(slot, step.reason(), wallNow);
            replaced++;
            skipHead();
        }
        if (active) {
            finish(Optional.empty());
        }
    }

    /** A worker was reaped; if it was the replacement being waited for, the restart ends here. */
    void workerExited(WorkerHandle worker, boolean wasReady, String how) {
        if (successor == worker) {
            finish(Optional.of("worker-" + worker.slot() + "'s replacement (pid " + worker.pid() + ") "
                    + (wasReady ? "exited" : "failed before it was ready") + ": " + how));
        }
    }

    /** Ends the restart (early when {@code failure} is present), tells everyone who waits, and forgets it. */
    void finish(Optional<String> failure) {
        Outcome outcome = new Outcome(replaced, failure);
        boolean wasReload = reload;
        boolean wasUpgrade = upgrade;
        if (failure.isPresent()) {
            Log.error("rolling restart stopped after %d replaced: %s; %s", replaced, failure.get(),
                    steps.size() == 1 ? "1 slot keeps its worker" : steps.size() + " slots keep their workers");
        } else if (replaced > 0 || reload) {
            Log.info("rolling restart done: %d %s replaced", replaced, replaced == 1 ? "worker" : "workers");
        }
        List<CompletableFuture<Outcome>> done = List.copyOf(waiters);
        List<Consumer<Outcome>> actions = List.copyOf(whenDone);
        steps.clear();
        waiters.clear();
        whenDone.clear();
        successor = null;
        replaced = 0;
        reload = false;
        upgrade = false;
        active = false;
        for (Consumer<Outcome> action : actions) {
            try {
                action.accept(outcome);
            } catch (RuntimeException e) {
                Log.error("after the rolling restart: %s", e);
            }
        }
        done.forEach(waiter -> waiter.complete(outcome));
        if (wasReload || wasUpgrade) {
            service.reloadDone();
        }
        if (wasReload) {
            reloadTimes.accept(Duration.ofNanos(clock.getAsLong() - reloadStartedNanos));
        }
    }

    /**
     * Adds a step. A slot already waiting (not yet begun) just widens what it replaces; the slot in progress is
     * queued again, since its replacement may already run with what this request wants to replace.
     */
    private void add(Step step) {
        active = true;
        boolean first = true;
        for (Step queued : steps) {
            boolean inProgress = first && successor != null;
            first = false;
            if (queued.slot() == step.slot() && !inProgress) {
                if (queued.replaceBefore() < step.replaceBefore()) {
                    steps.remove(queued);
                    break;
                }
                return; // already waiting to replace at least as much
            }
        }
        steps.add(step);
    }

    private void skipHead() {
        steps.poll();
        successor = null;
    }

    private static String verb(RestartReason reason) {
        return switch (reason) {
            case RELOAD -> "reloading";
            case RECYCLE, MEMORY -> "recycling";
            default -> "restarting";
        };
    }
}
