package dev.herd.supervisor.notify;

import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The master's side of sd_notify(3): tells systemd (a Type=notify service) when herd is ready, reloading or
 * stopping, a one-line status, and watchdog pings. systemd sets NOTIFY_SOCKET, and WATCHDOG_USEC when the unit
 * has WatchdogSec=; without NOTIFY_SOCKET there is no service manager to tell and nothing is sent.
 */
public final class SystemdNotifier implements ServiceNotifier {

    private final Os os;
    private final int fd;
    private final String socketName;
    private final Optional<Duration> watchdogInterval;
    private boolean failureLogged;

    private SystemdNotifier(Os os, int fd, String socketName, Optional<Duration> watchdogInterval) {
        this.os = os;
        this.fd = fd;
        this.socketName = socketName;
        this.watchdogInterval = watchdogInterval;
    }

    /** The notifier the environment asks for, or {@link ServiceNotifier#NONE} outside a notify service. */
    public static ServiceNotifier fromEnvironment(Os os, Map<String, String> env) {
        String socketName = env.get("NOTIFY_SOCKET");
        if (socketName == null || socketName.isEmpty()) {
            return NONE;
        }
        try {
            return new SystemdNotifier(os, os.openDatagramSocket(), socketName, watchdogInterval(env, os.pid()));
        } catch (OsException e) {
            Log.warn("NOTIFY_SOCKET=%s: %s; not notifying systemd", socketName, e.getMessage());
            return NONE;
        }
    }

    /** Half of WATCHDOG_USEC, as sd_watchdog_enabled(3) advises, unless WATCHDOG_PID names another process. */
    static Optional<Duration> watchdogInterval(Map<String, String> env, long pid) {
        String usec = env.get("WATCHDOG_USEC");
        String watchdogPid = env.get("WATCHDOG_PID");
        if (usec == null || (watchdogPid != null && !watchdogPid.equals(Long.toString(pid)))) {
            return Optional.empty();
        }
        try {
            long micros = Long.parseLong(usec.trim());
            return micros <= 0 ? Optional.empty() : Optional.of(Duration.ofNanos(micros * 1000 / 2));
        } catch (NumberFormatException e) {
            Log.warn("WATCHDOG_USEC=%s is not a number; no watchdog pings", usec);
            return Optional.empty();
        }
    }

    @Override
    public void ready(String status) {
        send("READY=1\nSTATUS=" + status);
    }

    @Override
    public void reloading(long monotonicMicros) {
        send("RELOADING=1\nMONOTONIC_USEC=" + monotonicMicros);
    }

    @Override
    public void status(String status) {
        send("STATUS=" + status);
    }

    @Override
    public void stopping() {
        send("STOPPING=1");
    }

    @Override
    public void watchdog() {
        send("WATCHDOG=1");
    }

    @Override
    public void watchdogTimeout(Duration timeout) {
        send("WATCHDOG_USEC=" + timeout.toNanos() / 1000);
    }

    @Override
    public Optional<Duration> watchdogInterval() {
        return watchdogInterval;
    }

    private void send(String message) {
        try {
            os.sendDatagram(fd, socketName, message.getBytes(StandardCharsets.UTF_8));
        } catch (OsException e) {
            // systemd gone or the socket full: herd keeps serving; say so once, not every watchdog period.
            if (!failureLogged) {
                failureLogged = true;
                Log.warn("notifying systemd at %s failed: %s", socketName, e.getMessage());
            }
        }
    }

    @Override
    public String toString() {
        return "systemd at " + socketName
                + watchdogInterval.map(i -> ", watchdog every " + i.toMillis() + " ms").orElse("");
    }
}
