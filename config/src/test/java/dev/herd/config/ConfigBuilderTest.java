package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigBuilderTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        HerdConfig config = ConfigLoader.defaults();

        assertEquals(new ListenAddress("127.0.0.1", 9876), config.listen());
        assertEquals(Math.min(Runtime.getRuntime().availableProcessors(), 1024), config.workers());
        assertEquals("echo", config.app());
        assertEquals(Optional.empty(), config.adminSocket());
        assertEquals(Duration.ofSeconds(30), config.gracefulTimeout());
        assertEquals(511, config.backlog());
        assertEquals(Duration.ofSeconds(60), config.readyTimeout());
        assertEquals(Duration.ofSeconds(30), config.heartbeatTimeout());
        assertEquals(0, config.maxRequests());
        assertEquals(0, config.maxRequestsJitter());
        assertEquals(5, config.flappingCrashes());
        assertEquals(Duration.ofSeconds(60), config.flappingWindow());
        assertEquals(Optional.empty(), config.logFile());
        assertEquals(Optional.empty(), config.pidFile());
        assertEquals(WorkerSpec.DEFAULT, config.worker());
        assertEquals(WorkerSpec.Kind.BUILT_IN_APP, config.worker().kind());
        assertEquals(Optional.empty(), config.source());
    }

    @Test
    void settersOverlayTheFileValues(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"),
                "{\"workers\": 2, \"backlog\": 64, \"maxRequests\": 100, \"logFile\": \"a.log\"}");

        HerdConfig config = ConfigBuilder.fromFile(file)
                .workers(5)
                .listen(new ListenAddress("0.0.0.0", 80))
                .adminSocket(Path.of("/tmp/a.sock"))
                .gracefulTimeout(Duration.ofSeconds(2))
                .app("echo")
                .worker(new WorkerSpec(List.of("-Xmx8m"), Map.of()))
                .readyTimeout(Duration.ofSeconds(5))
                .heartbeatTimeout(Duration.ZERO)
                .maxRequests(1000)
                .maxRequestsJitter(50)
                .flappingCrashes(3)
                .flappingWindow(Duration.ofMinutes(2))
                .logFile(Path.of("/var/log/herd.log"))
                .pidFile(Path.of("herd.pid"))
                .build();

        assertEquals(5, config.workers());
        assertEquals(64, config.backlog());
        assertEquals(new ListenAddress("0.0.0.0", 80), config.listen());
        assertEquals(Optional.of(Path.of("/tmp/a.sock")), config.adminSocket());
        assertEquals(Duration.ofSeconds(2), config.gracefulTimeout());
        assertEquals(List.of("-Xmx8m"), config.worker().jvmOptions());
        assertEquals(Duration.ofSeconds(5), config.readyTimeout());
        assertEquals(Duration.ZERO, config.heartbeatTimeout());
        assertEquals(1000, config.maxRequests());
        assertEquals(50, config.maxRequestsJitter());
        assertEquals(3, config.flappingCrashes());
        assertEquals(Duration.ofMinutes(2), config.flappingWindow());
        assertEquals(Optional.of(Path.of("/var/log/herd.log")), config.logFile());
        assertEquals(Optional.of(Path.of("herd.pid")), config.pidFile());
        assertEquals(Optional.of(file), config.source());
    }

    @Test
    void workerSettersSetOnePartEach() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .workerJvmOptions(List.of("-Xmx8m"))
                .workerEnv(Map.of("A", "1"))
                .workerMainClass("com.example.Main")
                .workerClasspath(List.of("lib/app.jar", "classes"))
                .workerArgs(List.of("--mode", ""))
                .build();

        assertEquals(new WorkerSpec(List.of("-Xmx8m"), Map.of("A", "1"), Optional.of("com.example.Main"),
                List.of("lib/app.jar", "classes"), List.of("--mode", ""), List.of()), config.worker());
        assertEquals(WorkerSpec.Kind.MAIN_CLASS, config.worker().kind());
        assertEquals("echo", config.app());
    }

    @Test
    void aCommandWorker() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .workerEnv(Map.of("A", "1"))
                .workerCommand(List.of("/usr/bin/server", "--fd", "0"))
                .build();

        assertEquals(List.of("/usr/bin/server", "--fd", "0"), config.worker().command());
        assertEquals(WorkerSpec.Kind.COMMAND, config.worker().kind());
    }

    @Test
    void workerReplacesEveryPartOfTheWorker() throws Exception {
        WorkerSpec command = new WorkerSpec(List.of(), Map.of(), Optional.empty(), List.of(), List.of(),
                List.of("./server"));

        HerdConfig config = ConfigBuilder.defaults()
                .workerMainClass("a.B")
                .workerArgs(List.of("x"))
                .worker(command)
                .build();

        assertEquals(command, config.worker());
    }

    @Test
    void settersRejectBadValuesAtOnce() throws Exception {
        ConfigBuilder builder = ConfigBuilder.defaults();

        assertEquals("'0' is not a whole number from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> builder.workers(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.backlog(70000));
        assertThrows(IllegalArgumentException.class, () -> builder.app("ftp"));
        assertThrows(IllegalArgumentException.class, () -> builder.gracefulTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> builder.adminSocket(Path.of("")));
        assertEquals("'0' is not a duration from 1ms to 1h",
                assertThrows(IllegalArgumentException.class, () -> builder.readyTimeout(Duration.ZERO)).getMessage());
        assertEquals("'61m' is not a duration from 0 (off) to 1h", assertThrows(IllegalArgumentException.class,
                () -> builder.heartbeatTimeout(Duration.ofMinutes(61))).getMessage());
        assertEquals("'-1' is not a whole number from 0 to 2147483647",
                assertThrows(IllegalArgumentException.class, () -> builder.maxRequests(-1)).getMessage());
        assertEquals("'-1' is not a whole number from 0 to 2147483647",
                assertThrows(IllegalArgumentException.class, () -> builder.maxRequestsJitter(-1)).getMessage());
        assertEquals("'1001' is not a whole number from 1 to 1000",
                assertThrows(IllegalArgumentException.class, () -> builder.flappingCrashes(1001)).getMessage());
        assertEquals("'0' is not a duration above 0",
                assertThrows(IllegalArgumentException.class, () -> builder.flappingWindow(Duration.ZERO)).getMessage());
        assertEquals("'' is not a file path: it is empty",
                assertThrows(IllegalArgumentException.class, () -> builder.logFile(Path.of(""))).getMessage());
        assertEquals("'..' is not a file path: it names a directory",
                assertThrows(IllegalArgumentException.class, () -> builder.pidFile(Path.of(".."))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.workerJvmOptions(List.of("")));
        assertThrows(IllegalArgumentException.class, () -> builder.workerEnv(Map.of("1A", "x")));
        assertThrows(IllegalArgumentException.class, () -> builder.workerMainClass("com..Main"));
        assertThrows(IllegalArgumentException.class, () -> builder.workerClasspath(List.of("a.jar:b.jar")));
        assertThrows(IllegalArgumentException.class, () -> builder.workerArgs(List.of("a\0")));
        assertEquals("'[]' is not a command: it is empty (give the executable first)",
                assertThrows(IllegalArgumentException.class, () -> builder.workerCommand(List.of())).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.workerCommand(List.of("server")));
        assertEquals(ConfigLoader.defaults(), builder.build());
    }

    @Test
    void buildRejectsValuesThatDoNotGoTogether() {
        assertEquals("\"maxRequestsJitter\" needs \"maxRequests\" above 0",
                buildError(ConfigBuilder.defaults().maxRequests(10).maxRequestsJitter(5).maxRequests(0)));
        assertEquals("\"app\" cannot be used with \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().app("echo").workerMainClass("a.B")));
        assertEquals("\"app\" cannot be used with \"worker.command\"",
                buildError(ConfigBuilder.defaults().workerCommand(List.of("./s")).app("http")));
        assertEquals("\"worker.command\" cannot be used with \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().workerCommand(List.of("./s")).workerMainClass("a.B")));
        assertEquals("\"worker.command\" cannot be used with \"worker.jvmOptions\"",
                buildError(ConfigBuilder.defaults().workerCommand(List.of("./s")).workerJvmOptions(List.of("-X"))));
        assertEquals("\"worker.classpath\" needs \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().workerClasspath(List.of("a.jar"))));
    }

    @Test
    void jitterWithMaxRequestsAndAnExplicitAppWithABuiltInWorkerAreFine() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().maxRequests(1).maxRequestsJitter(Integer.MAX_VALUE)
                .app("http").workerJvmOptions(List.of("-Xmx8m")).build();

        assertEquals(Integer.MAX_VALUE, config.maxRequestsJitter());
        assertEquals("http", config.app());
    }

    private static String buildError(ConfigBuilder builder) {
        return assertThrows(ConfigException.class, builder::build).getMessage();
    }

    @Test
    void herdConfigItselfRejectsInvalidValues() {
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.workers = 0));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.app = "x"));
        assertThrows(NullPointerException.class, () -> config(c -> c.listen = null));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.readyTimeout = Duration.ofHours(2)));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.heartbeatTimeout = Duration.ofNanos(1)));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.maxRequests = -1));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.maxRequestsJitter = -1));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.flappingCrashes = 0));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.flappingWindow = Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.logFile = Optional.of(Path.of(""))));
        assertThrows(IllegalArgumentException.class, () -> config(c -> c.pidFile = Optional.of(Path.of("a/."))));
        assertThrows(NullPointerException.class, () -> config(c -> c.pidFile = null));
    }

    @Test
    void herdConfigItselfEnforcesTheRulesBetweenKeys() {
        KeyConflictException jitter =
                assertThrows(KeyConflictException.class, () -> config(c -> c.maxRequestsJitter = 1));
        assertEquals("maxRequestsJitter", jitter.key());
        assertEquals("maxRequests", jitter.otherKey());
        WorkerSpec mainClass = new WorkerSpec(List.of(), Map.of(), Optional.of("a.B"), List.of(), List.of(), List.of());
        assertEquals("\"app\" cannot be used with \"worker.mainClass\"", assertThrows(KeyConflictException.class,
                () -> config(c -> { c.app = "http"; c.worker = mainClass; })).getMessage());
        // The record cannot tell a default app from one set on purpose; the builder can (see above).
        assertEquals(mainClass, config(c -> c.worker = mainClass).worker());
    }

    /** The parts of a HerdConfig, starting from the defaults, to build one the record's way. */
    private static final class Parts {
        private final HerdConfig d = ConfigLoader.defaults();
        ListenAddress listen = d.listen();
        int workers = d.workers();
        String app = d.app();
        Duration readyTimeout = d.readyTimeout();
        Duration heartbeatTimeout = d.heartbeatTimeout();
        int maxRequests = d.maxRequests();
        int maxRequestsJitter = d.maxRequestsJitter();
        int flappingCrashes = d.flappingCrashes();
        Duration flappingWindow = d.flappingWindow();
        Optional<Path> logFile = d.logFile();
        Optional<Path> pidFile = d.pidFile();
        WorkerSpec worker = d.worker();
    }

    private static HerdConfig config(Consumer<Parts> change) {
        Parts c = new Parts();
        change.accept(c);
        return new HerdConfig(c.listen, c.workers, c.app, c.d.adminSocket(), c.d.adminGroup(), c.d.gracefulTimeout(),
                c.d.backlog(), c.readyTimeout, c.heartbeatTimeout, c.maxRequests, c.maxRequestsJitter,
                c.flappingCrashes, c.flappingWindow, c.logFile, c.pidFile, c.worker, c.d.source());
    }
}
