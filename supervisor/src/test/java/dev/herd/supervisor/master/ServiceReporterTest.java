package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herd.supervisor.notify.ServiceNotifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The watchdog around an upgrade's exec: the timeout systemd gets for the new JVM's start, and when it is put back.
 */
class ServiceReporterTest {

    private final List<String> told = new ArrayList<>();
    private long nowNanos = TimeUnit.HOURS.toNanos(1);

    @Test
    void aWatchdogShorterThanAMinuteGetsAMinuteForTheExecAndTheNewMastersFirstPingPutsItBack() {
        ServiceReporter before = new ServiceReporter(systemd(Duration.ofSeconds(5)), () -> "2/2", nowNanos);
        before.handingOver(nowNanos, "upgrade 1");
        assertEquals(List.of("RELOADING=1 MONOTONIC_USEC=" + nowNanos / 1000, "STATUS=upgrade 1",
                "WATCHDOG_USEC=60000000", "WATCHDOG=1"), told);

        told.clear();
        ServiceReporter after = new ServiceReporter(systemd(Duration.ofSeconds(5)), () -> "2/2", nowNanos);
        after.upgradedInPlace();
        after.report(false, 2, 2, nowNanos);
        nowNanos += TimeUnit.SECONDS.toNanos(3);
        after.report(false, 2, 2, nowNanos);

        assertEquals(List.of("STATUS=2/2", "WATCHDOG=1", "WATCHDOG_USEC=5000000", "WATCHDOG=1"), told.stream()
                .filter(m -> !m.startsWith("READY=1")).toList(), "put back once, at the first ping; no READY=1");
        assertEquals(List.of(), told.stream().filter(m -> m.startsWith("READY=1")).toList());
    }

    @Test
    void aWatchdogOfAMinuteOrMoreIsLeftAsItIs() {
        ServiceReporter before = new ServiceReporter(systemd(Duration.ofMinutes(2)), () -> "2/2", nowNanos);
        before.handingOver(nowNanos, "upgrade 1");
        ServiceReporter after = new ServiceReporter(systemd(Duration.ofMinutes(2)), () -> "2/2", nowNanos);
        after.upgradedInPlace();
        after.report(false, 2, 2, nowNanos);

        assertEquals(List.of(), told.stream().filter(m -> m.startsWith("WATCHDOG_USEC=")).toList());
    }

    /** systemd with WatchdogSec={@code timeout}, noting what it is told as sd_notify lines. */
    private ServiceNotifier systemd(Duration timeout) {
        return new RecordingServiceNotifier(told, timeout.dividedBy(2));
    }
}
