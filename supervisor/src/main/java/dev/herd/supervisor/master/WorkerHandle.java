package dev.herd.supervisor.master;

import java.util.Optional;

/**
 * One worker process: its slot, its serial (unique for the master's life, names its notify socket and stats
 * file), pid, state, and the monotonic times ({@link System#nanoTime()}) that the loop's deadlines are measured
 * from. Owned and mutated by the master thread only.
 */
public final class WorkerHandle {

    private final int slot;
    private final int serial;
    private final int pid;
    private final long startedAtNanos;
    private final long servedLimit;
    private final long heartbeatTimeoutNanos;
    private WorkerState state = WorkerState.STARTING;
    private long readyDeadlineNanos;
    private long readyAfterNanos = -1;
    private long lastHeartbeatNanos;
    private long stopDeadlineNanos;
    private boolean killed;
    private boolean recycling;
    private long reportedServed;
    private String statusText;
    private String failure;

    /**
     * @param servedLimit           how much this worker may serve before it is recycled (0: no limit)
     * @param heartbeatTimeoutNanos the heartbeat timeout it was started with (its WATCHDOG_USEC; 0: none). A
     *                              reload that changes the timeout applies to new workers only: an old one was
     *                              never told to beat that often.
     */
    WorkerHandle(int slot, int serial, int pid, long startedAtNanos, long readyDeadlineNanos, long servedLimit,
                 long heartbeatTimeoutNanos) {
        this.slot = slot;
        this.serial = serial;
        this.pid = pid;
        this.startedAtNanos = startedAtNanos;
        this.readyDeadlineNanos = readyDeadlineNanos;
        this.servedLimit = servedLimit;
        this.heartbeatTimeoutNanos = heartbeatTimeoutNanos;
    }

    public int slot() {
        return slot;
    }

    int serial() {
        return serial;
    }

    public int pid() {
        return pid;
    }

    public WorkerState state() {
        return state;
    }

    public long startedAtNanos() {
        return startedAtNanos;
    }

    /** How long the worker took to send READY=1, if it has. */
    Optional<Long> readyAfterNanos() {
        return readyAfterNanos < 0 ? Optional.empty() : Optional.of(readyAfterNanos);
    }

    long readyDeadlineNanos() {
        return readyDeadlineNanos;
    }

    long lastHeartbeatNanos() {
        return lastHeartbeatNanos;
    }

    long stopDeadlineNanos() {
        return stopDeadlineNanos;
    }

    long servedLimit() {
        return servedLimit;
    }

    long heartbeatTimeoutNanos() {
        return heartbeatTimeoutNanos;
    }

    /** Whether the master has already escalated to SIGKILL. */
    boolean killed() {
        return killed;
    }

    /** Whether a replacement was already asked for because the worker reached its served limit. */
    boolean recycling() {
        return recycling;
    }

    /** The last STATUS= text the worker sent, if any. */
    Optional<String> statusText() {
        return Optional.ofNullable(statusText);
    }

    /** Why the master killed it (hung, not ready in time), for the log and a failed reload's reply. */
    Optional<String> failure() {
        return Optional.ofNullable(failure);
    }

    /** What the worker reported through {@code X_HERD_SERVED=} (workers that have no stats file). */
    long reportedServed() {
        return reportedServed;
    }

    void ready(long nowNanos) {
        state = state.moveTo(WorkerState.READY);
        readyAfterNanos = nowNanos - startedAtNanos;
        lastHeartbeatNanos = nowNanos;
    }

    void heartbeat(long nowNanos) {
        lastHeartbeatNanos = nowNanos;
    }

    /** EXTEND_TIMEOUT_USEC: a slow starter asks for more time, as systemd allows a service to. */
    void extendReadyDeadline(long deadlineNanos) {
        if (deadlineNanos - readyDeadlineNanos > 0) {
            readyDeadlineNanos = deadlineNanos;
        }
    }

    void status(String text) {
        statusText = text;
    }

    void reportServed(long served) {
        reportedServed = served;
    }

    void stopping(long deadlineNanos) {
        state = state.moveTo(WorkerState.STOPPING);
        stopDeadlineNanos = deadlineNanos;
    }

    void shortenStopDeadline(long deadlineNanos) {
        if (deadlineNanos - stopDeadlineNanos < 0) {
            stopDeadlineNanos = deadlineNanos;
        }
    }

    void markKilled(String why) {
        killed = true;
        if (failure == null) {
            failure = why;
        }
    }

    void markRecycling(boolean value) {
        recycling = value;
    }

    void exited() {
        state = state.moveTo(WorkerState.EXITED);
    }

    @Override
    public String toString() {
        return "worker-" + slot + " (pid " + pid + ", " + state.label() + ")";
    }
}
