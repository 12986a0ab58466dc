package dev.herd.supervisor.cli;

import dev.herd.config.Durations;
import java.time.Duration;
import picocli.CommandLine;

/**
 * A duration flag ({@code 500ms}, {@code 30s}, {@code 2m}) within limits, as a picocli converter; picocli makes
 * converters from their class, so each flag has a subclass naming its limits.
 */
abstract class BoundedDuration implements CommandLine.ITypeConverter<Duration> {

    private final Duration min;
    private final Duration max;
    private final String range;

    BoundedDuration(Duration min, Duration max, String range) {
        this.min = min;
        this.max = max;
        this.range = range;
    }

    @Override
    public Duration convert(String value) {
        Duration duration;
        try {
            duration = Durations.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not " + range);
        }
        return duration;
    }
}
