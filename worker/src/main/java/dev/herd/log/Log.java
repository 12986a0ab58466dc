package dev.herd.log;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * herd's one-line-per-event log on stderr, shared by the master and the workers so that their lines interleave
 * in one readable stream: {@code 2026-11-24T17:30:01.123Z INFO  master[4242] listening on 127.0.0.1:9876}.
 * The source is {@code master} or {@code worker-N}; the pid is the process's own. One {@code println} per event
 * keeps lines whole. It writes to whatever {@code System.err} is at the time (a worker replaces it early on, see
 * {@code StandardStreams}).
 */
public final class Log {

    public enum Level { DEBUG, INFO, WARN, ERROR }

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private static volatile String source = "herd";
    private static final long PID = ProcessHandle.current().pid();

    private Log() {
    }

    /** Names the process in every following line: {@code master} or {@code worker-3}. */
    public static void setSource(String name) {
        source = name;
    }

    public static void info(String format, Object... args) {
        write(Level.INFO, format, args);
    }

    public static void warn(String format, Object... args) {
        write(Level.WARN, format, args);
    }

    public static void error(String format, Object... args) {
        write(Level.ERROR, format, args);
    }

    /**
     * Passes on a line another process wrote (a worker's output, relayed by the master): a line already in this
     * format goes out as it is; any other line (a JVM error, a stack trace, a non-Java worker's output) gets a
     * timestamp, INFO and the given source and pid, so every line says where it came from.
     */
    public static void relay(String otherSource, long otherPid, String line) {
        String tag = " " + otherSource + "[" + otherPid + "] ";
        boolean alreadyFormatted = line.length() > 30 && line.charAt(4) == '-' && line.contains(tag);
        emit(alreadyFormatted ? line : format(Level.INFO, otherSource, otherPid, line));
    }

    private static void write(Level level, String format, Object... args) {
        emit(format(level, source, PID, args.length == 0 ? format : String.format(format, args)));
    }

    private static String format(Level level, String from, long pid, String message) {
        return TIMESTAMP.format(Instant.now()) + " " + String.format("%-5s", level) + " " + from + "[" + pid + "] "
                + message;
    }

    private static void emit(String line) {
        PrintStream out = System.err;
        synchronized (out) {
            out.println(line);
        }
    }
}
