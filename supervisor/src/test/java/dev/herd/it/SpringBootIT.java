package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 11 end to end: ordinary Spring Boot apps (docs/spring-boot-app on Tomcat, docs/spring-webflux-app on Reactor
 * Netty, docs/spring-jetty-app on Jetty), built by the reactor before this module with herd-spring-boot-starter as their only herd dependency, run
 * as {@code worker.jar}: ready on their own, served by the workers alone (nothing binds {@code server.port}), no
 * failed and no non-2xx keep-alive request through two rolling reloads, a clean stop; and the same jar outside herd
 * serves on its own port.
 */
class SpringBootIT {

    /** Spring Boot starts in seconds, but CI shares two cores with the rest of the build. */
    private static final Duration START = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    private static Path jar(String app) {
        Path jar = HerdProcess.HOME.resolve("docs/" + app + "/target/herd-" + app + "-0.1.0.jar");
        assertTrue(Files.exists(jar), jar + " is built by the reactor before this module");
        return jar;
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-boot-app", "spring-webflux-app", "spring-jetty-app"})
    void theSameJarServesOnItsOwnPortOutsideHerd(String app) throws Exception {
        int port = freePort();
        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar(app).toString(), "--server.port=" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("out.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> response = Poll.until(START, app + " on port " + port, () -> {
                try {
                    return Optional.of(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
                } catch (IOException notYet) {
                    assertTrue(java.isAlive(), () -> app + " exited: " + readQuietly(dir.resolve("out.log")));
                    return Optional.empty();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(200, response.statusCode());
            assertTrue(response.body().endsWith("pid " + java.pid() + "\n"), response.body());
            assertFalse(readQuietly(dir.resolve("out.log")).contains("herd worker"), "nothing of herd outside herd");
        } finally {
            java.destroy(); // SIGTERM: Spring's own shutdown, as before
            if (!java.waitFor(60, TimeUnit.SECONDS)) {
                java.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"spring-boot-app", "spring-webflux-app", "spring-jetty-app"})
    void twoWorkersServeOnHerdsSocketThroughTwoReloadsWithoutAFailedRequest(String app) throws Exception {
        int serverPort = freePort();
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 2, \"gracefulTimeout\": \"60s\", \"readyTimeout\": \"3m\","
                + " \"worker\": {\"jar\": \"" + jar(app) + "\", \"args\": [\"--server.port=" + serverPort + "\"]}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> workers = admin.awaitReady(2, START);
            int port = herd.port();
            assertNothingListensOn(serverPort);

            // A reload answers when both replacements are ready: two Spring starts one after the other.
            KeepAliveLoad load = KeepAliveLoad.throughReloads(port, "/", 2, () -> admin.reload(herd, START), START,
                    warm -> assertServedOnlyBy(workers, warm.bodies()));
            System.out.println("[" + app + "] keep-alive load through 2 reloads: " + load.summary());
            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(workers::contains), "every worker was replaced: " + replaced);
            JsonNode status = admin.status();
            long served = 0;
            for (JsonNode worker : status.path("workers")) {
                served += worker.path("connectionsServed").asLong();
            }
            assertTrue(served > 0, "requests are counted: " + status);
            assertNothingListensOn(serverPort);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            for (long pid : replaced) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited: exit 0"), herd.output());
            }
            assertFalse(herd.hasLine(" ERROR |Exception"), herd.output());
        }
    }

    @Test
    void aStuckRequestPoolStopsTheHeartbeatsAndBrokenLivenessAsksForAReplacement() throws Exception {
        Path config = dir.resolve("herd.json");
        // Two request threads, so that two slow requests hold them all; beats every second.
        Files.writeString(config, "{\"workers\": 1, \"heartbeatTimeout\": \"2s\", \"readyTimeout\": \"3m\","
                + " \"worker\": {\"jar\": \"" + jar("spring-boot-app") + "\","
                + " \"args\": [\"--server.tomcat.threads.max=2\", \"--server.tomcat.threads.min-spare=1\"]}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            long stuck = admin.awaitReady(1, START).iterator().next();
            int port = herd.port();
            // Raw connections: an HTTP client would send the requests again to the replacement and hang it too.
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    Socket socket = new Socket("127.0.0.1", port);
                    slow.add(socket);
                    socket.getOutputStream().write("GET /delay?ms=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                }
                herd.awaitLine("worker-1 \\(pid " + stuck + "\\) exited: signal 9 \\(KILL\\), hung", START);
            } finally {
                for (Socket socket : slow) {
                    socket.close();
                }
            }
            HttpClient http = HttpClient.newHttpClient();

            long broken = Poll.until(START, "a replacement", () -> admin.awaitReady(1, START).stream()
                    .filter(pid -> pid != stuck).findFirst());
            try {
                http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/broken"))
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException killedBeforeItAnswered) {
                // WATCHDOG=trigger: herd kills the worker at once, maybe before this response is out
            }
            herd.awaitLine("\\(pid " + broken + ".*asked to be killed \\(WATCHDOG=trigger\\)", START);
            Poll.until(START, "a replacement", () -> admin.awaitReady(1, START).stream()
                    .filter(pid -> pid != broken && pid != stuck).findFirst());
        }
    }

    /** Each body ends in the pid of the JVM that answered: a worker, never anything else. */
    private static void assertServedOnlyBy(Set<Long> workers, Set<String> bodies) {
        assertFalse(bodies.isEmpty());
        for (String body : bodies) {
            long pid = Long.parseLong(body.substring(body.lastIndexOf("pid ") + 4).trim());
            assertTrue(workers.contains(pid), body + " not from a worker " + workers);
        }
    }

    /** No socket listens on the port (/proc/net/tcp: state 0A), and it can be bound. */
    private static void assertNothingListensOn(int port) throws IOException {
        String hexPort = String.format(Locale.ROOT, ":%04X ", port);
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path path = Path.of(table);
            if (Files.exists(path)) {
                for (String line : Files.readAllLines(path)) {
                    String[] fields = line.trim().split("\\s+");
                    assertFalse(fields.length > 3 && (fields[1] + " ").endsWith(hexPort) && fields[3].equals("0A"),
                            "something listens on server.port " + port + ": " + line);
                }
            }
        }
        try (ServerSocket probe = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            assertEquals(port, probe.getLocalPort());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }
}
