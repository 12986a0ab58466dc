package dev.herd.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The rules for each configuration value, shared by the config file loader, the command line and the
 * {@link HerdConfig} constructor so that all three accept and reject the same values with the same words.
 * {@code parseX(String)} takes the text the user typed (a command-line argument); {@code checkX(value)} takes
 * an already typed value and returns it unchanged. Both throw {@link InvalidValueException}, an
 * {@link IllegalArgumentException} whose message names the value, e.g.
 * {@code '0' is not a whole number from 1 to 1024}.
 */
public final class ConfigValues {

    /** The built-in apps a worker can run. */
    public static final List<String> APPS = List.of("echo");
    public static final int MIN_WORKERS = 1;
    public static final int MAX_WORKERS = 1024;
    public static final int MIN_BACKLOG = 1;
    public static final int MAX_BACKLOG = 65535;
    /** Linux keeps a Unix socket path in 108 bytes (sun_path), including the terminating NUL. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    // At most 10 digits, so that the text always fits in a long and the range check below decides.
    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?[0-9]{1,10}");

    private ConfigValues() {
    }

    public static ListenAddress parseListen(String raw) {
        return ListenAddress.parse(raw);
    }

    public static int parseWorkers(String raw) {
        return parseWholeNumber(raw, MIN_WORKERS, MAX_WORKERS);
    }

    public static int checkWorkers(int workers) {
        return checkRange(workers, MIN_WORKERS, MAX_WORKERS);
    }

    public static int parseBacklog(String raw) {
        return parseWholeNumber(raw, MIN_BACKLOG, MAX_BACKLOG);
    }

    public static int checkBacklog(int backlog) {
        return checkRange(backlog, MIN_BACKLOG, MAX_BACKLOG);
    }

    public static String parseApp(String raw) {
        return checkApp(raw);
    }

    /** The app must be one of {@link #APPS}. */
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
        return checkAdminSocket(Path.of(raw));
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

    public static Duration parseGracefulTimeout(String raw) {
        return checkGracefulTimeout(Durations.parse(raw));
    }

    /** The timeout must be something {@link Durations#parse} could produce, so that it can be shown back. */
    public static Duration checkGracefulTimeout(Duration timeout) {
        if (!Durations.isExpressible(timeout)) {
            throw new InvalidValueException(timeout.toString(), "is not a whole, non-negative number of milliseconds");
        }
        return timeout;
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
        return checkNoNul(value, "an environment variable value");
    }

    /** One argument for the worker JVM, such as {@code -Xmx256m}; empty arguments are almost always mistakes. */
    public static String checkJvmOption(String option) {
        if (option.isEmpty()) {
            throw new InvalidValueException(option, "is not a JVM option: it is empty");
        }
        return checkNoNul(option, "a JVM option");
    }

    private static String checkNoNul(String text, String what) {
        if (text.indexOf('\0') >= 0) {
            throw new InvalidValueException(text, "is not " + what + ": it contains a NUL character");
        }
        return text;
    }

    private static int parseWholeNumber(String raw, int min, int max) {
        if (WHOLE_NUMBER.matcher(raw).matches()) {
            long number = Long.parseLong(raw);
            if (number >= min && number <= max) {
                return (int) number;
            }
        }
        throw notInRange(raw, min, max);
    }

    private static int checkRange(int number, int min, int max) {
        if (number < min || number > max) {
            throw notInRange(String.valueOf(number), min, max);
        }
        return number;
    }

    private static InvalidValueException notInRange(String raw, int min, int max) {
        return new InvalidValueException(raw, "is not a whole number from " + min + " to " + max);
    }
}
