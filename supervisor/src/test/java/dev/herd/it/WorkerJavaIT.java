package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * worker.java: a jar or mainClass worker on another JVM than the master's, both ways (a JDK 17 worker under a
 * JDK 25 master and the reverse), with its jvmOptions and args, the JVM options herd adds following the worker's
 * JVM; a reload moves the workers to another JVM; a class built for a newer Java than the worker's is reported as
 * such; a bad worker.java is refused with one line and exit 78.
 */
class WorkerJavaIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Path JDK_17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");
    private static final Path JDK_25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    @TempDir
    Path dir;

    private static void assumeInstalled(Path... jdks) {
        for (Path jdk : jdks) {
            assumeTrue(Files.isExecutable(jdk.resolve("bin/java")), jdk + " is not installed");
        }
    }

    @Test
    void aJdk17WorkerUnderAJdk25MasterServesAndAReloadMovesItToJdk25() throws Exception {
        assumeInstalled(JDK_17, JDK_25);
        AdminFixture admin = new AdminFixture(dir);
        Path config = writeConfig(JDK_17.resolve("bin/java"));
        try (HerdProcess herd = startHerd(admin, JDK_25, "-c", config.toString())) {
            int port = herd.port();
            Set<Long> pids = admin.awaitReady(2, START);
            assertEquals("java 17 greeting=hi args=[one, two]", answer(port));
            for (long pid : pids) {
                List<String> argv = List.of(ProcFs.cmdline(pid).split(" "));
                assertEquals(JDK_17.resolve("bin/java").toString(), argv.get(0));
                // JDK 17 would refuse to start with the option a JDK 25 master's own workers get.
                assertFalse(argv.contains("--sun-misc-unsafe-memory-access=allow"), argv.toString());
                // The master maps its class-data archive, made by its JDK 25: no worker may get it.
                assertTrue(argv.stream().noneMatch(arg -> arg.contains("AOTCache") || arg.contains("SharedArchive")),
                        argv.toString());
            }
            assertTrue(ProcFs.cmdline(herd.pid()).contains("AOTCache"), "the master maps its archive");

            writeConfig(JDK_25.resolve("bin/java"));
            Cli.Result reload = admin.cli("reload");
            assertEquals(0, reload.exitCode(), reload.toString());
            Set<Long> replaced = admin.awaitReady(2, START);
            assertTrue(replaced.stream().noneMatch(pids::contains), replaced + " after " + pids);
            assertEquals("java 25 greeting=hi args=[one, two]", answer(port));

            Path missing = dir.resolve("missing/bin/java");
            writeConfig(missing);
            Cli.Result refused = admin.cli("reload");
            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("\"worker.java\": " + missing + " does not exist"),
                    refused.toString());
            assertEquals(replaced, admin.awaitReady(2, START), "the workers keep running");
            assertEquals("java 25 greeting=hi args=[one, two]", answer(port));

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    @Test
    void aJdk25WorkerUnderAJdk17MasterServesWithTheOptionsJdk25Needs() throws Exception {
        assumeInstalled(JDK_17, JDK_25);
        AdminFixture admin = new AdminFixture(dir);
        Path config = writeConfig(null);
        try (HerdProcess herd = startHerd(admin, JDK_17, "-c", config.toString(), "--worker-java",
                JDK_25.resolve("bin/java").toString())) {
            int port = herd.port();
            Set<Long> pids = admin.awaitReady(2, START);
            assertEquals("java 25 greeting=hi args=[one, two]", answer(port));
            for (long pid : pids) {
                String argv = ProcFs.cmdline(pid);
                assertTrue(argv.startsWith(JDK_25.resolve("bin/java") + " -XX:+ExitOnOutOfMemoryError "
                        + "--enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow "), argv);
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertTrue(herd.lines().stream().noneMatch(line -> line.contains("WARNING")), herd.output());
        }
    }

    /** A class compiled here by JDK 25's javac for release 25, run by a JDK 17 worker. */
    @Test
    void aClassBuiltForANewerJavaIsReportedAsSuch() throws Exception {
        assumeInstalled(JDK_17, JDK_25);
        Path source = Files.writeString(Files.createDirectories(dir.resolve("src")).resolve("NewerApp.java"),
                "public class NewerApp { public static void main(String[] args) { } }\n");
        Cli.Result compiled = Cli.run(Duration.ofSeconds(60), JDK_25.resolve("bin/javac").toString(), "--release",
                "25", "-d", dir.resolve("classes").toString(), source.toString());
        assertEquals(0, compiled.exitCode(), compiled.toString());
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"worker\": {\"mainClass\": "
                + "\"NewerApp\", \"classpath\": [\"" + dir.resolve("classes") + "\"], \"java\": \""
                + JDK_17.resolve("bin/java") + "\"}}");
        String expected = "UnsupportedClassVersionError: NewerApp is built for Java 25 (class file 69), this worker "
                + "runs Java 17 (worker.java=" + JDK_17.resolve("bin/java") + ")";
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: " + Pattern.quote(expected), START);
            Cli.Result status = admin.cli("status");
            assertTrue(status.stdout().contains("cannot boot: " + expected), status.toString());
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    @Test
    void aBadWorkerJavaIsRefusedWithOneLineAndExit78() throws Exception {
        assumeInstalled(JDK_17);
        Path notExecutable = Files.createFile(dir.resolve("java"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--")));
        Path missing = dir.resolve("no/bin/java");
        String app = "\"mainClass\": \"dev.herd.it.apps.JavaVersionApp\", ";
        Map<String, String> refusals = Map.of(
                app + "\"java\": \"" + missing + "\"",
                "\"worker.java\": " + missing + " does not exist (there is no " + dir.resolve("no") + ")",
                app + "\"java\": \"" + notExecutable + "\"",
                "\"worker.java\": " + notExecutable + " is not executable (mode 0644)",
                app + "\"java\": \"" + JDK_17 + "\"",
                "\"worker.java\": " + JDK_17 + " is a directory, not a java executable (write e.g. "
                        + JDK_17.resolve("bin/java") + ")",
                "\"command\": [\"/bin/true\"], \"java\": \"" + JDK_17.resolve("bin/java") + "\"",
                "\"worker.command\" cannot be used with \"worker.java\"",
                app + "\"java\": \"bin/java\"",
                "\"worker.java\": \"bin/java\" is not a java path: it is not absolute");
        for (var refusal : refusals.entrySet()) {
            Path config = Files.writeString(dir.resolve("herd.json"), "{\"worker\": {" + refusal.getKey() + "}}");
            Cli.Result run = Cli.herd("run", "-c", config.toString(), "--listen", "127.0.0.1:0", "--admin-socket",
                    dir.resolve("run/herd.sock").toString());
            assertEquals(78, run.exitCode(), run.toString());
            List<String> lines = run.stderr().lines().filter(line -> line.startsWith("herd: ")).toList();
            assertEquals(1, lines.size(), run.stderr());
            assertTrue(lines.get(0).startsWith("herd: configuration error: ") && lines.get(0).contains(
                    refusal.getValue()), lines.get(0) + " should say " + refusal.getValue());
        }
    }

    /** A master on {@code jdk} (bin/herd takes JAVA_HOME), on the fixture's admin socket. */
    private static HerdProcess startHerd(AdminFixture admin, Path jdk, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--listen", "127.0.0.1:0", "--admin-socket",
                admin.socket().toString()));
        args.addAll(List.of(extra));
        return HerdProcess.start(args, Map.of("JAVA_HOME", jdk.toString()));
    }

    /** The config of two JavaVersionApp workers with jvmOptions and args, on {@code java} (null: not set). */
    private Path writeConfig(Path java) throws Exception {
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"worker\": {\"mainClass\": "
                + "\"dev.herd.it.apps.JavaVersionApp\", \"classpath\": [\"" + BootErrorsIT.testClasses() + "\"], "
                + "\"jvmOptions\": [\"-Dherd.test.greeting=hi\"], \"args\": [\"one\", \"two\"]"
                + (java == null ? "" : ", \"java\": \"" + java + "\"") + "}}");
    }

    private static String answer(int port) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
        }
    }
}
