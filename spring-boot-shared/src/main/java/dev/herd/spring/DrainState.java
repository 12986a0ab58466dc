package dev.herd.spring;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Shared by the worker and the request filters: whether the drain has begun (responses then carry
 * {@code Connection: close}), how many requests are in flight, and when the last one ended.
 */
final class DrainState {

    private volatile boolean draining;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile long lastRequestEndNanos = System.nanoTime();

    boolean draining() {
        return draining;
    }

    void beginDrain() {
        draining = true;
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestEnded() {
        lastRequestEndNanos = System.nanoTime();
        inFlight.decrementAndGet();
    }

    int inFlight() {
        return inFlight.get();
    }

    long lastRequestEndNanos() {
        return lastRequestEndNanos;
    }
}
