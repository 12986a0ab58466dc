package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /readyz and /livez of a real master on its metrics listener, as a Kubernetes probe sees them: workers that turn
 * ready only when the test says (echo_worker.py --ready-when), so /readyz is 503 until readyMinimum of them are
 * and 200 after, /livez 200 all along, and a reload that lowers readyMinimum applies to the next probe.
 */
class ProbesIT {

    private static final Duration START = Duration.ofSeconds(90);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void readyzWaitsForReadyMinimumWorkersAndLivezAnswersAllAlong() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path script = HerdProcess.HOME.resolve("supervisor/src/test/resources/echo_worker.py");
        Path marker = dir.resolve("ready");
        Path config = dir.resolve("herd.json");
        writeConfig(config, script, marker, 2);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            String base = "http://127.0.0.1:"
                    + herd.awaitLine("metrics on http://127.0.0.1:(\\d+)/metrics \\(probes: /readyz, /livez\\)",
                            START).group(1);
            herd.awaitLine("started worker-2", START);

            assertEquals("503 not ready: 0 of 2 workers ready, 2 needed", get(base + "/readyz"));
            assertTrue(get(base + "/livez").matches("200 live: the master's loop answered in \\d+ ms"),
                    "a master whose workers are still starting is live");

            Files.createFile(Path.of(marker + "-1"));
            Poll.until(START, "worker-1 ready", () -> herd.hasLine("worker-1 \\(pid \\d+\\) ready after"));
            assertEquals("503 not ready: 1 of 2 workers ready, 2 needed", get(base + "/readyz"));

            Files.createFile(Path.of(marker + "-2"));
            Poll.until(START, "/readyz 200", () -> get(base + "/readyz").startsWith("200 "));
            assertEquals("200 ready: 2 of 2 workers ready, 2 needed", get(base + "/readyz"));

            // The key applies on reload: with readyMinimum 1, a pool that lost one worker stays ready.
            writeConfig(config, script, marker, 1);
            Cli.Result reload = admin.cli("reload");
            assertEquals(0, reload.exitCode(), reload.stderr() + herd.output());
            assertEquals("200 ready: 2 of 2 workers ready, 1 needed", get(base + "/readyz"));
            Files.delete(Path.of(marker + "-1")); // the replacement of slot 1 will not turn ready
            admin.awaitReady(2, START);
            long victim = 0;
            for (JsonNode worker : admin.status().path("workers")) {
                if (worker.path("slot").asInt() == 1) {
                    victim = worker.path("pid").asLong();
                }
            }
            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(victim));
            Poll.until(START, "the pool one short", () -> admin.status().path("readyWorkers").asInt() == 1);
            assertTrue(get(base + "/readyz").startsWith("200 ready: 1 of 2 workers ready, 1 needed"),
                    herd.output());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    private static void writeConfig(Path config, Path script, Path marker, int readyMinimum) throws Exception {
        Files.writeString(config, "{\"workers\": 2, \"heartbeatTimeout\": \"0\", \"metricsListen\": \"127.0.0.1:0\", "
                + "\"readyMinimum\": " + readyMinimum + ", \"worker\": {\"command\": [\"/usr/bin/python3\", \""
                + script + "\", \"--ready-when\", \"" + marker + "\"]}}");
    }

    /** "STATUS BODY" of a GET, the body's line end dropped. */
    private String get(String url) {
        try {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() + " " + response.body().strip();
        } catch (Exception e) {
            throw new AssertionError("GET " + url + ": " + e, e);
        }
    }
}
