package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a worker gets of the master: a clean environment (secrets the master was started with stay with it), and,
 * with {@code worker.user}, another user's identity, which cannot control the master.
 */
class IsolationIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Path ECHO_WORKER = HerdProcess.HOME.resolve("supervisor/src/test/resources/echo_worker.py");
    private static final int NOBODY = 65534;

    @TempDir
    Path dir;

    @Test
    void workersGetACleanEnvironmentAndWhatPassEnvAndEnvName() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = write("{\"workers\": 1, \"worker\": {\"command\": [\"/usr/bin/python3\", \"" + ECHO_WORKER
                + "\", \"--print-env\"], \"passEnv\": [\"KEEP_ME\"], \"env\": {\"SET_BY_CONFIG\": \"1\"}}}");
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--admin-socket",
                admin.socket().toString(), "-c", config.toString()), Map.of("SECRET_TOKEN", "s3cret",
                "KEEP_ME", "yes", "HERD_ADMIN_SOCKET", admin.socket().toString()))) {
            Set<String> names = Set.of(herd.awaitLine("env: (.*) uid:", START).group(1).split(" "));

            assertTrue(names.containsAll(Set.of("PATH", "KEEP_ME", "SET_BY_CONFIG", "NOTIFY_SOCKET",
                    "HERD_WORKER_SLOT", "HERD_MASTER_PID")), names.toString());
            assertFalse(names.contains("SECRET_TOKEN"), "a secret of the master reached the worker: " + names);
            assertFalse(names.contains("HERD_ADMIN_SOCKET"), "the admin socket's path reached the worker: " + names);
        }
    }

    @Test
    void workersRunAsWorkerUserAndCannotControlTheMaster() throws Exception {
        assumeTrue(ownUid() == 0, "only root can start workers as another user");
        assumeTrue(readableBy(NOBODY, HerdProcess.HOME.resolve("supervisor/target/herd.jar")),
                "the checkout is not readable by nobody (uid 65534)");
        AdminFixture admin = new AdminFixture(dir);
        Path config = write("{\"workers\": 2, \"worker\": {\"user\": \"nobody\"}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            for (long worker : workers.values()) {
                assertEquals(NOBODY, uidOf(worker), "worker " + worker + " runs as nobody");
            }
            assertEquals(0, uidOf(herd.pid()), "the master stays root");
            assertEquals("War and Peace", EchoClient.roundTrip(herd.port(), "War and Peace"));

            Cli.Result asNobody = Cli.run(Duration.ofSeconds(60), "/usr/bin/setpriv", "--reuid=" + NOBODY,
                    "--regid=" + NOBODY, "--clear-groups", HerdProcess.LAUNCHER.toString(), "stop",
                    "--admin-socket", admin.socket().toString());
            assertEquals(1, asNobody.exitCode(), "a worker's user reached the admin socket: " + asNobody);
            assertTrue(asNobody.stderr().contains("permission denied"), asNobody.stderr());
            assertEquals(0, admin.cli("ping").exitCode(), "the master still runs, and root controls it");
            assertEquals(workers, herd.awaitWorkersAccepting(2, START), "the workers are untouched");
        }
    }

    @Test
    void aCommandWorkerRunsAsWorkerUserWithThatUsersHome() throws Exception {
        assumeTrue(ownUid() == 0, "only root can start workers as another user");
        assumeTrue(readableBy(NOBODY, ECHO_WORKER), "the checkout is not readable by nobody (uid 65534)");
        AdminFixture admin = new AdminFixture(dir);
        Path config = write("{\"workers\": 1, \"worker\": {\"user\": \"nobody\", \"command\": [\"/usr/bin/python3\", \""
                + ECHO_WORKER + "\", \"--print-env\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Matcher line = herd.awaitLine("env: .* uid: (\\d+)", START);
            assertEquals(NOBODY, Integer.parseInt(line.group(1)));
            // It reached READY through a notify socket the master made its user's.
            Poll.until(START, "the command worker ready", () -> admin.status().path("readyWorkers").asInt() == 1);
            assertEquals("War and Peace", EchoClient.roundTrip(herd.port(), "War and Peace"));
        }
    }

    @Test
    void aWorkerUserThatDoesNotExistIsAConfigurationError() throws Exception {
        Path config = write("{\"worker\": {\"user\": \"no_such_user_here\"}}");
        Cli.Result result = Cli.herd("run", "--listen", "127.0.0.1:0", "--admin-socket",
                dir.resolve("a/herd.sock").toString(), "-c", config.toString());
        assertEquals(78, result.exitCode(), result.toString());
        assertEquals("herd: configuration error: \"worker.user\": no user named 'no_such_user_here' on this machine",
                result.stderr().strip().lines().reduce((first, last) -> last).orElse(""));
    }

    private Path write(String json) throws Exception {
        return Files.writeString(dir.resolve("herd.json"), json);
    }

    private static long ownUid() {
        return uidOf(ProcessHandle.current().pid());
    }

    /** The real uid from /proc/PID/status. */
    private static int uidOf(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("no Uid line for " + pid);
    }

    private static boolean readableBy(int uid, Path file) {
        return Cli.run(Duration.ofSeconds(10), "/usr/bin/setpriv", "--reuid=" + uid, "--regid=" + uid,
                "--clear-groups", "/usr/bin/test", "-r", file.toString()).exitCode() == 0;
    }
}
