package dev.herd.config;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The duration syntax of the config file and the command line: a whole number followed by a unit, {@code ms},
 * {@code s}, {@code m} or {@code h} ({@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}), or a bare {@code 0}.
 * No signs, decimals, spaces or combined forms. {@link #format} writes the shortest exact form in the same
 * syntax, so {@code parse(format(d)).equals(d)} for every duration {@code format} accepts.
 */
public final class Durations {

    private record Unit(String suffix, long millis) {
    }

    /** Largest first, so that {@link #format} picks the largest unit that divides exactly. */
    private static final List<Unit> UNITS = List.of(
            new Unit("h", 3_600_000), new Unit("m", 60_000), new Unit("s", 1_000), new Unit("ms", 1));

    private static final Pattern SYNTAX = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses {@code <digits><unit>} or {@code 0}.
     *
     * @throws InvalidValueException (an IllegalArgumentException) naming the text, if it is not a duration
     *                               or does not fit in a {@code long} of milliseconds
     */
    public static Duration parse(String text) {
        if (text.equals("0")) {
            return Duration.ZERO;
        }
        Matcher matcher = SYNTAX.matcher(text);
        if (!matcher.matches()) {
            throw notADuration(text);
        }
        try {
            long amount = Long.parseLong(matcher.group(1));
            return Duration.ofMillis(Math.multiplyExact(amount, unitMillis(matcher.group(2))));
        } catch (NumberFormatException | ArithmeticException tooLarge) {
            throw notADuration(text);
        }
    }

    /**
     * Writes {@code duration} in the shortest exact form: 30000ms as {@code 30s}, 1500ms as {@code 1500ms},
     * zero as {@code 0}.
     *
     * @throws IllegalArgumentException if the duration is negative, has a fraction of a millisecond or does
     *                                  not fit in a {@code long} of milliseconds (see {@link #isExpressible})
     */
    public static String format(Duration duration) {
        if (!isExpressible(duration)) {
            throw new IllegalArgumentException(duration + " is not a whole, non-negative number of milliseconds");
        }
        long millis = duration.toMillis();
        if (millis == 0) {
            return "0";
        }
        for (Unit unit : UNITS) {
            if (millis % unit.millis() == 0) {
                return millis / unit.millis() + unit.suffix();
            }
        }
        throw new AssertionError("every whole number of milliseconds is divisible by 1ms");
    }

    /** Whether {@link #format} can write {@code duration} exactly, i.e. {@link #parse} could have produced it. */
    public static boolean isExpressible(Duration duration) {
        if (duration.isNegative() || duration.getNano() % 1_000_000 != 0) {
            return false;
        }
        try {
            duration.toMillis();
            return true;
        } catch (ArithmeticException tooLarge) {
            return false;
        }
    }

    private static long unitMillis(String suffix) {
        return UNITS.stream().filter(unit -> unit.suffix().equals(suffix)).findFirst().orElseThrow().millis();
    }

    private static InvalidValueException notADuration(String text) {
        return new InvalidValueException(text, "is not a duration (use e.g. 500ms, 30s, 2m)");
    }
}
