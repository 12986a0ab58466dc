package dev.herd.supervisor.master;

import java.time.Instant;

/**
 * Facts about this master that never change while it runs. Wall-clock times are derived from the one monotonic
 * clock the loop uses: {@link #wallAt} is the start's wall time plus the monotonic time since, so a clock jump
 * (NTP, a suspended VM) never makes a deadline fire early or late.
 */
record MasterInfo(int pid, String version, Instant startedAt, long startedAtNanos) {

    Instant wallAt(long nanos) {
        return startedAt.plusNanos(nanos - startedAtNanos);
    }
}
