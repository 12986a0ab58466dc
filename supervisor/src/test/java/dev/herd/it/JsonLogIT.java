package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code logFormat: json} end to end (issue 22, item 5), through the master's wiring rather than the Log class
 * alone: with {@code --log-format json} every line herd writes, its own and those it relays from the workers, is one
 * JSON object carrying level, source, pid and message (a worker's also its slot), and a reload keeps the flag; a
 * reload to a config file that says {@code "logFormat": "text"} turns the log to text lines from then on.
 */
class JsonLogIT {

    private static final Duration START = Duration.ofSeconds(60);
    /** Strict: a line with anything after its object is not one JSON object. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** herd's text format: {@code 2026-12-07T04:00:00.123Z INFO  worker-2[4250] accepting ...}. */
    private static final Pattern TEXT_LINE =
            Pattern.compile("^\\d{4}-\\d\\d-\\d\\dT\\S+Z (DEBUG|INFO|WARN|ERROR) +(master|worker-\\d+)\\[\\d+\\] .*");

    @TempDir
    Path dir;

    @Test
    void withLogFormatJsonEveryLineOfTheMasterAndItsWorkersIsOneObject() {
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("--workers", "2", "--log-format", "json")) {
            Set<Long> first = admin.awaitReady(2, START);

            JsonNode listening = awaitObject(herd, "the master's listening line", line ->
                    line.path("source").asText().equals("master")
                            && line.path("message").asText().startsWith("listening on 127.0.0.1:"));
            assertEquals("INFO", listening.path("level").asText(), listening.toString());
            assertEquals(herd.pid(), listening.path("pid").asLong(), listening.toString());
            assertFalse(listening.has("slot"), "a master line has no slot: " + listening);

            // A worker writes text lines to its pipe; the master relays them as objects of that worker.
            for (Map.Entry<Integer, Long> worker : herd.workers().entrySet()) {
                JsonNode accepting = awaitObject(herd, "worker-" + worker.getKey() + "'s accepting line", line ->
                        line.path("pid").asLong() == worker.getValue()
                                && line.path("message").asText().startsWith("accepting"));
                assertEquals("INFO", accepting.path("level").asText(), accepting.toString());
                assertEquals("worker-" + worker.getKey(), accepting.path("source").asText(), accepting.toString());
                assertEquals(worker.getKey().intValue(), accepting.path("slot").asInt(-1), accepting.toString());
                assertTrue(first.contains(worker.getValue()), "a first-generation worker: " + accepting);
            }

            // A reload re-reads the config with the command-line flags still applied: still JSON.
            admin.reload(herd, START);
            Set<Long> second = admin.awaitReady(2, START);
            for (long pid : second) {
                awaitObject(herd, "the accepting line of worker pid " + pid + " after the reload", line ->
                        line.path("pid").asLong() == pid && line.path("message").asText().startsWith("accepting"));
            }

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            awaitObject(herd, "the master's last line", line -> line.path("message").asText().equals("stopped"));
            List<String> lines = herd.lines();
            for (String line : lines) {
                JsonNode object = parse(line).orElseThrow(() -> new AssertionError("not one JSON object: " + line
                        + "\nin:\n" + herd.output()));
                for (String field : List.of("time", "level", "source", "pid", "message")) {
                    assertTrue(object.has(field), "no " + field + ": " + line);
                }
            }
        }
    }

    @Test
    void aReloadToLogFormatTextTurnsTheLogToText() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"logFormat\": \"json\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> first = admin.awaitReady(2, START);
            for (long pid : first) {
                awaitObject(herd, "the accepting line of worker pid " + pid, line ->
                        line.path("pid").asLong() == pid && line.path("message").asText().startsWith("accepting"));
            }
            List<String> beforeReload = herd.lines();
            for (String line : beforeReload) {
                assertTrue(parse(line).isPresent(), "not one JSON object before the reload: " + line);
            }

            Files.writeString(config, "{\"workers\": 2, \"logFormat\": \"text\"}");
            admin.reload(herd, START);
            // The new workers' own lines, relayed as text: worker-N[pid] accepting ...
            Map<Integer, Long> second = herd.awaitWorkersAccepting(2, START);
            assertTrue(second.values().stream().noneMatch(first::contains), "every worker replaced: " + second);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            herd.awaitLine("^\\d{4}-\\S+Z INFO  master\\[" + herd.pid() + "\\] stopped$", START);
            // From the first text line on, every line is text (the switch is one step of the reload's apply).
            List<String> lines = herd.lines();
            List<String> afterSwitch = lines.stream().dropWhile(line -> parse(line).isPresent()).toList();
            assertTrue(lines.size() - afterSwitch.size() >= beforeReload.size(),
                    "the lines written before the reload stay JSON:\n" + herd.output());
            for (String line : afterSwitch) {
                assertTrue(TEXT_LINE.matcher(line).matches(), "not a text line after the switch: " + line
                        + "\nin:\n" + herd.output());
            }
            assertTrue(afterSwitch.stream().anyMatch(line -> line.matches(".* INFO  master\\[\\d+\\] .*"))
                            && afterSwitch.stream().anyMatch(line -> line.matches(".* INFO  worker-\\d\\[\\d+\\] .*")),
                    "text lines of the master and of a worker after the reload:\n" + herd.output());
        }
    }

    /** The first output line that is a JSON object and matches, waiting for it. */
    private static JsonNode awaitObject(HerdProcess herd, String what, Predicate<JsonNode> matching) {
        try {
            return Poll.until(START, what, () -> herd.lines().stream().map(JsonLogIT::parse)
                    .flatMap(Optional::stream).filter(matching).findFirst());
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + " in:\n" + herd.output(), timedOut);
        }
    }

    /** The line as a JSON object, or empty if it is not exactly one. */
    private static Optional<JsonNode> parse(String line) {
        try {
            JsonNode node = JSON.readTree(line);
            return node != null && node.isObject() ? Optional.of(node) : Optional.empty();
        } catch (JsonProcessingException notJson) {
            return Optional.empty();
        }
    }
}
