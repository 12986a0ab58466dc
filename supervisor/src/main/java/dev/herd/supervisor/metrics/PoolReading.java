package dev.herd.supervisor.metrics;

import dev.herd.supervisor.status.StatusSnapshot;
import java.util.Map;

/**
 * What one scrape or probe reads from the master: the pool as {@code status} shows it, how many workers were
 * replaced or stopped for each reason since the master started (a counter per reason, zeros included), and the
 * ready workers {@code /readyz} asks for (the running configuration's {@code readyMinimum}).
 */
public record PoolReading(StatusSnapshot status, Map<String, Long> restartsByReason, int readyMinimum) {

    public PoolReading {
        restartsByReason = Map.copyOf(restartsByReason);
    }
}
