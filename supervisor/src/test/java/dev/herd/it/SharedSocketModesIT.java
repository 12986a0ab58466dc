package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * O_NONBLOCK belongs to the one open file that every worker shares. A selector-based worker (here a Python one that
 * accepts the way Netty does) switches it on for all of them, and nothing switches it off again; herd's built-in
 * apps then accept in the JDK's blocking mode on a non-blocking socket, where EAGAIN must mean "wait and retry".
 */
class SharedSocketModesIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final int O_NONBLOCK = 04000;

    @TempDir
    Path dir;

    @Test
    void theBuiltInAppsServeOnASocketASelectorWorkerMadeNonBlocking() throws Exception {
        Path script = HerdProcess.HOME.resolve("supervisor/src/test/resources/selector_worker.py");
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 1, \"heartbeatTimeout\": \"0\", \"worker\": {\"command\": "
                + "[\"/usr/bin/python3\", \"" + script + "\"]}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            long selectorWorker = admin.awaitReady(1, START).iterator().next();
            int port = herd.port();
            HttpClient http = HttpClient.newHttpClient();
            assertTrue(get(http, port).body().startsWith("hello from selector worker"));
            assertTrue(nonBlocking(selectorWorker), "the selector worker switched the shared socket to non-blocking");

            Files.writeString(config, "{\"workers\": 2, \"app\": \"http\"}");
            assertEquals(0, admin.cli("reload").exitCode(), herd.output());
            Set<Long> httpWorkers = admin.awaitReady(2, START);
            for (long pid : httpWorkers) {
                assertTrue(nonBlocking(pid), "O_NONBLOCK stays on the shared socket: " + pid);
            }
            for (int i = 0; i < 100; i++) {
                HttpResponse<String> response = get(http, port);
                assertEquals(200, response.statusCode());
                assertTrue(response.body().startsWith("hello from herd worker-"), response.body());
            }

            Files.writeString(config, "{\"workers\": 2, \"app\": \"echo\"}");
            assertEquals(0, admin.cli("reload").exitCode(), herd.output());
            for (long pid : admin.awaitReady(2, START)) {
                assertTrue(nonBlocking(pid), "O_NONBLOCK stays on the shared socket: " + pid);
            }
            for (int i = 0; i < 100; i++) {
                assertEquals("War and Peace", EchoClient.roundTrip(port, "War and Peace"), "connection " + i);
            }

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            assertTrue(herd.hasLine("worker-1 \\(pid " + selectorWorker + "\\) exited: exit 0"), herd.output());
            assertTrue(herd.lines().stream().filter(line -> line.matches(".*worker-\\d \\(pid \\d+\\) exited: .*"))
                    .allMatch(line -> line.endsWith("exited: exit 0")), herd.output());
        }
    }

    private static HttpResponse<String> get(HttpClient http, int port) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The file status flags of the process's fd 0, the shared socket (/proc/PID/fdinfo/0, octal). */
    private static boolean nonBlocking(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", "0"))) {
            if (line.startsWith("flags:")) {
                return (Integer.parseInt(line.substring(6).trim(), 8) & O_NONBLOCK) != 0;
            }
        }
        throw new AssertionError("no flags in /proc/" + pid + "/fdinfo/0");
    }
}
