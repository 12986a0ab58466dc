package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerEnvironmentTest {

    private static final long PID = 4242;

    @Test
    void heartbeatIntervalIsHalfOfWatchdogUsec() {
        WorkerEnvironment environment = WorkerEnvironment.from(Map.of("WATCHDOG_USEC", "30000000"), PID);
        assertEquals(Optional.of(Duration.ofSeconds(30)), environment.heartbeatTimeout());
        assertEquals(Optional.of(Duration.ofSeconds(15)), environment.heartbeatInterval());
    }

    @Test
    void noHeartbeatsWhenWatchdogUsecIsAbsentZeroOrNotANumber() {
        for (Map<String, String> env : new Map[] {Map.of(), Map.of("WATCHDOG_USEC", "0"),
                Map.of("WATCHDOG_USEC", "-5"), Map.of("WATCHDOG_USEC", "soon"), Map.of("WATCHDOG_USEC", "")}) {
            assertEquals(Optional.empty(), WorkerEnvironment.from(env, PID).heartbeatInterval(), env.toString());
        }
    }

    @Test
    void watchdogPidMustNameThisProcess() {
        assertEquals(Optional.of(Duration.ofMillis(500)), WorkerEnvironment.from(
                Map.of("WATCHDOG_USEC", "1000000", "WATCHDOG_PID", "4242"), PID).heartbeatInterval());
        assertEquals(Optional.empty(), WorkerEnvironment.from(
                Map.of("WATCHDOG_USEC", "1000000", "WATCHDOG_PID", "1"), PID).heartbeatInterval());
    }

    @Test
    void outsideHerdEverythingIsZeroOrEmpty() {
        assertEquals(new WorkerEnvironment(0, 0, Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty()), WorkerEnvironment.from(Map.of("NOTIFY_SOCKET", ""), PID));
    }

    @Test
    void readsSlotMasterAndNotifySocket() {
        WorkerEnvironment environment = WorkerEnvironment.from(Map.of("HERD_WORKER_SLOT", "3",
                "HERD_MASTER_PID", "77", "NOTIFY_SOCKET", "/run/herd/worker-3.sock"), PID);
        assertEquals(new WorkerEnvironment(3, 77, Optional.of("/run/herd/worker-3.sock"), Optional.empty(),
                Optional.empty(), Optional.empty()), environment);
    }

    @Test
    void aSpareHasAPromotionPipeAndAMaster() {
        assertTrue(WorkerEnvironment.from(Map.of("HERD_MASTER_PID", "77", "HERD_PROMOTION_FD", "5"), PID).spare());
        assertFalse(WorkerEnvironment.from(Map.of("HERD_PROMOTION_FD", "5"), PID).spare(), "not under herd");
        assertFalse(WorkerEnvironment.from(Map.of("HERD_MASTER_PID", "77", "HERD_PROMOTION_FD", "1"), PID).spare(),
                "a standard stream is no promotion pipe");
    }
}
