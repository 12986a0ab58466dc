package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd run --check} (issue 22, item 4): the configuration checked as run would check it, and the worker's
 * jar, user and paths that run would meet only later, with nothing started or written; a port in use is a warning.
 */
class RunCheckIT {


    @TempDir
    Path dir;

    @Test
    void aGoodConfigurationSaysWhatRunWouldDoAndChangesNothing() throws Exception {
        Path jar = Files.writeString(dir.resolve("app.jar"), "not really a jar, but a readable file");
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"listen\": \"127.0.0.1:0\", \"workers\": 3, "
                + "\"logFile\": \"" + dir.resolve("herd.log") + "\", \"pidFile\": \"" + dir.resolve("herd.pid")
                + "\", \"adminSocket\": \"" + dir.resolve("run/herd.sock") + "\", \"worker\": {\"jar\": \"" + jar
                + "\", \"appPort\": 8080}}");

        Cli.Result result = Cli.herd("run", "--check", "-c", config.toString());

        assertEquals(0, result.exitCode(), result.toString());
        assertTrue(result.stdout().contains("run 3 workers: jar " + jar + " on herd's own java, its port 8080"),
                result.stdout());
        assertTrue(result.stdout().contains("log to " + dir.resolve("herd.log")), result.stdout());
        assertTrue(result.stdout().strip().endsWith("configuration OK"), result.stdout());
        for (String made : List.of("herd.log", "herd.pid", "run/herd.sock", "run")) {
            assertFalse(Files.exists(dir.resolve(made)), made + " was made by a check");
        }
    }

    @Test
    void whatRunWouldMeetLaterIsAConfigurationErrorNow() throws Exception {
        assertCheckFails("\"worker.jar\": " + dir.resolve("missing.jar") + " does not exist",
                "--jar", dir.resolve("missing.jar").toString());
        assertCheckFails("\"worker.user\": no user named 'no-such-user-here' on this machine",
                "--app", "echo", "-c", Files.writeString(dir.resolve("user.json"),
                        "{\"worker\": {\"user\": \"no-such-user-here\"}}").toString());
        Path none = dir.resolve("none");
        assertCheckFails("\"logFile\": cannot open log file " + none.resolve("herd.log") + ": its directory " + none
                + " does not exist (create it first, e.g. install -d -m 0750 " + none + ")",
                "--log-file", none.resolve("herd.log").toString());
    }

    /** The JVM's classpath wildcard (DIR/*, as the container image's herd.json has it): the directory must exist. */
    @Test
    void aClasspathWildcardIsCheckedAsItsDirectory() throws Exception {
        Path lib = Files.createDirectory(dir.resolve("lib"));
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"worker\": {\"mainClass\": \"app.Main\", "
                + "\"classpath\": [\"" + lib + "/*\"]}}");

        Cli.Result result = Cli.herd("run", "--check", "--listen", "127.0.0.1:0", "--admin-socket",
                dir.resolve("herd.sock").toString(), "-c", config.toString());

        assertEquals(0, result.exitCode(), result.toString());
        assertCheckFails("\"worker.classpath\": " + dir.resolve("none") + "/* does not exist (no directory "
                + dir.resolve("none") + ")", "-c", Files.writeString(dir.resolve("none.json"),
                "{\"worker\": {\"mainClass\": \"app.Main\", \"classpath\": [\"" + dir.resolve("none") + "/*\"]}}")
                .toString());
    }

    @Test
    void aListenPortInUseIsAWarningSinceARunningHerdHoldsIt() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Cli.Result result = Cli.herd("run", "--check", "--listen", "127.0.0.1:" + taken.getLocalPort(),
                    "--admin-socket", dir.resolve("herd.sock").toString());

            assertEquals(0, result.exitCode(), result.toString());
            assertTrue(result.stdout().contains("warning: listen 127.0.0.1:" + taken.getLocalPort() + " is in use now"),
                    result.stdout());
        }
    }

    private void assertCheckFails(String message, String... flags) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "--check", "--listen", "127.0.0.1:0",
                "--admin-socket", dir.resolve("herd.sock").toString()));
        args.addAll(List.of(flags));
        Cli.Result result = Cli.herd(args.toArray(String[]::new));
        assertEquals(78, result.exitCode(), result.toString());
        assertEquals("herd: configuration error: " + message, result.stderr().strip(), result.toString());
        assertEquals("", result.stdout(), "nothing said of what run would do");
    }
}
