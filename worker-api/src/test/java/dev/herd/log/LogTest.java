package dev.herd.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogTest {

    private static final Instant NOW = Instant.parse("2026-11-24T17:30:01.123Z");

    @TempDir
    Path directory;

    @AfterEach
    void backToStderr() throws IOException {
        Log.toStderr();
        Log.useJson(false);
    }

    @Test
    void inJsonEachLineIsOneObjectWithTheFieldsJournaldGets() {
        Log.useJson(true);
        assertEquals("{\"time\":\"2026-11-24T17:30:01.123Z\",\"level\":\"INFO\",\"source\":\"master\",\"pid\":4242,"
                + "\"message\":\"listening on 127.0.0.1:9876\"}",
                Log.format(Log.Level.INFO, "master", 4242, "listening on 127.0.0.1:9876", false, NOW));
        // A worker's own line in herd's format keeps its level; its slot is a field of its own.
        assertEquals("{\"time\":\"2026-11-24T17:30:01.123Z\",\"level\":\"WARN\",\"source\":\"worker-2\",\"slot\":2,"
                + "\"pid\":5281,\"message\":\"slow\"}",
                relay("2026-11-24T17:30:00.001Z WARN  worker-2[5281] slow", Log.Level.INFO, false).line());
        // Any other line: a terminal escape is made visible text (ControlCharacters, as in the text format), then
        // quotes and backslashes are JSON-escaped.
        assertEquals("<3>{\"time\":\"2026-11-24T17:30:01.123Z\",\"level\":\"ERROR\",\"source\":\"worker-2\","
                + "\"slot\":2,\"pid\":5281,\"message\":\"ERROR \\\"x\\\" \\\\ \\\\x1b]0;t\\\\x07 \\t\"}",
                relay("ERROR \"x\" \\ \u001b]0;t\u0007 \t", Log.Level.INFO, true).line());
    }

    @Test
    void timestampedLineHasTimestampLevelSourceAndPid() {
        assertEquals("2026-11-24T17:30:01.123Z INFO  master[4242] listening on 127.0.0.1:9876",
                Log.format(Log.Level.INFO, "master", 4242, "listening on 127.0.0.1:9876", false, NOW));
    }

    @Test
    void journalLineHasTheSyslogPriorityAndNoTimestamp() {
        assertEquals("<6>master[4242] listening on 127.0.0.1:9876",
                Log.format(Log.Level.INFO, "master", 4242, "listening on 127.0.0.1:9876", true, NOW));
        assertEquals("<3>master[1] e", Log.format(Log.Level.ERROR, "master", 1, "e", true, NOW));
        assertEquals("<4>master[1] w", Log.format(Log.Level.WARN, "master", 1, "w", true, NOW));
        assertEquals("<7>master[1] d", Log.format(Log.Level.DEBUG, "master", 1, "d", true, NOW));
    }

    @Test
    void relayedWorkerLineKeepsItsLevelAndMessageInTheJournalFormat() {
        String workerLine = "2026-11-24T17:30:01.123Z WARN  worker-2[5281] slow client: 3 s [a] b";
        assertEquals(new Log.Relayed("<4>worker-2[5281] slow client: 3 s [a] b", Log.Level.WARN),
                relay(workerLine, Log.Level.INFO, true));
        assertEquals(new Log.Relayed("<3>worker-2[5281] x", Log.Level.ERROR),
                relay("2026-11-24T17:30:01.123Z ERROR worker-2[5281] x", Log.Level.INFO, true));
        // herd's own format wins over the pipe it came through: a worker's INFO line on stderr stays INFO
        assertEquals(Log.Level.INFO, relay("2026-11-24T17:30:01.123Z INFO  worker-2[5281] accepting",
                Log.Level.WARN, true).level());
    }

    @Test
    void relayedWorkerLineInTheTimestampedFormatPassesUnchanged() {
        String workerLine = "2026-11-24T17:30:01.123Z INFO  worker-2[5281] accepting (app echo, master 5257)";
        assertEquals(workerLine, relay(workerLine, Log.Level.INFO, false).line());
    }

    @Test
    void foreignLinesAreTaggedWithTheWorkersSlotAndPidAtTheLevelOfTheirPipe() {
        assertEquals(new Log.Relayed("<4>worker-2[5281] Exception in thread \"main\" java.lang.Error",
                        Log.Level.WARN),
                relay("Exception in thread \"main\" java.lang.Error", Log.Level.WARN, true));
        assertEquals(new Log.Relayed("<6>worker-2[5281] Traceback (most recent call last):", Log.Level.INFO),
                relay("Traceback (most recent call last):", Log.Level.INFO, true));
        // a well-formed line from another source is foreign too: it keeps its text, tagged with who relayed it
        assertEquals("<6>worker-2[5281] 2026-11-24T17:30:01.123Z INFO  other[1] hi",
                relay("2026-11-24T17:30:01.123Z INFO  other[1] hi", Log.Level.WARN, true).line());
        String timestamped = relay("\tat Foo.bar(Foo.java:1)", Log.Level.WARN, false).line();
        assertTrue(timestamped.matches("\\d{4}-.*Z WARN  worker-2\\[5281\\] \tat Foo.bar\\(Foo.java:1\\)"),
                timestamped);
    }

    @Test
    void foreignLinesThatNameTheirLevelKeepIt() {
        // Spring Boot's logback pattern, Python's logging, java.util.logging's SimpleFormatter, log4j
        assertEquals(Log.Level.INFO, relay("2026-11-30T03:22:55.503Z  INFO 1234 --- [main] o.s.b.App : Started",
                Log.Level.WARN, true).level());
        assertEquals(Log.Level.WARN, relay("WARNING:root:disk almost full", Log.Level.INFO, true).level());
        assertEquals(Log.Level.ERROR, relay("SEVERE: cannot bind", Log.Level.INFO, true).level());
        assertEquals(Log.Level.ERROR, relay("12:00:01.000 [main] ERROR com.example.App - boom", Log.Level.INFO,
                true).level());
        assertEquals(Log.Level.DEBUG, relay("DEBUG reading config", Log.Level.WARN, true).level());
        // only the start of a line is searched, and only whole words
        assertEquals(Log.Level.WARN, relay("connection to the payment service failed after 3 tries: ERROR 503",
                Log.Level.WARN, true).level());
        assertEquals(Log.Level.WARN, relay("INFORMATIONAL text", Log.Level.WARN, true).level());
    }

    @Test
    void messageOfALineInHerdsFormatIsTheTextAfterTheSource() {
        assertEquals("cannot start: boom", Log.messageOf("2026-11-24T17:30:01.123Z ERROR worker-2[5281] cannot start: boom"));
        assertEquals("Traceback", Log.messageOf("Traceback"));
    }

    @Test
    void aRelayedLineCarriesNoEscapeSequenceNorCarriageReturnToTheTerminal() {
        assertEquals("2026-11-24T17:30:01.123Z INFO  worker-2[5281] \\x1b]0;owned-title\\x07 100%\\x0dfake line",
                relay("\u001b]0;owned-title\u0007 100%\rfake line", Log.Level.INFO, false).line());
        assertEquals("2026-11-24T17:30:01.123Z INFO  worker-2[5281] from a CRLF program",
                relay("from a CRLF program\r", Log.Level.INFO, false).line(), "a CRLF line end is only a line end");
        assertEquals("<6>worker-2[5281] \\x1b[2J",
                relay("2026-11-24T17:30:01.123Z INFO  worker-2[5281] \u001b[2J", Log.Level.INFO, true).line());
    }

    private static Log.Relayed relay(String line, Log.Level unmarked, boolean journal) {
        return Log.relayed("worker-2", 5281, line, unmarked, journal, NOW);
    }

    @Test
    void journalStreamMustNameTheFileOnFd2() throws Exception {
        Map<String, Object> stderr = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
        assertTrue(Log.isJournalStream(stderr.get("dev") + ":" + stderr.get("ino")));
        assertFalse(Log.isJournalStream(stderr.get("dev") + ":" + ((Long) stderr.get("ino") + 1)));
        assertFalse(Log.isJournalStream(null));
        assertFalse(Log.isJournalStream(""));
        assertFalse(Log.isJournalStream("garbage"));
        assertFalse(Log.isJournalStream("99999999999999999999999:1"));
    }

    // ---- the log file ---------------------------------------------------------------------------------------------

    @Test
    void aSymbolicLinkAtTheLogFilesPathIsRefusedNotFollowed() throws IOException {
        Path target = directory.resolve("root-only.conf");
        Path link = Files.createSymbolicLink(directory.resolve("herd.log"), target);

        IOException refused = assertThrows(IOException.class, () -> Log.toFile(link));

        assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
        assertFalse(Files.exists(target), "the link's target was created");
        assertEquals(java.util.Optional.empty(), Log.file());
    }

    @Test
    void aMissingLogDirectoryIsNamedAsSuchAndNotCreated() {
        Path missing = directory.resolve("var/log/herd");

        IOException refused = assertThrows(IOException.class, () -> Log.toFile(missing.resolve("herd.log")));

        assertEquals("cannot open log file " + missing.resolve("herd.log") + ": its directory " + missing
                + " does not exist (create it first, e.g. install -d -m 0750 " + missing + ")", refused.getMessage());
        assertFalse(Files.exists(missing));
    }

    @Test
    void aLogFileInADirectoryOthersMayWriteToIsRefusedUnlessSticky() throws Exception {
        Path open = Files.createDirectory(directory.resolve("open"));
        chmod("777", open);

        IOException refused = assertThrows(IOException.class, () -> Log.toFile(open.resolve("herd.log")));

        assertTrue(refused.getMessage().contains("others may write to its directory"), refused.getMessage());
        assertFalse(Files.exists(open.resolve("herd.log")));

        chmod("1777", open); // like /tmp: the sticky bit keeps others from replacing our file
        Log.toFile(open.resolve("herd.log"));
        assertEquals(java.util.Optional.of(open.resolve("herd.log")), Log.file());
    }

    @Test
    void linesAFullDiskRefusesAreCountedStderrHearsOnceAndTheNextFileSaysHowManyWereLost() throws IOException {
        PrintStream stderr = System.err;
        ByteArrayOutputStream told = new ByteArrayOutputStream();
        System.setErr(new PrintStream(told, true, StandardCharsets.UTF_8));
        try {
            Log.toFile(Path.of("/dev/full")); // every write fails with ENOSPC
            Log.info("one");
            Log.info("two");
            Log.error("three");
            assertEquals(3, Log.linesLost());
            List<String> warnings = told.toString(StandardCharsets.UTF_8).lines().toList();
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.get(0).contains("ERROR") && warnings.get(0).contains("writing log file /dev/full "
                    + "failed (No space left on device); lines are lost until it works again"), warnings.get(0));

            Path working = directory.resolve("herd.log");
            Log.toFile(working);
            Log.info("four");

            List<String> lines = Files.readAllLines(working);
            assertEquals(2, lines.size(), lines.toString());
            assertTrue(lines.get(0).contains(" WARN ") && lines.get(0).endsWith("3 log lines were lost: No space "
                    + "left on device"), lines.get(0));
            assertTrue(lines.get(1).contains(" INFO ") && lines.get(1).endsWith(" four"), lines.get(1));
            assertEquals(0, Log.linesLost());
            assertEquals(1, told.toString(StandardCharsets.UTF_8).lines().count(), "stderr was told again");
        } finally {
            Log.toStderr();
            System.setErr(stderr);
        }
    }

    private static void chmod(String mode, Path path) throws Exception {
        Process chmod = new ProcessBuilder("chmod", mode, path.toString()).inheritIO().start();
        assertTrue(chmod.waitFor(10, TimeUnit.SECONDS) && chmod.exitValue() == 0, "chmod " + mode + " failed");
    }
}
