package dev.herd.config;

import java.util.List;
import java.util.Map;

/**
 * How each worker process is started, beyond the built-in defaults: extra JVM options (placed before the
 * main class) and extra environment variables (added to what the master passes on). Immutable; the
 * constructor copies both collections and rejects what a process could not be started with (see
 * {@link ConfigValues#checkJvmOption}, {@link ConfigValues#checkEnvName}, {@link ConfigValues#checkEnvValue}).
 */
public record WorkerSpec(List<String> jvmOptions, Map<String, String> env) {

    public static final WorkerSpec DEFAULT = new WorkerSpec(List.of(), Map.of());

    public WorkerSpec {
        jvmOptions = List.copyOf(jvmOptions);
        env = Map.copyOf(env);
        jvmOptions.forEach(ConfigValues::checkJvmOption);
        env.keySet().forEach(ConfigValues::checkEnvName);
        env.values().forEach(ConfigValues::checkEnvValue);
    }
}
