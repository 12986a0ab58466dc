package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ExitStatus;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * A numbered place for one worker (1..N), which outlives the worker processes that fill it. Usually it holds one
 * process; during a rolling restart it briefly holds two that hold the slot (the old one, still serving, and its
 * starting replacement), and it keeps the processes it told to drain until they are reaped. It remembers how
 * often its workers crashed, when the next one may start, and how the last one ended.
 */
final class Slot {

    private final int number;
    private final List<WorkerHandle> workers = new ArrayList<>(2);
    private final Deque<Long> recentCrashNanos = new ArrayDeque<>();
    private int consecutiveCrashes;
    private long restartNotBeforeNanos;
    private int restarts;
    private ExitStatus lastExit;

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

    /** Forgets a reaped worker; an exit status is remembered for status replies. */
    void remove(WorkerHandle handle, ExitStatus status) {
        workers.remove(handle);
        if (status != null) {
            lastExit = status;
        }
    }

    /**
     * Records a crash at {@code nowNanos} and returns how many there have been in a row (a worker that stayed up
     * long enough resets the count). Crashes older than {@code windowNanos} drop out of the flapping count.
     */
    int recordCrash(long uptimeNanos, long nowNanos, long windowNanos) {
        consecutiveCrashes = uptimeNanos >= RestartBackoff.STABLE_UPTIME.toNanos() ? 1 : consecutiveCrashes + 1;
        restarts++;
        recentCrashNanos.addLast(nowNanos);
        forgetCrashesBefore(nowNanos - windowNanos);
        return consecutiveCrashes;
    }

    /** Crashes within the window that ends now; the flapping rule compares this with its limit. */
    int crashesWithin(long nowNanos, long windowNanos) {
        forgetCrashesBefore(nowNanos - windowNanos);
        return recentCrashNanos.size();
    }

    private void forgetCrashesBefore(long oldestKeptNanos) {
        while (!recentCrashNanos.isEmpty() && recentCrashNanos.peekFirst() - oldestKeptNanos < 0) {
            recentCrashNanos.removeFirst();
        }
    }

    void restartNotBefore(long nanos) {
        restartNotBeforeNanos = nanos;
    }

    long restartNotBeforeNanos() {
        return restartNotBeforeNanos;
    }

    int restarts() {
        return restarts;
    }

    Optional<ExitStatus> lastExit() {
        return Optional.ofNullable(lastExit);
    }
}
