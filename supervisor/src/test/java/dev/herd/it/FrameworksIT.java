package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.ConfigKeys;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 18 end to end: today's JVM frameworks as their users build them. Each app under docs/frameworks is built by
 * the reactor before this module exactly as its framework's generator or guide builds it, with nothing of herd in it,
 * and serves {@code GET /hello} with a fixed text on a port of its own. The tests move that port to a free one where
 * the app's own configuration can (a JVM option), since other tests on the machine may run apps on the usual ports.
 *
 * <p>Outside herd: {@code java -jar} serves on the app's own port and stops on SIGTERM.
 *
 * <p>Under herd, with only {@code worker.jar} and {@code worker.appPort} (and {@code worker.java} for Helidon, which
 * needs Java 21+): two workers become ready on their own, they alone hold the socket that listens on herd's port and
 * nothing listens on the app's port, keep-alive clients that never retry see no failed and no non-2xx request
 * through two rolling reloads, each replaced worker stops cleanly (exit 143, or 0, after SIGTERM) and no slot counts
 * a restart, and herd's SIGTERM ends it all with exit 0, every worker stopping cleanly. These cases are skipped by
 * an assumption while herd's key table ({@link ConfigKeys#ALL}) has no {@code worker.appPort} (Helidon's: no
 * {@code worker.java}); they run once it does.
 *
 * <p>The frameworks' own inherited-socket routes that are a setting (Micronaut's fd 0 listener, Dropwizard's
 * inheritChannel), in {@code worker.jvmOptions} beside {@code worker.appPort}: the same, the app serving on
 * {@code System.inheritedChannel()} instead of a bind the agent adopts.
 *
 * <p>All of it is skipped with {@code -Dherd.frameworks.skip=true}, which also leaves the apps unbuilt (CI's second
 * pass: the apps are built and tested once per CI run).
 */
class FrameworksIT {

    /** A framework starts in seconds, but CI shares two cores with the rest of the build. */
    private static final Duration START = Duration.ofSeconds(180);
    /** Where herd's CI has its JDK 25; docs/frameworks/pom.xml builds the Helidon app only where it is. */
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final Path APPS = HerdProcess.HOME.resolve("docs/frameworks");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /**
     * One app: its jar under docs/frameworks, the port it binds as built, the JVM option of its own configuration
     * that moves that port (a format with {@code %d}; null where the port is in the app's code), the body of its GET
     * /hello, the arguments its docs run it with, JVM options a user adds (Dropwizard's admin connector moved), and
     * whether it needs Java 21+.
     */
    record App(String name, String jar, int port, String portOption, String body, List<String> args,
               List<String> jvmOptions, boolean needsJava21) {

        App(String name, String jar, int port, String portOption, String body) {
            this(name, jar, port, portOption, body, List.of(), List.of(), false);
        }

        /**
         * The port this run has the app bind, and the JVM options that say so: a free one where the app's own
         * configuration can move it (this machine runs other tests, whose apps may hold the usual ports), else the
         * one in its code, which must then be free.
         */
        Placement place() {
            if (portOption == null) {
                assertEquals(Set.of(), Connections.listening(port),
                        "port " + port + " is in " + name + "'s code, and something else listens on it");
                return new Placement(port, List.of());
            }
            int free = Connections.freePort();
            return new Placement(free, List.of(String.format(Locale.ROOT, portOption, free)));
        }

        /** The jar the reactor built; for Helidon without a JDK 25 here, the test is skipped (it was not built). */
        Path builtJar() {
            if (needsJava21) {
                assumeTrue(Files.isExecutable(JDK25.resolve("bin/java")), name + " needs Java 21+, not found at "
                        + JDK25 + " (docs/frameworks/pom.xml did not build it either)");
            }
            Path path = APPS.resolve(name).resolve(jar);
            assertTrue(Files.isRegularFile(path), path + " is built by the reactor before this module");
            return path;
        }

        String java() {
            return (needsJava21 ? JDK25 : Path.of(System.getProperty("java.home"))).resolve("bin/java").toString();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    record Placement(int port, List<String> jvmOptions) {
    }

    /**
     * The apps, or those that {@code -Dherd.frameworks=quarkus-app,helidon-app} names (a run of a few while working
     * on one).
     */
    static Stream<App> apps() {
        Set<String> only = Set.of(System.getProperty("herd.frameworks", "").split(","));
        return allApps().filter(app -> only.equals(Set.of("")) || only.contains(app.name()));
    }

    private static Stream<App> allApps() {
        return Stream.of(
                new App("spring-boot-app", "target/spring-boot-app-0.1.0.jar", 8080, "-Dserver.port=%d",
                        "Hello from Spring Boot"),
                new App("quarkus-app", "target/quarkus-app-0.1.0-runner.jar", 8082, "-Dquarkus.http.port=%d",
                        "Hello from Quarkus REST"),
                new App("micronaut-app", "target/micronaut-app-0.1.0.jar", 8083, "-Dmicronaut.server.port=%d",
                        "Hello from Micronaut"),
                // Run as its guide says: `server CONFIG`. Its admin connector (8081) is bound by every worker, so
                // under herd a user moves it to a port of each worker's own (or removes it), as here; outside herd
                // too, so that another test's app on 8081 does not matter.
                new App("dropwizard-app", "target/dropwizard-app-0.1.0.jar", 8084,
                        "-Ddw.server.applicationConnectors[0].port=%d", "Hello from Dropwizard",
                        List.of("server", APPS.resolve("dropwizard-app/hello-world.yml").toString()),
                        List.of("-Ddw.server.adminConnectors[0].port=0"), false),
                new App("vertx-app", "target/vertx-app-0.1.0-fat.jar", 8888, null, "Hello from Vert.x!"),
                new App("javalin-app", "target/javalin-app-0.1.0-jar-with-dependencies.jar", 7070, null,
                        "Hello from Javalin"),
                new App("helidon-app", "target/helidon-app.jar", 8085, "-Dserver.port=%d", "Hello from Helidon SE",
                        List.of(), List.of(), true));
    }

    @TempDir
    Path dir;

    @BeforeAll
    static void builtByThisRun() {
        assumeFalse(Boolean.getBoolean("herd.frameworks.skip"),
                "-Dherd.frameworks.skip=true: docs/frameworks not built in this run");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void javaJarServesOnItsOwnPortAndStopsOnSigterm(App app) throws Exception {
        Path jar = app.builtJar();
        Placement placed = app.place();
        List<String> command = new ArrayList<>(List.of(app.java()));
        command.addAll(placed.jvmOptions());
        command.addAll(app.jvmOptions());
        command.addAll(List.of("-jar", jar.toString()));
        command.addAll(app.args());
        Path log = dir.resolve(app.name() + ".log");
        Process java = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        try {
            HttpResponse<String> response = Poll.until(START, app + " to answer on port " + placed.port(), () -> {
                assertTrue(java.isAlive(), () -> app + " exited: " + readQuietly(log));
                return get(placed.port(), "/hello");
            });
            assertEquals(200, response.statusCode(), response.toString());
            assertEquals(app.body(), response.body());

            java.destroy(); // SIGTERM, as a service manager stops it
            assertTrue(java.waitFor(60, TimeUnit.SECONDS), app + " still runs 60 s after SIGTERM: " + readQuietly(log));
            // The JVM's exit after its shutdown hooks on SIGTERM is 143; an app that calls System.exit(0) says 0.
            assertTrue(java.exitValue() == 143 || java.exitValue() == 0,
                    app + " exited " + java.exitValue() + " on SIGTERM: " + readQuietly(log));
            assertEquals(Set.of(), Connections.listening(placed.port()), "nothing on " + placed.port() + " after");
        } finally {
            if (java.isAlive()) {
                java.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void underHerdTwoWorkersServeOnHerdsSocketThroughTwoReloadsWithoutAFailedRequest(App app) throws Exception {
        serveUnderHerdThroughTwoReloads(app, List.of());
    }

    /**
     * The frameworks' own inherited-socket routes that need no change to the app (docs/your-app.md): with the
     * framework's setting in {@code worker.jvmOptions}, the app binds nothing and serves on
     * {@code System.inheritedChannel()}, herd's socket; with {@code worker.appPort} the agent makes each worker ready
     * at its first accept there and drains it, as for the adopted bind.
     */
    @ParameterizedTest(name = "{0} on System.inheritedChannel()")
    @MethodSource("ownRoutes")
    void underHerdTheFrameworksOwnInheritedSocketRouteServesThroughTwoReloads(App app, List<String> route)
            throws Exception {
        serveUnderHerdThroughTwoReloads(app, route);
    }

    /** The apps with an inherited-socket route of their own that is a setting, and that setting. */
    static Stream<Arguments> ownRoutes() {
        Map<String, List<String>> routes = Map.of(
                "micronaut-app", List.of("-Dmicronaut.server.netty.listeners.herd.fd=0",
                        "-Dmicronaut.server.netty.listeners.herd.bind=false"),
                "dropwizard-app", List.of("-Ddw.server.applicationConnectors[0].inheritChannel=true"));
        return apps().filter(app -> routes.containsKey(app.name()))
                .map(app -> Arguments.of(app, routes.get(app.name())));
    }

    /**
     * Two workers of {@code app} under herd, with {@code route}'s JVM options on top of the app's (none: the agent
     * adopts the app's bind; else the app serves on System.inheritedChannel()).
     */
    private void serveUnderHerdThroughTwoReloads(App app, List<String> route) throws Exception {
        assumeTrue(herdHasKey("worker.appPort"), "herd has no worker.appPort yet (issue 18: the agent brings it)");
        if (app.needsJava21()) {
            assumeTrue(herdHasKey("worker.java"), "herd has no worker.java yet (issue 18) to run " + app + " on 21+");
        }
        Path jar = app.builtJar();
        Placement placed = app.place();
        Path config = dir.resolve("herd.json");
        Files.writeString(config, herdConfig(app, jar, placed, route));
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> workers = admin.awaitReady(2, START); // ready on their own: these apps never send READY=1
            int port = herd.port();
            for (long pid : workers) {
                String how = route.isEmpty() ? "the app's bind of port " + placed.port() + " gets herd's shared socket"
                        : "the app serves on herd's shared socket through System.inheritedChannel\\(\\)";
                herd.awaitLine("worker-\\d\\[" + pid + "\\] .*" + how, START);
            }
            assertOnlyWorkersListen(placed.port(), port, workers);

            // Clients that do not retry, as wrk: a reused connection that a stopping worker closes while the next
            // request is on its way is an error. herd's agent makes a draining worker's responses say Connection:
            // close and holds the framework's stop until its connections are closed, so no request meets a close.
            KeepAliveLoad load = KeepAliveLoad.throughReloads(port, "/hello", 2, () -> admin.reload(herd, START),
                    START, warm -> { });
            System.out.println("[" + app + "] keep-alive load through 2 reloads: " + load.summary());
            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            assertEquals(Set.of(app.body()), load.bodies());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(workers::contains), "every worker was replaced: " + replaced);
            assertOnlyWorkersListen(placed.port(), port, replaced);
            // The framework's own graceful stop after herd's drain ends in the JVM's 143 (or 0): a clean stop of each
            // replaced worker, and no slot was restarted.
            CleanStops.awaitEachStoppedCleanly(herd, workers, START);
            CleanStops.assertNoRestarts(admin);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            CleanStops.awaitEachStoppedCleanly(herd, replaced, START);
            Set<Long> all = new TreeSet<>(workers);
            all.addAll(replaced);
            assertTrue(all.stream().allMatch(ProcFs::exited), "every worker is gone: " + all + "\n" + herd.output());
            assertEquals(Set.of(), Connections.listening(port), "nothing listens on herd's port " + port + " after");
            assertEquals(Set.of(), Connections.listening(placed.port()), "nothing on " + placed.port() + " after");
        }
    }

    /** {@code worker.jar} and {@code worker.appPort}, and what the app's own docs or the user add, nothing else. */
    private static String herdConfig(App app, Path jar, Placement placed, List<String> route) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode().put("workers", 2).put("gracefulTimeout", "60s")
                .put("readyTimeout", "3m");
        ObjectNode worker = config.putObject("worker").put("jar", jar.toString()).put("appPort", placed.port());
        if (!app.args().isEmpty()) {
            app.args().forEach(worker.putArray("args")::add);
        }
        List<String> jvmOptions = new ArrayList<>(placed.jvmOptions());
        jvmOptions.addAll(app.jvmOptions());
        jvmOptions.addAll(route);
        if (!jvmOptions.isEmpty()) {
            jvmOptions.forEach(worker.putArray("jvmOptions")::add);
        }
        if (app.needsJava21()) {
            worker.put("java", app.java());
        }
        return json.writeValueAsString(config);
    }

    private static boolean herdHasKey(String name) {
        return ConfigKeys.ALL.stream().anyMatch(key -> key.name().equals(name));
    }

    /**
     * Herd's port has one listening socket, held by every worker (herd's own, as fd 0 or adopted by the app); nothing
     * listens on the app's own port.
     */
    private static void assertOnlyWorkersListen(int appPort, int herdPort, Set<Long> workers) {
        assertEquals(Set.of(), Connections.listening(appPort), "nothing listens on the app's port " + appPort);
        Set<String> herdsSocket = Connections.listening(herdPort);
        assertEquals(1, herdsSocket.size(), "one socket listens on herd's port " + herdPort + ": " + herdsSocket);
        for (long worker : workers) {
            assertTrue(ProcFs.descriptors(worker).containsValue(herdsSocket.iterator().next()),
                    "worker " + worker + " holds herd's socket " + herdsSocket + ": " + ProcFs.descriptors(worker));
        }
    }

    /** The answer, or empty while nothing accepts on the port yet. */
    private static Optional<HttpResponse<String>> get(int port, String path) {
        try {
            return Optional.of(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
        } catch (IOException notYet) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
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
