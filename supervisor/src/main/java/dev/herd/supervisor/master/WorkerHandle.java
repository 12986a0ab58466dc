package dev.herd.supervisor.master;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * One worker process: its slot, its serial (unique for the master's life; names its notify socket and counters
 * file), pid, state, and the monotonic times ({@link System#nanoTime()}) its deadlines are measured from. Owned
 * and mutated by the master thread only.
 */
public final class WorkerHandle {

    /** What falls due for a worker at a moment, if nothing happens before: see {@link #nextDeadline()}. */
    enum Due {
        /** Not ready within readyTimeout. */
        READY_TIMEOUT,
        /**
         * Silent for three quarters of its heartbeat timeout: worth a warning. Not at half: a healthy worker beats
         * every half timeout, and a beat a little late is no news.
         */
        HEARTBEAT_LATE,
        /** Silent for its whole heartbeat timeout: hung. */
        HEARTBEAT_MISSED,
        /** Sent SIGQUIT for a thread dump; its moment to print it is over. */
        DUMP_DONE,
        /** Not drained within its graceful timeout. */
        DRAIN_TIMEOUT
    }

    /** The next deadline of a worker and what it means. */
    record Deadline(long atNanos, Due due) {
    }

    private int slot;
    private final int serial;
    private final int pid;
    private final boolean jvm;
    private final long startedAtNanos;
    private final long servedLimit;
    private final long heartbeatTimeoutNanos;
    private WorkerState state = WorkerState.STARTING;
    private long readyDeadlineNanos;
    /** When its start began: its spawn, or for a hot spare its promotion (what "ready after" measures). */
    private long startClockNanos;
    private boolean promoted;
    private boolean wasWarm;
    private long readyAfterNanos = -1;
    private boolean watched;
    private long lastHeartbeatNanos;
    /** Where the heartbeat deadlines count from: the last heartbeat, or the end of a pause of the master's own. */
    private long silentSinceNanos;
    private boolean lateWarned;
    private long stopDeadlineNanos;
    private long reportedServed;
    private String statusText;
    private RestartReason leaving;
    private String killedBecause;
    private long nextMemoryCheckNanos;
    private int memoryChecksOver;

    /**
     * @param servedLimit           how much this worker may serve before it is recycled (0: no limit)
     * @param heartbeatTimeoutNanos the heartbeat timeout it was started with (its WATCHDOG_USEC; 0: none). A
     *                              reload that changes the timeout applies to new workers only: an old one was
     *                              never told to beat that often.
     */
    WorkerHandle(int slot, int serial, int pid, boolean jvm, long startedAtNanos, long readyDeadlineNanos,
                 long servedLimit, long heartbeatTimeoutNanos) {
        this.slot = slot;
        this.serial = serial;
        this.pid = pid;
        this.jvm = jvm;
        this.startedAtNanos = startedAtNanos;
        this.startClockNanos = startedAtNanos;
        this.readyDeadlineNanos = readyDeadlineNanos;
        this.servedLimit = servedLimit;
        this.heartbeatTimeoutNanos = heartbeatTimeoutNanos;
    }

    /** Its slot, 1..N; {@link WorkerPool#BENCH} (0) for a hot spare not yet promoted. */
    public int slot() {
        return slot;
    }

    /** What the log calls it: {@code worker-3}, or {@code spare} on the bench. */
    String name() {
        return slot == WorkerPool.BENCH ? "spare" : "worker-" + slot;
    }

    /** Whether it is a hot spare waiting on the bench (starting, or warm). */
    boolean onBench() {
        return slot == WorkerPool.BENCH;
    }

    /** Whether it was promoted from the bench: its "ready after" counts from the promotion. */
    boolean promoted() {
        return promoted;
    }

    int serial() {
        return serial;
    }

    public int pid() {
        return pid;
    }

    /** Whether it is a JVM, which prints a thread dump on SIGQUIT. */
    boolean jvm() {
        return jvm;
    }

    public WorkerState state() {
        return state;
    }

    public long startedAtNanos() {
        return startedAtNanos;
    }

    /** How long the worker took to send READY=1 (a promoted spare: after its promotion), if it has. */
    Optional<Long> readyAfterNanos() {
        return readyAfterNanos < 0 ? Optional.empty() : Optional.of(readyAfterNanos);
    }

    /**
     * Whether hang detection applies: the worker has sent WATCHDOG=1 at least once (herd's API sends it with
     * READY=1) and a heartbeat timeout is set. Under systemd the watchdog is opt-in too: a plain sd_notify program
     * that only says READY=1 is never killed as hung.
     */
    boolean watched() {
        return watched && heartbeatTimeoutNanos > 0;
    }

    long lastHeartbeatNanos() {
        return lastHeartbeatNanos;
    }

    long heartbeatTimeoutNanos() {
        return heartbeatTimeoutNanos;
    }

    long servedLimit() {
        return servedLimit;
    }

    /** The last STATUS= text the worker sent, if any. */
    Optional<String> statusText() {
        return Optional.ofNullable(statusText);
    }

    /** Why the master is replacing or stopping it, once it has decided to. */
    Optional<RestartReason> leaving() {
        return Optional.ofNullable(leaving);
    }

    /** Why the master sent it SIGKILL (or SIGQUIT first, when hung): shown in status and the log. */
    Optional<String> killedBecause() {
        return Optional.ofNullable(killedBecause);
    }

    /** What the worker reported through {@code X_HERD_SERVED=} (workers that have no counters file). */
    long reportedServed() {
        return reportedServed;
    }

    /**
     * The next moment something falls due for this worker if nothing happens before: the kill pass acts on it
     * and the loop sleeps no longer than until it. A worker already killed has none, so a worker that lingers
     * after SIGKILL (a process in uninterruptible sleep) cannot make the loop spin.
     */
    Optional<Deadline> nextDeadline() {
        return switch (state) {
            case STARTING -> Optional.of(new Deadline(readyDeadlineNanos, Due.READY_TIMEOUT));
            case READY -> !watched() ? Optional.empty() : lateWarned
                    ? Optional.of(new Deadline(silentSinceNanos + heartbeatTimeoutNanos, Due.HEARTBEAT_MISSED))
                    : Optional.of(new Deadline(silentSinceNanos + heartbeatTimeoutNanos / 4 * 3, Due.HEARTBEAT_LATE));
            case STOPPING -> Optional.of(new Deadline(stopDeadlineNanos, Due.DRAIN_TIMEOUT));
            case HUNG -> Optional.of(new Deadline(stopDeadlineNanos, Due.DUMP_DONE));
            case SPARE, KILLED, EXITED -> Optional.empty();
        };
    }

    /** A hot spare said it is warm ({@code X_HERD_SPARE=1}): it waits on the bench for its promotion. */
    void warm() {
        state = state.moveTo(WorkerState.SPARE);
        wasWarm = true;
    }

    /** Whether it got warm as a spare: its start succeeded, so a later death is a crash. */
    boolean wasWarm() {
        return wasWarm;
    }

    /** A warm spare promoted into {@code slot}: starting again, until its READY=1 (by {@code readyDeadline}). */
    void promote(int slot, long nowNanos, long readyDeadline) {
        state = state.moveTo(WorkerState.STARTING);
        this.slot = slot;
        promoted = true;
        startClockNanos = nowNanos;
        readyDeadlineNanos = readyDeadline;
    }

    void ready(long nowNanos) {
        state = state.moveTo(WorkerState.READY);
        readyAfterNanos = nowNanos - startClockNanos;
        lastHeartbeatNanos = nowNanos;
        silentSinceNanos = nowNanos;
    }

    void heartbeat(long nowNanos) {
        watched = true;
        lateWarned = false;
        lastHeartbeatNanos = nowNanos;
        silentSinceNanos = nowNanos;
    }

    /**
     * The master itself did not run for {@code pausedNanos} until {@code nowNanos}, and so heard nothing: a ready
     * worker's heartbeat deadlines count from now again, and a starting worker's ready deadline moves by the pause.
     * Its last heartbeat stays what it was (status and the hang message show the truth).
     */
    void masterPaused(long pausedNanos, long nowNanos) {
        if (state == WorkerState.READY) {
            lateWarned = false;
            silentSinceNanos = nowNanos;
        } else if (state == WorkerState.STARTING) {
            readyDeadlineNanos += pausedNanos;
        }
    }

    /** The late-heartbeat warning (at three quarters of the timeout) was logged; next comes the whole timeout. */
    void warnedLate() {
        lateWarned = true;
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

    /** Told to drain (or draining on its own) to be replaced or stopped for {@code why}: SIGKILL after the deadline. */
    void stopping(long deadlineNanos, RestartReason why) {
        stopping(deadlineNanos);
        leaving = why;
    }

    /**
     * Left on its own (STOPPING=1): a planned exit, also when the loop reaped it before it handled that message.
     */
    void leftOnItsOwn() {
        leaving = RestartReason.EXIT;
    }

    /** Told to drain because the master itself stops: SIGKILL after {@code deadlineNanos}. */
    void stopping(long deadlineNanos) {
        state = state.moveTo(WorkerState.STOPPING);
        stopDeadlineNanos = deadlineNanos;
    }

    /** A stop that began later (the master's own) may only bring the SIGKILL forward. */
    void shortenStopDeadline(long deadlineNanos) {
        if (deadlineNanos - stopDeadlineNanos < 0) {
            stopDeadlineNanos = deadlineNanos;
        }
    }

    /** Sent SIGQUIT after a missed heartbeat; SIGKILL once {@code dumpDeadlineNanos} has passed. */
    void hung(long dumpDeadlineNanos, String why) {
        state = state.moveTo(WorkerState.HUNG);
        stopDeadlineNanos = dumpDeadlineNanos;
        killedBecause = why;
        leaving = RestartReason.HANG;
    }

    void killed(String why, RestartReason reason) {
        state = state.moveTo(WorkerState.KILLED);
        if (killedBecause == null) {
            killedBecause = why;
        }
        if (leaving == null) {
            leaving = reason;
        }
    }

    /** Whether its memory is due for a check; the first comes a check interval after it started. */
    boolean memoryCheckDue(long nowNanos, long intervalNanos) {
        if (nextMemoryCheckNanos == 0) {
            nextMemoryCheckNanos = startedAtNanos + intervalNanos;
        }
        return nowNanos - nextMemoryCheckNanos >= 0;
    }

    /**
     * Records one memory check and schedules the next; returns how many checks in a row found it over the limit.
     */
    int memoryChecked(boolean over, long nextCheckNanos) {
        nextMemoryCheckNanos = nextCheckNanos;
        memoryChecksOver = over ? memoryChecksOver + 1 : 0;
        return memoryChecksOver;
    }

    void exited() {
        state = state.moveTo(WorkerState.EXITED);
    }

    @Override
    public String toString() {
        return name() + " (pid " + pid + ", " + state.label() + ")";
    }

    /** For the status reply: time since the last heartbeat of a watched ready worker. */
    OptionalLong heartbeatAgeNanos(long nowNanos) {
        return state == WorkerState.READY && watched() ? OptionalLong.of(nowNanos - lastHeartbeatNanos)
                : OptionalLong.empty();
    }
}
