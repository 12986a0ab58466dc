package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log reader that stops reading must not stop the master (issue 19, item 3): one worker prints as fast as it
 * can, the master's output pipe is left unread (it fills within a second), and still the quiet workers' heartbeats
 * are read (none is killed as hung), the admin socket answers, {@code /metrics} says {@code herd_up 1}, a SIGKILLed
 * worker is reaped and replaced; once the output is read again, the log says how many lines it dropped, and
 * SIGTERM stops everything with exit 0.
 */
class SlowLogReaderIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Path WORKER = HerdProcess.HOME.resolve("supervisor/src/test/resources/chatty_worker.py");
    /** The quiet workers must outlive several heartbeat timeouts while the log is stalled. */
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void aStalledLogReaderStopsNeitherHeartbeatsNorTheAdminSocketNorMetricsNorReaping() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        // A port of our choosing: the master's "metrics on" line may be stuck behind the stalled output.
        int metricsPort = Connections.freePort();
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 3, \"heartbeatTimeout\": \""
                + HEARTBEAT_TIMEOUT.toSeconds() + "s\", \"metricsListen\": \"127.0.0.1:" + metricsPort
                + "\", \"worker\": {\"command\": [\"/usr/bin/python3\", \"" + WORKER + "\"]}}");
        try (HerdProcess herd = HerdProcess.startUnread(List.of("run", "--listen", "127.0.0.1:0",
                "--admin-socket", admin.socket().toString(), "-c", config.toString()))) {
            Map<Integer, Long> first = pidsBySlot(Poll.until(START, "3 ready workers", () -> admin.tryStatus()
                    .filter(status -> AdminFixture.readyPids(status).size() == 3)));

            // Four heartbeat timeouts with nobody reading herd's output while worker 1 floods it.
            long end = System.nanoTime() + HEARTBEAT_TIMEOUT.multipliedBy(4).toNanos();
            while (System.nanoTime() < end) {
                JsonNode status = admin.status(); // fails the test if the admin socket does not answer
                assertEquals(first.get(2), pidsBySlot(status).get(2), "a quiet worker was replaced: " + status);
                assertEquals(first.get(3), pidsBySlot(status).get(3), "a quiet worker was replaced: " + status);
                String metrics = MetricsAbuseIT.scrape(metricsPort).orElseThrow(() ->
                        new AssertionError("/metrics did not answer within 3 s while the log was stalled"));
                assertTrue(metrics.contains("\nherd_up 1"), "/metrics while the log was stalled:\n" + metrics);
                Poll.pause();
            }

            long killed = first.get(2);
            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(killed));
            Poll.until(START, "worker 2 reaped and replaced while the log is stalled", () -> {
                Long now = pidsBySlot(admin.status()).get(2);
                return now != null && now != killed && ProcFs.exited(killed)
                        && AdminFixture.readyPids(admin.status()).size() == 3;
            });

            herd.startReading();
            herd.awaitLine("log lines were dropped: the log's reader took lines more slowly", START);
            // The master's own lines have a reserve in its queue that a chatty worker's lines cannot take.
            herd.awaitLine("worker-2 \\(pid " + killed + "\\) died", START);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), tail(herd));
        }
    }

    private static Map<Integer, Long> pidsBySlot(JsonNode status) {
        Map<Integer, Long> bySlot = new HashMap<>();
        for (JsonNode worker : status.path("workers")) {
            if (worker.path("pid").canConvertToLong() && worker.path("slot").asInt() > 0) {
                bySlot.put(worker.path("slot").asInt(), worker.path("pid").asLong());
            }
        }
        return bySlot;
    }

    private static String tail(HerdProcess herd) {
        List<String> lines = herd.lines();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
