package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees: /metrics as Prometheus's own parser reads it (Debian's python3-prometheus-client),
 * following the listen queue and the restart reasons of a crash, a hang and a memory recycle; and the thread dump
 * a hung JVM worker leaves in the log before it is killed.
 */
class OperationsIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Path PARSER = HerdProcess.HOME.resolve("supervisor/src/test/resources/parse_metrics.py");

    @TempDir
    Path dir;

    @Test
    void metricsFollowTheListenQueueAndTheReasonsOfEachRestart() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        // A heartbeat timeout far longer than the queue's part below, whose stopped workers must not be found
        // hung (the hang handling sends SIGCONT, and they would drain the queue being counted).
        Path config = Files.writeString(dir.resolve("herd.json"),
                "{\"workers\": 2, \"heartbeatTimeout\": \"60s\", \"metricsListen\": \"127.0.0.1:0\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            int port = herd.port();
            String url = "http://127.0.0.1:" + herd.awaitLine("metrics on http://127.0.0.1:(\\d+)/metrics", START)
                    .group(1) + "/metrics";
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            Poll.until(START, "2 ready workers in /metrics", () -> value(url, "herd_workers", "state", "ready") == 2);
            Map<String, Double> first = samples(url);
            assertEquals(1.0, first.get("herd_up{}"));
            assertEquals(2.0, first.get("herd_workers_desired{}"));
            assertEquals(511.0, first.get("herd_listen_queue_limit{}"));
            assertEquals(0.0, first.get("herd_worker_restarts_total{\"reason\": \"crash\"}"));
            assertTrue(first.get("herd_worker_resident_memory_bytes{\"slot\": \"1\"}") > 1_000_000, first.toString());

            // Workers that do not accept: the connections wait in the shared socket's queue, and /metrics says so.
            workers.values().forEach(pid -> ProcFs.stopAndWait(pid, Duration.ofSeconds(10)));
            List<Socket> waiting = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    Socket client = new Socket();
                    client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    waiting.add(client);
                }
                java.util.concurrent.atomic.AtomicReference<Double> last = new java.util.concurrent.atomic.AtomicReference<>();
                try {
                    Poll.until(START, "5 connections queued", () -> {
                        last.set(value(url, "herd_listen_queue_length", null, null));
                        return last.get() == 5;
                    });
                } catch (AssertionError e) {
                    // Seen twice in full runs on 2026-12-07, never alone: the sockets of the port, who holds them
                    // and in which state, for whoever meets it next.
                    Cli.Result sockets = Cli.run(Duration.ofSeconds(10), "ss", "-tanpe", "sport = :" + port);
                    throw new AssertionError(e.getMessage() + "; /metrics said " + last.get() + ", status says "
                            + admin.status().path("listenQueue") + "; ss:\n" + sockets.stdout() + sockets.stderr()
                            + "herd:\n" + herd.output(), e);
                }
            } finally {
                workers.values().forEach(pid -> Cli.run(Duration.ofSeconds(10), "kill", "-CONT", pid.toString()));
            }
            Poll.until(Duration.ofSeconds(10), "the queue drained",
                    () -> value(url, "herd_listen_queue_length", null, null) == 0);
            for (Socket client : waiting) {
                client.close();
            }

            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", workers.get(1).toString());
            Poll.until(START, "a crash counted", () -> value(url, "herd_worker_restarts_total", "reason", "crash") == 1);

            Files.writeString(config, "{\"workers\": 2, \"heartbeatTimeout\": \"3s\", \"metricsListen\": "
                    + "\"127.0.0.1:0\"}");
            assertEquals(0, admin.cli("reload").exitCode(), "workers with a 3 s heartbeat timeout");
            long hung = readyPid(admin, 2);
            ProcFs.stopAndWait(hung, Duration.ofSeconds(10));
            Poll.until(START, "a hang counted", () -> value(url, "herd_worker_restarts_total", "reason", "hang") == 1);

            Files.writeString(config, "{\"workers\": 2, \"heartbeatTimeout\": \"3s\", \"metricsListen\": "
                    + "\"127.0.0.1:0\", \"maxWorkerMemory\": \"16MB\"}");
            assertEquals(0, admin.cli("reload").exitCode());
            Poll.until(Duration.ofSeconds(90), "a memory recycle counted",
                    () -> value(url, "herd_worker_restarts_total", "reason", "memory") >= 1);
            assertTrue(herd.hasLine("MB of memory for 2 checks \\(its limit is 16 MB\\); replacing it"), herd.output());
            assertTrue(value(url, "herd_reload_duration_seconds_count", null, null) >= 1);
            String row = admin.status().path("workers").toString();
            assertTrue(row.contains("\"lastRestartReason\":\"memory\""), row);
        }
    }

    @Test
    void aHungJvmWorkerLeavesItsThreadDumpInTheLogBeforeItIsKilled() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"heartbeatTimeout\": \"2s\","
                + " \"worker\": {\"mainClass\": \"dev.herd.it.apps.HangingApp\", \"classpath\": [\""
                + HerdProcess.HOME.resolve("supervisor/target/test-classes") + "\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            int port = herd.port();
            Poll.until(START, "the worker ready", () -> admin.status().path("readyWorkers").asInt() == 1);
            long pid = admin.status().path("workers").get(0).path("pid").asLong();
            try (Socket first = new Socket("127.0.0.1", port)) {
                herd.awaitLine("worker-1 \\(pid " + pid + ", ready\\) is hung: no heartbeat for \\d+ ms .*sending "
                        + "SIGQUIT for a thread dump", START);
            }
            herd.awaitLine("worker-1\\[" + pid + "\\] Full thread dump", START);
            herd.awaitLine("worker-1\\[" + pid + "\\] \"stuck-request-thread\"", START);
            herd.awaitLine("worker-1 \\(pid " + pid + ", hung\\): sending SIGKILL", START);
            Poll.until(START, "a replacement ready", () -> {
                var row = admin.status().path("workers").get(0);
                return row.path("pid").asLong() != pid && row.path("state").asText().equals("ready");
            });
            assertEquals("hang", admin.status().path("workers").get(0).path("lastRestartReason").asText());
        }
    }

    /** The pid of the ready worker in {@code slot}. */
    private static long readyPid(AdminFixture admin, int slot) {
        for (var row : admin.status().path("workers")) {
            if (row.path("slot").asInt() == slot && row.path("state").asText().equals("ready")) {
                return row.path("pid").asLong();
            }
        }
        throw new AssertionError("no ready worker in slot " + slot + ": " + admin.status());
    }

    /** Every sample of a scrape, keyed "name{labels as JSON}". */
    private static Map<String, Double> samples(String url) {
        Cli.Result scrape = Cli.run(Duration.ofSeconds(20), "/usr/bin/python3", PARSER.toString(), url);
        assertEquals(0, scrape.exitCode(), "the Prometheus parser refused /metrics: " + scrape.stderr());
        Map<String, Double> samples = new HashMap<>();
        for (String line : scrape.stdout().strip().split("\n")) {
            int labelsEnd = line.lastIndexOf('}');
            String name = line.substring(0, line.indexOf(' '));
            String labels = line.substring(line.indexOf(' ') + 1, labelsEnd + 1);
            samples.put(name + labels, Double.parseDouble(line.substring(labelsEnd + 2)));
        }
        return samples;
    }

    /** One sample's value, -1 if it is not there. */
    private static double value(String url, String name, String label, String labelValue) {
        String key = name + (label == null ? "{}" : "{\"" + label + "\": \"" + labelValue + "\"}");
        return Optional.ofNullable(samples(url).get(key)).orElse(-1.0);
    }
}
