package dev.herd.supervisor.metrics;

import dev.herd.supervisor.status.StatusSnapshot;
import java.util.Map;

/**
 * What one scrape reads from the master: the pool as {@code status} shows it, and how many workers were replaced
 * or stopped for each reason since the master started (a counter per reason, zeros included).
 */
public record PoolReading(StatusSnapshot status, Map<String, Long> restartsByReason) {

    public PoolReading {
        restartsByReason = Map.copyOf(restartsByReason);
    }
}
