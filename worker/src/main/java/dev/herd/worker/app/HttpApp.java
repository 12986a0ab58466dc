package dev.herd.worker.app;

import dev.herd.log.Log;
import dev.herd.worker.Herd;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A small HTTP/1.1 server on Jetty 12, with keep-alive, serving from the shared inherited socket:
 * {@code GET /} (and HEAD) answers {@code hello from herd worker-3 (pid 1234)}, {@code GET /delay?ms=N} answers the
 * same after N milliseconds (at most 10 s; a request that is in flight on purpose, to watch a drain finish it), other
 * methods on those paths get 405, every other path 404. A request body is read and dropped (up to 16 MiB; a longer
 * one gets 413 and the connection closes). Each request counts as one unit served; connections are counted as they
 * open and close.
 *
 * <p>Jetty accepts on one acceptor thread in the JDK's blocking mode, which works whether the shared socket is
 * blocking or not (a selector-based worker next to it may have switched on O_NONBLOCK, which all workers share: the
 * JDK then waits in poll() and accepts again after EAGAIN). While the socket stays blocking, the kernel wakes one
 * blocked acceptor per connection, where selectors all wake (docs/your-app.md has the figures).
 *
 * <p>The drain closes this worker's copy of the listening socket ({@link Herd#closeListener}: the others keep theirs
 * and the shared backlog), which wakes the acceptor, then runs Jetty's graceful stop; responses from then on carry
 * {@code Connection: close}; idle keep-alive connections are closed after {@link #SHUTDOWN_IDLE_MILLIS};
 * the stop waits for the connections still busy, up to {@link #STOP_TIMEOUT_MILLIS}. A request that arrives on a
 * kept-alive connection during the drain is still served, and that connection is then closed.
 */
final class HttpApp implements App {

    /** Longer than the master's default graceful timeout: the master, not Jetty, decides when to give up. */
    static final long STOP_TIMEOUT_MILLIS = 60_000;
    /**
     * How long a keep-alive connection may stay quiet once the drain has begun before Jetty closes it. A client
     * that sends its next request within this gets a response with {@code Connection: close} and reconnects
     * cleanly to another worker; closing sooner races clients between two requests (a FIN the client sees only
     * after writing its next request, which it then counts as failed). bench/reload-under-load.sh saw such
     * errors with 100 ms on a loaded machine; a client quiet for longer than this still meets that race, as
     * with nginx.
     */
    static final long SHUTDOWN_IDLE_MILLIS = 2_000;
    static final long MAX_DELAY_MILLIS = 10_000;
    private static final String POOL_NAME = "http";
    /**
     * A request body (the app reads none) is read and dropped up to this size before the answer, so that the
     * connection stays usable; leaving it unread made Jetty close the connection under a client still uploading,
     * which then saw a reset instead of the answer. A larger body gets 413 with {@code Connection: close}.
     */
    static final long MAX_DISCARDED_BODY_BYTES = 16L << 20;

    private final QueuedThreadPool pool = new QueuedThreadPool();
    private final Server server = new Server(pool);
    private volatile boolean draining;
    private volatile ServerConnector connector;

    @Override
    public void start(ServerSocketChannel listener) throws Exception {
        pool.setName(POOL_NAME);
        // One acceptor thread, blocking: with none Jetty would accept from its selectors and switch the shared
        // socket to O_NONBLOCK, and every worker's selector would then wake for every connection.
        connector = new ServerConnector(server, 1, -1);
        connector.setInheritChannel(true);
        connector.setShutdownIdleTimeout(SHUTDOWN_IDLE_MILLIS);
        connector.addEventListener(new Connection.Listener() {
            @Override
            public void onOpened(Connection connection) {
                Herd.connectionOpened();
            }

            @Override
            public void onClosed(Connection connection) {
                Herd.connectionClosed();
            }
        });
        server.addConnector(connector);
        server.setHandler(new HelloHandler());
        server.setStopTimeout(STOP_TIMEOUT_MILLIS);
        server.start();
        if (!connector.isOpen()) {
            throw new IllegalStateException("Jetty did not take the inherited listening socket on fd 0");
        }
    }

    @Override
    public Executor requestExecutor() {
        return pool;
    }

    @Override
    public void drain() {
        draining = true;
        // A stop that begins while the acceptor is taking a connection (Jetty's stop interrupts it) was seen to leave
        // that connection unserved until the JVM exited, then reset (bench/run.sh's reloads under wrk: one read error
        // in 3.1 million requests; the Spring starter's Jetty drain showed it with ss). So the acceptor stops first:
        // told not to accept again, woken by the close of this worker's copy of the socket (which returns once no
        // accept() is in progress), and given the time to hand its last connection over before the stop.
        connector.setAccepting(false);
        try {
            Herd.closeListener();
        } catch (IOException e) {
            Log.warn("closing the listening socket: %s", e.getMessage());
        }
        awaitAcceptorParked();
        try {
            server.stop();
        } catch (Exception e) {
            Log.error("stopping Jetty: %s", e);
        }
    }

    /**
     * Until Jetty's acceptor thread waits (told not to accept) or sleeps (after the accept failure the close made):
     * then it has handed over any connection it took. Jetty names it {@code <pool thread>-acceptor-N@...}. A second at
     * most: a thread that does not get there is not worth holding the drain for.
     */
    private void awaitAcceptorParked() {
        List<Thread> acceptors = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().startsWith(POOL_NAME + "-")
                        && thread.getName().contains("-acceptor-"))
                .toList();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (acceptors.stream().anyMatch(thread -> thread.getState() == Thread.State.RUNNABLE)
                && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
    }

    @Override
    public void awaitStopped() throws InterruptedException {
        server.join();
    }

    private final class HelloHandler extends Handler.Abstract {

        private final String greeting = "hello from herd worker-" + Herd.slot() + " (pid "
                + ProcessHandle.current().pid() + ")\n";

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            Herd.requestServed();
            if (!discardBody(request)) {
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
                Response.writeError(request, response, callback, HttpStatus.PAYLOAD_TOO_LARGE_413);
                return true;
            }
            if (draining) {
                // The client should not send another request on a connection that is about to close: on an error
                // response too (a 404 without it left keep-alive clients racing the idle close at a reload).
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            }
            String path = Request.getPathInContext(request);
            if (!path.equals("/") && !path.equals("/delay")) {
                Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
                return true;
            }
            if (!HttpMethod.GET.is(request.getMethod()) && !HttpMethod.HEAD.is(request.getMethod())) {
                Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
                return true;
            }
            if (path.equals("/delay")) {
                Thread.sleep(delayMillis(request));
            }
            response.setStatus(HttpStatus.OK_200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.write(true, ByteBuffer.wrap(greeting.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }

        /**
         * Reads the request's body, if any, and drops it; false (with the rest left unread) once it is longer than
         * {@link #MAX_DISCARDED_BODY_BYTES}.
         */
        private boolean discardBody(Request request) throws IOException {
            if (request.getLength() > MAX_DISCARDED_BODY_BYTES) {
                return false;
            }
            long read = 0;
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    try (Blocker.Runnable moreContent = Blocker.runnable()) {
                        request.demand(moreContent);
                        moreContent.block();
                    }
                    continue;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    throw new IOException("reading the request body: " + chunk.getFailure(), chunk.getFailure());
                }
                read += chunk.remaining();
                boolean last = chunk.isLast();
                chunk.release();
                if (last) {
                    return true;
                }
                if (read > MAX_DISCARDED_BODY_BYTES) {
                    return false;
                }
            }
        }

        private long delayMillis(Request request) {
            Fields.Field ms = Request.extractQueryParameters(request).get("ms");
            try {
                long millis = ms == null ? 0 : Long.parseLong(ms.getValue());
                return Math.max(0, Math.min(MAX_DELAY_MILLIS, millis));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }
}
