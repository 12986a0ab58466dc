package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One {@code status} reply as {@code herd top} received it, and when: on the monotonic clock, for the rates
 * between two samples ({@link TopRates}), and on the wall clock, for the ages shown (the master is on the same
 * host, so its wall clock is ours).
 *
 * @param status        the reply, as in docs/admin-protocol.md
 * @param receivedNanos {@link System#nanoTime()} when the reply arrived
 * @param receivedAt    the wall-clock time it arrived
 */
record TopSample(JsonNode status, long receivedNanos, Instant receivedAt) {
}
