package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        assertEquals(new WorkerSpec(List.of(), Map.of(), List.of(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), List.of(), List.of(), List.of()), config.worker());
        assertEquals(true, config.hangDiagnostics());
        assertEquals(WorkerSpec.Kind.BUILT_IN_APP, config.worker().kind());
        assertEquals(Optional.empty(), config.source());
    }

    @Test
    void settersOverlayTheFileValues(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"),
                "{\"workers\": 2, \"backlog\": 64, \"maxRequests\": 100, \"logFile\": \"a.log\"}");

        HerdConfig config = ConfigBuilder.fromFile(file)
                .set(ConfigKeys.WORKERS, 5)
                .set(ConfigKeys.LISTEN, new ListenAddress("0.0.0.0", 80))
                .set(ConfigKeys.ADMIN_SOCKET, Optional.of(Path.of("/tmp/a.sock")))
                .set(ConfigKeys.GRACEFUL_TIMEOUT, Duration.ofSeconds(2))
                .set(ConfigKeys.APP, "echo")
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx8m"))
                .set(ConfigKeys.READY_TIMEOUT, Duration.ofSeconds(5))
                .set(ConfigKeys.HEARTBEAT_TIMEOUT, Duration.ZERO)
                .set(ConfigKeys.MAX_REQUESTS, 1000)
                .set(ConfigKeys.MAX_REQUESTS_JITTER, 50)
                .set(ConfigKeys.FLAPPING_CRASHES, 3)
                .set(ConfigKeys.FLAPPING_WINDOW, Duration.ofMinutes(2))
                .set(ConfigKeys.LOG_FILE, Optional.of(Path.of("/var/log/herd.log")))
                .set(ConfigKeys.PID_FILE, Optional.of(Path.of("herd.pid")))
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
    void aSnapshotOfTheFileIsReadInsteadOfTheFileAndItsErrorsNameTheFile(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"), "{\"workers\": \"many\"}");

        HerdConfig config = ConfigBuilder.fromFile(file, "{\"workers\": 3}".getBytes(
                java.nio.charset.StandardCharsets.UTF_8)).build();

        assertEquals(3, config.workers());
        assertEquals(Optional.of(file), config.source(), "reloads read the file");
        ConfigException broken = assertThrows(ConfigException.class, () -> ConfigBuilder.fromFile(file,
                "{\n\"workers\": 0}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertTrue(broken.getMessage().startsWith(file + ":2:"), broken.getMessage());
        assertThrows(ConfigException.class, () -> ConfigBuilder.fromFile(file,
                new byte[ConfigLoader.MAX_FILE_BYTES + 1]));
    }

    @Test
    void workerSettersSetOnePartEach() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx8m"))
                .set(ConfigKeys.WORKER_ENV, Map.of("A", "1"))
                .set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("com.example.Main"))
                .set(ConfigKeys.WORKER_CLASSPATH, List.of("lib/app.jar", "classes"))
                .set(ConfigKeys.WORKER_ARGS, List.of("--mode", ""))
                .build();

        assertEquals(new WorkerSpec(List.of("-Xmx8m"), Map.of("A", "1"), List.of(), Optional.empty(),
                Optional.empty(), Optional.of("com.example.Main"), Optional.empty(), List.of("lib/app.jar", "classes"),
                List.of("--mode", ""), List.of()), config.worker());
        assertEquals(WorkerSpec.Kind.MAIN_CLASS, config.worker().kind());
        assertEquals("echo", config.app());
    }

    @Test
    void aCommandWorker() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_ENV, Map.of("A", "1"))
                .set(ConfigKeys.WORKER_COMMAND, List.of("/usr/bin/server", "--fd", "0"))
                .build();

        assertEquals(List.of("/usr/bin/server", "--fd", "0"), config.worker().command());
        assertEquals(WorkerSpec.Kind.COMMAND, config.worker().kind());
    }

    @Test
    void aJarWorkerTakesJvmOptionsAndArgs() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx256m"))
                .set(ConfigKeys.WORKER_ARGS, List.of("--server.port=0"))
                .build();

        assertEquals(WorkerSpec.Kind.JAR, config.worker().kind());
        assertEquals("jar /opt/app/app.jar", config.worker().describe(config.app()));
    }

    @Test
    void anAppPortIsForJvmWorkersWithoutSpares() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                .setText(ConfigKeys.WORKER_APP_PORT, "8080").build();
        assertEquals(Optional.of(8080), config.worker().appPort());

        assertEquals("'0' is not a whole number from 1 to 65535", assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().setText(ConfigKeys.WORKER_APP_PORT, "0")).getMessage());
        assertEquals("\"worker.appPort\" needs \"worker.jar\" or \"worker.mainClass\" (herd's agent runs in a JVM "
                + "worker)", assertThrows(ConfigException.class, () -> ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_APP_PORT, Optional.of(8080)).build()).getMessage());
        assertEquals("\"worker.appPort\" cannot be used with \"spareWorkers\" above 0: an app that knows nothing of "
                + "herd accepts as soon as it starts, so it cannot wait as a hot spare", assertThrows(
                ConfigException.class, () -> ConfigBuilder.defaults()
                        .set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("com.example.Main"))
                        .set(ConfigKeys.WORKER_APP_PORT, Optional.of(8080))
                        .set(ConfigKeys.SPARE_WORKERS, 1).build()).getMessage());
    }

    @Test
    void anAppPortRefusesJvmOptionsThatTurnNettysNativeTransportOn() throws Exception {
        assertEquals("\"worker.jvmOptions\" cannot turn Netty's native transport on "
                + "(-Dio.netty.transport.noNative=false) with \"worker.appPort\": epoll and io_uring bind in native "
                + "code, where herd's agent cannot hand the app herd's socket, so each worker would bind the port "
                + "itself; remove the option", assertThrows(ConfigException.class, () -> ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx256m", "-Dio.netty.transport.noNative=false"))
                .set(ConfigKeys.WORKER_APP_PORT, Optional.of(8080)).build()).getMessage());
        for (String on : List.of("-Dio.netty.transport.noNative=0", "-Dio.netty.transport.noNative=No")) {
            assertThrows(ConfigException.class, () -> ConfigBuilder.defaults()
                    .set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("com.example.Main"))
                    .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of(on))
                    .set(ConfigKeys.WORKER_APP_PORT, Optional.of(8080)).build(), on);
        }
        // Off as herd's agent has it, another property, or no appPort (the worker binds nothing of herd's): allowed.
        for (String off : List.of("-Dio.netty.transport.noNative=true", "-Dio.netty.transport.noNative",
                "-Dio.netty.transport.noNativeX=false")) {
            ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                    .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of(off))
                    .set(ConfigKeys.WORKER_APP_PORT, Optional.of(8080)).build();
        }
        ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Dio.netty.transport.noNative=false")).build();
    }

    @Test
    void flagTextIsParsedWithTheKeysRules() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().setText(ConfigKeys.WORKERS, "3")
                .setText(ConfigKeys.GRACEFUL_TIMEOUT, "2m").setText(ConfigKeys.LOG_FILE, "/var/log/h.log").build();

        assertEquals(3, config.workers());
        assertEquals(Duration.ofMinutes(2), config.gracefulTimeout());
        assertEquals(Optional.of(Path.of("/var/log/h.log")), config.logFile());
        assertEquals("'many' is not a whole number from 1 to 1024", assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().setText(ConfigKeys.WORKERS, "many")).getMessage());
        assertEquals("'25h' is not a duration from 0 to 24h", assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().setText(ConfigKeys.GRACEFUL_TIMEOUT, "25h")).getMessage());
    }

    @Test
    void settersRejectBadValuesAtOnce() throws Exception {
        ConfigBuilder builder = ConfigBuilder.defaults();

        assertEquals("'0' is not a whole number from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKERS, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.BACKLOG, 70000));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.APP, "ftp"));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.GRACEFUL_TIMEOUT, Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.ADMIN_SOCKET, Optional.of(Path.of(""))));
        assertEquals("'0' is not a duration from 1ms to 1h",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.READY_TIMEOUT, Duration.ZERO)).getMessage());
        assertEquals("'61m' is not a duration from 0 (off) to 1h", assertThrows(IllegalArgumentException.class,
                () -> builder.set(ConfigKeys.HEARTBEAT_TIMEOUT, Duration.ofMinutes(61))).getMessage());
        assertEquals("'-1' is not a whole number from 0 to 2147483647",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.MAX_REQUESTS, -1)).getMessage());
        assertEquals("'-1' is not a whole number from 0 to 2147483647",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.MAX_REQUESTS_JITTER, -1)).getMessage());
        assertEquals("'1001' is not a whole number from 1 to 1000",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.FLAPPING_CRASHES, 1001)).getMessage());
        assertEquals("'0' is not a duration from 1ms to 24h", assertThrows(IllegalArgumentException.class,
                () -> builder.set(ConfigKeys.FLAPPING_WINDOW, Duration.ZERO)).getMessage());
        assertEquals("'2562048h' is not a duration from 0 to 24h", assertThrows(IllegalArgumentException.class,
                () -> builder.set(ConfigKeys.GRACEFUL_TIMEOUT, Duration.ofHours(2562048))).getMessage());
        assertEquals("'' is not a file path: it is empty",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.LOG_FILE, Optional.of(Path.of("")))).getMessage());
        assertEquals("'..' is not a file path: it names a directory",
                assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.PID_FILE, Optional.of(Path.of("..")))).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("")));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_ENV, Map.of("1A", "x")));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("com..Main")));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_CLASSPATH, List.of("a.jar:b.jar")));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_ARGS, List.of("a\0")));
        assertThrows(IllegalArgumentException.class, () -> builder.set(ConfigKeys.WORKER_COMMAND, List.of("server")));
        assertEquals(ConfigLoader.defaults(), builder.build());
    }

    @Test
    void buildRejectsValuesThatDoNotGoTogether() {
        assertEquals("\"maxRequestsJitter\" needs \"maxRequests\" above 0",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.MAX_REQUESTS, 10).set(ConfigKeys.MAX_REQUESTS_JITTER, 5).set(ConfigKeys.MAX_REQUESTS, 0)));
        assertEquals("\"app\" cannot be used with \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.APP, "echo").set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("a.B"))));
        assertEquals("\"app\" cannot be used with \"worker.command\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_COMMAND, List.of("./s")).set(ConfigKeys.APP, "http")));
        assertEquals("\"worker.command\" cannot be used with \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_COMMAND, List.of("./s")).set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("a.B"))));
        assertEquals("\"worker.command\" cannot be used with \"worker.jvmOptions\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_COMMAND, List.of("./s")).set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-X"))));
        assertEquals("\"worker.classpath\" needs \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_CLASSPATH, List.of("a.jar"))));
        assertEquals("\"worker.args\" needs \"worker.mainClass\" or \"worker.jar\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_ARGS, List.of("x"))));
        assertEquals("\"worker.jar\" cannot be used with \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("a.jar"))
                        .set(ConfigKeys.WORKER_MAIN_CLASS, Optional.of("a.B"))));
        assertEquals("\"worker.classpath\" cannot be used with \"worker.jar\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("a.jar"))
                        .set(ConfigKeys.WORKER_CLASSPATH, List.of("b.jar"))));
        assertEquals("\"worker.command\" cannot be used with \"worker.jar\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("a.jar"))
                        .set(ConfigKeys.WORKER_COMMAND, List.of("./s"))));
        assertEquals("\"app\" cannot be used with \"worker.jar\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.APP, "echo")
                        .set(ConfigKeys.WORKER_JAR, Optional.of("a.jar"))));
        Optional<Path> java = Optional.of(Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java"));
        assertEquals("\"worker.command\" cannot be used with \"worker.java\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAVA, java)
                        .set(ConfigKeys.WORKER_COMMAND, List.of("./s"))));
        assertEquals("\"worker.java\" needs \"worker.jar\" or \"worker.mainClass\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAVA, java)));
    }

    @Test
    void workerJavaIsAnAbsolutePathForAJarOrAMainClass() throws Exception {
        Path java = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");
        assertEquals(Optional.of(java), ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("a.jar"))
                .setText(ConfigKeys.WORKER_JAVA, java.toString()).build().workerJava());
        assertEquals(Optional.of(java), ConfigBuilder.defaults().set(ConfigKeys.WORKER_MAIN_CLASS,
                Optional.of("a.B")).set(ConfigKeys.WORKER_JAVA, Optional.of(java)).build().workerJava());
        assertEquals("'bin/java' is not a java path: it is not absolute (write e.g. "
                + "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java)", assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().setText(ConfigKeys.WORKER_JAVA, "bin/java")).getMessage());
        assertEquals("'/opt/jdk/' is not a java path: it ends in '/'", assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().setText(ConfigKeys.WORKER_JAVA, "/opt/jdk/")).getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigBuilder.defaults().setText(ConfigKeys.WORKER_JAVA,
                "/opt/jdk\0/bin/java"));
    }

    @Test
    void jitterWithMaxRequestsAndAnExplicitAppWithABuiltInWorkerAreFine() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.MAX_REQUESTS, 1).set(ConfigKeys.MAX_REQUESTS_JITTER, Integer.MAX_VALUE)
                .set(ConfigKeys.APP, "http").set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx8m")).build();

        assertEquals(Integer.MAX_VALUE, config.maxRequestsJitter());
        assertEquals("http", config.app());
    }

    private static String buildError(ConfigBuilder builder) {
        return assertThrows(ConfigException.class, builder::build).getMessage();
    }

    @Test
    void workersAsAnotherUserWithACleanEnvironment() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_USER, Optional.of("nobody"))
                .set(ConfigKeys.WORKER_GROUP, Optional.of("nogroup"))
                .set(ConfigKeys.WORKER_PASS_ENV, List.of("APP_TOKEN"))
                .build();

        assertEquals(Optional.of("nobody"), config.worker().user());
        assertEquals(Optional.of("nogroup"), config.worker().group());
        assertEquals(List.of("APP_TOKEN"), config.worker().passEnv());
        assertEquals("\"worker.group\" needs \"worker.user\"",
                buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_GROUP, Optional.of("nogroup"))));
        assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().set(ConfigKeys.WORKER_USER, Optional.of("no body")));
        assertThrows(InvalidValueException.class,
                () -> ConfigBuilder.defaults().set(ConfigKeys.WORKER_PASS_ENV, List.of("1A")));
    }

    @Test
    void aWorkerThatCouldNeverBeExecutedIsRefused() {
        // Linux refuses to exec a string above 128 KiB (MAX_ARG_STRLEN): every spawn would fail with E2BIG.
        String tenMegabytes = "x".repeat(10 * 1024 * 1024);
        assertEquals("'xxxxxxxxxxxxxxxx...' is not an environment variable value: it is longer than 65536 bytes",
                assertThrows(InvalidValueException.class, () -> ConfigBuilder.defaults()
                        .set(ConfigKeys.WORKER_ENV, java.util.Map.of("BIG", tenMegabytes))).getMessage());
        Map<String, String> many = new java.util.HashMap<>();
        for (int i = 0; i < 20; i++) {
            many.put("V" + i, "y".repeat(60 * 1024));
        }
        assertTrue(buildError(ConfigBuilder.defaults().set(ConfigKeys.WORKER_ENV, many))
                .contains("more than the 1048576 a worker can be started with"));
    }

    @Test
    void configurationsWithTheSameValuesAreEqual() throws Exception {
        assertEquals(ConfigBuilder.defaults().set(ConfigKeys.WORKERS, 3).build(),
                ConfigBuilder.defaults().setText(ConfigKeys.WORKERS, "3").build());
        assertEquals(false, ConfigBuilder.defaults().set(ConfigKeys.WORKERS, 3).build()
                .equals(ConfigBuilder.defaults().set(ConfigKeys.WORKERS, 4).build()));
    }

    @Test
    void withReplacesOneValueAndChecksIt() {
        HerdConfig config = ConfigLoader.defaults().with(ConfigKeys.WORKERS, 7);

        assertEquals(7, config.workers());
        assertThrows(InvalidValueException.class, () -> ConfigLoader.defaults().with(ConfigKeys.WORKERS, 0));
    }
}
