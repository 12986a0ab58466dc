package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * Two status replies for the top tests, two seconds apart. The first was recorded from a real master (three echo
 * workers, slot 2's killed once); the second is that one edited into what two seconds later might bring: traffic on
 * slots 1 and 3, slot 2 in a rolling restart (its old worker and the replacement), a fourth slot flapping with no
 * process, and the workers listed out of slot order.
 */
final class TopFixtures {

    static final Instant FIRST_AT = Instant.parse("2026-11-30T04:31:43Z");
    static final long FIRST_NANOS = 5_000_000_000L;

    private TopFixtures() {
    }

    static TopSample first() {
        return new TopSample(read("top-status-1.json"), FIRST_NANOS, FIRST_AT);
    }

    static TopSample second() {
        return new TopSample(read("top-status-2.json"), FIRST_NANOS + 2_000_000_000L, FIRST_AT.plusSeconds(2));
    }

    static JsonNode read(String resource) {
        try (InputStream in = TopFixtures.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("no test resource " + resource);
            }
            return AdminClient.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
