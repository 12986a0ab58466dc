package dev.herd.supervisor.master;

import dev.herd.supervisor.notify.ServiceNotifier;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A service manager that watches the master ({@code WATCHDOG_USEC}: pings every {@code pingInterval}) and notes
 * what it is told, as sd_notify lines, in {@code told}.
 */
record RecordingServiceNotifier(List<String> told, Duration pingInterval) implements ServiceNotifier {

    @Override
    public void ready(String status) {
        told.add("READY=1 STATUS=" + status);
    }

    @Override
    public void reloading(long monotonicMicros) {
        told.add("RELOADING=1 MONOTONIC_USEC=" + monotonicMicros);
    }

    @Override
    public void status(String status) {
        told.add("STATUS=" + status);
    }

    @Override
    public void watchdog() {
        told.add("WATCHDOG=1");
    }

    @Override
    public void watchdogTimeout(Duration timeout) {
        told.add("WATCHDOG_USEC=" + timeout.toNanos() / 1000);
    }

    @Override
    public Optional<Duration> watchdogInterval() {
        return Optional.of(pingInterval);
    }
}
