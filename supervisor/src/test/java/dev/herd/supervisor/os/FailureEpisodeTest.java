package dev.herd.supervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FailureEpisodeTest {

    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void failuresCloserThanTheQuietPeriodAreOneEpisodeToldOnce() {
        FailureEpisode episode = new FailureEpisode(5 * SECOND);

        assertTrue(episode.failed(0), "the first failure begins an episode");
        assertFalse(episode.failed(SECOND));
        assertEquals(Optional.empty(), episode.endIfQuiet(4 * SECOND), "a success meanwhile does not end it");
        assertFalse(episode.failed(4 * SECOND), "a flicker is the same episode");

        assertEquals(Optional.of("3 failures in 4000 ms"), episode.endIfQuiet(9 * SECOND));
        assertFalse(episode.failing());
        assertTrue(episode.failed(10 * SECOND), "a new episode is told again");
    }
}
