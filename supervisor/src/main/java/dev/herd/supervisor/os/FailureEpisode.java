package dev.herd.supervisor.os;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A call that keeps failing for a while (accept() or a /proc listing out of descriptors, EMFILE), told once per
 * episode rather than once per failure: the first failure begins an episode, and it ends only after a quiet
 * period without failures, so that a condition that flickers (a descriptor freed and taken again) is still one
 * episode. Not thread-safe: each user owns one.
 */
public final class FailureEpisode {

    private final long quietNanos;
    private boolean failing;
    private long sinceNanos;
    private long lastFailureNanos;
    private long failures;

    public FailureEpisode(long quietNanos) {
        this.quietNanos = quietNanos;
    }

    /** Records a failure at {@code now}; returns whether it begins an episode (then say so). */
    public boolean failed(long now) {
        failures++;
        lastFailureNanos = now;
        if (failing) {
            return false;
        }
        failing = true;
        sinceNanos = now;
        failures = 1;
        return true;
    }

    /**
     * Ends the episode if nothing failed for the quiet period; returns what it was ("N failures in M ms") when it
     * ended now, else empty.
     */
    public Optional<String> endIfQuiet(long now) {
        if (!failing || now - lastFailureNanos < quietNanos) {
            return Optional.empty();
        }
        failing = false;
        return Optional.of(failures + (failures == 1 ? " failure" : " failures") + " in "
                + TimeUnit.NANOSECONDS.toMillis(lastFailureNanos - sinceNanos) + " ms");
    }

    public boolean failing() {
        return failing;
    }
}
