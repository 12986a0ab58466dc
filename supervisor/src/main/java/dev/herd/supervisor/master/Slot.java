package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ExitStatus;
import java.util.Optional;

/**
 * A numbered place for one worker (1..N), which outlives the worker processes that fill it: it remembers how
 * often its workers crashed in a row, when the next one may start, and how the last one ended.
 */
final class Slot {

    private final int number;
    private WorkerHandle worker;
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

    Optional<WorkerHandle> worker() {
        return Optional.ofNullable(worker);
    }

    void occupy(WorkerHandle handle) {
        worker = handle;
    }

    /** Empties the slot after its worker was reaped. */
    void vacate(ExitStatus status) {
        worker = null;
        lastExit = status;
    }

    /** Records a crash and returns how many there have been in a row (a long-lived worker resets the count). */
    int recordCrash(long uptimeNanos) {
        consecutiveCrashes = uptimeNanos >= RestartBackoff.STABLE_UPTIME.toNanos() ? 1 : consecutiveCrashes + 1;
        restarts++;
        return consecutiveCrashes;
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
