package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigKey;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.spawn.SharedSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A reload, key by key and as a whole: every key of the table either applies or is refused by name (as its
 * {@link ConfigKey.OnReload} says), and a refused reload changes nothing: not the socket, not the pid file, not
 * the log. The master's loop runs on a {@link FakeOs}; the listening socket and the files are real.
 */
class ReloaderTest {

    /** Refused reloads are logged as errors on purpose here. */
    @RegisterExtension
    final LogCapture log = new LogCapture();

    @TempDir
    Path dir;

    private final FakeOs os = new FakeOs();
    private final List<HerdConfig> appliedToWorkers = new ArrayList<>();
    private HerdConfig base;
    /** What the config file says at the next reload. */
    private HerdConfig next;
    private SharedSocket socket;
    private ProcessFiles files;
    private Reloader reloader;

    @BeforeEach
    void startFrom() throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"listen\": \"127.0.0.1:0\", "
                + "\"pidFile\": \"" + dir.resolve("one.pid") + "\", \"logFile\": \"" + dir.resolve("one.log")
                + "\"}");
        base = ConfigBuilder.fromFile(file).build();
        socket = SharedSocket.bind(new PosixOs(), base.listen(), base.backlog());
        files = ProcessFiles.openLog(base.logFile(), FakeOs.MASTER_PID);
        files.writePidFile(base.pidFile());
        long now = TimeUnit.HOURS.toNanos(1);
        MasterLoop loop = new MasterLoop(os, new FakeSpawner(os), ServiceNotifier.NONE, base.workers(),
                SupervisionPolicy.from(base), new LinkedBlockingQueue<>(), () -> now,
                new MasterInfo(FakeOs.MASTER_PID, "test", Instant.parse("2026-12-07T00:00:00Z"), now));
        loop.runOnce(null);
        // Both halves of a reload run on the test's thread, one after the other: a reload ends within reload().
        reloader = new Reloader(loop.forReloads(), base, () -> { }, () -> next, socket,
                config -> () -> appliedToWorkers.add(config), files, Runnable::run, Runnable::run);
    }

    @AfterEach
    void closeEverything() throws Exception {
        socket.close();
        files.close();
        Log.toStderr();
        Log.useJson(false); // the logFormat sample switched this JVM's log to JSON
    }

    static Stream<ConfigKey<?>> everyKey() {
        return ConfigKeys.ALL.stream();
    }

    /** A valid value other than the base configuration's, for every key of the table. */
    private Map<String, Object> samples() {
        Map<String, Object> samples = new HashMap<>();
        samples.put("listen", new ListenAddress("127.0.0.2", 0));
        samples.put("workers", 2);
        samples.put("spareWorkers", 1);
        samples.put("app", "http");
        samples.put("adminSocket", Optional.of(dir.resolve("elsewhere/herd.sock")));
        samples.put("adminGroup", Optional.of("herd"));
        samples.put("gracefulTimeout", Duration.ofSeconds(7));
        samples.put("backlog", 17);
        samples.put("readyTimeout", Duration.ofSeconds(17));
        samples.put("heartbeatTimeout", Duration.ofSeconds(13));
        samples.put("hangDiagnostics", false);
        samples.put("maxRequests", 1000);
        samples.put("maxWorkerMemory", Optional.of(512L << 20));
        samples.put("maxRequestsJitter", 10);
        samples.put("flappingCrashes", 9);
        samples.put("flappingWindow", Duration.ofMinutes(2));
        samples.put("logFile", Optional.of(dir.resolve("two.log")));
        samples.put("logFormat", "json");
        samples.put("readyMinimum", 2);
        samples.put("pidFile", Optional.of(dir.resolve("two.pid")));
        samples.put("metricsListen", Optional.of(new ListenAddress("127.0.0.1", 9100)));
        samples.put("worker.jvmOptions", List.of("-Xmx64m"));
        samples.put("worker.env", Map.of("GREETING", "hello"));
        samples.put("worker.passEnv", List.of("KEEP_ME"));
        samples.put("worker.user", Optional.of("nobody"));
        samples.put("worker.group", Optional.of("nogroup"));
        samples.put("worker.mainClass", Optional.of("com.example.Main"));
        samples.put("worker.jar", Optional.of("/opt/app/app.jar"));
        samples.put("worker.classpath", List.of("/opt/app/lib"));
        samples.put("worker.args", List.of("--verbose"));
        samples.put("worker.command", List.of("/bin/true"));
        samples.put("worker.java", Optional.of(Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java")));
        samples.put("worker.appPort", Optional.of(8080));
        samples.put("worker.classData", false);
        samples.put("classDataDirectory", Optional.of(dir.resolve("class-data")));
        return samples;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyKey")
    void everyKeyIsAppliedByAReloadOrRefusedByName(ConfigKey<?> key) {
        Object sample = samples().get(key.name());
        assertNotNull(sample, key + " has no sample value here: a new key needs its reload rule (ConfigKey.OnReload) "
                + "and a test that the reload keeps it");
        next = with(base, key, sample);
        assertNotEquals(base.get(key), next.get(key), "the sample must change " + key);

        Reloader.Started started = reload();

        switch (key.onReload()) {
            case APPLIED -> {
                assertEquals(Optional.empty(), started.refusal(), key + " applies on reload");
                assertEquals(sample, reloader.config().get(key), "herd config shows the new " + key);
                assertEquals(sample, appliedToWorkers.get(appliedToWorkers.size() - 1).get(key),
                        "workers started from now on get the new " + key);
            }
            case NEEDS_RESTART -> {
                assertEquals(Optional.of("changing " + key.name() + " needs a restart of herd itself"),
                        started.refusal());
                assertEquals(base, reloader.config(), "herd config shows what runs");
                assertEquals(List.of(), appliedToWorkers, "no worker gets any of it");
            }
        }
    }

    @Test
    void aReloadThatChangesSeveralKeysARunningMasterCannotNamesThemAll() {
        next = with(with(base, ConfigKeys.METRICS_LISTEN, Optional.of(new ListenAddress("127.0.0.1", 9100))),
                ConfigKeys.ADMIN_GROUP, Optional.of("herd"));

        assertEquals(Optional.of("changing adminGroup, metricsListen needs a restart of herd itself"),
                reload().refusal());
    }

    @Test
    void aReloadWhoseListenAddressIsTakenMovesNoFile() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            next = with(with(with(base, ConfigKeys.LISTEN, new ListenAddress("127.0.0.1", taken.getLocalPort())),
                    ConfigKeys.PID_FILE, Optional.of(dir.resolve("two.pid"))),
                    ConfigKeys.LOG_FILE, Optional.of(dir.resolve("two.log")));
            ListenAddress listening = socket.address();

            Optional<String> refusal = reload().refusal();

            assertTrue(refusal.orElse("").startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()),
                    refusal.toString());
            assertEquals(FakeOs.MASTER_PID + "\n", Files.readString(dir.resolve("one.pid")), "the pid file stays");
            assertFalse(Files.exists(dir.resolve("two.pid")), "no new pid file");
            assertFalse(Files.exists(dir.resolve("two.log")), "no new log file");
            assertEquals(Optional.of(dir.resolve("one.log")), Log.file(), "the log stays where it was");
            assertEquals(listening, socket.address());
            assertEquals(base, reloader.config());
        }
    }

    @Test
    void aReloadWhoseLogFileCannotBeOpenedKeepsTheSocketAndThePidFile() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            free = probe.getLocalPort();
        }
        next = with(with(with(base, ConfigKeys.LISTEN, new ListenAddress("127.0.0.1", free)),
                ConfigKeys.PID_FILE, Optional.of(dir.resolve("two.pid"))),
                ConfigKeys.LOG_FILE, Optional.of(dir.resolve("no-such-directory/two.log")));
        ListenAddress listening = socket.address();
        int fd = socket.fd();

        assertTrue(reload().refusal().isPresent());

        assertEquals(listening, socket.address(), "the old socket is the current one");
        assertEquals(fd, socket.fd());
        try (ServerSocket again = new ServerSocket(free, 1, InetAddress.getByName("127.0.0.1"))) {
            assertEquals(free, again.getLocalPort(), "the socket bound for the refused reload was closed");
        }
        assertTrue(Files.exists(dir.resolve("one.pid")), "the pid file stays");
        assertFalse(Files.exists(dir.resolve("two.pid")), "the new pid file, written first, is removed again");
        assertEquals(Optional.of(dir.resolve("one.log")), Log.file());
        assertEquals(base, reloader.config());
    }

    private Reloader.Started reload() {
        Reloader.Started started = reloader.reload().getNow(null);
        assertNotNull(started, "a reload whose halves run at once has started when reload() returns");
        return started;
    }

    @SuppressWarnings("unchecked") // the sample is of the key's type, as the table's check() makes sure
    private static <T> HerdConfig with(HerdConfig config, ConfigKey<T> key, Object value) {
        return config.with(key, (T) value);
    }
}
