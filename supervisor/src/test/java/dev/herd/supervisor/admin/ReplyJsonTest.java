package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.supervisor.status.StatusSnapshot;
import dev.herd.supervisor.status.WorkerRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every {@link AdminReply} as the reply object of docs/admin-protocol.md: its exact fields and their values. A
 * reply record added without a case here fails {@link #everyReplyRecordHasItsJsonForm}.
 */
class ReplyJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant STARTED = Instant.parse("2026-11-24T18:47:17.544123Z");

    @Test
    void everyReplyRecordHasItsJsonForm() throws Exception {
        for (Class<?> type : AdminReply.class.getPermittedSubclasses()) {
            AdminReply reply = example(type);
            ObjectNode json = ReplyJson.toJson(reply);
            assertEquals(json.toString(), JSON.readTree(json.toString()).toString(), "one line of JSON");
            assertEquals(!(reply instanceof AdminReply.Failed), json.path("ok").asBoolean(), type.getSimpleName());
        }
    }

    /** One of each reply; the switch is over the sealed interface's permitted subclasses. */
    private static AdminReply example(Class<?> type) {
        if (type == AdminReply.Pong.class) {
            return new AdminReply.Pong();
        } else if (type == AdminReply.VersionInfo.class) {
            return new AdminReply.VersionInfo("0.1.0", "17.0.15+6");
        } else if (type == AdminReply.Status.class) {
            return new AdminReply.Status(snapshot());
        } else if (type == AdminReply.ConfigShown.class) {
            return new AdminReply.ConfigShown(JsonNodeFactory.instance.objectNode().put("workers", 2));
        } else if (type == AdminReply.Scaled.class) {
            return new AdminReply.Scaled(2, 3, OptionalInt.of(3));
        } else if (type == AdminReply.Restarted.class) {
            return new AdminReply.Restarted(List.of(1, 2), OptionalInt.of(2));
        } else if (type == AdminReply.Reloaded.class) {
            return new AdminReply.Reloaded(2, Optional.of("/etc/herd/herd.json"), OptionalInt.of(2));
        } else if (type == AdminReply.Stopping.class) {
            return new AdminReply.Stopping(Duration.ofSeconds(5), 4242);
        } else if (type == AdminReply.Failed.class) {
            return new AdminReply.Failed(AdminException.RESTART_FAILED, "worker-1's replacement exited",
                    OptionalInt.of(0));
        }
        return fail("no example of " + type.getName() + ": add one here and check its fields below");
    }

    @Test
    void pong() {
        assertReply("{\"ok\":true,\"pong\":true}", new AdminReply.Pong());
    }

    @Test
    void version() {
        assertReply("{\"ok\":true,\"version\":\"0.1.0\",\"java\":\"17.0.15+6\"}",
                new AdminReply.VersionInfo("0.1.0", "17.0.15+6"));
    }

    @Test
    void config() {
        ObjectNode config = JsonNodeFactory.instance.objectNode().put("workers", 2).putNull("logFile");
        assertReply("{\"ok\":true,\"config\":{\"workers\":2,\"logFile\":null}}", new AdminReply.ConfigShown(config));
    }

    @Test
    void scaledWithAndWithoutWaiting() {
        assertReply("{\"ok\":true,\"previous\":2,\"workers\":3,\"ready\":3}",
                new AdminReply.Scaled(2, 3, OptionalInt.of(3)));
        assertReply("{\"ok\":true,\"previous\":2,\"workers\":3,\"ready\":null}",
                new AdminReply.Scaled(2, 3, OptionalInt.empty()));
    }

    @Test
    void restartedWithAndWithoutWaiting() {
        assertReply("{\"ok\":true,\"restarting\":[1,2],\"replaced\":2}",
                new AdminReply.Restarted(List.of(1, 2), OptionalInt.of(2)));
        assertReply("{\"ok\":true,\"restarting\":[3],\"replaced\":null}",
                new AdminReply.Restarted(List.of(3), OptionalInt.empty()));
    }

    @Test
    void reloadedWithAndWithoutAFile() {
        assertReply("{\"ok\":true,\"workers\":2,\"configFile\":\"/etc/herd/herd.json\",\"replaced\":2}",
                new AdminReply.Reloaded(2, Optional.of("/etc/herd/herd.json"), OptionalInt.of(2)));
        assertReply("{\"ok\":true,\"workers\":1,\"configFile\":null,\"replaced\":null}",
                new AdminReply.Reloaded(1, Optional.empty(), OptionalInt.empty()));
    }

    @Test
    void stopping() {
        assertReply("{\"ok\":true,\"stopping\":true,\"gracefulTimeout\":\"1500ms\",\"pid\":4242}",
                new AdminReply.Stopping(Duration.ofMillis(1500), 4242));
    }

    @Test
    void failedWithACodeAMessageAndWhatWasReplaced() {
        assertReply("{\"ok\":false,\"error\":{\"code\":\"bad_json\",\"message\":\"malformed JSON: x\"}}",
                new AdminException(AdminException.BAD_JSON, "malformed JSON: x").toReply());
        assertReply("{\"ok\":false,\"error\":{\"code\":\"reload_failed\",\"message\":\"m\"},\"replaced\":1}",
                new AdminReply.Failed(AdminException.RELOAD_FAILED, "m", OptionalInt.of(1)));
    }

    // ---- status -------------------------------------------------------------------------------------------------

    @Test
    void statusHasTheMastersFieldsAndOneObjectPerRow() {
        JsonNode status = ReplyJson.toJson(new AdminReply.Status(snapshot()));

        assertEquals(List.of("ok", "pid", "version", "startedAt", "uptimeSeconds", "listen", "configFile",
                "desiredWorkers", "readyWorkers", "summary", "stopping", "upgrade", "listenQueue", "workers"),
                fields(status));
        assertEquals("{\"count\":0,\"phase\":\"none\",\"lastFailure\":null}", status.path("upgrade").toString());
        assertEquals(11939, status.get("pid").asInt());
        assertEquals("0.1.0", status.get("version").asText());
        assertEquals("2026-11-24T18:47:17.544Z", status.get("startedAt").asText(), "milliseconds, UTC");
        assertEquals(4, status.get("uptimeSeconds").asLong(), "4999 ms is 4 whole seconds");
        assertEquals("127.0.0.1:9876", status.get("listen").asText());
        assertTrue(status.get("configFile").isNull());
        assertEquals(2, status.get("desiredWorkers").asInt());
        assertEquals(1, status.get("readyWorkers").asInt());
        assertEquals("1/2 workers ready, 3 restarts", status.get("summary").asText());
        assertEquals(false, status.get("stopping").asBoolean());
        assertEquals("{\"waiting\":5,\"limit\":7}", status.get("listenQueue").toString());
        assertEquals(2, status.get("workers").size());
    }

    @Test
    void aWorkerRowWithEveryFact() {
        JsonNode worker = ReplyJson.toJson(new AdminReply.Status(snapshot())).get("workers").get(0);

        assertEquals(List.of("slot", "pid", "state", "startedAt", "readyAfterMs", "watched", "lastHeartbeatMsAgo",
                "connectionsOpen", "connectionsServed", "servedLimit", "status", "killed", "residentBytes", "cpuMs",
                "restarts", "crashesInWindow", "lastExit", "lastRestartReason", "lastRestartAt"), fields(worker));
        assertEquals(1, worker.get("slot").asInt());
        assertEquals(11970, worker.get("pid").asInt());
        assertEquals("ready", worker.get("state").asText());
        assertEquals("2026-11-24T18:47:17.812Z", worker.get("startedAt").asText());
        assertEquals(212, worker.get("readyAfterMs").asLong());
        assertEquals(true, worker.get("watched").asBoolean());
        assertEquals(4012, worker.get("lastHeartbeatMsAgo").asLong());
        assertEquals(3, worker.get("connectionsOpen").asLong());
        assertEquals(120, worker.get("connectionsServed").asLong());
        assertEquals(1000, worker.get("servedLimit").asLong());
        assertEquals("warming up", worker.get("status").asText());
        assertEquals("hung: no heartbeat for 3000 ms", worker.get("killed").asText());
        assertEquals(52_428_800, worker.get("residentBytes").asLong());
        assertEquals(1530, worker.get("cpuMs").asLong());
        assertEquals(3, worker.get("restarts").asInt());
        assertEquals(1, worker.get("crashesInWindow").asInt());
        assertEquals("signal 9 (KILL)", worker.get("lastExit").asText());
        assertEquals("hang", worker.get("lastRestartReason").asText());
        // ISO-8601 at millisecond precision, as Instant writes it: a whole second has no fraction
        assertEquals("2026-11-24T18:47:19Z", worker.get("lastRestartAt").asText());
    }

    @Test
    void aSlotWithoutAProcessHasNullsAndLeavesOutWhatOnlyAProcessHas() {
        JsonNode slot = ReplyJson.toJson(new AdminReply.Status(snapshot())).get("workers").get(1);

        assertEquals(List.of("slot", "pid", "state", "startedAt", "readyAfterMs", "watched", "connectionsOpen",
                "connectionsServed", "residentBytes", "cpuMs", "restarts", "crashesInWindow", "lastExit",
                "lastRestartReason", "lastRestartAt", "lastBootError"), fields(slot));
        assertEquals(2, slot.get("slot").asInt());
        for (String field : List.of("pid", "startedAt", "readyAfterMs", "residentBytes", "cpuMs", "lastExit",
                "lastRestartAt")) {
            assertTrue(slot.get(field).isNull(), field);
        }
        assertEquals("boot_failure", slot.get("lastRestartReason").asText());
        assertEquals("Error: Could not find or load main class com.example.Main", slot.get("lastBootError").asText());
        assertEquals("backoff", slot.get("state").asText());
        assertEquals(false, slot.get("watched").asBoolean());
    }

    @Test
    void aListenQueueThatCouldNotBeReadIsNull() {
        StatusSnapshot full = snapshot();
        StatusSnapshot without = new StatusSnapshot(full.pid(), full.version(), full.startedAt(), full.uptimeMillis(),
                full.listen(), Optional.of("/etc/herd/herd.json"), full.desiredWorkers(), full.readyWorkers(),
                full.summary(), true, Optional.empty(), List.of());

        JsonNode status = ReplyJson.toJson(new AdminReply.Status(without));

        assertTrue(status.get("listenQueue").isNull());
        assertEquals("/etc/herd/herd.json", status.get("configFile").asText());
        assertEquals(true, status.get("stopping").asBoolean());
        assertEquals(0, status.get("workers").size());
    }

    /** A pool of two slots: a ready worker with every fact known, and an empty slot backing off. */
    private static StatusSnapshot snapshot() {
        WorkerRow ready = new WorkerRow(1, true, Optional.of(11970), "ready",
                Optional.of(Instant.parse("2026-11-24T18:47:17.812999Z")), OptionalLong.of(212), true,
                OptionalLong.of(4012), 3, 120, OptionalLong.of(1000), Optional.of("warming up"),
                Optional.of("hung: no heartbeat for 3000 ms"), 3, 1, Optional.of("signal 9 (KILL)"),
                Optional.of("hang"), Optional.of(Instant.parse("2026-11-24T18:47:19Z")), Optional.empty(),
                OptionalLong.of(52_428_800), OptionalLong.of(1530));
        WorkerRow empty = new WorkerRow(2, true, Optional.empty(), "backoff", Optional.empty(), OptionalLong.empty(),
                false, OptionalLong.empty(), 0, 0, OptionalLong.empty(), Optional.empty(), Optional.empty(), 0, 0,
                Optional.empty(), Optional.of("boot_failure"), Optional.empty(),
                Optional.of("Error: Could not find or load main class com.example.Main"), OptionalLong.empty(),
                OptionalLong.empty());
        return new StatusSnapshot(11939, "0.1.0", STARTED, 4999, "127.0.0.1:9876", Optional.empty(), 2, 1,
                "1/2 workers ready, 3 restarts", false, Optional.of(new StatusSnapshot.ListenQueueLength(5, 7)),
                List.of(ready, empty));
    }

    private static void assertReply(String expected, AdminReply reply) {
        try {
            JsonNode wanted = JSON.readTree(expected);
            ObjectNode actual = ReplyJson.toJson(reply);
            assertEquals(wanted, actual);
            assertEquals(fields(wanted), fields(actual), "field order");
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> fields(JsonNode node) {
        Set<String> names = new LinkedHashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return new ArrayList<>(names);
    }
}
