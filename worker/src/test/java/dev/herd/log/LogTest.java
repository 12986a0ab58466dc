package dev.herd.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LogTest {

    private static final Instant NOW = Instant.parse("2026-11-24T17:30:01.123Z");

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
        assertEquals("<4>worker-2[5281] slow client: 3 s [a] b", Log.relayed("worker-2", 5281, workerLine, true));
        assertEquals("<3>worker-2[5281] x",
                Log.relayed("worker-2", 5281, "2026-11-24T17:30:01.123Z ERROR worker-2[5281] x", true));
    }

    @Test
    void relayedWorkerLineInTheTimestampedFormatPassesUnchanged() {
        String workerLine = "2026-11-24T17:30:01.123Z INFO  worker-2[5281] accepting (app echo, master 5257)";
        assertEquals(workerLine, Log.relayed("worker-2", 5281, workerLine, false));
    }

    @Test
    void foreignLinesAreTaggedWithTheWorkersSlotAndPid() {
        assertEquals("<6>worker-2[5281] Exception in thread \"main\" java.lang.Error",
                Log.relayed("worker-2", 5281, "Exception in thread \"main\" java.lang.Error", true));
        // a well-formed line from another source is foreign too: it keeps its text, tagged with who relayed it
        assertEquals("<6>worker-2[5281] 2026-11-24T17:30:01.123Z INFO  other[1] hi",
                Log.relayed("worker-2", 5281, "2026-11-24T17:30:01.123Z INFO  other[1] hi", true));
        String timestamped = Log.relayed("worker-2", 5281, "\tat Foo.bar(Foo.java:1)", false);
        assertTrue(timestamped.matches("\\d{4}-.*Z INFO  worker-2\\[5281\\] \tat Foo.bar\\(Foo.java:1\\)"),
                timestamped);
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
}
