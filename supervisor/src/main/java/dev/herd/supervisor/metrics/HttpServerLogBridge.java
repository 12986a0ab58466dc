package dev.herd.supervisor.metrics;

import dev.herd.log.Log;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The metrics server's own messages as herd log lines, at most one per {@link #INTERVAL_NANOS}: the Prometheus
 * client's HTTP server and the JDK's {@code com.sun.net.httpserver} report through java.util.logging, whose
 * default handler prints a two-line record and a whole stack trace for every scrape a client aborts (200 scrapes
 * reset by their clients once printed 5,265 lines). A line says what happened once, then how many more were
 * left out. Below WARNING nothing is told: the JDK server's FINE chatter is not an operator's business.
 */
final class HttpServerLogBridge extends Handler {

    /** The loggers the metrics server writes to. */
    private static final List<String> LOGGERS = List.of("io.prometheus", "com.sun.net.httpserver");
    private static final long INTERVAL_NANOS = 60_000_000_000L;

    /** Held so that the JDK's weak references to configured loggers cannot drop our handler with them. */
    private static final List<Logger> BRIDGED = LOGGERS.stream().map(Logger::getLogger).toList();
    /** One bridge for every logger: one rate limit for whatever the metrics server says. */
    private static final HttpServerLogBridge BRIDGE = new HttpServerLogBridge();

    private long lastToldNanos;
    private boolean toldAny;
    private int leftOut;

    private HttpServerLogBridge() {
        setLevel(Level.WARNING);
    }

    /** Routes the metrics server's loggers to herd's log from now on (idempotent). */
    static synchronized void install() {
        for (Logger logger : BRIDGED) {
            if (!List.of(logger.getHandlers()).contains(BRIDGE)) {
                logger.setUseParentHandlers(false);
                logger.addHandler(BRIDGE);
            }
        }
    }

    @Override
    public synchronized void publish(LogRecord record) {
        if (!isLoggable(record)) {
            return;
        }
        long now = System.nanoTime();
        if (toldAny && now - lastToldNanos < INTERVAL_NANOS) {
            leftOut++;
            return;
        }
        String message = String.valueOf(record.getMessage()).strip();
        if (message.endsWith(".")) {
            message = message.substring(0, message.length() - 1);
        }
        String cause = record.getThrown() == null ? "" : ": " + record.getThrown();
        String more = leftOut == 0 ? "" : " (" + leftOut + " more such messages in the last minute left out)";
        Log.warn("metrics server: %s%s%s", message, cause, more);
        toldAny = true;
        lastToldNanos = now;
        leftOut = 0;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
