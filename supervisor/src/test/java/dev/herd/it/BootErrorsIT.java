package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker that cannot boot is reported by its root cause, in the master's log and in {@code herd status}'s
 * {@code cannot boot:} text: the last {@code Caused by:} of a stack trace, the java launcher's {@code Error:} line,
 * the JVM's own complaint about an option; not the first line of the trace nor a line logged long before it. A
 * slot whose worker boots again loses that text, and the log says the slot recovered.
 */
class BootErrorsIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final String ROOT = "java.io.FileNotFoundException: /etc/app/app.conf (No such file or directory)";

    @TempDir
    Path dir;

    @Test
    void anExceptionWithNestedCausesIsReportedByItsLastCause() throws Exception {
        assertCannotBoot(failingApp("nested"), ROOT);
    }

    @Test
    void aSpringLikeAppThatLogsMuchBeforeItsTraceIsReportedByTheTracesRootCause() throws Exception {
        assertCannotBoot(failingApp("spring-like"), ROOT);
    }

    @Test
    void aLineOfTheLaunchersErrorShapeWinsOverTheTraceThatFollows() throws Exception {
        assertCannotBoot(failingApp("starter-error"), "Error: herd-spring-boot-starter supports Spring Boot 3.5, "
                + "4.0 and 4.1; this app runs Spring Boot 9.9.9");
    }

    @Test
    void aMissingMainClassIsTheLaunchersLineNotItsCause() throws Exception {
        assertCannotBoot("{\"mainClass\": \"dev.herd.it.apps.NoSuchApp\", \"classpath\": [\"" + testClasses()
                + "\"]}", "Error: Could not find or load main class dev.herd.it.apps.NoSuchApp");
    }

    @Test
    void aMissingJarIsTheLaunchersLine() throws Exception {
        Path jar = dir.resolve("missing/app.jar");
        assertCannotBoot("{\"jar\": \"" + jar + "\"}", "Error: Unable to access jarfile " + jar);
    }

    @Test
    void anUnknownVmOptionIsTheJvmsComplaintNotItsGenericErrorLines() throws Exception {
        assertCannotBoot("{\"mainClass\": \"dev.herd.it.apps.JavaVersionApp\", \"classpath\": [\"" + testClasses()
                + "\"], \"jvmOptions\": [\"--no-such-herd-option\"]}", "Unrecognized option: --no-such-herd-option");
    }

    @Test
    void aFlappingSlotWhoseWorkerBootsAgainSaysItRecoveredAndNoLongerShowsCannotBoot() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path failing = Files.createFile(dir.resolve("failing"));
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"heartbeatTimeout\": \"0\", "
                + "\"flappingCrashes\": 2, \"worker\": {\"command\": [\"/usr/bin/python3\", \""
                + HerdProcess.HOME.resolve("supervisor/src/test/resources/echo_worker.py") + "\", \"--fail-while\", \""
                + failing + "\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            // What the slot does next, not "stays in backoff until they age out": it retries on its schedule.
            herd.awaitLine("worker-1 is flapping: 3 crashes within 1m; it retries in \\d+ ms, the delay doubling up "
                    + "to 30s while workers fail; status shows backoff until one is ready", START);
            Poll.until(START, "the status's lastBootError", () -> admin.tryStatus().map(status -> status
                    .path("workers").get(0).path("lastBootError").asText()).filter("it wrote no error"::equals)
                    .isPresent());

            Files.delete(failing);
            herd.awaitLine("worker-1 \\(pid \\d+\\) ready after \\d+ ms; its slot recovered after \\d+ failures",
                    START);

            JsonNode worker = admin.status().path("workers").get(0);
            assertEquals("ready", worker.path("state").asText(), worker.toString());
            assertFalse(worker.has("lastBootError"), "a slot whose worker is ready boots: " + worker);
            assertEquals("boot_failure", worker.path("lastRestartReason").asText(), "the history stays: " + worker);
            Cli.Result status = admin.cli("status");
            assertEquals(0, status.exitCode(), status.toString());
            assertFalse(status.stdout().contains("cannot boot"), status.stdout());
            assertTrue(status.stdout().matches("(?s).*\\n1 +\\d+ +ready .*boot_failure \\d+s ago .*"), status.stdout());
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    private static String failingApp(String how) {
        return "{\"mainClass\": \"dev.herd.it.apps.FailingApp\", \"classpath\": [\"" + testClasses()
                + "\"], \"args\": [\"" + how + "\"]}";
    }

    static Path testClasses() {
        return HerdProcess.HOME.resolve("supervisor/target/test-classes");
    }

    /** One worker of {@code worker} config fails to boot: the log and herd status quote {@code rootCause}. */
    private void assertCannotBoot(String worker, String rootCause) throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"worker\": " + worker + "}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: " + Pattern.quote(rootCause) + " \\(exit 1 after",
                    START);
            Poll.until(START, "the status's lastBootError", () -> admin.tryStatus().map(status -> status
                    .path("workers").get(0).path("lastBootError").asText()).filter(rootCause::equals).isPresent());
            Cli.Result status = admin.cli("status");
            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.stdout().contains("cannot boot: " + rootCause), status.stdout());
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }
}
