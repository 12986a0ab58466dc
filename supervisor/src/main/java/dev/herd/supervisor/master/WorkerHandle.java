package dev.herd.supervisor.master;

/**
 * One worker process: its slot, pid, state, and the monotonic times ({@link System#nanoTime()}) at which it
 * started and by which it must have stopped. Owned and mutated by the master thread only.
 */
public final class WorkerHandle {

    private final int slot;
    private final int pid;
    private final long startedAtNanos;
    private WorkerState state = WorkerState.RUNNING;
    private long stopDeadlineNanos;
    private boolean killed;

    WorkerHandle(int slot, int pid, long startedAtNanos) {
        this.slot = slot;
        this.pid = pid;
        this.startedAtNanos = startedAtNanos;
    }

    public int slot() {
        return slot;
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

    long stopDeadlineNanos() {
        return stopDeadlineNanos;
    }

    /** Whether the master has already escalated to SIGKILL. */
    boolean killed() {
        return killed;
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

    void markKilled() {
        killed = true;
    }

    void exited() {
        state = state.moveTo(WorkerState.EXITED);
    }

    @Override
    public String toString() {
        return "worker-" + slot + " (pid " + pid + ", " + state.label() + ")";
    }
}
