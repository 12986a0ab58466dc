package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ExitStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A numbered place for one worker (1..N), which outlives the worker processes that fill it. Usually it holds one
 * process; during a rolling restart it briefly holds two (the old one, still serving, and its starting
 * replacement), and it keeps the processes on their way out until they are reaped. How many processes may run
 * at once is the pool's to bound, not the slot's: see {@link WorkerPool#maxProcesses}. It keeps the books of its
 * failures: how many in a row (which sets the backoff before the next start), how many within the flapping
 * window, how many since a worker of it was last ready, how the last worker ended and why the last one was replaced.
 */
final class Slot {

    private final int number;
    private final List<WorkerHandle> workers = new ArrayList<>(2);
    private final Deque<Long> recentFailureNanos = new ArrayDeque<>();
    private int consecutiveFailures;
    private int failuresSinceReady;
    private long restartNotBeforeNanos;
    private int restarts;
    private ExitStatus lastExit;
    private RestartReason lastRestartReason;
    private Instant lastRestartAt;
    private String lastBootError;

    /** A new slot may be filled from {@code nowNanos} on (nanoTime may be negative: no zero default). */
    Slot(int number, long nowNanos) {
        this.number = number;
        this.restartNotBeforeNanos = nowNanos;
    }

    int number() {
        return number;
    }

    /** Every process of this slot not yet reaped, oldest first. */
    List<WorkerHandle> workers() {
        return workers;
    }

    /** Whether a process holds the slot (starting or ready), so that it needs no new one. */
    boolean isHeld() {
        return workers.stream().anyMatch(w -> w.state().holdsSlot());
    }

    boolean hasReadyWorker() {
        return workers.stream().anyMatch(w -> w.state() == WorkerState.READY);
    }

    boolean isEmpty() {
        return workers.isEmpty();
    }

    void add(WorkerHandle handle) {
        workers.add(handle);
    }

    /** Lets a worker go that lives on elsewhere: a spare promoted from the bench into a slot. */
    void release(WorkerHandle handle) {
        workers.remove(handle);
    }

    /** Forgets a reaped worker and remembers how it ended. */
    void remove(WorkerHandle handle, Optional<ExitStatus> status) {
        workers.remove(handle);
        status.ifPresent(exit -> lastExit = exit);
    }

    /**
     * A worker of this slot failed (crashed, could not boot, hung, or could not even be spawned). Counts it, and
     * returns how long the slot now waits before its next start: at once after a first failure, then 100 ms
     * doubling up to 30 s while they keep coming ({@link RestartBackoff}); a worker that had stayed up for
     * {@link RestartBackoff#STABLE_UPTIME} resets the count, so a rare crash is always replaced at once.
     */
    Duration failed(long uptimeNanos, long nowNanos, Duration window) {
        restarts++;
        failuresSinceReady++;
        recentFailureNanos.addLast(nowNanos);
        forgetFailuresBefore(nowNanos - window.toNanos());
        return backOff(uptimeNanos, nowNanos);
    }

    /**
     * A worker of this slot announced STOPPING=1 on its own: no failure (not counted as a restart, nor towards
     * flapping), but the backoff counts it like one, so that a worker that stops right after it starts, again and
     * again, is replaced on the backoff's schedule and not as fast as it can say so.
     */
    Duration leftOnItsOwn(long uptimeNanos, long nowNanos) {
        return backOff(uptimeNanos, nowNanos);
    }

    private Duration backOff(long uptimeNanos, long nowNanos) {
        consecutiveFailures = uptimeNanos >= RestartBackoff.STABLE_UPTIME.toNanos() ? 1 : consecutiveFailures + 1;
        Duration delay = RestartBackoff.delayAfter(consecutiveFailures);
        restartNotBeforeNanos = nowNanos + delay.toNanos();
        return delay;
    }

    /** How many failures in a row the backoff counts now (for the log line). */
    int consecutiveFailures() {
        return consecutiveFailures;
    }

    /** Its worker is being replaced (or stopped) for {@code reason}: shown in status. */
    void replaced(RestartReason reason, Instant wallNow) {
        lastRestartReason = reason;
        lastRestartAt = wallNow;
    }

    /**
     * Whether the slot is flapping: more than {@code crashes} failures within the {@code window} that ends now, and
     * no worker of it ready since the last one. A slot whose worker is ready again has recovered, however many
     * failures its window still holds.
     */
    boolean flapping(long nowNanos, int crashes, Duration window) {
        return failuresSinceReady > 0 && failuresWithin(nowNanos, window) > crashes;
    }

    /** Failures since a worker of this slot was last ready (or since the slot was made). */
    int failuresSinceReady() {
        return failuresSinceReady;
    }

    /**
     * A worker of this slot is ready (a spare of the bench: warm): the slot works again. It forgets why a worker of
     * it could not boot, which status then shows no more, and returns how many failures it recovered from (0 when
     * none came since its last ready worker). The backoff's count stays: it resets only after a stable uptime.
     */
    int workerReady() {
        int recoveredFrom = failuresSinceReady;
        failuresSinceReady = 0;
        lastBootError = null;
        return recoveredFrom;
    }

    /** Failures within the window that ends now; the flapping rule compares this with its limit. */
    int failuresWithin(long nowNanos, Duration window) {
        forgetFailuresBefore(nowNanos - window.toNanos());
        return recentFailureNanos.size();
    }

    private void forgetFailuresBefore(long oldestKeptNanos) {
        while (!recentFailureNanos.isEmpty() && recentFailureNanos.peekFirst() - oldestKeptNanos < 0) {
            recentFailureNanos.removeFirst();
        }
    }

    long restartNotBeforeNanos() {
        return restartNotBeforeNanos;
    }

    /** Whether the slot waits out a backoff delay at {@code nowNanos}. */
    boolean backingOff(long nowNanos) {
        return restartNotBeforeNanos - nowNanos > 0;
    }

    /** Failures of its workers so far: crashes, boot failures, hangs, failed spawns. */
    int restarts() {
        return restarts;
    }

    Optional<ExitStatus> lastExit() {
        return Optional.ofNullable(lastExit);
    }

    Optional<RestartReason> lastRestartReason() {
        return Optional.ofNullable(lastRestartReason);
    }

    Optional<Instant> lastRestartAt() {
        return Optional.ofNullable(lastRestartAt);
    }

    /**
     * A worker of this slot could not boot, for this reason (the root cause its output gave): shown in status until
     * a worker of the slot is ready.
     */
    void cannotBoot(String why) {
        lastBootError = why;
    }

    Optional<String> lastBootError() {
        return Optional.ofNullable(lastBootError);
    }
}
