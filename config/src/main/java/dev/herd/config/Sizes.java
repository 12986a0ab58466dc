package dev.herd.config;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The size syntax of the config file and the command line: a whole number followed by a unit, {@code KB}, {@code MB}
 * or {@code GB}, powers of 1024 as in the JVM's {@code -Xmx512m} ({@code KiB}, {@code MiB}, {@code GiB} mean the
 * same), or {@code B} for bytes. {@link #format} writes the largest unit that divides exactly.
 */
public final class Sizes {

    private record Unit(String suffix, long bytes) {
    }

    private static final List<Unit> UNITS = List.of(new Unit("GB", 1L << 30), new Unit("MB", 1L << 20),
            new Unit("KB", 1L << 10), new Unit("B", 1));
    private static final Pattern SYNTAX = Pattern.compile("([0-9]{1,12})(B|KB|MB|GB|KiB|MiB|GiB)");

    private Sizes() {
    }

    /** Parses {@code <digits><unit>}, e.g. {@code 512MB}. */
    public static long parse(String text) {
        Matcher matcher = SYNTAX.matcher(text);
        if (!matcher.matches()) {
            throw new InvalidValueException(text, "is not a size (use e.g. 512MB, 2GB)");
        }
        String suffix = matcher.group(2).replace("i", "");
        long unit = UNITS.stream().filter(u -> u.suffix().equals(suffix)).findFirst().orElseThrow().bytes();
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), unit);
        } catch (ArithmeticException tooLarge) {
            throw new InvalidValueException(text, "is not a size (use e.g. 512MB, 2GB)");
        }
    }

    public static String format(long bytes) {
        for (Unit unit : UNITS) {
            if (bytes % unit.bytes() == 0) {
                return bytes / unit.bytes() + unit.suffix();
            }
        }
        throw new AssertionError("every size is a whole number of bytes");
    }
}
