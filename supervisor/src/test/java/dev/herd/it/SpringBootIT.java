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
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnJre;
import org.junit.jupiter.api.condition.JRE;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issues 11 and 18 end to end: ordinary Spring Boot apps, built by the reactor before this module with herd's starter
 * of their Boot line as their only herd dependency, run as {@code worker.jar}: Spring Boot 3.5 with
 * herd-spring-boot-starter (docs/spring-boot-app on Tomcat, docs/spring-webflux-app on Reactor Netty,
 * docs/spring-jetty-app on Jetty), Spring Boot 4.1 with herd-spring-boot4-starter (docs/spring-boot4-app,
 * docs/spring-boot4-webflux-app, docs/spring-boot4-jetty-app) and Spring Boot 4.0 (docs/spring-boot40-app, Tomcat).
 * Each is ready on its own, served by the workers alone (nothing binds {@code server.port}), with no failed and no
 * non-2xx keep-alive request through two rolling reloads and a clean stop; the same jar outside herd serves on its own
 * port. A Boot 4 app with Boot 3.5's starter (docs/spring-boot4-wrong-starter-app) stops at once with one clear line.
 */
class SpringBootIT {

    /**
     * The apps this test runs on every JDK: Boot 4.1, the current line, on Tomcat and on WebFlux. The starter's code
     * for each server is the same source on both lines (spring-boot-shared/). CI runs this test once, on JDK 17: its
     * JDK 25 pass (.ci/run) runs only the tests whose outcome depends on the JDK that runs herd, so these run on
     * JDK 25 only when a developer runs the test there.
     */
    private static final List<String> EVERY_JDK = List.of("spring-boot4-app", "spring-boot4-webflux-app");
    /**
     * The apps a run on JDK 25 skips (issue 18: framework tests on one JDK): Boot 3.5, whose support has ended,
     * Boot 4.1 on Jetty (JDK 25 meets the starter's servlet code through 4.1's Tomcat, its own event loops through
     * WebFlux), and Boot 4.0, the same starter as 4.1 on an older Boot.
     */
    private static final List<String> FIRST_JDK_ONLY = List.of("spring-boot-app", "spring-webflux-app",
            "spring-jetty-app", "spring-boot4-jetty-app", "spring-boot40-app");

    /** Spring Boot starts in seconds, but CI shares two cores with the rest of the build. */
    private static final Duration START = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    private static Path jar(String app) {
        Path jar = HerdProcess.HOME.resolve("docs/" + app + "/target/herd-" + app + "-0.1.0.jar");
        assertTrue(Files.exists(jar), jar + " is built by the reactor before this module");
        return jar;
    }

    /** The apps with their line's starter that this JDK runs. */
    static Stream<String> appsWithTheirStarter() {
        return Runtime.version().feature() >= 25 ? EVERY_JDK.stream()
                : Stream.concat(EVERY_JDK.stream(), FIRST_JDK_ONLY.stream());
    }

    /** Outside herd a starter does nothing, also one of the wrong Boot line. */
    static Stream<String> appsOutsideHerd() {
        return Runtime.version().feature() >= 25 ? appsWithTheirStarter()
                : Stream.concat(appsWithTheirStarter(), Stream.of("spring-boot4-wrong-starter-app"));
    }

    @ParameterizedTest
    @MethodSource("appsOutsideHerd")
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
    @MethodSource("appsWithTheirStarter")
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

    @ParameterizedTest
    @ValueSource(strings = {"spring-boot-app", "spring-boot4-app"})
    void aStuckRequestPoolStopsTheHeartbeatsAndBrokenLivenessAsksForAReplacement(String app) throws Exception {
        Path config = dir.resolve("herd.json");
        // Two request threads, so that two slow requests hold them all; beats every second.
        Files.writeString(config, "{\"workers\": 1, \"heartbeatTimeout\": \"2s\", \"readyTimeout\": \"3m\","
                + " \"worker\": {\"jar\": \"" + jar(app) + "\","
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

    /**
     * The starter of the wrong Boot line stops the worker before Spring builds its context, with one line that herd
     * shows as the reason it cannot boot, and the slot backs off. The line's text and the backoff are the master's
     * and Spring's, not the JDK's: a run on JDK 25 skips it.
     */
    @Test
    @DisabledOnJre(value = JRE.JAVA_25, disabledReason = "the same on every JDK: CI runs it on JDK 17")
    void aBoot4AppWithBoot35sStarterStopsAtOnceWithOneLineNamingTheStarterToUse() throws Exception {
        String clearLine = "Error: herd-spring-boot-starter supports Spring Boot 3.5; this app runs Spring Boot 4.1.2:"
                + " use herd-spring-boot4-starter instead";
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 1, \"readyTimeout\": \"3m\", \"worker\": {\"jar\": \""
                + jar("spring-boot4-wrong-starter-app") + "\"}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            // The second failure in a row is retried after a delay: the slot backs off, no crash loop.
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: " + Pattern.quote(clearLine)
                    + " \\(exit 3 after \\d+ ms\\); retrying in 100 ms \\(2 failures in a row\\)", START);
            assertTrue(herd.hasLine("worker-1\\[\\d+\\] " + Pattern.quote(clearLine) + "$"),
                    "the worker's own line, relayed: " + herd.output());
            assertFalse(herd.hasLine("Tomcat initialized|Tomcat started|Exception|Caused by"),
                    "stopped before Spring built anything: " + herd.output());
            Cli.Result status = admin.cli("status");
            assertEquals(0, status.exitCode(), status.stderr());
            assertTrue(status.stdout().contains("cannot boot: " + clearLine), status.stdout());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
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
