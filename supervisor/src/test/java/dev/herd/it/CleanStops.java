package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Set;

/**
 * What a JVM worker's clean stop looks like from outside: the master logs that it exited 143 after SIGTERM (the
 * JVM's status after its shutdown hooks, which herd calls a clean stop) or 0, and no slot counts a restart (a
 * replacement by a reload is none; a crash is one).
 */
final class CleanStops {

    private CleanStops() {
    }

    /** Waits until the master has logged each of {@code pids} as stopped cleanly after its SIGTERM. */
    static void awaitEachStoppedCleanly(HerdProcess herd, Set<Long> pids, Duration timeout) {
        for (long pid : pids) {
            herd.awaitLine("worker-\\d+ \\(pid " + pid + "\\) (exited 143 after SIGTERM \\(clean stop\\)"
                    + "|exited: exit 0)$", timeout);
        }
    }

    /** No slot of the pool has been restarted (crashed, hung, failed to boot): every row says restarts 0. */
    static void assertNoRestarts(AdminFixture admin) {
        JsonNode status = admin.status();
        for (JsonNode worker : status.path("workers")) {
            assertEquals(0, worker.path("restarts").asInt(), "a clean stop is no restart: " + status);
        }
    }
}
