package dev.herd.supervisor.spawn;

import dev.herd.log.Log;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds, in what a worker printed, the line that says why it could not boot: {@code herd status}'s
 * {@code cannot boot:} text. Not the first line of a multi-line record, nor an unrelated line logged long before
 * (Spring Boot logs much before its stack trace), but, best first:
 * <ol>
 *   <li>a class built for a newer Java than the worker's ({@code UnsupportedClassVersionError}), said as such;
 *   <li>why the JVM could not be created: the line before the launcher's "Error: Could not create the Java
 *       Virtual Machine." ({@code Unrecognized VM option 'X'});
 *   <li>the last line of the java launcher's shape, {@code Error: ...} ("Could not find or load main class x",
 *       "Unable to access jarfile x"), which herd's own Spring Boot starter also uses for what it refuses;
 *   <li>Spring Boot's failure analysis: the line after its "Description:";
 *   <li>the root cause of the last stack trace (its last top-level {@code Caused by:}, else its first line),
 *       unless an error line came after that trace began;
 *   <li>the last line logged at ERROR, else the first at WARN (unmarked stderr: a program's complaint).
 * </ol>
 * A worker may print megabytes before it dies: this keeps only those candidates and a few recent lines per
 * stream, each cut to {@link #MAX_CHARS}, never the output itself. Used on the I/O thread only.
 */
final class RootCause {

    /** A candidate line longer than this is cut: it is quoted in one log line and one status field. */
    static final int MAX_CHARS = 500;
    /** Lines kept per stream to find a stack trace's first line among the few before its first frame. */
    private static final int RECENT_LINES = 4;

    private static final String CREATE_VM_FAILED = "Error: Could not create the Java Virtual Machine.";
    private static final String FATAL_EXCEPTION = "Error: A fatal exception has occurred. Program will exit.";
    private static final String CLASS_VERSION_WORDS = " has been compiled by a more recent version of the Java";
    private static final Pattern CLASS_VERSION = Pattern.compile("(\\S+) has been compiled by a more recent version "
            + "of the Java Runtime \\(class file version (\\d+)\\.\\d+\\), this version of the Java Runtime only "
            + "recognizes class file versions up to (\\d+)\\.\\d+");
    /**
     * A line of a trace after its first: an indented frame, "... 12 more", logback's "... 3 common frames omitted",
     * or a Suppressed: block and the causes inside it. Not any indented line: Spring Boot's banner is indented too.
     */
    private static final Pattern FRAME = Pattern.compile("\\s+(?:at |\\.\\.\\. \\d|Suppressed: |Caused by: )");
    private static final Pattern EXCEPTION_LINE = Pattern.compile(
            "^(?:Exception in thread \"[^\"]*\" )?((?:[\\w$]+\\.)+[\\w$]*(?:Exception|Error|Throwable)\\b.*)$");
    private static final String CAUSED_BY = "Caused by: ";
    /** The java launcher's lines start with it; a framework's log line has it after its logger (" : Error: "). */
    private static final String LAUNCHER_ERROR = "Error: ";
    private static final String LOGGED_LAUNCHER_ERROR = " : Error: ";
    /** Java's class file major version of release N is N + 44 (61 is Java 17). */
    private static final int CLASS_FILE_TO_JAVA = 44;

    private final String runsOn;
    private final Map<Object, Stream> streams = new HashMap<>();
    private long sequence;

    private String classVersion;
    private String vmCreation;
    private String launcherError;
    /** The last ERROR line in herd's own format: herd's worker API or agent saying what is wrong. */
    private String herdError;
    private String genericError;
    private String failureAnalysis;
    private Trace trace;
    private String lastError;
    private long lastErrorAt;
    private String firstWarning;

    /** @param runsOn which java the worker runs, for a class-version message ({@link WorkerJvm#describe()}) */
    RootCause(String runsOn) {
        this.runsOn = runsOn;
    }

    /**
     * One line the worker printed on {@code stream} (its stdout or stderr: a stack trace's lines come on one),
     * logged at {@code level}; {@code message} is its text without herd's own timestamp and name, if it had them.
     */
    void accept(Object stream, String message, Log.Level level) {
        accept(stream, message, level, false);
    }

    /** As above; {@code fromHerd}: the line was in herd's own format (written by herd's code in the worker). */
    void accept(Object stream, String message, Log.Level level, boolean fromHerd) {
        if (fromHerd && level.compareTo(Log.Level.ERROR) >= 0) {
            herdError = message.length() > MAX_CHARS ? message.substring(0, MAX_CHARS) + "..." : message;
        }
        Stream on = streams.computeIfAbsent(stream, key -> new Stream());
        long at = ++sequence;
        String line = message.length() > MAX_CHARS ? message.substring(0, MAX_CHARS) + "..." : message;
        // The pattern only where its fixed words are: matched on every line, its leading \S+ would cost time
        // quadratic in the length of each word of a long line, on the thread that relays all workers' output.
        if (message.contains(CLASS_VERSION_WORDS)) {
            Matcher classFile = CLASS_VERSION.matcher(message);
            if (classFile.find()) {
                classVersion = classVersionMessage(classFile);
            }
        }
        if (!line.isEmpty() && Character.isWhitespace(line.charAt(0)) && FRAME.matcher(line).lookingAt()) {
            if (!on.inTrace && !on.causeAwaitsFrames) {
                trace = new Trace(traceHead(on), at); // the first frame: the lines before it named the exception
            }
            on.inTrace = true;
            on.causeAwaitsFrames = false;
            on.recent.clear();
            return;
        }
        if (line.startsWith(CAUSED_BY)) {
            if (trace == null) {
                trace = new Trace(line, at);
            }
            trace.cause = line.substring(CAUSED_BY.length());
            on.inTrace = false;
            on.causeAwaitsFrames = true; // lines until its first frame continue its message
            on.recent.clear();
            return;
        }
        on.inTrace = false;
        if (!on.causeAwaitsFrames) {
            remember(on, line);
        }
        if (line.equals(CREATE_VM_FAILED)) {
            // What the JVM could not take came just before ("Unrecognized VM option 'X'", an invalid heap size).
            on.previousPlain.filter(previous -> !previous.equals(FATAL_EXCEPTION))
                    .ifPresent(previous -> vmCreation = previous);
            genericError = genericError == null ? line : genericError;
        } else if (line.equals(FATAL_EXCEPTION)) {
            genericError = genericError == null ? line : genericError;
        } else {
            int logged = line.indexOf(LOGGED_LAUNCHER_ERROR);
            if (line.startsWith(LAUNCHER_ERROR)) {
                launcherError = line;
            } else if (logged >= 0) {
                launcherError = line.substring(logged + LOGGED_LAUNCHER_ERROR.length() - LAUNCHER_ERROR.length());
            } else if (on.afterDescription) {
                failureAnalysis = line;
            }
        }
        on.afterDescription = line.equals("Description:");
        on.previousPlain = Optional.of(line);
        if (level.compareTo(Log.Level.ERROR) >= 0) {
            lastError = line;
            lastErrorAt = at;
        } else if (level == Log.Level.WARN && firstWarning == null) {
            firstWarning = line;
        }
    }

    /** The line that best says why the worker could not boot, if it printed any. */
    Optional<String> line() {
        if (classVersion != null) {
            return Optional.of(classVersion);
        }
        if (vmCreation != null) {
            return Optional.of(vmCreation);
        }
        if (launcherError != null) {
            return Optional.of(launcherError);
        }
        if (herdError != null) {
            // herd's own code in the worker (the agent naming a port every worker binds) says what the trace
            // after it only shows: "this app also binds port 8081 itself", not "BindException".
            return Optional.of(herdError);
        }
        if (failureAnalysis != null) {
            return Optional.of(failureAnalysis);
        }
        if (trace != null && (lastError == null || lastErrorAt <= trace.startedAt)) {
            return Optional.of(trace.cause != null ? trace.cause : trace.head);
        }
        return Optional.ofNullable(lastError).or(() -> Optional.ofNullable(firstWarning))
                .or(() -> Optional.ofNullable(genericError));
    }

    private static void remember(Stream on, String line) {
        if (on.recent.size() == RECENT_LINES) {
            on.recent.removeFirst();
        }
        on.recent.addLast(line);
    }

    /**
     * The first line of a stack trace whose first frame just came: the latest of the last few lines that names an
     * exception (the others continue its message), or else the line just before the frame.
     */
    private static String traceHead(Stream on) {
        for (var lines = on.recent.descendingIterator(); lines.hasNext(); ) {
            Matcher exception = EXCEPTION_LINE.matcher(lines.next());
            if (exception.matches()) {
                return exception.group(1);
            }
        }
        return on.recent.isEmpty() ? "a stack trace" : on.recent.getLast();
    }

    private String classVersionMessage(Matcher classFile) {
        int built = Integer.parseInt(classFile.group(2));
        int supported = Integer.parseInt(classFile.group(3));
        return "UnsupportedClassVersionError: " + classFile.group(1) + " is built for Java " + (built
                - CLASS_FILE_TO_JAVA) + " (class file " + built + "), this worker runs Java " + (supported
                - CLASS_FILE_TO_JAVA) + " (" + runsOn + ")";
    }

    /** What one output stream is in the middle of. */
    private static final class Stream {
        final Deque<String> recent = new ArrayDeque<>();
        Optional<String> previousPlain = Optional.empty();
        boolean inTrace;
        boolean causeAwaitsFrames;
        boolean afterDescription;
    }

    /** The latest stack trace: its first line, where it began, and its last top-level cause. */
    private static final class Trace {
        final String head;
        final long startedAt;
        String cause;

        Trace(String head, long startedAt) {
            this.head = head;
            this.startedAt = startedAt;
        }
    }
}
