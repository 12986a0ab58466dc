package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.notify.ServiceNotifier;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * What the master tells its service manager, decided on the loop's thread: READY=1 once every first worker is
 * ready and again when a reload or an upgrade ends, RELOADING=1 when one begins, STATUS= whenever the summary
 * changes, STOPPING=1, and WATCHDOG=1 on time. The pings come from the loop itself, so a loop that stops turning
 * stops them and systemd notices.
 *
 * <p>To systemd an upgrade is a reload of the same process: the master before the exec sends RELOADING=1 (see
 * {@link #handingOver}), and the master after it sends READY=1 once it has replaced the old workers (see
 * {@link #upgradedInPlace}). The pid stays, so MAINPID= is never sent.
 */
final class ServiceReporter {

    /**
     * The watchdog's timeout at least, from an upgrade's exec until the new master's first ping: a JVM's start takes
     * seconds on a loaded machine (6.5 s from the exec to the first ping was seen at a load of 16 on 2 cores).
     */
    static final Duration EXEC_WATCHDOG_TIMEOUT = Duration.ofSeconds(60);

    private final ServiceNotifier notifier;
    private final Supplier<String> summary;
    private boolean announcedReady;
    private String announcedStatus = "";
    private long nextWatchdogNanos;
    /** The watchdog's timeout was lengthened for an exec (this one's, or a failed one): the next ping restores it. */
    private boolean watchdogLengthened;

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
            Duration timeout = interval.get().multipliedBy(2); // the unit's WatchdogSec=
            if (watchdogLengthened && timeout.compareTo(EXEC_WATCHDOG_TIMEOUT) < 0) {
                notifier.watchdogTimeout(timeout);
            }
            watchdogLengthened = false;
        }
    }

    /** RELOADING=1 with the monotonic time it began (nanoTime is CLOCK_MONOTONIC on Linux). */
    void reloading(long nowNanos) {
        notifier.reloading(nowNanos / 1000);
    }

    /**
     * READY=1 after a reload or an upgrade, whether it succeeded or not (or an upgrade's exec failed): the old
     * workers keep serving either way.
     */
    void reloadDone() {
        announcedStatus = summary.get();
        notifier.ready(announcedStatus);
    }

    /**
     * Just before an upgrade's exec: RELOADING=1 (systemd shows the unit "reloading" until the new master's READY=1),
     * what is going on, and a watchdog ping with a timeout of {@link #EXEC_WATCHDOG_TIMEOUT} at least, so that the
     * new program has that long to start and ping (it puts the unit's timeout back then, see
     * {@link #upgradedInPlace}). A failed exec puts it back at the next ping too.
     */
    void handingOver(long nowNanos, String status) {
        notifier.reloading(nowNanos / 1000);
        announcedStatus = status;
        notifier.status(status);
        Optional<Duration> interval = notifier.watchdogInterval();
        if (interval.isPresent()) {
            if (interval.get().multipliedBy(2).compareTo(EXEC_WATCHDOG_TIMEOUT) < 0) {
                notifier.watchdogTimeout(EXEC_WATCHDOG_TIMEOUT);
                watchdogLengthened = true;
            }
            notifier.watchdog();
            nextWatchdogNanos = nowNanos + interval.get().toNanos();
        }
    }

    /**
     * In a master an upgrade exec'ed into: systemd heard READY=1 from this process before the exec and waits for
     * the one that ends the upgrade (when the old workers are replaced, see {@link RestartDriver}), not for the
     * first workers' READY=1 of a master that starts.
     */
    void upgradedInPlace() {
        announcedReady = true;
        watchdogLengthened = true;
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
