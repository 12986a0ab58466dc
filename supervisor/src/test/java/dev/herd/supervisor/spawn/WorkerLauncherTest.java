package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.os.SpawnRequest;
import dev.herd.worker.WorkerContract;
import dev.herd.worker.app.WorkerMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a worker process is started with: its argv and its (clean) environment. */
class WorkerLauncherTest {

    private static final Map<String, String> MASTERS_ENVIRONMENT = Map.of(
            "PATH", "/usr/bin:/bin", "HOME", "/root", "LANG", "C.UTF-8", "LC_ALL", "C.UTF-8",
            "API_TOKEN", "secret", "SHARED", "passed on purpose",
            "NOTIFY_SOCKET", "/run/systemd/notify", "LISTEN_FDS", "1", "HERD_ADMIN_SOCKET", "/run/herd/herd.sock",
            "JOURNAL_STREAM", "8:1234");
    private static final Path STATS = Path.of("/run/herd/worker-7.stats");
    private static final Path NOTIFY = Path.of("/run/herd/worker-7.sock");

    private final PosixOs os = new PosixOs();

    @Test
    void aWorkerGetsACleanEnvironmentWithItsOwnVariables() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_PASS_ENV, List.of("SHARED", "NOTIFY_SOCKET"))
                .set(ConfigKeys.WORKER_ENV, Map.of("APP_MODE", "production"))
                .set(ConfigKeys.HEARTBEAT_TIMEOUT, Duration.ofSeconds(4))
                .build();

        Map<String, String> environment = request(config, 3).environment();

        assertEquals(Map.ofEntries(
                Map.entry("PATH", "/usr/bin:/bin"), Map.entry("HOME", "/root"), Map.entry("LANG", "C.UTF-8"),
                Map.entry("LC_ALL", "C.UTF-8"), Map.entry("SHARED", "passed on purpose"),
                Map.entry("APP_MODE", "production"),
                Map.entry(WorkerContract.SLOT, "3"),
                Map.entry(WorkerContract.MASTER_PID, Integer.toString(os.pid())),
                Map.entry(WorkerContract.STATS_FILE, STATS.toString()),
                Map.entry(WorkerContract.NOTIFY_SOCKET, NOTIFY.toString()),
                Map.entry(WorkerContract.NOTIFY_FD, Integer.toString(WorkerContract.NOTIFY_PIPE_FD)),
                Map.entry(WorkerContract.WATCHDOG_USEC, "4000000")), environment);
        assertFalse(environment.containsKey("API_TOKEN"), "a secret of the master's");
    }

    @Test
    void withoutAHeartbeatTimeoutNoWatchdogIsAskedFor() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.HEARTBEAT_TIMEOUT, Duration.ZERO).build();

        assertFalse(request(config, 1).environment().containsKey(WorkerContract.WATCHDOG_USEC));
    }

    @Test
    void aBuiltInAppRunsOnThisJvmWithItsSlotShownInItsArguments() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.APP, "http")
                .set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx64m")).build();

        SpawnRequest request = request(config, 2);

        List<String> argv = request.argv();
        assertEquals(Path.of(System.getProperty("java.home"), "bin", "java").toString(), request.executable());
        assertEquals(request.executable(), argv.get(0));
        assertEquals("-XX:+ExitOnOutOfMemoryError", argv.get(1));
        assertTrue(argv.indexOf("-Xmx64m") < argv.indexOf("-Dherd.worker.slot=2"), argv.toString());
        assertEquals(List.of(WorkerMain.class.getName(), "http"), argv.subList(argv.size() - 2, argv.size()));
        assertEquals("-cp", argv.get(argv.size() - 4));
    }

    @Test
    void aCommandRunsAsItIsWritten() throws Exception {
        HerdConfig config = ConfigBuilder.defaults()
                .set(ConfigKeys.WORKER_COMMAND, List.of("/usr/bin/python3", "worker.py", "--port", "0")).build();

        SpawnRequest request = request(config, 1);

        assertEquals(List.of("/usr/bin/python3", "worker.py", "--port", "0"), request.argv());
        assertEquals("/usr/bin/python3", request.executable());
        assertEquals(List.of(0, 1, 2, 9, 10), request.descriptors());
    }

    /**
     * A jar worker on worker.java runs that JVM, reached through its resolved path, with the options herd adds
     * for that JVM's version: JDK 17 rejects --sun-misc-unsafe-memory-access, JDK 25 needs it to stay quiet.
     */
    @Test
    void aWorkerOnWorkerJavaGetsTheOptionsOfThatJvmsVersion() throws Exception {
        for (var jdk : Map.of(WorkerJavaJdks.JDK_17, 17, WorkerJavaJdks.JDK_25, 25).entrySet()) {
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(jdk.getKey()), jdk.getKey()
                    + " is not installed");
            Path java = jdk.getKey().resolve("bin/java");
            HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("/opt/app/app.jar"))
                    .set(ConfigKeys.WORKER_JAVA, java(java)).set(ConfigKeys.WORKER_JVM_OPTIONS, List.of("-Xmx64m"))
                    .set(ConfigKeys.WORKER_ARGS, List.of("--port", "0")).build();

            List<String> argv = request(config, 1).argv();

            assertEquals(java.toRealPath().toString(), argv.get(0));
            assertEquals(jdk.getValue() >= 24, argv.contains("--sun-misc-unsafe-memory-access=allow"),
                    argv.toString());
            assertEquals(jdk.getValue() >= 24, argv.contains("--enable-native-access=ALL-UNNAMED"), argv.toString());
            assertEquals("-XX:+ExitOnOutOfMemoryError", argv.get(1));
            assertEquals(List.of("-Xmx64m", "-Dherd.worker.slot=1", "-jar", "/opt/app/app.jar", "--port", "0"),
                    argv.subList(argv.size() - 6, argv.size()));
        }
    }

    @Test
    void aWorkerJavaThatIsMissingIsRefusedWithOneLine() {
        HerdConfig config = assertDoesNotThrowBuild(ConfigBuilder.defaults().set(ConfigKeys.WORKER_JAR, Optional.of("/a.jar"))
                .set(ConfigKeys.WORKER_JAVA, java(Path.of("/nonexistent/jdk/bin/java"))));

        var refused = org.junit.jupiter.api.Assertions.assertThrows(dev.herd.config.ConfigException.class,
                () -> request(config, 1));
        assertEquals("\"worker.java\": /nonexistent/jdk/bin/java does not exist (there is no /nonexistent)",
                refused.getMessage());
    }

    private static Optional<Path> java(Path path) {
        return Optional.of(path);
    }

    private static HerdConfig assertDoesNotThrowBuild(ConfigBuilder builder) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(builder::build);
    }

    private SpawnRequest request(HerdConfig config, int slot) throws Exception {
        try (WorkerLauncher launcher = WorkerLauncher.open(os, (serial, notifications) -> {
        }, config, null, -1, MASTERS_ENVIRONMENT)) {
            return launcher.requestFor(slot, config.worker(), STATS, NOTIFY, List.of(0, 1, 2, 9, 10));
        }
    }
}
