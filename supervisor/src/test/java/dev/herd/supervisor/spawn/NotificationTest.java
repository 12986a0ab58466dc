package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** sd_notify datagrams from workers, parsed once into records; what a worker cannot mean is dropped, like systemd. */
class NotificationTest {

    @Test
    void everyKeyAWorkerMaySend() {
        assertEquals(List.of(new Notification.Ready()), Notification.parse("READY=1"));
        assertEquals(List.of(new Notification.Heartbeat()), Notification.parse("WATCHDOG=1"));
        assertEquals(List.of(new Notification.KillRequested()), Notification.parse("WATCHDOG=trigger"));
        assertEquals(List.of(new Notification.Status("serving 3 clients")),
                Notification.parse("STATUS=serving 3 clients"));
        assertEquals(List.of(new Notification.Stopping()), Notification.parse("STOPPING=1"));
        assertEquals(List.of(new Notification.ExtendReadyTimeout(5_000_000)),
                Notification.parse("EXTEND_TIMEOUT_USEC=5000000"));
        assertEquals(List.of(new Notification.Served(42)), Notification.parse("X_HERD_SERVED=42"));
    }

    @Test
    void oneDatagramCarriesSeveralInOrder() {
        assertEquals(List.of(new Notification.Status("up"), new Notification.Ready(), new Notification.Heartbeat()),
                Notification.parse("STATUS=up\nREADY=1\nWATCHDOG=1\n"));
    }

    @Test
    void aStatusKeepsEverythingAfterTheFirstEqualsSign() {
        assertEquals(List.of(new Notification.Status("a=b = c")), Notification.parse("STATUS=a=b = c"));
        assertEquals(List.of(new Notification.Status("")), Notification.parse("STATUS="));
    }

    @Test
    void malformedLinesAreDroppedAndTheRestKept() {
        assertEquals(List.of(new Notification.Ready()),
                Notification.parse("READY\n=1\n\nREADY=0\nREADY=true\nREADY= 1\nWATCHDOG=2\nWATCHDOG=TRIGGER\n"
                        + "STOPPING=yes\njust text\nREADY=1"));
        assertEquals(List.of(), Notification.parse(""));
        assertEquals(List.of(), Notification.parse("\n\n"));
        assertEquals(List.of(), Notification.parse("ready=1"), "keys are case-sensitive");
    }

    @Test
    void keysThatMeanNothingForAWorkerAreDropped() {
        assertEquals(List.of(new Notification.Heartbeat()), Notification.parse(
                "MAINPID=1\nERRNO=2\nBUSERROR=org.example.Failed\nFDSTORE=1\nRELOADING=1\nMONOTONIC_USEC=1\n"
                        + "WATCHDOG_USEC=1\nX_OTHER=1\nWATCHDOG=1"));
    }

    @Test
    void aStatusIsCutAt200Characters() {
        String exactly = "s".repeat(Notification.MAX_STATUS_CHARS);
        assertEquals(List.of(new Notification.Status(exactly)), Notification.parse("STATUS=" + exactly));

        List<Notification> cut = Notification.parse("STATUS=" + exactly + "tail that is dropped");

        assertEquals(List.of(new Notification.Status(exactly + "...")), cut);
    }

    @Test
    void numbersMustBeWholeAndNotNegative() {
        assertEquals(List.of(new Notification.ExtendReadyTimeout(0)), Notification.parse("EXTEND_TIMEOUT_USEC=0"));
        assertEquals(List.of(new Notification.ExtendReadyTimeout(Long.MAX_VALUE)),
                Notification.parse("EXTEND_TIMEOUT_USEC=" + Long.MAX_VALUE));
        assertEquals(List.of(new Notification.Served(7)), Notification.parse("X_HERD_SERVED= 7 "));
        for (String bad : List.of("-1", "-9223372036854775808", "9223372036854775808", "99999999999999999999",
                "1.5", "1e6", "", "ten", "0x10")) {
            assertEquals(List.of(), Notification.parse("EXTEND_TIMEOUT_USEC=" + bad), bad);
            assertEquals(List.of(), Notification.parse("X_HERD_SERVED=" + bad), bad);
        }
    }
}
