package dev.herd.agent;

import dev.herd.log.Log;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The middle of a worker's drain, between its stop accepting and the framework's own stop (the JVM's shutdown
 * hooks): the connections it accepted are let finish. Their responses say {@code Connection: close}
 * ({@link ClosingResponses}), so each keep-alive client closes its connection after the response it gets, and the
 * drain waits until this worker holds no connection on herd's port, or for its bound (half the worker's
 * {@code gracefulTimeout}: the other half is the framework's). A framework's stop closes idle keep-alive
 * connections without a word; once the clients have closed them, it has none to close while a request is on its way.
 */
final class ConnectionDrain {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    private ConnectionDrain() {
    }

    /** Returns when the accepted connections are closed or {@code boundNanos} passed; never throws. */
    static void letConnectionsClose(Instrumentation instrumentation, JdkSockets sockets, SocketAdoption adoption,
                                    long boundNanos) {
        int port = adoption.herdPort();
        if (port == 0 || boundNanos <= 0) {
            return; // the app never took herd's socket, or gracefulTimeout leaves no time for this
        }
        long start = System.nanoTime();
        long deadline = start + boundNanos;
        adoption.handConnectionEvents(new ClosingResponses(sockets, port, deadline));
        try {
            JdkSocketInstrumentation.installResponseClose(instrumentation, sockets);
            Log.info("draining: responses on this worker's connections say Connection: close (woven in %d ms)",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        } catch (Exception | LinkageError e) {
            Log.error("cannot make this worker's responses say Connection: close while it drains: %s", e);
        }
        try {
            int open = OpenConnections.count(port);
            while (open > 0 && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(POLL_NANOS);
                open = OpenConnections.count(port);
            }
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            if (open == 0) {
                Log.info("no connection open %d ms after the drain began: the app's own stop begins", millis);
            } else {
                Log.info("%d connection(s) still open after %d ms (half of gracefulTimeout): the app's own stop "
                        + "closes them", open, millis);
            }
        } catch (IOException | RuntimeException e) {
            Log.error("cannot count this worker's connections while it drains: %s", e);
        }
    }
}
