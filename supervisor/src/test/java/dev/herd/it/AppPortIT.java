package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnJre;
import org.junit.jupiter.api.condition.JRE;
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

            // Keep-alive clients that never retry: the JDK's HttpServer closes idle keep-alive connections at stop
            // without a word (no Connection: close), so without herd's drain a client meets that close with its next
            // request sent. The drain's responses say Connection: close and the stop waits for the clients to go.
            KeepAliveLoad load = new KeepAliveLoad(port, "/hello", 4);
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
            assertTrue(load.reconnects() >= 1, "the drain's responses said Connection: close: " + load.summary());
            assertTrue(herd.hasLine("worker-\\d\\[\\d+\\] .*draining: responses on this worker's connections say "
                    + "Connection: close"), herd.output());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(workers::contains), "every worker was replaced: " + replaced);
            CleanStops.awaitEachStoppedCleanly(herd, workers, START);
            CleanStops.assertNoRestarts(admin);
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            CleanStops.awaitEachStoppedCleanly(herd, replaced, START);
            for (long pid : replaced) {
                Poll.until(START, "worker " + pid + " gone", () -> ProcFs.exited(pid));
            }
        }
    }

    /**
     * An app that serves on {@code System.inheritedChannel()} (herd's socket, fd 0), as Jetty's inheritChannel does,
     * binds nothing: with the agent (worker.appPort) its first accept there makes it ready, and the drain stops it
     * accepting and lets its keep-alive clients go as for an adopted bind. The channel's close keeps the worker's log
     * (the JDK's own points fds 0 to 2 at /dev/null): the drain's and the app's lines after it reach the master.
     */
    @Test
    void anAppOnTheInheritedChannelIsReadyAtItsFirstAcceptAndDrainsThroughReloads() throws Exception {
        int appPort = freePort();
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config("dev.herd.it.apps.InheritedChannelApp", appPort, 2)
                .toString())) {
            int port = herd.port();
            Set<Long> workers = admin.awaitReady(2, START);
            for (long pid : workers) {
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*the app serves on herd's shared socket through "
                        + "System.inheritedChannel\\(\\)", START);
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*ready: the app waits for connections on herd's socket",
                        START);
            }
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);

            KeepAliveLoad load = KeepAliveLoad.throughReloads(port, "/hello", 2, () -> admin.reload(herd, START),
                    START, warm -> assertEquals(workers, pidsIn(warm.bodies()), "only the workers serve"));
            System.out.println("[appPort, inherited channel] keep-alive load through 2 reloads: " + load.summary());
            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            assertTrue(load.reconnects() >= 1, "the drain's responses said Connection: close: " + load.summary());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(workers::contains), "every worker was replaced: " + replaced);
            CleanStops.awaitEachStoppedCleanly(herd, workers, START);
            CleanStops.assertNoRestarts(admin);
            for (long pid : workers) {
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*stopped accepting on herd's socket", START);
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*the app's own stop (begins|closes them)", START);
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*stopped: the server channel is closed", START);
            }
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            CleanStops.awaitEachStoppedCleanly(herd, replaced, START);
            assertFalse(herd.hasLine("Exception"), "no accept() failure reached the app's log:\n" + herd.output());
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

    /**
     * herd's own socket may listen on the app's port itself (issue 18: {@code listen :8080} with {@code appPort 8080}):
     * the app's bind of that port gets herd's socket, so exactly one socket listens there, herd's, held by the master
     * and by every worker.
     */
    @Test
    void herdsOwnSocketMayListenOnTheAppPortAndIsTheOnlyOneThere() throws Exception {
        int port = freePort();
        AdminFixture admin = new AdminFixture(dir);
        Path config = config("dev.herd.it.apps.ServerSocketApp", port, 2);
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:" + port, "--admin-socket",
                admin.socket().toString(), "-c", config.toString()), Map.of())) {
            assertEquals(port, herd.port());
            Set<Long> workers = admin.awaitReady(2, START);
            for (long pid : workers) {
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*the app's bind of port " + port
                        + " gets herd's shared socket \\(127\\.0\\.0\\.1:" + port + "\\)", START);
            }
            Set<String> listening = Connections.listening(port);
            assertEquals(1, listening.size(), "one socket listens on port " + port + ": " + listening);
            String herdsSocket = listening.iterator().next();
            assertTrue(ProcFs.descriptors(herd.process().pid()).containsValue(herdsSocket), "the master holds it");
            for (long pid : workers) {
                assertTrue(ProcFs.descriptors(pid).containsValue(herdsSocket),
                        "worker " + pid + " holds herd's socket " + herdsSocket + ": " + ProcFs.descriptors(pid));
            }
            awaitAnswersFromEach(port, workers);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            CleanStops.awaitEachStoppedCleanly(herd, workers, START);
            assertEquals(Set.of(), Connections.listening(port), "nothing listens on " + port + " after");
        }
    }

    /**
     * Class data (worker.classData) with the agent, on JDK 25's AOT cache: the archive is trained once the first
     * worker is ready (the training run's own agent adopts its private socket and makes it ready), and the workers
     * a restart starts map it and still serve on herd's socket, nothing on the app's port.
     */
    @Test
    @DisabledOnJre(value = JRE.JAVA_25, disabledReason = "it names its JDK itself: CI runs it in its first pass")
    void onJdk25AnAppPortWorkerIsTrainedAndRunsWithItsAotCache() throws Exception {
        Path jdk25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
        assumeTrue(Files.isExecutable(jdk25.resolve("bin/java")), jdk25 + " is not installed");
        int appPort = freePort();
        Path cache = dir.resolve("cache");
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"readyTimeout\": \"10m\", "
                + "\"classDataDirectory\": \"" + cache + "\", \"worker\": {\"mainClass\": "
                + "\"dev.herd.it.apps.ServerSocketApp\", \"classpath\": [\"" + appJar("ServerSocketApp") + "\"], "
                + "\"appPort\": " + appPort + ", \"args\": [\"" + appPort + "\"], \"classData\": true}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--admin-socket",
                admin.socket().toString(), "-c", config.toString()), Map.of("JAVA_HOME", jdk25.toString()))) {
            int port = herd.port();
            Set<Long> first = admin.awaitReady(2, START);
            Path archive = Path.of(herd.awaitLine("class-data: trained (\\S+) in \\d+ ms", START).group(1));
            assertEquals(cache, archive.getParent());
            assertTrue(Files.isRegularFile(archive), archive.toString());

            Cli.Result restart = admin.cli("restart");
            assertEquals(0, restart.exitCode(), restart + herd.output());
            Set<Long> restarted = admin.awaitReady(2, START);
            assertTrue(restarted.stream().noneMatch(first::contains), restarted + " after " + first);
            for (long pid : restarted) {
                assertTrue(List.of(ProcFs.cmdline(pid).split(" ")).contains("-XX:AOTCache=" + archive),
                        ProcFs.cmdline(pid));
                assertTrue(Files.readString(Path.of("/proc", Long.toString(pid), "maps")).contains(archive.toString()),
                        "pid " + pid + " maps " + archive + "\n" + herd.output());
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*ready: the app waits for connections on herd's socket",
                        START);
            }
            awaitAnswersFromEach(port, restarted);
            assertTrue(Connections.listening(appPort).isEmpty(), "nothing listens on the app's own port " + appPort);
            // The training JVM's exit writes the cache for seconds after the drain closed the socket under the app's
            // accept(): the app must not see that failure there either.
            assertFalse(herd.hasLine("class-data\\[\\d+\\] Exception"), herd.output());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    /** Connects to {@code port} until each of {@code workers} has answered, failing on an answer from another. */
    private static void awaitAnswersFromEach(int port, Set<Long> workers) {
        Set<Long> answered = new HashSet<>();
        Poll.until(START, "each of " + workers + " answers on port " + port, () -> {
            long pid;
            try {
                pid = pidIn(readLine(port));
            } catch (IOException e) {
                throw new AssertionError("a connection to port " + port + " failed: " + e, e);
            }
            assertTrue(workers.contains(pid), "answered by " + pid + ", not a worker of " + workers);
            answered.add(pid);
            return answered.equals(workers) ? Optional.of(true) : Optional.empty();
        });
    }

    /**
     * A jar of one app class of the test's (a class-data archive takes jars only, no directory of classes), made
     * under the test's directory.
     */
    private Path appJar(String simpleName) throws ClassNotFoundException {
        Class<?> app = Class.forName("dev.herd.it.apps." + simpleName, false, getClass().getClassLoader());
        return TestJars.of(dir.resolve(simpleName + ".jar"), app, Map.of());
    }

    @Test
    void theSameAppServesOnItsOwnPortWithoutHerd() throws Exception {
        int appPort = freePort();
        assertServesOnItsOwnPort(TEST_CLASSES, "dev.herd.it.apps.ServerSocketApp", appPort);
    }

    /** Outside herd, the app on {@code classpath} answers on {@code port} with its own pid. */
    private static void assertServesOnItsOwnPort(String classpath, String mainClass, int port) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process app = new ProcessBuilder(java, "-cp", classpath, mainClass, Integer.toString(port))
                .redirectErrorStream(true).start();
        try {
            String line = Poll.until(START, mainClass + " serving on " + port, () -> {
                try {
                    return Optional.of(readLine(port));
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

    /**
     * A plain Netty app that asks for epoll by name binds through JNI, where herd cannot hand it its socket: the
     * worker stops at once with herd's line saying what to change, exit 3, instead of Netty's trace blaming
     * {@code io.netty.transport.noNative} (which herd set, not the user). Outside herd the same app serves on epoll.
     */
    @Test
    void anAppThatAsksForNettysEpollByNameGetsItsLine() throws Exception {
        int appPort = freePort();
        String classpath = TEST_CLASSES + File.pathSeparator + nettyJars();
        assertServesOnItsOwnPort(classpath, "dev.herd.it.apps.NettyEpollApp", appPort); // on epoll, outside herd

        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"readyTimeout\": \"10m\","
                + " \"worker\": {\"mainClass\": \"dev.herd.it.apps.NettyEpollApp\", \"classpath\": [\""
                + String.join("\", \"", classpath.split(File.pathSeparator)) + "\"], \"appPort\": " + appPort
                + ", \"args\": [\"" + appPort + "\"]}}");
        String why = "this app asks for Netty's native transport (epoll or io_uring), which binds in native code where "
                + "herd cannot hand the app its socket: under herd (worker.appPort) use Netty's NIO transport";
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: " + Pattern.quote(why)
                    + ".* \\(exit 3 after", START);
            String status = Poll.until(START, "herd status's cannot boot: line", () -> {
                Cli.Result result = admin.cli("status");
                return result.stdout().contains("cannot boot: " + why) ? Optional.of(result.stdout())
                        : Optional.empty();
            });
            assertTrue(status.contains("set the framework's native transport option to false"), status);
            assertTrue(Connections.listening(appPort).isEmpty(), "no worker bound the app's port itself");
            assertFalse(herd.hasLine("UnsatisfiedLinkError"), "herd's line, not Netty's trace:\n" + herd.output());
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    /** The Netty jars of this module's test classpath (netty-transport-native-epoll and what it needs). */
    private static String nettyJars() {
        String testClasspath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        return Arrays.stream(testClasspath.split(File.pathSeparator))
                .filter(entry -> Path.of(entry).getFileName().toString().startsWith("netty-"))
                .collect(Collectors.joining(File.pathSeparator));
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
