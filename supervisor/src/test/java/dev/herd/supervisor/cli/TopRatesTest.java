package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class TopRatesTest {

    private static final double EXACT = 1e-9;

    @Test
    void noRatesFromOneSample() {
        TopRates rates = TopRates.between(null, TopFixtures.first());
        assertSame(TopRates.NONE, rates);
        assertTrue(rates.of(31843).cpuPercent().isEmpty());
        assertTrue(rates.poolRequestsPerSecond().isEmpty());
    }

    @Test
    void cpuIsTheGrowthOfCpuMsOverWallTimeAndRequestsTheGrowthOfServed() {
        TopRates rates = TopRates.between(TopFixtures.first(), TopFixtures.second());
        // Slot 1 over 2 s: cpuMs 1380 -> 1880, connectionsServed 1409 -> 1709.
        assertEquals(25.0, rates.of(31843).cpuPercent().getAsDouble(), EXACT);
        assertEquals(150.0, rates.of(31843).requestsPerSecond().getAsDouble(), EXACT);
        // Slot 3: cpuMs 1370 -> 1420, served 1410 -> 1510.
        assertEquals(2.5, rates.of(31847).cpuPercent().getAsDouble(), EXACT);
        assertEquals(50.0, rates.of(31847).requestsPerSecond().getAsDouble(), EXACT);
        // Slot 2's old worker, still draining: cpuMs 170 -> 190, served 0 -> 40.
        assertEquals(1.0, rates.of(24337).cpuPercent().getAsDouble(), EXACT);
        assertEquals(20.0, rates.of(24337).requestsPerSecond().getAsDouble(), EXACT);
    }

    @Test
    void aPidTheEarlierSampleLacksStartedSinceAndCountsFromZero() {
        TopRates rates = TopRates.between(TopFixtures.first(), TopFixtures.second());
        // Slot 2's replacement: 400 ms of CPU (a JVM starting) and 5 served, all within the 2 s.
        assertEquals(20.0, rates.of(24600).cpuPercent().getAsDouble(), EXACT);
        assertEquals(2.5, rates.of(24600).requestsPerSecond().getAsDouble(), EXACT);
    }

    @Test
    void thePoolRateIsTheSumOverTheWorkers() {
        TopRates rates = TopRates.between(TopFixtures.first(), TopFixtures.second());
        assertEquals(150.0 + 50.0 + 20.0 + 2.5, rates.poolRequestsPerSecond().getAsDouble(), EXACT);
        assertEquals(4, rates.workers().size(), "no entry for the slot without a process: " + rates.workers());
    }

    @Test
    void samplesOfAnotherMasterGiveNoRates() {
        TopSample second = TopFixtures.second();
        ((ObjectNode) second.status()).put("pid", 4242);
        assertSame(TopRates.NONE, TopRates.between(TopFixtures.first(), second));
    }

    @Test
    void aMissingOrShrinkingCounterGivesNoRateForThatCounterOnly() {
        TopSample second = TopFixtures.second();
        ObjectNode slot1 = (ObjectNode) second.status().path("workers").get(0);
        slot1.putNull("cpuMs"); // the master could not read /proc for it
        ObjectNode slot3 = (ObjectNode) second.status().path("workers").get(4);
        slot3.put("connectionsServed", 1000); // below the earlier 1410: no rate rather than a negative one
        TopRates rates = TopRates.between(TopFixtures.first(), second);
        assertEquals(OptionalDouble.empty(), rates.of(31843).cpuPercent());
        assertEquals(150.0, rates.of(31843).requestsPerSecond().getAsDouble(), EXACT);
        assertEquals(OptionalDouble.empty(), rates.of(31847).requestsPerSecond());
        assertEquals(2.5, rates.of(31847).cpuPercent().getAsDouble(), EXACT);
        assertFalse(rates.poolRequestsPerSecond().isEmpty());
    }

    @Test
    void ratesAreWrittenWithOneDecimalWhateverTheLocale() {
        assertEquals("-", TopView.rate(OptionalDouble.empty()));
        assertEquals("0.0", TopView.rate(OptionalDouble.of(0)));
        assertEquals("1234.5", TopView.rate(OptionalDouble.of(1234.54)));
        assertEquals("12346", TopView.rate(OptionalDouble.of(12345.6)));
    }
}
