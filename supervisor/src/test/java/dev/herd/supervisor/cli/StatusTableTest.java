package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code herd status}'s table, from status replies as the master sends them. */
class StatusTableTest {

    private static final String HEADER = "{\"ok\":true,\"pid\":2574,\"version\":\"0.1.0\","
            + "\"startedAt\":\"2026-11-30T05:37:06.050Z\",\"uptimeSeconds\":60,\"listen\":\"127.0.0.1:9876\","
            + "\"configFile\":null,\"desiredWorkers\":2,\"readyWorkers\":1,\"stopping\":false,"
            + "\"summary\":\"1/2 workers ready, 3 restarts, 1/1 spares warm\","
            + "\"listenQueue\":{\"waiting\":0,\"limit\":511},";

    @Test
    void aSlotThatCannotBootSaysWhyAndASpareIsNamedSo() throws Exception {
        JsonNode status = new ObjectMapper().readTree(HEADER + "\"workers\":["
                + "{\"slot\":1,\"pid\":2833,\"state\":\"ready\",\"startedAt\":\"2026-11-30T05:37:06.140Z\","
                + "\"readyAfterMs\":185,\"watched\":true,\"connectionsOpen\":0,\"connectionsServed\":4,"
                + "\"restarts\":0,\"crashesInWindow\":0,\"lastExit\":null,\"lastRestartReason\":null,"
                + "\"lastRestartAt\":null},"
                + "{\"slot\":2,\"pid\":null,\"state\":\"backoff\",\"startedAt\":null,\"readyAfterMs\":null,"
                + "\"watched\":false,\"connectionsOpen\":0,\"connectionsServed\":0,\"restarts\":3,"
                + "\"crashesInWindow\":3,\"lastExit\":\"exit 1\",\"lastRestartReason\":\"boot_failure\","
                + "\"lastRestartAt\":\"2026-11-30T05:38:00Z\","
                + "\"lastBootError\":\"Unrecognized VM option 'NoSuchHerdOption'\"},"
                + "{\"slot\":0,\"pid\":2869,\"state\":\"spare\",\"startedAt\":\"2026-11-30T05:37:06.365Z\","
                + "\"readyAfterMs\":null,\"watched\":false,\"connectionsOpen\":0,\"connectionsServed\":0,"
                + "\"restarts\":0,\"crashesInWindow\":0,\"lastExit\":null,\"lastRestartReason\":null,"
                + "\"lastRestartAt\":null}]}");

        List<String> lines = StatusTable.render(status).lines().toList();

        String slot2 = lines.stream().filter(line -> line.startsWith("2 ")).findFirst().orElseThrow();
        assertTrue(slot2.contains("backoff")
                && slot2.endsWith("cannot boot: Unrecognized VM option 'NoSuchHerdOption'"), slot2);
        String spare = lines.stream().filter(line -> line.startsWith("spare ")).findFirst().orElseThrow(
                () -> new AssertionError("no spare row in:\n" + String.join("\n", lines)));
        assertTrue(spare.contains("2869") && spare.contains(" spare "), spare);
        assertTrue(lines.get(2).endsWith("1/1 spares warm"), lines.get(2));
        // Slot 1 sent no STATUS= text: its row ends at its last column, as every other line does.
        assertTrue(lines.stream().noneMatch(line -> line.endsWith(" ")), String.join("|\n", lines));
    }
    @Test
    void aWorkersStatusTextCannotDriveTheTerminal() throws Exception {
        JsonNode status = new ObjectMapper().readTree(HEADER + "\"workers\":["
                + "{\"slot\":1,\"pid\":2833,\"state\":\"ready\",\"startedAt\":\"2026-11-30T05:37:06.140Z\","
                + "\"readyAfterMs\":185,\"watched\":true,\"connectionsOpen\":0,\"connectionsServed\":4,"
                + "\"restarts\":0,\"crashesInWindow\":0,\"lastExit\":null,\"lastRestartReason\":null,"
                + "\"lastRestartAt\":null,\"status\":\"\\u001b]0;owned-title\\u0007serving\\r\\u009b2J\"}]}");

        String table = StatusTable.render(status);

        assertTrue(table.chars().noneMatch(c -> Character.isISOControl(c) && c != '\n'), table);
        assertTrue(table.lines().anyMatch(line -> line.endsWith("\\x1b]0;owned-title\\x07serving\\x0d\\x9b2J")),
                table);
    }
}
