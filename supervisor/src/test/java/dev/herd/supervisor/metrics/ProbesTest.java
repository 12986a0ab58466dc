package dev.herd.supervisor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ListenAddress;
import dev.herd.supervisor.status.StatusSnapshot;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * /readyz and /livez on the metrics server, answered from what the loop hands back (a stand-in loop here; the
 * real one in ProbesIT): readiness counts ready workers against readyMinimum, capped at the workers wanted, and
 * both are 503 when the loop does not answer within the probe's timeout.
 */
class ProbesTest {

    private static final Duration PROBE_TIMEOUT = Duration.ofMillis(300);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** What the stand-in loop answers next: a reading, or null for a loop that does not answer in time. */
    private final AtomicReference<PoolReading> next = new AtomicReference<>();
    private final AtomicReference<Duration> askedTimeout = new AtomicReference<>();

    private final PoolSource loop = timeout -> {
        askedTimeout.set(timeout);
        PoolReading reading = next.get();
        if (reading == null) {
            throw new TimeoutException("no answer");
        }
        return reading;
    };

    @Test
    void readyzCountsReadyWorkersAgainstTheMinimumCappedAtTheWorkersWanted() throws Exception {
        try (MetricsServer server = MetricsServer.start(new ListenAddress("127.0.0.1", 0), loop, PROBE_TIMEOUT)) {
            next.set(reading(4, 0, 1, false));
            assertAnswer(server, "/readyz", 503, "not ready: 0 of 4 workers ready, 1 needed");
            next.set(reading(4, 1, 1, false));
            assertAnswer(server, "/readyz", 200, "ready: 1 of 4 workers ready, 1 needed");
            next.set(reading(4, 2, 3, false));
            assertAnswer(server, "/readyz", 503, "not ready: 2 of 4 workers ready, 3 needed");
            next.set(reading(4, 3, 3, false));
            assertAnswer(server, "/readyz", 200, "ready: 3 of 4 workers ready, 3 needed");
            // herd scale 2 with readyMinimum 3: two ready workers are the whole pool.
            next.set(reading(2, 2, 3, false));
            assertAnswer(server, "/readyz", 200, "ready: 2 of 2 workers ready, 2 needed");
            next.set(reading(2, 2, 1, true));
            assertAnswer(server, "/readyz", 503, "not ready: the master is stopping (2 of 2 workers ready, 1 needed)");
            assertEquals(PROBE_TIMEOUT, askedTimeout.get());
        }
    }

    @Test
    void bothProbesAre503WhenTheLoopDoesNotAnswerInTime() throws Exception {
        try (MetricsServer server = MetricsServer.start(new ListenAddress("127.0.0.1", 0), loop, PROBE_TIMEOUT)) {
            next.set(reading(2, 2, 1, false));
            HttpResponse<String> live = get(server, "/livez", "GET");
            assertEquals(200, live.statusCode(), live.body());
            assertTrue(live.body().matches("live: the master's loop answered in \\d+ ms\n"), live.body());
            next.set(null);
            assertAnswer(server, "/livez", 503, "the master's loop did not answer within 300 ms");
            assertAnswer(server, "/readyz", 503, "the master's loop did not answer within 300 ms");
            assertEquals(PROBE_TIMEOUT, askedTimeout.get());
        }
    }

    @Test
    void otherPathsAndMethodsAreRefusedAndMetricsStillServe() throws Exception {
        try (MetricsServer server = MetricsServer.start(new ListenAddress("127.0.0.1", 0), loop, PROBE_TIMEOUT)) {
            next.set(reading(2, 2, 1, false));
            assertEquals(404, get(server, "/readyzz", "GET").statusCode());
            assertEquals(404, get(server, "/", "GET").statusCode());
            HttpResponse<String> post = get(server, "/readyz", "POST");
            assertEquals(405, post.statusCode());
            assertEquals(Optional.of("GET, HEAD"), post.headers().firstValue("Allow"));
            HttpResponse<String> head = get(server, "/readyz", "HEAD");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
            HttpResponse<String> metrics = get(server, "/metrics", "GET");
            assertEquals(200, metrics.statusCode());
            assertTrue(metrics.body().contains("herd_up 1.0"), metrics.body());
        }
    }

    private void assertAnswer(MetricsServer server, String path, int status, String line) throws Exception {
        HttpResponse<String> response = get(server, path, "GET");
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(line + "\n", response.body());
        assertEquals(Optional.of("text/plain; charset=utf-8"), response.headers().firstValue("Content-Type"));
    }

    private HttpResponse<String> get(MetricsServer server, String path, String method) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody()).build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static PoolReading reading(int desired, int ready, int readyMinimum, boolean stopping) {
        StatusSnapshot status = new StatusSnapshot(4242, "0.1.0", Instant.EPOCH, 1000, "127.0.0.1:9876",
                Optional.empty(), desired, ready, ready + "/" + desired + " workers ready", stopping,
                Optional.empty(), List.of());
        return new PoolReading(status, Map.of(), readyMinimum);
    }
}
