package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * worker.appPort: apps that know nothing of herd ({@code it/apps/JdkHttpServerApp}, {@code ServerSocketApp}) bind
 * their own port, and herd's agent gives that bind herd's socket. The ready timeout is long, so a worker counted
 * ready was made ready by the agent (its log line says so), not by a deadline.
 */
class AppPortIT {

    private static final Duration START = Duration.ofSeconds(120);
    private static final String TEST_CLASSES = HerdProcess.HOME.resolve("supervisor/target/test-classes").toString();

    @TempDir
    Path dir;

    @Test
    void anUnchangedJdkHttpServerServesOnHerdsSocketThroughReloadsAndStopsCleanly() throws Exception {
        int appPort = freePort();
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config("dev.herd.it.apps.JdkHttpServerApp", appPort, 2)
                .toString())) {
            int port = herd.port();
            Set<Long> workers = admin.awaitReady(2, START);
            for (long pid : workers) {
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*the app's bind of port " + appPort
                        + " gets herd's shared socket \\(127\\.0\\.0\\.1:" + port + "\\)", START);
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*ready: the app waits for connections on herd's socket",
                        START);
            }
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);

            // One connection per request: the JDK's HttpServer closes idle keep-alive connections at stop without a
            // word (no Connection: close), outside herd as well; a framework with a graceful shutdown does not.
            KeepAliveLoad load = new KeepAliveLoad(port, "/hello", 4, true);
            try {
                Poll.until(START, "responses before the reloads", () -> load.responses() >= 200);
                assertEquals(workers, pidsIn(load.bodies()), "only the workers serve: " + load.bodies());
                for (int reload = 1; reload <= 2; reload++) {
                    Cli.Result result = Cli.run(START, HerdProcess.LAUNCHER.toString(), "reload", "--admin-socket",
                            admin.socket().toString());
                    assertEquals(0, result.exitCode(), result.stderr() + herd.output());
                }
                long afterReloads = load.responses();
                Poll.until(START, "responses after the reloads", () -> load.responses() >= afterReloads + 200);
            } finally {
                load.close();
            }
            System.out.println("[appPort] keep-alive load through 2 reloads: " + load.summary());
            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            assertTrue(load.reconnects() >= load.responses(), "one connection per request: " + load.summary());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(workers::contains), "every worker was replaced: " + replaced);
            for (long pid : workers) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited 143 after SIGTERM \\(clean stop\\)"),
                        herd.output());
            }
            for (JsonNode worker : admin.status().path("workers")) {
                assertEquals(0, worker.path("restarts").asInt(), "a clean stop is no restart: " + worker);
            }
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            for (long pid : replaced) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited 143 after SIGTERM \\(clean stop\\)"),
                        herd.output());
                Poll.until(START, "worker " + pid + " gone", () -> ProcFs.exited(pid));
            }
        }
    }

    @Test
    void aPlainServerSocketAppServesOnHerdsSocket() throws Exception {
        int appPort = freePort();
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config("dev.herd.it.apps.ServerSocketApp", appPort, 2)
                .toString())) {
            int port = herd.port();
            Set<Long> workers = admin.awaitReady(2, START);
            for (long pid : workers) {
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*ready: the app waits for connections on herd's socket",
                        START);
            }
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);
            for (int i = 0; i < 20; i++) {
                assertTrue(workers.contains(pidIn(readLine(port))), "answered by a worker of herd's");
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            assertFalse(herd.hasLine("Exception"), "the drain closed the socket under the app's accept() without an "
                    + "error it would not see outside herd:\n" + herd.output());
        }
    }

    @Test
    void theSameAppServesOnItsOwnPortWithoutHerd() throws Exception {
        int appPort = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process app = new ProcessBuilder(java, "-cp", TEST_CLASSES, "dev.herd.it.apps.ServerSocketApp",
                Integer.toString(appPort)).redirectErrorStream(true).start();
        try {
            String line = Poll.until(START, "the app serving on " + appPort, () -> {
                try {
                    return Optional.of(readLine(appPort));
                } catch (IOException notYet) {
                    return Optional.empty();
                }
            });
            assertEquals(app.pid(), pidIn(line));
        } finally {
            app.destroyForcibly();
            app.waitFor();
        }
    }

    @Test
    void aSecondBindOfTheAppPortInOneWorkerGetsItsLine() throws Exception {
        int appPort = freePort();
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"readyTimeout\": \"10m\","
                + " \"worker\": {\"mainClass\": \"dev.herd.it.apps.ServerSocketApp\", \"classpath\": [\"" + TEST_CLASSES
                + "\"], \"appPort\": " + appPort + ", \"args\": [\"" + appPort + "\", \"twice\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: .*herd: port " + appPort + " is herd's shared socket, "
                    + "and another server socket of this worker holds it already", START);
        }
    }

    @Test
    void anotherPortTheAppBindsIsNamedWhenTheSecondWorkerFailsOnIt() throws Exception {
        int appPort = freePort();
        int adminPort = freePort();
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"readyTimeout\": \"10m\","
                + " \"worker\": {\"mainClass\": \"dev.herd.it.apps.ServerSocketApp\", \"classpath\": [\"" + TEST_CLASSES
                + "\"], \"appPort\": " + appPort + ", \"args\": [\"" + appPort + "\", \"" + adminPort + "\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-\\d \\(pid \\d+\\) cannot boot: .*this app also binds port " + adminPort
                    + " itself \\(each worker binds it: move or disable it", START);
            assertFalse(Connections.listening(adminPort).isEmpty(), "the worker that bound it first keeps it");
        }
    }

    @Test
    void spareWorkersAreRefusedWithAnAppPort() {
        Cli.Result result = Cli.run(START, HerdProcess.LAUNCHER.toString(), "run", "--listen", "127.0.0.1:0",
                "--jar", "/nonexistent/app.jar", "--app-port", "8080", "--spare-workers", "1");
        assertEquals(78, result.exitCode(), result.stderr());
        assertTrue(result.stderr().contains("\"worker.appPort\" cannot be used with \"spareWorkers\" above 0"),
                result.stderr());
    }

    private Path config(String mainClass, int appPort, int workers) throws IOException {
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": " + workers + ", \"readyTimeout\": \"10m\","
                + " \"worker\": {\"mainClass\": \"" + mainClass + "\", \"classpath\": [\"" + TEST_CLASSES + "\"],"
                + " \"appPort\": " + appPort + ", \"args\": [\"" + appPort + "\"]}}");
    }

    /** A port nothing listens on now (the kernel's choice), for the app to ask for. */
    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }


    private static String readLine(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port); BufferedReader in = new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
            socket.setSoTimeout(30_000);
            return in.readLine();
        }
    }

    private static long pidIn(String hello) {
        return Long.parseLong(hello.strip().substring("hello from ".length()));
    }

    private static Set<Long> pidsIn(Set<String> bodies) {
        return bodies.stream().map(AppPortIT::pidIn).collect(java.util.stream.Collectors.toSet());
    }
}
