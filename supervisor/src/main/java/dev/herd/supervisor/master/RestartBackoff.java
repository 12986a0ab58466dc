package dev.herd.supervisor.master;

import java.time.Duration;

/**
 * How long a slot waits before replacing a crashed worker: at once after the first crash, then 100 ms doubling
 * up to 30 s while the crashes keep coming. A worker that stayed up for {@link #STABLE_UPTIME} resets the count,
 * so a rare crash is always replaced at once, and a worker that cannot even boot never becomes a busy loop.
 */
final class RestartBackoff {

    static final Duration STABLE_UPTIME = Duration.ofSeconds(10);
    static final Duration FIRST_DELAY = Duration.ofMillis(100);
    static final Duration MAX_DELAY = Duration.ofSeconds(30);

    private RestartBackoff() {
    }

    static Duration delayAfter(int consecutiveCrashes) {
        if (consecutiveCrashes <= 1) {
            return Duration.ZERO;
        }
        int doublings = Math.min(consecutiveCrashes - 2, 20); // 2^20 * 100 ms is far past the cap
        Duration delay = FIRST_DELAY.multipliedBy(1L << doublings);
        return delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay;
    }
}
