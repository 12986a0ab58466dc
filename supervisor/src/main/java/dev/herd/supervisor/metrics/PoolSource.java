package dev.herd.supervisor.metrics;

import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Where a scrape gets its {@link PoolReading}: the master, which takes it on its own loop thread (the only owner
 * of the pool's state) and hands it back. Called on the metrics server's thread.
 */
@FunctionalInterface
public interface PoolSource {
    PoolReading read(Duration timeout) throws TimeoutException, InterruptedException;
}
