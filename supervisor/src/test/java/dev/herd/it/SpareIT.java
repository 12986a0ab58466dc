package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot spares (spareWorkers), end to end: a spare JVM is started once the workers are ready, says it is warm and
 * accepts nothing; when a worker is SIGKILLed the spare is promoted into its slot and serves the connection that
 * waited in the backlog, and a new spare follows; a reload retires the spare, which runs the old configuration.
 */
class SpareIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String TITLE = "War and Peace";

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    @Test
    void theWarmSpareServesNothingUntilAWorkerDiesThenTakesItsSlotAndItsQueuedConnection() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1", "--spare-workers", "1")) {
            long spare = awaitWarmSpare(Optional.empty());
            int port = herd.port();
            for (int i = 0; i < 20; i++) {
                assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
            }
            JsonNode status = admin.status();
            assertEquals(0, row(status, spare).path("connectionsServed").asLong(), "a spare accepts nothing");
            assertTrue(status.path("summary").asText().endsWith("1/1 spares warm"), status.toString());
            long worker = pidInSlot(status, 1);

            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(worker));
            long killedAt = System.nanoTime();
            // Sent while slot 1 may have no process yet: the connection waits in the backlog for the spare.
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
            long servedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);

            herd.awaitLine("promoted the spare \\(pid " + spare + "\\) to worker-1", START);
            herd.awaitLine("worker-1 \\(pid " + spare + "\\) ready \\d+ ms after its promotion", START);
            assertEquals(spare, pidInSlot(admin.status(), 1), "the spare holds slot 1 now");
            assertTrue(servedAfterMillis < 10_000, "served " + servedAfterMillis + " ms after the SIGKILL");
            long next = awaitWarmSpare(Optional.of(spare));
            assertNotEquals(spare, next, "a new spare on the bench");
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
        }
    }

    @Test
    void aReloadRetiresTheSpareAndAFreshOneFollowsTheNewWorkers() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1", "--spare-workers", "1")) {
            long spare = awaitWarmSpare(Optional.empty());
            long worker = pidInSlot(admin.status(), 1);

            Cli.Result reload = admin.cli("reload");
            assertEquals(0, reload.exitCode(), reload.toString());

            herd.awaitLine("spare\\[" + spare + "\\] spare not needed; exiting", START);
            herd.awaitLine("spare \\(pid " + spare + "\\) exited: exit 0", START);
            long fresh = awaitWarmSpare(Optional.of(spare));
            long replaced = pidInSlot(admin.status(), 1);
            assertNotEquals(worker, replaced, "the worker was replaced");
            assertNotEquals(spare, replaced, "by a new process, not by the spare of the old configuration");
            assertNotEquals(spare, fresh);
        }
    }

    @Test
    void theMastersStopEndsTheSpareTooAndNothingIsLeft() throws Exception {
        HerdProcess herd = admin.startHerd("--workers", "1", "--spare-workers", "1");
        try (herd) {
            long spare = awaitWarmSpare(Optional.empty());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(Duration.ofSeconds(30)));
            assertTrue(ProcFs.exited(spare), "the spare was reaped");
            assertTrue(herd.hasLine("spare \\(pid " + spare + "\\) exited: exit 0"), herd.output());
        }
    }

    /** Waits until the bench holds a warm spare other than {@code not}; returns its pid. */
    private long awaitWarmSpare(Optional<Long> not) {
        return Poll.until(START, "a warm spare", () -> admin.tryStatus().flatMap(status -> {
            for (JsonNode row : status.path("workers")) {
                if (row.path("slot").asInt() == 0 && row.path("state").asText().equals("spare")
                        && !not.equals(Optional.of(row.path("pid").asLong()))) {
                    return Optional.of(row.path("pid").asLong());
                }
            }
            return Optional.empty();
        }));
    }

    private static long pidInSlot(JsonNode status, int slot) {
        for (JsonNode row : status.path("workers")) {
            if (row.path("slot").asInt() == slot && row.path("state").asText().equals("ready")) {
                return row.path("pid").asLong();
            }
        }
        throw new AssertionError("no ready worker in slot " + slot + ": " + status);
    }

    private static JsonNode row(JsonNode status, long pid) {
        for (JsonNode row : status.path("workers")) {
            if (row.path("pid").asLong() == pid) {
                return row;
            }
        }
        throw new AssertionError("no row for pid " + pid + ": " + status);
    }
}
