package dev.herd.supervisor.master;

import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * The master's one clock: monotonic nanoseconds for every deadline, and the wall time derived from them for what
 * people read ({@link MasterInfo#wallAt}).
 */
record MasterClock(LongSupplier nanos, MasterInfo info) {

    long now() {
        return nanos.getAsLong();
    }

    Instant wallNow() {
        return info.wallAt(now());
    }
}
