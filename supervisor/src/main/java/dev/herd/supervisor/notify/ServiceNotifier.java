package dev.herd.supervisor.notify;

import java.time.Duration;
import java.util.Optional;

/**
 * What the master loop tells its service manager (systemd, through sd_notify) about itself. The loop calls these
 * from its own thread, so a watchdog ping proves the loop itself is turning.
 */
public interface ServiceNotifier {

    /** No service manager: every call does nothing. */
    ServiceNotifier NONE = new ServiceNotifier() {
    };

    /** READY=1: the first workers are ready, or a reload has ended. */
    default void ready(String status) {
    }

    /** RELOADING=1 with the monotonic time the reload began. */
    default void reloading(long monotonicMicros) {
    }

    /** STATUS=: a one-line summary for {@code systemctl status}. */
    default void status(String status) {
    }

    /** STOPPING=1. */
    default void stopping() {
    }

    /** WATCHDOG=1. */
    default void watchdog() {
    }

    /** WATCHDOG_USEC=: the watchdog's timeout from now on, until the service restarts or it is set again. */
    default void watchdogTimeout(Duration timeout) {
    }

    /** How often the loop must call {@link #watchdog()}, when the service manager watches it. */
    default Optional<Duration> watchdogInterval() {
        return Optional.empty();
    }
}
