package dev.herd.supervisor.master;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The bookkeeping of a rolling restart (admin restart, reload, SIGHUP, recycling): the slots still to replace,
 * one after another, the replacement starting for the head slot, and whoever waits for the outcome. The master
 * loop acts on it; this class only remembers. One slot at a time: the replacement must be ready before the old
 * worker is told to drain, so the pool never has fewer ready workers than it had.
 */
final class RollingRestart {

    /** Replace the workers of {@code slot} whose serial is below {@code replaceBefore} (started before the request). */
    record Step(int slot, int replaceBefore) {
    }

    /** How a rolling restart ended: how many workers it replaced, and why it stopped early, if it did. */
    record Outcome(int replaced, Optional<String> failure) {
    }

    private final Deque<Step> steps = new ArrayDeque<>();
    private final List<CompletableFuture<Outcome>> waiters = new ArrayList<>();
    private WorkerHandle successor;
    private int replaced;
    private boolean reload;
    private boolean active;

    /**
     * Adds a slot. A slot already waiting (not yet begun) just widens what it replaces; the slot in progress is
     * queued again, since its replacement may already run with what this request wants to replace.
     */
    void add(int slot, int replaceBefore) {
        active = true;
        boolean first = true;
        for (Step step : steps) {
            boolean inProgress = first && successor != null;
            first = false;
            if (step.slot() == slot && !inProgress) {
                if (step.replaceBefore() < replaceBefore) {
                    steps.remove(step);
                    break;
                }
                return; // already waiting to replace at least as much
            }
        }
        steps.add(new Step(slot, replaceBefore));
    }

    /** Whether any slot is left to replace. */
    boolean hasSteps() {
        return !steps.isEmpty();
    }

    /** Whether the restart has begun and not yet been finished (completed or aborted). */
    boolean active() {
        return active;
    }

    Step head() {
        return steps.peek();
    }

    int stepsLeft() {
        return steps.size();
    }

    Optional<WorkerHandle> successor() {
        return Optional.ofNullable(successor);
    }

    void successor(WorkerHandle handle) {
        successor = handle;
    }

    /** The head slot has its new worker ready and its old one draining. */
    void headReplaced() {
        replaced++;
        skipHead();
    }

    /** The head slot needs no replacing any more (scaled away, or its old worker is already gone). */
    void skipHead() {
        steps.poll();
        successor = null;
    }

    CompletableFuture<Outcome> newWaiter() {
        CompletableFuture<Outcome> waiter = new CompletableFuture<>();
        waiters.add(waiter);
        return waiter;
    }

    /** Marks the restart as a reload, which the service manager hears about (RELOADING=1 ... READY=1). */
    void markReload() {
        reload = true;
    }

    boolean isReload() {
        return reload;
    }

    int replaced() {
        return replaced;
    }

    /** Ends the restart (early when {@code failure} is present), completes its waiters, and forgets it. */
    void finish(Optional<String> failure) {
        Outcome outcome = new Outcome(replaced, failure);
        List<CompletableFuture<Outcome>> done = List.copyOf(waiters);
        steps.clear();
        waiters.clear();
        successor = null;
        replaced = 0;
        reload = false;
        active = false;
        done.forEach(waiter -> waiter.complete(outcome));
    }
}
