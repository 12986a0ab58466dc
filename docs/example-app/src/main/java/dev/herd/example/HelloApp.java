package dev.herd.example;

import dev.herd.worker.Herd;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * A Jetty 12 app of one's own, run by herd: {@code worker.mainClass = dev.herd.example.HelloApp}. Every worker
 * serves on the listening socket herd shares among them (fd 0), says when it is ready, beats from its request
 * pool, and on SIGTERM stops gracefully: no new connections, requests in progress finish, exit 0. A request that
 * arrives on a kept-alive connection during the drain is still served, with {@code Connection: close} (Jetty's
 * GracefulHandler would answer it 503: a request lost to a keep-alive client at every reload).
 * {@code GET /delay?ms=N} answers after N ms (at most 60 s): a request in flight for a stop to wait for
 * (deploy/test-container.sh stops a pod under it).
 */
public final class HelloApp {

    private static volatile boolean draining;

    public static void main(String[] args) throws Exception {
        Herd.listener(); // fails fast when fd 0 is not a listening socket

        QueuedThreadPool pool = new QueuedThreadPool();
        Server server = new Server(pool);
        // One acceptor thread: Jetty accepts in blocking mode and leaves the shared socket blocking, where the kernel
        // wakes one worker per connection (docs/your-app.md, "blocking or not").
        ServerConnector connector = new ServerConnector(server, 1, -1);
        connector.setInheritChannel(true);
        // During the drain an idle keep-alive connection is closed after 2 s: a client that sends its next request
        // sooner is served (with Connection: close) rather than meeting a close in mid-send.
        connector.setShutdownIdleTimeout(2_000);
        server.addConnector(connector);
        server.setHandler(new Hello());
        server.setStopTimeout(30_000); // graceful: the stop waits for busy connections, up to this
        server.start();

        // Before ready(): a SIGTERM that came while Jetty started (Herd.listener() kept it) stops the server now.
        Herd.onDrain(() -> stop(server));
        Herd.startHeartbeats(pool);
        Herd.ready(); // with heartbeats running, READY=1 carries the first WATCHDOG=1
        server.join();
    }

    private static void stop(Server server) {
        try {
            // First: closes this worker's copy of the socket and returns once no accept() is in progress, so that
            // Jetty's stop (which interrupts its acceptor) does not begin while the acceptor is taking a connection.
            Herd.closeListener();
            draining = true;
            server.stop(); // graceful: waits for requests in progress, up to the stop timeout
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(1);
        }
    }

    private static final class Hello extends Handler.Abstract {
        private static final long MAX_DELAY_MILLIS = 60_000;

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws InterruptedException {
            Herd.requestServed(); // counted against maxRequests
            if (request.getHttpURI().getPath().equals("/delay")) {
                Thread.sleep(delayMillis(request)); // a blocking handler: Jetty runs it on a pool thread
            }
            if (draining) {
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            }
            String body = "hello from example worker-" + Herd.slot() + "\n";
            response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }

        private static long delayMillis(Request request) {
            Fields.Field ms = Request.extractQueryParameters(request).get("ms");
            try {
                return ms == null ? 0 : Math.max(0, Math.min(MAX_DELAY_MILLIS, Long.parseLong(ms.getValue())));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }
}
