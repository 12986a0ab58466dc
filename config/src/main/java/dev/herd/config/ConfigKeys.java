package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every configuration key, one row each: the config file reader, the {@code herd run} flags, the builder, the
 * admin channel's {@code config} reply and the README's key table all come from this table (ConfigKeysDocTest
 * checks the README against it). To add a key: add a row here, read it where it takes effect.
 */
public final class ConfigKeys {

    public static final ConfigKey<ListenAddress> LISTEN = key("listen", "--listen",
            ValueType.text("HOST:PORT", ListenAddress::parse, ListenAddress::toString, v -> v),
            new ListenAddress("127.0.0.1", 9876), "`127.0.0.1:9876`", ConfigKey.OnReload.APPLIED,
            "address to bind; `[::1]:PORT` for IPv6; port 0 picks a free one (logged)");

    public static final ConfigKey<Integer> WORKERS = key("workers", "--workers",
            ValueType.wholeNumber(ConfigValues.MIN_WORKERS, ConfigValues.MAX_WORKERS), defaultWorkers(),
            "number of CPUs", ConfigKey.OnReload.APPLIED, "workers to keep alive (1..1024)");

    public static final ConfigKey<Integer> SPARE_WORKERS = key("spareWorkers", "--spare-workers",
            ValueType.wholeNumber(0, ConfigValues.MAX_SPARE_WORKERS), 0, "`0`", ConfigKey.OnReload.APPLIED,
            "hot spares: started and warm but not accepting until a worker dies or is replaced, then promoted in "
                    + "milliseconds (0..64; see Hot spares)");

    public static final ConfigKey<String> APP = key("app", "--app",
            ValueType.text("NAME", ConfigValues::checkApp, v -> v, ConfigValues::checkApp), "echo", "`echo`",
            ConfigKey.OnReload.APPLIED, "built-in app the workers run: `echo` or `http` (see below)");

    public static final ConfigKey<Optional<Path>> ADMIN_SOCKET = key("adminSocket", "--admin-socket",
            ValueType.optional(ValueType.text("PATH", ConfigValues::parseAdminSocket, Path::toString,
                    ConfigValues::checkAdminSocket)), Optional.empty(), "see below",
            ConfigKey.OnReload.NEEDS_RESTART, "admin Unix socket");

    public static final ConfigKey<Optional<String>> ADMIN_GROUP = key("adminGroup", null,
            ValueType.optional(ValueType.text("GROUP", ConfigValues::checkAdminGroup, v -> v,
                    ConfigValues::checkAdminGroup)), Optional.empty(), "none", ConfigKey.OnReload.NEEDS_RESTART,
            "a group whose members may also use the admin socket (socket 0660, owned by that group)");

    public static final ConfigKey<Duration> GRACEFUL_TIMEOUT = key("gracefulTimeout", "--graceful-timeout",
            duration(Duration.ZERO, ConfigValues.MAX_GRACEFUL_TIMEOUT, "from 0 to 24h"), Duration.ofSeconds(30),
            "`30s`", ConfigKey.OnReload.APPLIED,
            "how long a stopping worker may take before SIGKILL (`500ms`, `30s`, `2m`, `1h`; at most 24h)");

    public static final ConfigKey<Integer> BACKLOG = key("backlog", "--backlog",
            ValueType.wholeNumber(ConfigValues.MIN_BACKLOG, ConfigValues.MAX_BACKLOG), 511, "`511`",
            ConfigKey.OnReload.APPLIED, "listen(2) backlog of the shared socket (1..65535)");

    public static final ConfigKey<Duration> READY_TIMEOUT = key("readyTimeout", "--ready-timeout",
            duration(Duration.ofMillis(1), ConfigValues.MAX_READY_TIMEOUT, "from 1ms to 1h"), Duration.ofSeconds(60),
            "`60s`", ConfigKey.OnReload.APPLIED,
            "how long a starting worker may take to send `READY=1` (1ms..1h)");

    public static final ConfigKey<Duration> HEARTBEAT_TIMEOUT = key("heartbeatTimeout", "--heartbeat-timeout",
            duration(Duration.ZERO, ConfigValues.MAX_HEARTBEAT_TIMEOUT, "from 0 (off) to 1h"),
            Duration.ofSeconds(30), "`30s`", ConfigKey.OnReload.APPLIED,
            "a worker that has sent `WATCHDOG=1` and then stays silent for longer is killed as hung; `0` = off "
                    + "(max 1h)");

    public static final ConfigKey<Boolean> HANG_DIAGNOSTICS = key("hangDiagnostics", null, ValueType.bool(), true,
            "`true`", ConfigKey.OnReload.APPLIED,
            "a hung JVM worker gets SIGQUIT (its thread dump goes to the log) 2 s before its SIGKILL");

    public static final ConfigKey<Integer> MAX_REQUESTS = key("maxRequests", "--max-requests",
            ValueType.wholeNumber(0, Integer.MAX_VALUE), 0, "`0` (off)", ConfigKey.OnReload.APPLIED,
            "replace a worker after N requests/connections, its replacement ready first");

    public static final ConfigKey<Optional<Long>> MAX_WORKER_MEMORY = key("maxWorkerMemory", "--max-worker-memory",
            ValueType.optional(ValueType.text("SIZE", text -> checkWorkerMemory(text, Sizes.parse(text)), Sizes::format,
                    bytes -> checkWorkerMemory(Sizes.format(bytes), bytes))), Optional.empty(), "off",
            ConfigKey.OnReload.APPLIED, "replace a worker whose resident memory stays above this (`512MB`, `2GB`; "
                    + "16MB..1TB), its replacement ready first");

    public static final ConfigKey<Integer> MAX_REQUESTS_JITTER = key("maxRequestsJitter", null,
            ValueType.wholeNumber(0, Integer.MAX_VALUE), 0, "`0`", ConfigKey.OnReload.APPLIED,
            "add a random 0..N to each worker's limit so they do not recycle at once; needs `maxRequests`");

    public static final ConfigKey<Integer> FLAPPING_CRASHES = key("flappingCrashes", null,
            ValueType.wholeNumber(ConfigValues.MIN_FLAPPING_CRASHES, ConfigValues.MAX_FLAPPING_CRASHES), 5, "`5`",
            ConfigKey.OnReload.APPLIED,
            "a slot whose workers crashed more often than this within `flappingWindow` shows `backoff` (1..1000)");

    public static final ConfigKey<Duration> FLAPPING_WINDOW = key("flappingWindow", null,
            duration(Duration.ofMillis(1), ConfigValues.MAX_FLAPPING_WINDOW, "from 1ms to 24h"),
            Duration.ofSeconds(60), "`60s`", ConfigKey.OnReload.APPLIED,
            "see `flappingCrashes` (1ms..24h)");

    public static final ConfigKey<Optional<Path>> LOG_FILE = key("logFile", "--log-file",
            ValueType.optional(filePath()), Optional.empty(), "stderr", ConfigKey.OnReload.APPLIED,
            "append the master's log and worker output here; reopened on SIGUSR1 (and at a new path on reload)");

    public static final ConfigKey<String> LOG_FORMAT = key("logFormat", "--log-format",
            ValueType.text("FORMAT", ConfigValues::checkLogFormat, v -> v, ConfigValues::checkLogFormat), "text",
            "`text`", ConfigKey.OnReload.APPLIED,
            "`text` (one line per event) or `json` (one object per line: time, level, source, slot, pid, message)");

    public static final ConfigKey<Optional<Path>> PID_FILE = key("pidFile", "--pid-file",
            ValueType.optional(filePath()), Optional.empty(), "none", ConfigKey.OnReload.APPLIED,
            "file the master writes its pid to (atomically: temporary file and rename), removed at exit");

    public static final ConfigKey<Optional<ListenAddress>> METRICS_LISTEN = key("metricsListen", "--metrics-listen",
            ValueType.optional(ValueType.text("HOST:PORT", ListenAddress::parse, ListenAddress::toString, v -> v)),
            Optional.empty(), "off", ConfigKey.OnReload.NEEDS_RESTART,
            "serve Prometheus metrics at `http://HOST:PORT/metrics` (docs/operations.md)");

    public static final ConfigKey<Integer> READY_MINIMUM = key("readyMinimum", null,
            ValueType.wholeNumber(ConfigValues.MIN_WORKERS, ConfigValues.MAX_WORKERS), 1, "`1`",
            ConfigKey.OnReload.APPLIED, "`/readyz` on `metricsListen` answers 200 while at least this many workers "
                    + "are ready (at most the workers wanted), 503 otherwise (1..1024; docs/operations.md)");

    public static final ConfigKey<List<String>> WORKER_JVM_OPTIONS = key("worker.jvmOptions", null,
            ValueType.stringList(ConfigValues::checkJvmOption, Optional.empty()), List.of(), "`[]`",
            ConfigKey.OnReload.APPLIED, "extra JVM options for each worker; not with `command`");

    public static final ConfigKey<Map<String, String>> WORKER_ENV = key("worker.env", null,
            ValueType.environment(), Map.of(), "`{}`", ConfigKey.OnReload.APPLIED,
            "extra environment variables for each worker");

    public static final ConfigKey<List<String>> WORKER_PASS_ENV = key("worker.passEnv", null,
            ValueType.stringList(ConfigValues::checkEnvName, Optional.empty()), List.of(), "`[]`",
            ConfigKey.OnReload.APPLIED, "names of the master's environment variables passed on to workers, besides "
                    + "`PATH`, `HOME`, `USER`, `LOGNAME`, `LANG`, `LANGUAGE`, `LC_*`, `TZ`, `TMPDIR` and `JAVA_HOME`");

    public static final ConfigKey<Optional<String>> WORKER_USER = key("worker.user", null,
            ValueType.optional(ValueType.text("USER", ConfigValues::checkAccountName, v -> v,
                    ConfigValues::checkAccountName)), Optional.empty(), "herd's own", ConfigKey.OnReload.APPLIED,
            "run workers as this user (herd must run as root): they cannot use the admin socket or signal the "
                    + "master");

    public static final ConfigKey<Optional<String>> WORKER_GROUP = key("worker.group", null,
            ValueType.optional(ValueType.text("GROUP", ConfigValues::checkAccountName, v -> v,
                    ConfigValues::checkAccountName)), Optional.empty(), "the user's", ConfigKey.OnReload.APPLIED,
            "run workers with this group (default: `worker.user`'s primary group); needs `worker.user`");

    public static final ConfigKey<Optional<String>> WORKER_MAIN_CLASS = key("worker.mainClass", null,
            ValueType.optional(ValueType.text("CLASS", ConfigValues::checkMainClass, v -> v,
                    ConfigValues::checkMainClass)), Optional.empty(), "none", ConfigKey.OnReload.APPLIED,
            "your own main class (`com.example.Main`) instead of the built-in `app`");

    public static final ConfigKey<Optional<String>> WORKER_JAR = key("worker.jar", "--jar",
            ValueType.optional(ValueType.text("PATH", ConfigValues::checkJar, v -> v, ConfigValues::checkJar)),
            Optional.empty(), "none", ConfigKey.OnReload.APPLIED,
            "an executable jar (a Spring Boot fat jar, say): workers run `java [jvmOptions] -jar PATH [args]`");

    public static final ConfigKey<List<String>> WORKER_CLASSPATH = key("worker.classpath", null,
            ValueType.stringList(ConfigValues::checkClasspathEntry, Optional.empty()), List.of(), "`[]`",
            ConfigKey.OnReload.APPLIED, "jars and directories for `mainClass`, one per string; only with `mainClass`");

    public static final ConfigKey<List<String>> WORKER_ARGS = key("worker.args", null,
            ValueType.stringList(ConfigValues::checkArgument, Optional.empty()), List.of(), "`[]`",
            ConfigKey.OnReload.APPLIED, "arguments for `mainClass` or `jar`");

    /**
     * The {@code java} of {@code jar} and {@code mainClass} workers (a JDK 21+ for an app built for it, under a
     * master on 17). Here only its text is checked: an absolute path. Where workers start (at start and at each
     * reload: WorkerJvms) it must be an executable file that nobody but root and herd's own user can change or
     * redirect: the file, every symlink on the way to it and every directory holding one of them belong to root
     * or to herd's uid and are writable by no one else (sticky directories such as /tmp aside, whose entries only
     * their owners can replace). That is the rule "follow no symlink herd did not create" made useful: a JDK is
     * usually reached through symlinks (/usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/...), which are
     * as safe as the file when only root can change them; a link another user could plant or swap is refused.
     */
    public static final ConfigKey<Optional<Path>> WORKER_JAVA = key("worker.java", "--worker-java",
            ValueType.optional(ValueType.text("PATH", ConfigValues::parseJavaPath, Path::toString,
                    ConfigValues::checkJavaPath)), Optional.empty(), "the master's", ConfigKey.OnReload.APPLIED,
            "the `java` (absolute path) that runs `jar` or `mainClass` workers, e.g. a JDK 21+ for an app built "
                    + "for it; herd's own JVM options follow its version; it, and each symlink and directory on the "
                    + "way, must be root's or herd's user's and writable by no one else (docs/your-app.md, Choosing the JVM)");

    public static final ConfigKey<List<String>> WORKER_COMMAND = key("worker.command", null,
            ValueType.stringList(ConfigValues::checkArgument, Optional.of(ConfigValues::checkExecutable)), List.of(),
            "none", ConfigKey.OnReload.APPLIED,
            "argv of a non-JVM worker that finds the socket on fd 0, as `[\"./server\", \"-v\"]` (PATH is not "
                    + "searched); not with `mainClass`, `jar`, `jvmOptions`, `classpath`, `args`, `java`");

    public static final ConfigKey<Optional<Integer>> WORKER_APP_PORT = key("worker.appPort", "--app-port",
            ValueType.optional(ValueType.wholeNumber(1, 65535)), Optional.empty(), "none", ConfigKey.OnReload.APPLIED,
            "the port your unchanged app binds (`8080`): herd's agent gives that bind herd's socket, and the worker is "
                    + "ready at its first accept (see Any JVM server, unchanged); only with `jar` or `mainClass`, not "
                    + "with `spareWorkers`, nor with `jvmOptions` that turn Netty's native transport on");

    public static final ConfigKey<Boolean> WORKER_CLASS_DATA = key("worker.classData", null, ValueType.bool(), true,
            "`true`", ConfigKey.OnReload.APPLIED,
            "train a class-data archive for a `jar` or `mainClass` app once per build, JDK and options, beside the "
                    + "pool, and start every later worker with it (JDK 25: AOT cache; 17: dynamic CDS; a Spring Boot "
                    + "fat jar is extracted beside it and run extracted; docs/your-app.md, Class data); `false` "
                    + "turns it off");

    public static final ConfigKey<Optional<Path>> CLASS_DATA_DIRECTORY = key("classDataDirectory", null,
            ValueType.optional(filePath()), Optional.empty(), "`apps` in herd's cache directory",
            ConfigKey.OnReload.APPLIED,
            "where `worker.classData` keeps its archives: herd's user's alone (no group or other write, no symlink); "
                    + "default `$HERD_CLASS_DATA_DIR/apps`, else `$CACHE_DIRECTORY/apps` (systemd), else "
                    + "`~/.cache/herd/apps`");

    /** Every key, in the order of the docs. */
    public static final List<ConfigKey<?>> ALL = List.of(LISTEN, WORKERS, SPARE_WORKERS, APP, ADMIN_SOCKET, ADMIN_GROUP,
            GRACEFUL_TIMEOUT, BACKLOG, READY_TIMEOUT, HEARTBEAT_TIMEOUT, HANG_DIAGNOSTICS, MAX_REQUESTS,
            MAX_REQUESTS_JITTER, MAX_WORKER_MEMORY, FLAPPING_CRASHES, FLAPPING_WINDOW, LOG_FILE, LOG_FORMAT, PID_FILE, METRICS_LISTEN, READY_MINIMUM,
            WORKER_JVM_OPTIONS,
            WORKER_ENV, WORKER_PASS_ENV, WORKER_USER, WORKER_GROUP, WORKER_MAIN_CLASS, WORKER_JAR, WORKER_CLASSPATH,
            WORKER_ARGS, WORKER_JAVA, WORKER_COMMAND, WORKER_APP_PORT, WORKER_CLASS_DATA, CLASS_DATA_DIRECTORY);

    private ConfigKeys() {
    }

    /** The key with this path ({@code workers}, {@code worker.env}), if there is one. */
    public static Optional<ConfigKey<?>> named(String name) {
        return ALL.stream().filter(key -> key.name().equals(name)).findFirst();
    }

    /** The names of the keys in one object ({@code ""} or {@code "worker"}), for "known keys" messages. */
    static List<String> fieldNames(String objectPath) {
        List<String> names = new java.util.ArrayList<>(ALL.stream().filter(k -> k.objectPath().equals(objectPath))
                .map(ConfigKey::fieldName).toList());
        if (objectPath.isEmpty()) {
            names.add("worker");
        }
        return names;
    }

    /** One worker per CPU, kept inside the allowed range so that the default is always valid. */
    public static int defaultWorkers() {
        return Math.min(Runtime.getRuntime().availableProcessors(), ConfigValues.MAX_WORKERS);
    }

    /**
     * The README's table of keys, one row per key after its header and its {@code --config} row: ConfigKeysDocTest
     * fails when they differ, so the README cannot drift from this table.
     */
    public static String markdownRows() {
        StringBuilder rows = new StringBuilder();
        for (ConfigKey<?> key : ALL) {
            rows.append("|").append(key.flag().map(f -> " `" + f + " " + key.type().label() + "` ").orElse(" "))
                    .append("| `").append(key.name()).append("` | ").append(key.defaultDoc())
                    .append(" | ").append(key.doc())
                    .append(key.onReload() == ConfigKey.OnReload.NEEDS_RESTART ? "; a reload cannot change it" : "")
                    .append(" |\n");
        }
        return rows.toString();
    }

    private static <T> ConfigKey<T> key(String name, String flag, ValueType<T> type, T defaultValue,
                                        String defaultDoc, ConfigKey.OnReload onReload, String doc) {
        return new ConfigKey<>(name, Optional.ofNullable(flag), type, defaultValue, defaultDoc, onReload, doc);
    }

    private static ValueType<Duration> duration(Duration min, Duration max, String range) {
        return ValueType.text("DURATION", text -> ConfigValues.checkDuration(text, Durations.parse(text), min, max,
                range), Durations::format, value -> ConfigValues.checkDuration(ConfigValues.shown(value), value, min, max,
                range));
    }

    private static long checkWorkerMemory(String shown, long bytes) {
        if (bytes < (16L << 20) || bytes > (1L << 40)) {
            throw new InvalidValueException(shown, "is not a size from 16MB to 1TB");
        }
        return bytes;
    }

    private static ValueType<Path> filePath() {
        return ValueType.text("PATH", ConfigValues::parseFilePath, Path::toString, ConfigValues::checkFilePath);
    }
}
