package dev.herd.supervisor.status;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One worker process in a {@link StatusSnapshot}, or a slot without one (then {@code pid} is empty and the state
 * is {@code starting} or {@code backoff}). The slot's own facts (restarts, crashes, last exit, last restart
 * reason) are repeated on each row of the slot; {@code firstOfSlot} marks one row per slot for sums.
 *
 * @param slot             1..N
 * @param firstOfSlot      whether this is the slot's first row
 * @param pid              the worker's pid; empty for a slot without a process
 * @param state            starting, ready, stopping, killed, backoff
 * @param startedAt        when the worker started (wall clock)
 * @param readyAfterMillis how long it took to send READY=1
 * @param watched          whether hang detection applies (the worker has sent WATCHDOG=1)
 * @param lastHeartbeatMillisAgo how long ago its last WATCHDOG=1 (or READY=1) came, for a watched ready worker
 * @param connectionsOpen  connections open now, as the worker counts them
 * @param connectionsServed units served so far (requests, or connections for connection-oriented apps)
 * @param servedLimit      when it will be recycled (maxRequests plus its jitter); empty without a limit
 * @param statusText       its last STATUS= text
 * @param killedBecause    why the master sent it SIGKILL, once it has
 * @param restarts         restarts of the slot so far (crashes, hangs, ...; not planned replacements)
 * @param crashesInWindow  crashes of the slot within flappingWindow
 * @param lastExit         how the slot's previous worker ended: "exit 0", "signal 9 (KILL)"
 * @param lastRestartReason why the slot's worker was last replaced: crash, hang, recycle, reload, ...
 * @param lastRestartAt    when that was (wall clock)
 * @param lastBootError    why the slot's last worker that could not boot failed: the root cause its output gave
 * @param residentBytes    the worker's resident memory, from /proc
 * @param cpuMillis        CPU time it has used (user and system), from /proc
 * @param classData        "app" when it started with its app's class-data archive (worker.classData)
 */
public record WorkerRow(int slot, boolean firstOfSlot, Optional<Integer> pid, String state,
                        Optional<Instant> startedAt, OptionalLong readyAfterMillis, boolean watched,
                        OptionalLong lastHeartbeatMillisAgo, long connectionsOpen, long connectionsServed,
                        OptionalLong servedLimit, Optional<String> statusText, Optional<String> killedBecause,
                        int restarts, int crashesInWindow, Optional<String> lastExit,
                        Optional<String> lastRestartReason, Optional<Instant> lastRestartAt,
                        Optional<String> lastBootError, OptionalLong residentBytes, OptionalLong cpuMillis,
                        Optional<String> classData) {

    /** A row without class data (a slot with no process, a worker started without an archive). */
    public WorkerRow(int slot, boolean firstOfSlot, Optional<Integer> pid, String state,
                     Optional<Instant> startedAt, OptionalLong readyAfterMillis, boolean watched,
                     OptionalLong lastHeartbeatMillisAgo, long connectionsOpen, long connectionsServed,
                     OptionalLong servedLimit, Optional<String> statusText, Optional<String> killedBecause,
                     int restarts, int crashesInWindow, Optional<String> lastExit,
                     Optional<String> lastRestartReason, Optional<Instant> lastRestartAt,
                     Optional<String> lastBootError, OptionalLong residentBytes, OptionalLong cpuMillis) {
        this(slot, firstOfSlot, pid, state, startedAt, readyAfterMillis, watched, lastHeartbeatMillisAgo,
                connectionsOpen, connectionsServed, servedLimit, statusText, killedBecause, restarts, crashesInWindow,
                lastExit, lastRestartReason, lastRestartAt, lastBootError, residentBytes, cpuMillis,
                Optional.empty());
    }
}
