package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Workers that misbehave on purpose (issue 19), and the commands an operator gives meanwhile: whatever a worker
 * says, a slot's starts follow the crash backoff and a pool runs its workers, spares and one replacement at most;
 * a waited {@code scale} answers as soon as its workers are ready, hot spares or not, and says so when something
 * else changed the count.
 */
class HostileWorkerIT {

    private static final Pattern KILLED_AT_DEADLINE =
            Pattern.compile("\\(pid (\\d+), stopping\\) did not exit by its stop deadline; sending SIGKILL");

    private static final Duration START = Duration.ofSeconds(60);
    /** How long the issue watched a pool of lingering workers grow. */
    private static final Duration LINGER_WINDOW = Duration.ofSeconds(10);
    private static final Path HOSTILE_WORKER = HerdProcess.HOME.resolve("supervisor/src/test/resources/hostile_worker.py");

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    @Test
    void aWorkerThatSaysStoppingAndExitsAtOnceIsReplacedOnTheBackoffsSchedule() throws Exception {
        Path config = workerConfig(2, "--stop-and-exit");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            // Replaced at once, then after 100, 200, 400, 800 ms...: the sixth start of a slot waits 1.6 s.
            herd.awaitLine("is stopping on its own; starting its replacement in 1600 ms", Duration.ofSeconds(30));
            long starts = herd.lines().stream().filter(line -> line.contains("started worker-")).count();
            assertTrue(starts <= 2 * 7, starts + " starts of 2 slots before the backoff reached 1.6 s:\n"
                    + herd.output());
            // Stopping on its own is no crash, not even for a worker that exits microseconds after its STOPPING=1
            // and is reaped before the loop handles that message: the output facts the reap waits for carry it.
            String summary = admin.status().path("summary").asText();
            java.util.regex.Matcher restarts = Pattern.compile("(\\d+) restarts?").matcher(summary);
            assertTrue(restarts.find() && Integer.parseInt(restarts.group(1)) == 0,
                    "stopping on its own is no crash: " + summary);
        }
    }

    @Test
    void workersThatLingerAfterStoppingNeverPushThePoolOverItsWorkersAndOneReplacement() throws Exception {
        Path config = write("{\"workers\": 2, \"gracefulTimeout\": \"4s\", \"worker\": {\"command\": "
                + "[\"/usr/bin/python3\", \"" + HOSTILE_WORKER + "\", \"--stop-and-linger\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("started worker-", START);
            // The window (337 processes for 2 workers within 10 s before any bound), sampled throughout.
            List<Set<Long>> samples = new ArrayList<>();
            long end = System.nanoTime() + LINGER_WINDOW.toNanos();
            while (System.nanoTime() - end < 0) {
                samples.add(herd.process().toHandle().children().filter(ProcessHandle::isAlive)
                        .map(ProcessHandle::pid).collect(Collectors.toSet()));
                Poll.pause();
            }
            // A worker sent SIGKILL does not count (its replacement need not wait for its reap), and the samples
            // may have seen it beside its replacement before the test read the line that says so.
            List<String> lines = herd.lines();
            Set<Long> killed = lines.stream().map(KILLED_AT_DEADLINE::matcher).filter(Matcher::find)
                    .map(found -> Long.parseLong(found.group(1))).collect(Collectors.toSet());
            long most = samples.stream().mapToLong(pids -> pids.stream().filter(pid -> !killed.contains(pid)).count())
                    .max().orElse(0);
            int firstKill = indexOf(lines, "did not exit by its stop deadline; sending SIGKILL");
            long startsBeforeIt = lines.subList(0, Math.max(firstKill, 0)).stream()
                    .filter(line -> line.contains("started worker-")).count();
            assertTrue(samples.size() > 100, samples.size() + " samples in " + LINGER_WINDOW);
            assertTrue(most <= 3, most + " worker processes at once for 2 workers:\n" + herd.output());
            assertTrue(firstKill >= 0, "a lingering worker killed at its stop deadline:\n" + herd.output());
            assertEquals(3, startsBeforeIt, "the 2 workers and one replacement, then none until one has left:\n"
                    + herd.output());
            assertTrue(lines.subList(firstKill, lines.size()).stream().anyMatch(l -> l.contains("started worker-")),
                    "the pool starts again once a lingering worker was killed:\n" + herd.output());
        }
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aWaitedScaleWithAHotSpareAnswersOnceItsWorkersAreReady() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "2", "--spare-workers", "1", "--ready-timeout", "20s",
                "--graceful-timeout", "5s")) {
            Poll.until(Duration.ofSeconds(90), "2 ready workers and a warm spare", () -> admin.tryStatus()
                    .map(status -> status.path("summary").asText().startsWith("2/2 workers ready")
                            && status.path("summary").asText().endsWith("1/1 spares warm")).orElse(false));

            Cli.Result scale = admin.cli("scale", "3");

            assertEquals(0, scale.exitCode(), scale.toString());
            assertEquals("workers: 2 -> 3 (3 ready)", scale.stdout().strip());
        }
    }

    @Test
    void aWaitedScaleThatAReloadRevertsSaysSo() throws Exception {
        Path ready = dir.resolve("ready");
        Files.writeString(ready, "");
        Path config = workerConfig(1, "--ready-when", ready.toString());
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            admin.awaitReady(1, START);
            Files.delete(ready); // from now on, new workers start but are not ready

            CompletableFuture<Cli.Result> scale = CompletableFuture.supplyAsync(() -> admin.cli("scale", "4"));
            Poll.until(START, "the scale to 4 under way", () -> admin.status().path("desiredWorkers").asInt() == 4);
            try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
                JsonNode reload = client.request("{\"command\":\"reload\",\"wait\":false}");
                assertTrue(reload.path("ok").asBoolean(), reload.toString());
            }
            Cli.Result result = scale.get();
            Files.writeString(ready, ""); // lets the reload's replacement finish

            assertEquals(1, result.exitCode(), result.toString());
            assertTrue(result.stderr().contains("scaled to 4 workers, but reload set the count to 1 meanwhile"),
                    result.toString());
        }
    }

    @Test
    void aWorkersEscapeSequencesReachNeitherHerdStatusNorTheLog() throws Exception {
        // The worker decodes the escapes: its STATUS= text and its output line hold a real ESC, BEL and CR.
        Path config = workerConfig(1, "--status", "\\\\x1b]0;owned-title\\\\x07serving\\\\rforged");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            admin.awaitReady(1, START);

            Cli.Result status = admin.cli("status");

            assertEquals(0, status.exitCode(), status.toString());
            assertTrue(status.stdout().chars().noneMatch(c -> c == 0x1b || c == 0x07 || c == '\r'), status.stdout());
            assertTrue(status.stdout().contains("\\x1b]0;owned-title\\x07serving\\x0dforged"), status.stdout());
            herd.awaitLine("worker-1\\[\\d+\\] \\\\x1b\\]0;owned-title\\\\x07serving\\\\x0dforged$", START);
            assertTrue(herd.lines().stream().allMatch(line -> line.chars().noneMatch(c -> c == 0x1b || c == 0x07)),
                    herd.output());
        }
    }

    private Path workerConfig(int workers, String... args) throws Exception {
        StringBuilder command = new StringBuilder("[\"/usr/bin/python3\", \"" + HOSTILE_WORKER + "\"");
        for (String arg : args) {
            command.append(", \"").append(arg).append('"');
        }
        return write("{\"workers\": " + workers + ", \"readyTimeout\": \"20s\", \"gracefulTimeout\": \"5s\", "
                + "\"worker\": {\"command\": " + command + "]}}");
    }

    private Path write(String json) throws Exception {
        return Files.writeString(dir.resolve("herd.json"), json);
    }
}
