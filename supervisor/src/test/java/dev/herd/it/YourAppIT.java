package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in HTTP app, and a user's own Jetty app (docs/example-app) run through worker.mainClass. */
class YourAppIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Path EXAMPLE = Path.of(System.getProperty("herd.exampleApp", "../docs/example-app/target"))
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theHttpAppAnswersWithItsSlotAndPidOverKeepAlive() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "2", "--app", "http")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            int port = herd.port();
            Set<String> bodies = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = get(port, "/");
                assertEquals(200, response.statusCode());
                assertTrue(response.body().matches("hello from herd worker-\\d \\(pid \\d+\\)\n"), response.body());
                bodies.add(response.body());
            }
            for (String body : bodies) {
                assertTrue(workers.entrySet().stream().anyMatch(w -> body.equals(
                        "hello from herd worker-" + w.getKey() + " (pid " + w.getValue() + ")\n")), body);
            }
            assertEquals(404, get(port, "/nope").statusCode());
            // Keep-alive: two requests on one connection get two answers, the first without "Connection: close".
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                socket.setSoTimeout(30_000);
                String request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                socket.getOutputStream().write((request + request).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
                for (int response = 1; response <= 2; response++) {
                    assertEquals("HTTP/1.1 200 OK", in.readLine(), "response " + response);
                    int length = -1;
                    for (String header; !(header = in.readLine()).isEmpty(); ) {
                        assertTrue(!header.equalsIgnoreCase("Connection: close"), "closed after one request");
                        if (header.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(header.substring(15).trim());
                        }
                    }
                    char[] body = new char[length];
                    assertEquals(length, in.read(body, 0, length));
                    assertTrue(new String(body).startsWith("hello from herd worker-"), new String(body));
                }
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            // The JVM's warnings (jnr on JDK 24+ without the native-access flags, a missing slf4j provider) would
            // land in every worker's log: none may.
            assertTrue(herd.lines().stream().noneMatch(line -> line.contains("WARNING") || line.contains("SLF4J")),
                    herd.output());
            for (long pid : workers.values()) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited: exit 0"), herd.output());
            }
        }
    }

    @Test
    void theExampleAppRunsUnderHerdThroughWorkerMainClass() throws Exception {
        Path jar = EXAMPLE.resolve("herd-example-app-0.1.0.jar");
        assertTrue(Files.exists(jar), jar + " is built by the reactor before this module");
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 2, \"worker\": {\"mainClass\": \"dev.herd.example.HelloApp\","
                + " \"classpath\": [\"" + jar + "\", \"" + EXAMPLE.resolve("lib") + "/*\"]}}");
        Path socket = dir.resolve("run/herd.sock");
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "-c", config.toString(),
                "--admin-socket", socket.toString()), Map.of())) {
            int port = herd.port();
            Poll.until(START, "two ready example workers", () -> {
                Cli.Result status = Cli.herd("status", "--json", "--admin-socket", socket.toString());
                return status.exitCode() == 0 && status.stdout().contains("\"readyWorkers\":2");
            });
            HttpResponse<String> response = get(port, "/");
            assertEquals(200, response.statusCode());
            assertTrue(response.body().matches("hello from example worker-[12]\n"), response.body());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertEquals(2, herd.lines().stream().filter(l -> l.matches(".*worker-\\d \\(pid \\d+\\) exited: exit 0"))
                    .count(), herd.output());
        }
    }
}
