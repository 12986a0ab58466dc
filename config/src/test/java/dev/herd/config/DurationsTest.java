package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"0, 0", "0ms, 0", "0s, 0", "500ms, 500", "1500ms, 1500", "30s, 30000", "2m, 120000",
            "1h, 3600000", "90m, 5400000", "007s, 7000"})
    void parsesEachUnit(String text, long expectedMillis) {
        assertEquals(Duration.ofMillis(expectedMillis), Durations.parse(text));
    }

    @ParameterizedTest
    @CsvSource({"0, 0", "1, 1ms", "1500, 1500ms", "30000, 30s", "90000, 90s", "120000, 2m", "5400000, 90m",
            "3600000, 1h", "7200000, 2h"})
    void formatsInTheShortestExactForm(long millis, String expected) {
        assertEquals(expected, Durations.format(Duration.ofMillis(millis)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1ms", "999ms", "1s", "61s", "59m", "1h", "25h", "1500ms"})
    void formatThenParseRoundTrips(String canonical) {
        Duration parsed = Durations.parse(canonical);
        assertEquals(canonical, Durations.format(parsed));
        assertEquals(parsed, Durations.parse(Durations.format(parsed)));
    }

    @Test
    void roundTripsTheLargestDuration() {
        Duration largest = Duration.ofMillis(Long.MAX_VALUE);
        assertEquals(largest, Durations.parse(Durations.format(largest)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "30x", "30", "-5s", "+5s", "1.5s", "5 s", " 5s", "5S", "s", "ms", "1m30s", "00",
            "9223372036854775808ms", "9223372036854775807s", "99999999999999999999999h"})
    void rejectsAnythingElseNamingTheText(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
        assertEquals("'" + text + "' is not a duration (use e.g. 500ms, 30s, 2m)", e.getMessage());
    }

    @Test
    void formatRejectsWhatParseCouldNotHaveProduced() {
        assertThrows(IllegalArgumentException.class, () -> Durations.format(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> Durations.format(Duration.ofNanos(1_500_000)));
        assertThrows(IllegalArgumentException.class, () -> Durations.format(Duration.ofSeconds(Long.MAX_VALUE)));
        assertFalse(Durations.isExpressible(Duration.ofNanos(1)));
        assertTrue(Durations.isExpressible(Duration.ZERO));
    }
}
