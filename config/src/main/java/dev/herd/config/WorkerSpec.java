package dev.herd.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How each worker process is started. A worker runs one of three {@link Kind kinds} of program: a built-in
 * app (the default; {@link HerdConfig#app()} names it), the user's own {@code mainClass} on the user's
 * {@code classpath} with {@code args}, or a {@code command} that is not a JVM at all and finds the listening
 * socket on fd 0 (inetd-style). {@code jvmOptions} go before the main class of either JVM kind; {@code env} is
 * added to what the master passes on, for every kind. An empty list counts as not set.
 *
 * <p>Immutable and always valid: the constructor copies the collections, checks each value with
 * {@link ConfigValues}, and enforces the rules between keys with a {@link KeyConflictException}:
 * {@code command} cannot be used with {@code mainClass}, {@code jvmOptions}, {@code classpath} or
 * {@code args} (a command carries its own arguments), and {@code classpath} and {@code args} need
 * {@code mainClass}.
 *
 * @param jvmOptions extra JVM options, such as {@code -Xmx256m}
 * @param env        extra environment variables
 * @param mainClass  the user's main class, such as {@code com.example.Main}, if any
 * @param classpath  jar files and directories holding {@code mainClass} and what it needs; herd's own worker
 *                   library is added by the launcher
 * @param args       arguments passed to {@code mainClass}
 * @param command    argv of a non-JVM worker, the executable path first; empty if the worker is a JVM
 */
public record WorkerSpec(
        List<String> jvmOptions,
        Map<String, String> env,
        Optional<String> mainClass,
        List<String> classpath,
        List<String> args,
        List<String> command) {

    /** What a worker runs; {@link #kind()} tells. */
    public enum Kind {
        /** One of {@link ConfigValues#APPS}, named by {@link HerdConfig#app()}. */
        BUILT_IN_APP,
        /** The user's {@link #mainClass()} in a JVM. */
        MAIN_CLASS,
        /** The executable {@link #command()}, not a JVM. */
        COMMAND
    }

    public static final WorkerSpec DEFAULT = new WorkerSpec(List.of(), Map.of());

    public WorkerSpec {
        jvmOptions = List.copyOf(jvmOptions);
        env = Map.copyOf(env);
        mainClass.ifPresent(ConfigValues::checkMainClass);
        classpath = List.copyOf(classpath);
        args = List.copyOf(args);
        command = List.copyOf(command);
        jvmOptions.forEach(ConfigValues::checkJvmOption);
        env.keySet().forEach(ConfigValues::checkEnvName);
        env.values().forEach(ConfigValues::checkEnvValue);
        classpath.forEach(ConfigValues::checkClasspathEntry);
        args.forEach(ConfigValues::checkArgument);
        if (!command.isEmpty()) {
            ConfigValues.checkCommand(command);
            checkNotWithCommand("worker.mainClass", mainClass.isPresent());
            checkNotWithCommand("worker.jvmOptions", !jvmOptions.isEmpty());
            checkNotWithCommand("worker.classpath", !classpath.isEmpty());
            checkNotWithCommand("worker.args", !args.isEmpty());
        }
        if (mainClass.isEmpty() && !classpath.isEmpty()) {
            throw KeyConflictException.needs("worker.classpath", "worker.mainClass", "");
        }
        if (mainClass.isEmpty() && !args.isEmpty()) {
            throw KeyConflictException.needs("worker.args", "worker.mainClass", "");
        }
    }

    /** A worker that runs the built-in app, with extra JVM options and environment variables. */
    public WorkerSpec(List<String> jvmOptions, Map<String, String> env) {
        this(jvmOptions, env, Optional.empty(), List.of(), List.of(), List.of());
    }

    /** Which program the worker runs; exactly one applies. */
    public Kind kind() {
        if (!command.isEmpty()) {
            return Kind.COMMAND;
        }
        return mainClass.isPresent() ? Kind.MAIN_CLASS : Kind.BUILT_IN_APP;
    }

    /** The key that chose the program, for messages: {@code app}, {@code worker.mainClass}, {@code worker.command}. */
    String programKey() {
        return switch (kind()) {
            case BUILT_IN_APP -> "app";
            case MAIN_CLASS -> "worker.mainClass";
            case COMMAND -> "worker.command";
        };
    }

    private static void checkNotWithCommand(String key, boolean set) {
        if (set) {
            throw KeyConflictException.exclusive("worker.command", key);
        }
    }
}
