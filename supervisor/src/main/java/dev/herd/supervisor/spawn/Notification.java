package dev.herd.supervisor.spawn;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One assignment of the systemd notify protocol (sd_notify(3)) that a worker sent, parsed once, on the thread that
 * received it. A datagram carries one {@code KEY=VALUE} per line; keys that mean nothing for a worker (MAINPID,
 * ERRNO, FDSTORE, ...) and malformed lines are dropped, as systemd drops them.
 */
public sealed interface Notification {

    /**
     * What the master does with each kind of notification, one method a kind: a new kind does not compile until
     * the master has a method for it (Java 17 has no pattern switch over a sealed interface).
     */
    interface Handler {
        void ready();

        void heartbeat();

        void killRequested();

        void status(Status status);

        void stopping();

        void extendReadyTimeout(ExtendReadyTimeout extend);

        void spareWarm();

        void served(Served served);
    }

    /** Calls {@code handler}'s method for this kind of notification. */
    void handleWith(Handler handler);

    /** {@code READY=1}: the worker accepts connections. */
    record Ready() implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.ready();
        }
    }

    /** {@code WATCHDOG=1}: a heartbeat. The first one puts the worker under hang detection. */
    record Heartbeat() implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.heartbeat();
        }
    }

    /** {@code WATCHDOG=trigger}: the worker asks to be killed and replaced now. */
    record KillRequested() implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.killRequested();
        }
    }

    /** {@code STATUS=...}: a one-line status text, shown by {@code herd status}. */
    record Status(String text) implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.status(this);
        }
    }

    /** {@code STOPPING=1}: the worker leaves on its own; not a crash. */
    record Stopping() implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.stopping();
        }
    }

    /** {@code EXTEND_TIMEOUT_USEC=N}: a slow starter asks for N more microseconds to become ready. */
    record ExtendReadyTimeout(long micros) implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.extendReadyTimeout(this);
        }
    }

    /** {@code X_HERD_SPARE=1}: herd's own key, a hot spare is warm and waits for its promotion. */
    record SpareWarm() implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.spareWarm();
        }
    }

    /** {@code X_HERD_SERVED=N}: herd's own key, how much a worker without a counters file has served. */
    record Served(long count) implements Notification {
        @Override
        public void handleWith(Handler handler) {
            handler.served(this);
        }
    }

    /** The longest STATUS= text kept: a status line, not a document. */
    int MAX_STATUS_CHARS = 200;

    /** Every notification in one datagram, in order. */
    static List<Notification> parse(String datagram) {
        List<Notification> notifications = new ArrayList<>();
        for (String line : datagram.split("\n")) {
            int equals = line.indexOf('=');
            if (equals > 0) {
                parseAssignment(line.substring(0, equals), line.substring(equals + 1)).ifPresent(notifications::add);
            }
        }
        return notifications;
    }

    private static Optional<Notification> parseAssignment(String key, String value) {
        return switch (key) {
            case "READY" -> value.equals("1") ? Optional.of(new Ready()) : Optional.empty();
            case "WATCHDOG" -> value.equals("1") ? Optional.of(new Heartbeat())
                    : value.equals("trigger") ? Optional.of(new KillRequested()) : Optional.empty();
            case "STATUS" -> Optional.of(new Status(value.length() <= MAX_STATUS_CHARS ? value
                    : value.substring(0, MAX_STATUS_CHARS) + "..."));
            case "STOPPING" -> value.equals("1") ? Optional.of(new Stopping()) : Optional.empty();
            case "EXTEND_TIMEOUT_USEC" -> nonNegative(value).map(ExtendReadyTimeout::new);
            case "X_HERD_SERVED" -> nonNegative(value).map(Served::new);
            case "X_HERD_SPARE" -> value.equals("1") ? Optional.of(new SpareWarm()) : Optional.empty();
            default -> Optional.empty();
        };
    }

    private static Optional<Long> nonNegative(String value) {
        try {
            long number = Long.parseLong(value.trim());
            return number >= 0 ? Optional.of(number) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
