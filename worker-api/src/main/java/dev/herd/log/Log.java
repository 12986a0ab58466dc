package dev.herd.log;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * herd's one-line-per-event log, shared by the master and the workers so that their lines interleave in one
 * readable stream: {@code 2026-11-24T17:30:01.123Z INFO  master[4242] listening on 127.0.0.1:9876}.
 * The source is {@code master} or {@code worker-N}; the pid is the process's own. One {@code println} per event
 * keeps lines whole.
 * <p>
 * Where lines go: to whatever {@code System.err} is at the time (a worker replaces it early on, see
 * {@code StandardStreams}), or to a file after {@link #toFile}, which {@link #reopen} reopens for logrotate.
 * When stderr is journald's stream (systemd sets {@code JOURNAL_STREAM} to its {@code device:inode}, see
 * sd-daemon(3)), a line is {@code <6>master[4242] listening on ...}: the syslog priority journald reads, and no
 * timestamp, since journald stamps every line itself.
 */
public final class Log {

    /** Levels with the syslog priority that journald reads from a {@code <N>} prefix. */
    public enum Level {
        DEBUG(7), INFO(6), WARN(4), ERROR(3);

        private final int syslogPriority;

        Level(int syslogPriority) {
            this.syslogPriority = syslogPriority;
        }
    }

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** A line in the timestamped format: timestamp, level, {@code source[pid]}, message. */
    private static final Pattern TIMESTAMPED =
            Pattern.compile("^\\d{4}-\\d\\d-\\d\\dT\\S+Z (DEBUG|INFO|WARN|ERROR) +(\\S+\\[\\d+\\]) (.*)$");

    /** A level word as other loggers write one ("2026-... INFO 42 --- ...", "WARNING:root:...", "SEVERE: ..."). */
    private static final Pattern NAMED_LEVEL =
            Pattern.compile("\\b(TRACE|DEBUG|FINEST|FINER|FINE|INFO|WARN|WARNING|ERROR|FATAL|SEVERE|CRITICAL)\\b");
    /** Only the start of a line is searched: a level word later on is part of the message. */
    private static final int LEVEL_SEARCH_CHARS = 48;

    private static final long PID = ProcessHandle.current().pid();
    private static final Object LOCK = new Object();

    private static volatile String source = "herd";
    /** Whether stderr is journald's stream; only stderr is, never a log file. */
    private static final boolean STDERR_IS_JOURNAL = isJournalStream(System.getenv("JOURNAL_STREAM"));
    // Changed under LOCK; read without it where a line goes to stderr, so that a slow reader of stderr never holds
    // the lock that a reload or a logrotate's reopen takes.
    private static volatile Path filePath; // null: stderr
    private static volatile OutputStream fileStream;
    /** Lines a failing log file (a full disk) did not take, since the last one it did; guarded by LOCK. */
    private static long linesLost;
    private static String lossReason; // guarded by LOCK
    /** Where lines go in tests that capture them; guarded by LOCK. */
    private static volatile PrintStream captured;
    /** One JSON object per line instead of the text format ({@link #useJson}); the master's choice. */
    private static volatile boolean json;
    /** The master's writer thread and its queue; null in a worker and in the CLI, which write in line. */
    private static volatile WriteBehind writeBehind;

    private Log() {
    }

    /** Names the process in every following line: {@code master} or {@code worker-3}. */
    public static void setSource(String name) {
        source = name;
    }

    /**
     * From now on, appends to {@code path} instead of writing to stderr (timestamped lines: a file is not the
     * journal). The file is created if missing; its directory is not. A symbolic link is refused, and so is a
     * file in a directory others may write to (unless sticky): either would let someone else choose which file
     * herd appends to, as root perhaps.
     *
     * @throws IOException if the file cannot or must not be opened for appending
     */
    public static void toFile(Path path) throws IOException {
        OutputStream next = openAppending(path);
        OutputStream previous;
        synchronized (LOCK) {
            previous = fileStream;
            fileStream = next;
            filePath = path;
        }
        if (previous != null) {
            previous.close();
        }
    }

    /** From now on, writes to stderr again (a reload that removed the log file). */
    public static void toStderr() throws IOException {
        OutputStream previous;
        synchronized (LOCK) {
            previous = fileStream;
            fileStream = null;
            filePath = null;
        }
        if (previous != null) {
            previous.close();
        }
    }

    /**
     * From now on a thread of its own writes the lines, taken from a queue of at most {@code capacity}: no caller
     * ever waits on the log's reader (a slow journald, {@code herd run | less}, a pipe nobody reads). When the
     * queue is full a line is dropped and counted, and once the reader takes lines again the writer says how many
     * were dropped. For the master, whose loop and worker I/O thread must never block on output; a worker keeps
     * writing in line (a slow reader slows it down, as it would any program). Lines still queued when the JVM
     * exits get {@code DRAIN_AT_EXIT_MILLIS} to be written.
     */
    public static synchronized void writeBehind(int capacity) {
        if (writeBehind != null) {
            return;
        }
        WriteBehind writer = new WriteBehind(capacity, Log::writeNow,
                dropped -> format(Level.WARN, source, PID, dropped + " log lines were dropped: the log's reader "
                        + "took lines more slowly than herd wrote them", journalFormat(), Instant.now()));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> writer.drain(DRAIN_AT_EXIT_MILLIS),
                "herd-log-drain"));
        writeBehind = writer;
    }

    /**
     * Writes the lines still queued by {@link #writeBehind}, waiting {@code millis} at most: before the master
     * replaces its program (an upgrade's exec), which runs no shutdown hook.
     */
    public static void drain(long millis) {
        WriteBehind writer = writeBehind;
        if (writer != null) {
            writer.drain(millis);
        }
    }

    /**
     * From now on (or no longer) each line is one JSON object, for log collectors: {@code {"time":
     * "2026-12-07T04:00:00.123Z", "level": "INFO", "source": "worker-2", "slot": 2, "pid": 4250, "message":
     * "accepting"}}, the fields journald gets from the text format ({@code slot} only for a worker's lines). Lines
     * that workers write in herd's text format are turned into objects with their own level; any other line a worker
     * prints becomes the message of an object of that worker. On journald's stream the object follows the
     * {@code <N>} priority prefix, as a text line does.
     */
    public static void useJson(boolean on) {
        json = on;
    }

    /** How long queued lines may take to be written when the master exits; a reader that stalls loses them. */
    private static final long DRAIN_AT_EXIT_MILLIS = 2000;

    /** Lines dropped since the start because the log's reader was too slow (always 0 without writeBehind). */
    public static long linesDropped() {
        WriteBehind writer = writeBehind;
        return writer == null ? 0 : writer.droppedInAll();
    }

    /** The log file lines go to, if not stderr. */
    public static Optional<Path> file() {
        synchronized (LOCK) {
            return Optional.ofNullable(filePath);
        }
    }

    /**
     * For tests: every line goes to {@code target} (null: back to normal), so that a test can keep the errors it
     * provokes out of the build's output and assert on them instead.
     */
    public static void capture(PrintStream target) {
        synchronized (LOCK) {
            captured = target;
        }
    }

    /**
     * Opens the log file again by its name, for logrotate's pattern: move the file away, then signal (SIGUSR1).
     * Lines written until then went on to the moved file; the following ones go to a fresh file at the path. If
     * the file cannot be opened, logging goes on into the old one and the error says so.
     */
    public static void reopen() {
        Path path;
        synchronized (LOCK) {
            path = filePath;
        }
        if (path == null) {
            info("no log file to reopen: logging to stderr");
            return;
        }
        try {
            toFile(path);
            info("reopened log file %s", path);
        } catch (IOException e) {
            error("%s; still writing to the previous log file", e.getMessage());
        }
    }

    public static void debug(String format, Object... args) {
        write(Level.DEBUG, format, args);
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
     * Passes on a line another process wrote (a worker's output, relayed by the master) and returns the level it
     * was logged at. A line in the timestamped format from that source keeps its level and message; any other
     * line (a JVM error, a stack trace, a framework's log line, a non-Java worker's output) becomes a line of the
     * given source and pid, at the level its text names near its start ({@code INFO}, {@code WARNING},
     * {@code ERROR}, {@code SEVERE}, ...) or else at {@code unmarked}. So every line says where it came from, and
     * {@code journalctl -p warning} shows what a worker wrote to stderr.
     */
    public static Level relay(String otherSource, long otherPid, String line, Level unmarked) {
        Relayed relayed = relayed(otherSource, otherPid, line, unmarked, journalFormat(), Instant.now());
        emit(relayed.line(), true);
        return relayed.level();
    }

    /** The message of a line in the timestamped format, or the whole line. */
    public static String messageOf(String line) {
        Matcher formatted = TIMESTAMPED.matcher(line);
        return formatted.matches() ? formatted.group(3) : line;
    }

    /** A relayed line as written, and its level. */
    record Relayed(String line, Level level) {
    }

    /** The line {@link #relay} writes, in the journal format or the timestamped one. */
    static Relayed relayed(String otherSource, long otherPid, String rawLine, Level unmarked, boolean journal,
                           Instant now) {
        // A worker's bytes reach the operator's terminal: no escape sequence, no CR that rewrites the line. A
        // CRLF line end is only a line end.
        String line = ControlCharacters.escape(rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1)
                : rawLine);
        Matcher formatted = TIMESTAMPED.matcher(line);
        if (formatted.matches() && formatted.group(2).equals(otherSource + "[" + otherPid + "]")) {
            Level level = Level.valueOf(formatted.group(1));
            if (json) {
                return new Relayed(format(level, otherSource, otherPid, formatted.group(3), journal, now), level);
            }
            return new Relayed(journal ? "<" + level.syslogPriority + ">" + formatted.group(2) + " "
                    + formatted.group(3) : line, level);
        }
        Level level = namedLevel(line).orElse(unmarked);
        return new Relayed(format(level, otherSource, otherPid, line, journal, now), level);
    }

    /** The level a foreign log line names in its first characters, as logback, JUL or Python's logging write it. */
    static java.util.Optional<Level> namedLevel(String line) {
        Matcher named = NAMED_LEVEL.matcher(line.length() <= LEVEL_SEARCH_CHARS ? line
                : line.substring(0, LEVEL_SEARCH_CHARS));
        if (!named.find()) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(switch (named.group(1)) {
            case "TRACE", "DEBUG", "FINE", "FINER", "FINEST" -> Level.DEBUG;
            case "INFO" -> Level.INFO;
            case "WARN", "WARNING" -> Level.WARN;
            default -> Level.ERROR; // ERROR, FATAL, SEVERE, CRITICAL
        });
    }

    static String format(Level level, String from, long pid, String message, boolean journal, Instant now) {
        if (json) {
            String object = jsonObject(level, from, pid, message, now);
            return journal ? "<" + level.syslogPriority + ">" + object : object;
        }
        String tagged = from + "[" + pid + "] " + message;
        if (journal) {
            return "<" + level.syslogPriority + ">" + tagged;
        }
        return TIMESTAMP.format(now) + " " + String.format("%-5s", level) + " " + tagged;
    }

    private static final Pattern WORKER_SOURCE = Pattern.compile("worker-(\\d{1,9})");

    static String jsonObject(Level level, String from, long pid, String message, Instant now) {
        StringBuilder object = new StringBuilder(message.length() + 120).append("{\"time\":\"")
                .append(TIMESTAMP.format(now)).append("\",\"level\":\"").append(level).append("\",\"source\":");
        appendJsonString(object, from);
        Matcher worker = WORKER_SOURCE.matcher(from);
        if (worker.matches()) {
            object.append(",\"slot\":").append(Integer.parseInt(worker.group(1)));
        }
        object.append(",\"pid\":").append(pid).append(",\"message\":");
        appendJsonString(object, message);
        return object.append('}').toString();
    }

    /** A JSON string (RFC 8259): quotes, backslashes and every control character escaped, so a line stays one line. */
    private static void appendJsonString(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    /**
     * sd-daemon(3): a process's stderr is connected to journald if {@code JOURNAL_STREAM} ({@code dev:inode},
     * decimal) names the file on fd 2. Comparing matters: a child whose stderr was redirected (a worker's pipe,
     * {@code 2>file}) inherits the variable but must not use journald's format.
     */
    static boolean isJournalStream(String journalStream) {
        if (journalStream == null || !journalStream.matches("\\d+:\\d+")) {
            return false;
        }
        try {
            Map<String, Object> stderr = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
            String[] devIno = journalStream.split(":");
            return Long.parseLong(devIno[0]) == (Long) stderr.get("dev")
                    && Long.parseLong(devIno[1]) == (Long) stderr.get("ino");
        } catch (IOException | UnsupportedOperationException | NumberFormatException e) {
            return false; // no /proc, fd 2 closed, or a number out of range: not the journal
        }
    }

    private static boolean journalFormat() {
        return STDERR_IS_JOURNAL && fileStream == null;
    }

    private static boolean journalOnStderr() {
        return STDERR_IS_JOURNAL;
    }

    private static void write(Level level, String format, Object... args) {
        // Own lines quote worker text too (a first error line, a STATUS=): escaped like the relayed ones.
        emit(format(level, source, PID, ControlCharacters.escape(args.length == 0 ? format
                : String.format(format, args)), journalFormat(), Instant.now()), false);
    }

    /**
     * One write per line keeps lines whole. A log file that fails (a full disk) does not stop anything: the line is
     * counted as lost, stderr hears about it once, and when the file takes lines again the first one says how
     * many were lost.
     */
    private static void emit(String line, boolean relayed) {
        WriteBehind writer = writeBehind;
        if (writer != null) {
            writer.offer(line, relayed);
        } else {
            writeNow(line);
        }
    }

    /** Writes a line where lines go now; a PrintStream's println is atomic, a log file's write is under LOCK. */
    private static void writeNow(String line) {
        PrintStream target = captured;
        if (target != null) {
            target.println(line);
        } else if (fileStream == null) {
            System.err.println(line);
        } else {
            synchronized (LOCK) {
                if (fileStream != null) {
                    writeToFile(line);
                } else {
                    System.err.println(line); // toStderr() came in between
                }
            }
        }
    }

    private static void writeToFile(String line) {
        try {
            if (linesLost > 0) {
                // The write that failed first may have put part of its line in the file (a disk full mid-line):
                // a newline ends that part, so that the notice starts a line of its own.
                fileStream.write(((endsMidLine(filePath) ? "\n" : "") + format(Level.WARN, source, PID, linesLost
                        + " log lines were lost: " + lossReason, false, Instant.now()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                linesLost = 0;
            }
            fileStream.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            if (linesLost++ == 0) {
                lossReason = e.getMessage() == null ? e.toString() : e.getMessage();
                System.err.println(format(Level.ERROR, source, PID, "writing log file " + filePath + " failed ("
                        + lossReason + "); lines are lost until it works again", journalOnStderr(), Instant.now()));
            }
        }
    }

    /** Whether the file's last byte is not a newline (read once, when lines were lost: never on the hot path). */
    private static boolean endsMidLine(Path path) {
        try (var file = Files.newByteChannel(path, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            if (file.size() == 0) {
                return false;
            }
            java.nio.ByteBuffer last = java.nio.ByteBuffer.allocate(1);
            file.position(file.size() - 1).read(last);
            return last.get(0) != '\n';
        } catch (IOException | RuntimeException e) {
            return false; // unreadable, or a device such as /dev/full: nothing to end
        }
    }

    /** How many lines the log file has not taken since it last worked. */
    public static long linesLost() {
        synchronized (LOCK) {
            return linesLost;
        }
    }

    /**
     * What {@link #toFile} would refuse about {@code path}, without opening or creating anything ({@code herd run
     * --check}): a missing directory, a directory others may write to (unless sticky), a symbolic link at the path.
     *
     * @throws IOException saying what is wrong
     */
    public static void checkFile(Path path) throws IOException {
        checkDirectory(path);
        if (Files.isSymbolicLink(path)) {
            throw new IOException("cannot open log file " + path + ": it is a symbolic link");
        }
    }

    private static OutputStream openAppending(Path path) throws IOException {
        checkDirectory(path);
        try {
            // O_NOFOLLOW: a link planted at the path is refused, never followed.
            return Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS);
        } catch (FileSystemException e) {
            boolean link = Files.isSymbolicLink(path);
            throw new IOException("cannot open log file " + path + ": " + (link ? "it is a symbolic link"
                    : e.getReason() != null ? e.getReason() : e.toString()), e);
        }
    }

    private static void checkDirectory(Path path) throws IOException {
        Path directory = path.toAbsolutePath().getParent();
        if (directory != null && Files.notExists(directory)) {
            // herd does not create it: which owner and mode a log directory needs is the operator's decision.
            throw new IOException("cannot open log file " + path + ": its directory " + directory
                    + " does not exist (create it first, e.g. install -d -m 0750 " + directory + ")");
        }
        if (directory != null && Files.isDirectory(directory)) {
            int mode = (Integer) Files.getAttribute(directory, "unix:mode");
            if ((mode & 0022) != 0 && (mode & 01000) == 0) {
                throw new IOException("refusing log file " + path + ": others may write to its directory "
                        + directory + " (mode " + Integer.toOctalString(mode & 07777) + ")");
            }
        }
    }
}
