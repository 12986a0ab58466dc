package dev.herd.config;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import javax.lang.model.SourceVersion;

/**
 * The rules the value types of {@link ConfigKeys} apply, so that the config file and the command line accept and
 * reject the same values with the same words. {@code parseX(String)} takes the text the user typed;
 * {@code checkX(value)} takes an already typed value and returns it unchanged. Both throw
 * {@link InvalidValueException}, an {@link IllegalArgumentException} whose message names the value, e.g.
 * {@code '0' is not a whole number from 1 to 1024}.
 */
public final class ConfigValues {

    /** The built-in apps a worker can run. */
    public static final List<String> APPS = List.of("echo", "http");
    public static final int MIN_WORKERS = 1;
    public static final int MAX_WORKERS = 1024;
    /** Each spare is a whole JVM doing nothing until needed: a few cover a crash or a recycle at a time. */
    public static final int MAX_SPARE_WORKERS = 64;
    public static final int MIN_BACKLOG = 1;
    public static final int MAX_BACKLOG = 65535;
    /** Linux keeps a Unix socket path in 108 bytes (sun_path), including the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    public static final Duration MAX_READY_TIMEOUT = Duration.ofHours(1);
    public static final Duration MAX_HEARTBEAT_TIMEOUT = Duration.ofHours(1);
    /**
     * Caps that keep every deadline computed from a duration far from overflowing a long of nanoseconds (which
     * ends after 292 years): longer values are mistakes, and would otherwise wedge the master when it adds them.
     */
    public static final Duration MAX_GRACEFUL_TIMEOUT = Duration.ofHours(24);
    public static final Duration MAX_FLAPPING_WINDOW = Duration.ofHours(24);
    public static final int MIN_FLAPPING_CRASHES = 1;
    public static final int MAX_FLAPPING_CRASHES = 1000;

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    // A binary class name as the java launcher takes it: identifiers (letters, digits, _ and $) joined by dots.
    private static final Pattern CLASS_NAME =
            Pattern.compile("[\\p{L}_$][\\p{L}\\p{N}_$]*(\\.[\\p{L}_$][\\p{L}\\p{N}_$]*)*");
    // At most 10 digits, so that the text always fits in a long and the range check below decides.
    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?[0-9]{1,10}");

    private ConfigValues() {
    }

    /** The app must be one of {@link #APPS}. */
    /** The log formats herd writes (`logFormat`). */
    public static final List<String> LOG_FORMATS = List.of("text", "json");

    public static String checkLogFormat(String format) {
        if (!LOG_FORMATS.contains(format)) {
            throw new InvalidValueException(format, "is not a log format (text or json)");
        }
        return format;
    }

    public static String checkApp(String app) {
        if (!APPS.contains(app)) {
            throw new InvalidValueException(app, "is not a known app (known apps: " + String.join(", ", APPS) + ")");
        }
        return app;
    }

    /** A group name as /etc/group spells it; whether the group exists is checked when the socket is made. */
    public static String checkAdminGroup(String group) {
        if (!group.matches("[A-Za-z_][A-Za-z0-9_.-]{0,31}")) {
            throw new InvalidValueException(group, "is not a group name");
        }
        return group;
    }

    public static Path parseAdminSocket(String raw) {
        // Checked before Path.of, whose own exception would not name the value.
        if (raw.indexOf('\0') >= 0) {
            throw new InvalidValueException(raw, "is not a socket path: it contains a NUL character");
        }
        return checkAdminSocket(toPath(raw, "a socket path"));
    }

    /** The path must be non-empty and short enough to bind a Unix socket to. Relative paths stay relative. */
    public static Path checkAdminSocket(Path path) {
        String text = path.toString();
        if (text.isEmpty()) {
            throw new InvalidValueException(text, "is not a socket path: it is empty");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
            throw new InvalidValueException(text, "is not a socket path: it is longer than "
                    + MAX_SOCKET_PATH_BYTES + " bytes, the limit for a Unix socket");
        }
        return path;
    }

    /**
     * A file the master writes (its log, its pid): non-empty, and not a directory name. Checked on the text,
     * because {@link Path#of} drops the trailing '/' that gives a directory name away.
     */
    public static Path parseFilePath(String raw) {
        checkNoNul(raw, "a file path");
        if (raw.endsWith("/")) {
            throw new InvalidValueException(raw, "is not a file path: it ends in '/'");
        }
        return checkFilePath(toPath(raw, "a file path"));
    }

    /**
     * {@link Path#of}, whose InvalidPathException would escape as a bare IllegalArgumentException: a text that
     * cannot be a file name (an unpaired surrogate, which JSON's \\u escapes can write; a character the file
     * name encoding of a C locale lacks) is an invalid value like any other.
     */
    private static Path toPath(String raw, String what) {
        try {
            return Path.of(raw);
        } catch (java.nio.file.InvalidPathException e) {
            throw new InvalidValueException(raw, "is not " + what + ": " + e.getReason() + " (the file name encoding is "
                    + System.getProperty("sun.jnu.encoding", "unknown") + ")");
        }
    }

    public static Path checkFilePath(Path path) {
        String text = path.toString();
        if (text.isEmpty()) {
            throw new InvalidValueException(text, "is not a file path: it is empty");
        }
        Path name = path.getFileName();
        if (name == null || name.toString().equals(".") || name.toString().equals("..")) {
            throw new InvalidValueException(text, "is not a file path: it names a directory");
        }
        return path;
    }

    /** The user's main class as the java launcher takes it, e.g. {@code com.example.Main} or {@code a.B$Main}. */
    public static String checkMainClass(String name) {
        // A keyword is never an identifier; "com.example.Main.class" is the usual slip.
        if (!CLASS_NAME.matcher(name).matches()
                || Arrays.stream(name.split("\\.")).anyMatch(SourceVersion::isKeyword)) {
            throw new InvalidValueException(name,
                    "is not a Java class name (as in com.example.Main: letters, digits, _ and $, joined by dots)");
        }
        return name;
    }

    /**
     * An executable jar: a file name ending in {@code .jar}, which {@code java -jar} takes (whether it exists is
     * found when a worker starts: the JVM's own error then reaches the log).
     */
    public static String checkJar(String path) {
        checkNoNul(path, "a jar path");
        if (!path.endsWith(".jar") || path.endsWith("/.jar")) {
            throw new InvalidValueException(path, "is not a jar path: it must end in .jar");
        }
        return path;
    }

    /** One classpath entry, a jar or a directory; entries are joined with ':', so one cannot contain it. */
    public static String checkClasspathEntry(String entry) {
        if (entry.isEmpty()) {
            throw new InvalidValueException(entry, "is not a classpath entry: it is empty");
        }
        if (entry.indexOf(File.pathSeparatorChar) >= 0) {
            throw new InvalidValueException(entry, "is not a classpath entry: it contains '"
                    + File.pathSeparatorChar + "' (give one entry per string)");
        }
        return checkNoNul(entry, "a classpath entry");
    }

    /** One argument for the worker's program; an empty argument is allowed, as in a shell's {@code ""}. */
    public static String checkArgument(String argument) {
        return checkFitsExec(checkNoNul(argument, "a program argument"), "a program argument");
    }

    /**
     * The program of a command worker, the first element of {@code worker.command}. It must contain a '/'
     * ({@code /usr/bin/server}, {@code ./server}): workers are started with posix_spawn, which does not search PATH.
     */
    public static String checkExecutable(String path) {
        checkNoNul(path, "an executable path");
        if (path.indexOf('/') < 0) {
            throw new InvalidValueException(path,
                    "is not an executable path: it has no '/' (PATH is not searched; write e.g. /usr/bin/x or ./x)");
        }
        return path;
    }

    /**
     * The {@code java} of {@code worker.java}: an absolute path to a file. Whether it exists, is executable and can
     * be trusted is found where workers start, which can also say so again at a reload.
     */
    public static Path parseJavaPath(String raw) {
        checkNoNul(raw, "a java path");
        if (raw.endsWith("/")) {
            throw new InvalidValueException(raw, "is not a java path: it ends in '/'");
        }
        return checkJavaPath(toPath(raw, "a java path"));
    }

    public static Path checkJavaPath(Path path) {
        if (!path.isAbsolute()) {
            throw new InvalidValueException(path.toString(), "is not a java path: it is not absolute (write e.g. "
                    + "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java)");
        }
        return checkFilePath(path);
    }

    /**
     * Linux refuses to exec a program with one argument or environment string above 128 KiB (MAX_ARG_STRLEN), or
     * with all of them above a quarter of the stack limit (E2BIG): a worker could then never start. Each string is
     * kept to 64 KiB, and {@link ConfigBuilder#build()} keeps all of a worker's strings together to 1 MiB.
     */
    public static final int MAX_EXEC_STRING_BYTES = 64 * 1024;
    public static final int MAX_EXEC_TOTAL_BYTES = 1024 * 1024;

    private static String checkFitsExec(String text, String what) {
        if (text.length() > MAX_EXEC_STRING_BYTES / 4 && text.getBytes(StandardCharsets.UTF_8).length
                > MAX_EXEC_STRING_BYTES) {
            throw new InvalidValueException(text.substring(0, 16) + "...", "is not " + what + ": it is longer than "
                    + MAX_EXEC_STRING_BYTES + " bytes");
        }
        return text;
    }

    /** A user or group name as /etc/passwd and /etc/group spell them (whether it exists is found at start). */
    public static String checkAccountName(String name) {
        if (!name.matches("[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?")) {
            throw new InvalidValueException(name, "is not a user or group name");
        }
        return name;
    }

    /** A worker environment variable name: {@code [A-Za-z_][A-Za-z0-9_]*}. */
    public static String checkEnvName(String name) {
        if (!ENV_NAME.matcher(name).matches()) {
            throw new InvalidValueException(name,
                    "is not an environment variable name (use letters, digits and _, not starting with a digit)");
        }
        return name;
    }

    /** A worker environment variable value; the environment of a process cannot carry NUL characters. */
    public static String checkEnvValue(String value) {
        return checkFitsExec(checkNoNul(value, "an environment variable value"), "an environment variable value");
    }

    /** One argument for the worker JVM, such as {@code -Xmx256m}; empty arguments are almost always mistakes. */
    public static String checkJvmOption(String option) {
        if (option.isEmpty()) {
            throw new InvalidValueException(option, "is not a JVM option: it is empty");
        }
        return checkFitsExec(checkNoNul(option, "a JVM option"), "a JVM option");
    }

    /**
     * Checks that {@code duration} lies in {@code [min, max]} ({@code max} null: no upper limit), showing the
     * value as {@code shown} and the range as {@code range} in the message.
     */
    static Duration checkDuration(String shown, Duration duration, Duration min, Duration max, String range) {
        if (!Durations.isExpressible(duration)) {
            throw new InvalidValueException(shown, "is not a whole, non-negative number of milliseconds");
        }
        if (duration.compareTo(min) < 0 || (max != null && duration.compareTo(max) > 0)) {
            throw new InvalidValueException(shown, "is not a duration " + range);
        }
        return duration;
    }

    /** A typed duration in the syntax the user would have written, where there is one. */
    static String shown(Duration duration) {
        return Durations.isExpressible(duration) ? Durations.format(duration) : duration.toString();
    }

    private static String checkNoNul(String text, String what) {
        if (text.indexOf('\0') >= 0) {
            throw new InvalidValueException(text, "is not " + what + ": it contains a NUL character");
        }
        return text;
    }

    static int parseWholeNumber(String raw, int min, int max) {
        if (WHOLE_NUMBER.matcher(raw).matches()) {
            long number = Long.parseLong(raw);
            if (number >= min && number <= max) {
                return (int) number;
            }
        }
        throw notInRange(raw, min, max);
    }

    static int checkRange(int number, int min, int max) {
        if (number < min || number > max) {
            throw notInRange(String.valueOf(number), min, max);
        }
        return number;
    }

    private static InvalidValueException notInRange(String raw, int min, int max) {
        return new InvalidValueException(raw, "is not a whole number from " + min + " to " + max);
    }
}
