package dev.herd.supervisor.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.herd.supervisor.status.StatusSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * {@code GET /readyz} and {@code GET /livez} beside {@code /metrics}, for a Kubernetes probe or a load balancer's
 * health check; both ask the master's loop for a {@link PoolReading}, as a scrape does, and wait at most
 * {@link #timeout} for it:
 * <ul>
 *   <li>{@code /readyz}: 200 while at least {@code readyMinimum} workers are ready (never more than the workers
 *       wanted now, so that {@code herd scale 1} cannot leave a pod unready for good), 503 while fewer are, while
 *       the master stops, or when the loop did not answer in time;</li>
 *   <li>{@code /livez}: 200 when the loop answered in time (it turns), 503 when it did not.</li>
 * </ul>
 * Each answers one line of text saying why. Any other path is 404; a method other than GET or HEAD, 405.
 */
final class Probes implements HttpHandler {

    static final String READY = "/readyz";
    static final String LIVE = "/livez";

    private final PoolSource pool;
    private final Duration timeout;

    Probes(PoolSource pool, Duration timeout) {
        this.pool = pool;
        this.timeout = timeout;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (!path.equals(READY) && !path.equals(LIVE)) {
                answer(exchange, 404, "not found: this server has /metrics, " + READY + " and " + LIVE);
            } else if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                answer(exchange, 405, "method not allowed: " + method);
            } else {
                Answer answer = path.equals(READY) ? readiness() : liveness();
                answer(exchange, answer.status(), answer.text());
            }
        }
    }

    private Answer readiness() {
        PoolReading reading;
        try {
            reading = pool.read(timeout);
        } catch (TimeoutException e) {
            return loopSilent();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, "not ready: interrupted");
        }
        StatusSnapshot status = reading.status();
        int needed = Math.min(reading.readyMinimum(), status.desiredWorkers());
        String counts = status.readyWorkers() + " of " + status.desiredWorkers() + " workers ready, " + needed
                + " needed";
        if (status.stopping()) {
            return new Answer(503, "not ready: the master is stopping (" + counts + ")");
        }
        return status.readyWorkers() >= needed
                ? new Answer(200, "ready: " + counts)
                : new Answer(503, "not ready: " + counts);
    }

    private Answer liveness() {
        long asked = System.nanoTime();
        try {
            pool.read(timeout);
            return new Answer(200, "live: the master's loop answered in " + millisSince(asked) + " ms");
        } catch (TimeoutException e) {
            return loopSilent();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(503, "not live: interrupted");
        }
    }

    private Answer loopSilent() {
        return new Answer(503, "the master's loop did not answer within " + timeout.toMillis() + " ms");
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }

    private static void answer(HttpExchange exchange, int status, String text) throws IOException {
        byte[] body = (text + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        // -1: no body (HEAD); otherwise its exact length, so that a keep-alive client knows where it ends.
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private record Answer(int status, String text) {
    }
}
