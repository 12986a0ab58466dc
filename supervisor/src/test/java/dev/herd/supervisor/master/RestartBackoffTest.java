package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RestartBackoffTest {

    @ParameterizedTest(name = "after {0} crashes in a row: {1} ms")
    @CsvSource({"0, 0", "1, 0", "2, 100", "3, 200", "4, 400", "5, 800", "10, 25600", "11, 30000", "12, 30000",
            "22, 30000", "23, 30000", "1000, 30000", "2147483647, 30000"})
    void delayIsZeroAfterTheFirstCrashThenDoublesFrom100MsUpTo30s(int consecutiveCrashes, long expectedMillis) {
        assertEquals(Duration.ofMillis(expectedMillis), RestartBackoff.delayAfter(consecutiveCrashes));
    }
}
