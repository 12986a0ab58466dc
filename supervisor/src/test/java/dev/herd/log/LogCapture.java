package dev.herd.log;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps the log lines a test provokes on purpose out of the build's output, and lets the test assert on them: for
 * the length of each test every {@link Log} line goes to a list instead of stderr ({@link Log#capture}). A test
 * that fails gets its captured lines printed, so the evidence is not lost. Use it as
 * {@code @RegisterExtension final LogCapture log = new LogCapture();}. Threads a test started must be stopped in
 * its {@code @AfterEach} (which runs before this extension's), or their late lines reach stderr again.
 */
public final class LogCapture implements BeforeEachCallback, AfterEachCallback {

    /** The level of a timestamped line ({@code ... ERROR master[1] ...}) or of a journal one ({@code <3>...}). */
    private static final Pattern LEVEL = Pattern.compile("^(?:\\S+ (DEBUG|INFO|WARN|ERROR) |<(\\d)>)");

    private final List<String> lines = new CopyOnWriteArrayList<>();

    @Override
    public void beforeEach(ExtensionContext context) {
        lines.clear();
        Log.capture(new PrintStream(OutputStream.nullOutputStream()) {
            @Override
            public void println(String line) {
                lines.add(line);
            }
        });
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Log.capture(null);
        if (context.getExecutionException().isPresent() && !lines.isEmpty()) {
            System.err.println("---- log lines of " + context.getDisplayName() + " ----");
            lines.forEach(System.err::println);
        }
    }

    /** Every line logged so far in this test. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** The lines at {@code level} that contain {@code text}. */
    public List<String> lines(Log.Level level, String text) {
        return lines.stream().filter(line -> levelOf(line).equals(Optional.of(level)) && line.contains(text))
                .toList();
    }

    /** The first line at {@code level} containing {@code text}; fails the test, showing every line, if none. */
    public String expect(Log.Level level, String text) {
        return lines(level, text).stream().findFirst().orElseThrow(() -> new AssertionError(
                "no " + level + " line containing \"" + text + "\" in:\n" + String.join("\n", lines)));
    }

    /** Like {@link #expect}, for a line another thread writes: polls until {@code timeout}. */
    public String await(Log.Level level, String text, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines(level, text).isEmpty() && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(5_000_000); // the polling interval, not a wait for the outcome
        }
        return expect(level, text);
    }

    /** How many lines at {@code level} there are. */
    public long count(Log.Level level) {
        return lines.stream().filter(line -> levelOf(line).equals(Optional.of(level))).count();
    }

    static Optional<Log.Level> levelOf(String line) {
        Matcher matcher = LEVEL.matcher(line);
        if (!matcher.find()) {
            return Optional.empty();
        }
        if (matcher.group(1) != null) {
            return Optional.of(Log.Level.valueOf(matcher.group(1)));
        }
        return switch (matcher.group(2)) {
            case "7" -> Optional.of(Log.Level.DEBUG);
            case "6" -> Optional.of(Log.Level.INFO);
            case "4" -> Optional.of(Log.Level.WARN);
            case "3" -> Optional.of(Log.Level.ERROR);
            default -> Optional.empty();
        };
    }
}
