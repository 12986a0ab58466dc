package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.supervisor.os.ExitStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ExitStatus} lives in the os package; it is tested here, next to the loop that logs and stores it. */
class ExitStatusTest {

    @ParameterizedTest(name = "raw status {0} is \"{1}\"")
    @CsvSource({
            "0, exit 0",
            "768, exit 3",            // 3 << 8
            "65280, exit 255",        // 255 << 8
            "9, signal 9 (KILL)",
            "15, signal 15 (TERM)",
            "137, signal 9 (KILL)",   // 0x80 | 9: killed, core dumped
            "6, signal 6 (ABRT)",
            "29, signal 29"})         // SIGIO, which herd has no name for
    void decodesWaitStatusIntoTheLoggedForm(int rawStatus, String expected) {
        assertEquals(expected, ExitStatus.decode(rawStatus).toString());
    }

    @Test
    void normalExitCarriesTheCodeAndNoSignal() {
        ExitStatus status = ExitStatus.decode(3 << 8);
        assertEquals(3, status.exitCode());
        assertFalse(status.killedBySignal());
    }

    @Test
    void deathBySignalCarriesTheSignalAndNoCode() {
        ExitStatus status = ExitStatus.decode(9);
        assertEquals(9, status.signal());
        assertEquals(-1, status.exitCode());
        assertTrue(status.killedBySignal());
    }
}
