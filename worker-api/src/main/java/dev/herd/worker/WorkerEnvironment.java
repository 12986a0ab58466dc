package dev.herd.worker;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;

/**
 * What the master tells a worker through its environment: the worker's slot (1..N), the master's pid, where
 * sd_notify messages go (herd's notify pipe, and a NOTIFY_SOCKET for any other program), the heartbeat
 * timeout, and in a hot spare its promotion pipe. Outside herd (a developer starting a worker by hand)
 * slot and pid read as 0 and the rest is empty. The heartbeat follows systemd's watchdog convention:
 * {@code WATCHDOG_USEC} is the timeout in microseconds, honoured only when {@code WATCHDOG_PID} is unset or names
 * this process (so that a child that inherited the environment does not beat for its parent).
 */
record WorkerEnvironment(int slot, long masterPid, Optional<String> notifySocket, Optional<Integer> notifyFd,
                         Optional<Duration> heartbeatTimeout, Optional<Integer> promotionFd) {

    private static final String SLOT = WorkerContract.SLOT;
    private static final String MASTER_PID = WorkerContract.MASTER_PID;
    private static final String NOTIFY_SOCKET = WorkerContract.NOTIFY_SOCKET;
    private static final String WATCHDOG_USEC = WorkerContract.WATCHDOG_USEC;
    private static final String WATCHDOG_PID = WorkerContract.WATCHDOG_PID;
    private static final String NOTIFY_FD = WorkerContract.NOTIFY_FD;
    private static final String PROMOTION_FD = WorkerContract.PROMOTION_FD;

    static WorkerEnvironment fromSystem() {
        return from(System.getenv(), ProcessHandle.current().pid());
    }

    static WorkerEnvironment from(Map<String, String> env, long ownPid) {
        String notifySocket = env.get(NOTIFY_SOCKET);
        long notifyFd = parseOrZero(env.get(NOTIFY_FD));
        long promotionFd = parseOrZero(env.get(PROMOTION_FD));
        return new WorkerEnvironment(
                (int) parseOrZero(env.get(SLOT)),
                parseOrZero(env.get(MASTER_PID)),
                notifySocket == null || notifySocket.isEmpty() ? Optional.empty() : Optional.of(notifySocket),
                descriptor(notifyFd),
                heartbeatTimeout(env, ownPid),
                descriptor(promotionFd));
    }

    /** A descriptor the master passes: above the standard three, below any sane limit; else none. */
    private static Optional<Integer> descriptor(long fd) {
        return fd > 2 && fd < 1024 ? Optional.of((int) fd) : Optional.empty();
    }

    /** Whether the master started this process as a hot spare, to wait for its promotion before accepting. */
    boolean spare() {
        return promotionFd.isPresent() && masterPid != 0;
    }

    /** Whether anyone listens for sd_notify messages from this process. */
    boolean notifies() {
        return notifySocket.isPresent() || notifyFd.isPresent();
    }

    /**
     * How often to send {@code WATCHDOG=1}: half the timeout, as systemd recommends, so that one late beat is not
     * yet a missed one. Empty when heartbeats are off.
     */
    Optional<Duration> heartbeatInterval() {
        return heartbeatTimeout.map(timeout -> timeout.dividedBy(2));
    }

    private static Optional<Duration> heartbeatTimeout(Map<String, String> env, long ownPid) {
        long micros = parseOrZero(env.get(WATCHDOG_USEC));
        String watchdogPid = env.get(WATCHDOG_PID);
        boolean forUs = watchdogPid == null || watchdogPid.isEmpty() || parseOrZero(watchdogPid) == ownPid;
        // Below 2 µs half the timeout would be zero, which no scheduler accepts as a period.
        return micros >= 2 && forUs ? Optional.of(Duration.of(micros, ChronoUnit.MICROS)) : Optional.empty();
    }

    private static long parseOrZero(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
