package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.notify.ServiceNotifier;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * What the master tells its service manager, decided on the loop's thread: READY=1 once every first worker is
 * ready and again when a reload ends, RELOADING=1 when one begins, STATUS= whenever the summary changes, STOPPING=1,
 * and WATCHDOG=1 on time. The pings come from the loop itself, so a loop that stops turning stops them and systemd
 * notices.
 */
final class ServiceReporter {

    private final ServiceNotifier notifier;
    private final Supplier<String> summary;
    private boolean announcedReady;
    private String announcedStatus = "";
    private long nextWatchdogNanos;

    ServiceReporter(ServiceNotifier notifier, Supplier<String> summary, long nowNanos) {
        this.notifier = notifier;
        this.summary = summary;
        this.nextWatchdogNanos = nowNanos;
    }

    /** Called at the end of every turn. */
    void report(boolean stopping, int readyWorkers, int desiredWorkers, long nowNanos) {
        if (!stopping) {
            String status = summary.get();
            if (!announcedReady && readyWorkers == desiredWorkers) {
                announcedReady = true;
                Log.info("%s ready", desiredWorkers == 1 ? "the worker is" : "all " + desiredWorkers + " workers");
                notifier.ready(status);
            } else if (!status.equals(announcedStatus)) {
                notifier.status(status);
            }
            announcedStatus = status;
        }
        // Also while stopping: a drain may take longer than the watchdog period, and the loop still turns.
        Optional<Duration> interval = notifier.watchdogInterval();
        if (interval.isPresent() && nowNanos - nextWatchdogNanos >= 0) {
            notifier.watchdog();
            nextWatchdogNanos = nowNanos + interval.get().toNanos();
        }
    }

    /** RELOADING=1 with the monotonic time it began (nanoTime is CLOCK_MONOTONIC on Linux). */
    void reloading(long nowNanos) {
        notifier.reloading(nowNanos / 1000);
    }

    /** READY=1 after a reload, whether it succeeded or not: the old workers keep serving either way. */
    void reloadDone() {
        announcedStatus = summary.get();
        notifier.ready(announcedStatus);
    }

    void stopping() {
        notifier.stopping();
    }

    /** When the next watchdog ping is due, if systemd watches the master. */
    OptionalLong nextDeadlineNanos() {
        return notifier.watchdogInterval().isPresent() ? OptionalLong.of(nextWatchdogNanos) : OptionalLong.empty();
    }

    @Override
    public String toString() {
        return notifier.toString();
    }
}
