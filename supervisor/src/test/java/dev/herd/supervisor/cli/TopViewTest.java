package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TopViewTest {

    private static TopView.Frame render(int width, int height, Optional<String> problem) {
        return TopView.render(TopFixtures.second(), TopRates.between(TopFixtures.first(), TopFixtures.second()),
                problem, width, height, ZoneOffset.UTC);
    }

    private static List<String> titles(TopView.Frame frame) {
        return Arrays.asList(frame.lines().get(frame.tableHeaderIndex()).replace("LAST RESTART", "LAST_RESTART")
                .trim().split(" +"));
    }

    @Test
    void aWideTerminalShowsEveryColumnAndOneRowPerWorkerSortedBySlot() {
        TopView.Frame frame = render(120, TopView.UNLIMITED, Optional.empty());
        assertEquals(String.join("\n",
                "herd top - 04:31:45, herd 0.1.0, master pid 31787, up 7m, listening on 127.0.0.1:40263",
                "workers 3/4 ready, listen queue 3/511, 222.5 req/s",
                "3/4 workers ready, 6 restarts, slot 4 backoff",
                "",
                "SLOT     PID STATE    UPTIME   CPU%    RSS  OPEN   REQ/S RESTARTS LAST RESTART",
                "   1   31843 ready        7m   25.0    63M     2   150.0        0 -",
                "   2   24337 ready        5s    1.0    46M     0    20.0        1 crash 5s ago",
                "   2   24600 starting     0s   20.0    30M     0     2.5        1 crash 5s ago",
                "   3   31847 ready        7m    2.5    62M     0    50.0        0 -",
                "   4       - backoff       -      -      -     -       -        5 boot_failure 0s ago"),
                String.join("\n", frame.lines()));
        assertEquals(4, frame.tableHeaderIndex());
    }

    @Test
    void textFromTheMasterOrAWorkerCannotDriveTheTerminal() {
        TopSample second = TopFixtures.second();
        com.fasterxml.jackson.databind.node.ObjectNode status = second.status().deepCopy();
        status.put("summary", "\u001b]0;owned-title\u0007 3/4 ready");
        status.put("listen", "127.0.0.1:1\r\u001b[2J");
        TopView.Frame frame = TopView.render(new TopSample(status, second.receivedNanos(), second.receivedAt()),
                TopRates.between(TopFixtures.first(), second), Optional.of("\u009b31m"), 200, TopView.UNLIMITED,
                ZoneOffset.UTC);

        String screen = String.join("\n", frame.lines());
        assertTrue(screen.chars().noneMatch(c -> Character.isISOControl(c) && c != '\n'), screen);
        assertTrue(screen.contains("\\x1b]0;owned-title\\x07 3/4 ready"), screen);
    }

    @Test
    void theFirstScreenHasNoRatesYet() {
        TopView.Frame frame = TopView.render(TopFixtures.first(), TopRates.NONE, Optional.empty(), 120,
                TopView.UNLIMITED, ZoneOffset.UTC);
        assertTrue(frame.lines().get(1).endsWith(", - req/s"), frame.lines().get(1));
        assertEquals("   1   31843 ready        7m      -    63M     0       -        0 -",
                frame.lines().get(frame.tableHeaderIndex() + 1));
    }

    @Test
    void narrowerTerminalsDropColumnsInOrderAndNeverGetALongerLine() {
        assertEquals(List.of("SLOT", "PID", "STATE", "UPTIME", "CPU%", "RSS", "OPEN", "REQ/S", "RESTARTS",
                "LAST_RESTART"), titles(render(120, TopView.UNLIMITED, Optional.empty())));
        // 80: the last-restart column is cut to what is left.
        TopView.Frame eighty = render(80, TopView.UNLIMITED, Optional.empty());
        String slot4 = "   4       - backoff       -      -      -     -       -        5 boot_failure";
        assertTrue(eighty.lines().contains(slot4), String.join("\n", eighty.lines()));
        assertEquals(List.of("SLOT", "PID", "STATE", "CPU%", "RSS", "REQ/S", "RESTARTS"),
                titles(render(60, TopView.UNLIMITED, Optional.empty())));
        assertEquals(List.of("SLOT", "PID", "STATE", "CPU%", "REQ/S"),
                titles(render(40, TopView.UNLIMITED, Optional.empty())));
        assertEquals(List.of("SLOT", "PID", "STATE"), titles(render(25, TopView.UNLIMITED, Optional.empty())));
        for (int width = 1; width <= 130; width++) {
            for (String line : render(width, TopView.UNLIMITED, Optional.of("a problem to wrap")).lines()) {
                assertTrue(line.length() <= width, width + " columns: '" + line + "'");
            }
        }
    }

    @Test
    void theHeaderWrapsBetweenItemsAndAProblemBetweenWords() {
        TopView.Frame frame = render(60, TopView.UNLIMITED,
                Optional.of("no herd master is running at /run/herd.sock (connection refused); trying again every 1s"));
        assertEquals(List.of(
                "herd top - 04:31:45, herd 0.1.0, master pid 31787, up 7m",
                "listening on 127.0.0.1:40263",
                "workers 3/4 ready, listen queue 3/511, 222.5 req/s",
                "3/4 workers ready, 6 restarts, slot 4 backoff",
                "(no herd master is running at /run/herd.sock (connection",
                "refused); trying again every 1s)",
                ""), frame.lines().subList(0, frame.tableHeaderIndex()));
    }

    @Test
    void rowsThatDoNotFitTheHeightAreCounted() {
        TopView.Frame frame = render(120, 8, Optional.empty());
        assertEquals(8, frame.lines().size());
        assertEquals(List.of(
                "   1   31843 ready        7m   25.0    63M     2   150.0        0 -",
                "   2   24337 ready        5s    1.0    46M     0    20.0        1 crash 5s ago",
                "+3 more (a taller terminal shows them)"), frame.lines().subList(5, 8));
        assertFalse(render(120, 3, Optional.empty()).lines().size() > 3);
    }
}
