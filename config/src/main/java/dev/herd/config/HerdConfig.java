package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The effective configuration of a master: a value for every key of {@link ConfigKeys} (the file's, a flag's, or
 * the default), and the file it came from. Immutable; made only by {@link ConfigBuilder}, which checks each value
 * once as it is read and the rules between keys when it builds. Two configurations are equal when every value and
 * the file are.
 */
public final class HerdConfig {

    private final Map<ConfigKey<?>, Object> values;
    private final Optional<Path> source;

    HerdConfig(Map<ConfigKey<?>, Object> values, Optional<Path> source) {
        this.values = Map.copyOf(values);
        this.source = source;
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            Objects.requireNonNull(this.values.get(key), key.name());
        }
    }

    @SuppressWarnings("unchecked") // the builder stores each key's own type
    public <T> T get(ConfigKey<T> key) {
        return (T) values.get(key);
    }

    /** The config file these values came from, if any. */
    public Optional<Path> source() {
        return source;
    }

    /** This configuration with one value replaced (checked like any value set by code). */
    public <T> HerdConfig with(ConfigKey<T> key, T value) {
        Map<ConfigKey<?>, Object> changed = new HashMap<>(values);
        changed.put(key, key.type().check(value));
        return new HerdConfig(changed, source);
    }

    public ListenAddress listen() {
        return get(ConfigKeys.LISTEN);
    }

    public int workers() {
        return get(ConfigKeys.WORKERS);
    }

    /** The built-in app; the default, and unused, when {@link #worker()} runs something else. */
    public String app() {
        return get(ConfigKeys.APP);
    }

    public Optional<Path> adminSocket() {
        return get(ConfigKeys.ADMIN_SOCKET);
    }

    public Optional<String> adminGroup() {
        return get(ConfigKeys.ADMIN_GROUP);
    }

    public Duration gracefulTimeout() {
        return get(ConfigKeys.GRACEFUL_TIMEOUT);
    }

    public int backlog() {
        return get(ConfigKeys.BACKLOG);
    }

    public Duration readyTimeout() {
        return get(ConfigKeys.READY_TIMEOUT);
    }

    /** {@link Duration#ZERO}: hang detection is off. */
    public Duration heartbeatTimeout() {
        return get(ConfigKeys.HEARTBEAT_TIMEOUT);
    }

    public boolean hangDiagnostics() {
        return get(ConfigKeys.HANG_DIAGNOSTICS);
    }

    /** 0: never recycled. */
    public int maxRequests() {
        return get(ConfigKeys.MAX_REQUESTS);
    }

    /** Added to maxRequests as a long: both may be up to {@link Integer#MAX_VALUE}. */
    public int spareWorkers() {
        return get(ConfigKeys.SPARE_WORKERS);
    }

    public int maxRequestsJitter() {
        return get(ConfigKeys.MAX_REQUESTS_JITTER);
    }

    /** The resident memory above which a worker is recycled; empty: no limit. */
    public Optional<Long> maxWorkerMemory() {
        return get(ConfigKeys.MAX_WORKER_MEMORY);
    }

    public int flappingCrashes() {
        return get(ConfigKeys.FLAPPING_CRASHES);
    }

    public Duration flappingWindow() {
        return get(ConfigKeys.FLAPPING_WINDOW);
    }

    public Optional<Path> logFile() {
        return get(ConfigKeys.LOG_FILE);
    }

    /** Whether the master logs one JSON object per line (`logFormat: json`) rather than text. */
    public boolean logsJson() {
        return get(ConfigKeys.LOG_FORMAT).equals("json");
    }

    public Optional<Path> pidFile() {
        return get(ConfigKeys.PID_FILE);
    }

    public Optional<ListenAddress> metricsListen() {
        return get(ConfigKeys.METRICS_LISTEN);
    }

    /** The {@code java} that runs jar and mainClass workers; empty: the master's own. */
    public Optional<Path> workerJava() {
        return get(ConfigKeys.WORKER_JAVA);
    }

    /** The ready workers /readyz asks for (capped at the workers wanted when it answers). */
    public int readyMinimum() {
        return get(ConfigKeys.READY_MINIMUM);
    }

    /** Whether jar and mainClass workers get a class-data archive trained for their app (worker.classData). */
    public boolean workerClassData() {
        return get(ConfigKeys.WORKER_CLASS_DATA);
    }

    /** Where app class-data archives live; empty: herd's cache directory (see ConfigKeys.CLASS_DATA_DIRECTORY). */
    public Optional<Path> classDataDirectory() {
        return get(ConfigKeys.CLASS_DATA_DIRECTORY);
    }

    /** How worker processes are started: the {@code worker.*} keys. */
    public WorkerSpec worker() {
        return new WorkerSpec(get(ConfigKeys.WORKER_JVM_OPTIONS), get(ConfigKeys.WORKER_ENV),
                get(ConfigKeys.WORKER_PASS_ENV), get(ConfigKeys.WORKER_USER), get(ConfigKeys.WORKER_GROUP),
                get(ConfigKeys.WORKER_MAIN_CLASS), get(ConfigKeys.WORKER_JAR), get(ConfigKeys.WORKER_CLASSPATH),
                get(ConfigKeys.WORKER_ARGS), get(ConfigKeys.WORKER_COMMAND), get(ConfigKeys.WORKER_APP_PORT));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HerdConfig config && values.equals(config.values) && source.equals(config.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(values, source);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("HerdConfig[");
        List<ConfigKey<?>> keys = ConfigKeys.ALL;
        for (int i = 0; i < keys.size(); i++) {
            text.append(i == 0 ? "" : ", ").append(keys.get(i).name()).append('=').append(values.get(keys.get(i)));
        }
        return text.append(", source=").append(source).append(']').toString();
    }
}
