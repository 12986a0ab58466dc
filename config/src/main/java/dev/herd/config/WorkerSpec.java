package dev.herd.config;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How each worker process is started: the {@code worker.*} keys of a {@link HerdConfig}, together. A worker runs
 * one of four {@link Kind kinds} of program: a built-in app (the default; {@link HerdConfig#app()} names it), the
 * user's own {@code mainClass} on the user's {@code classpath}, an executable {@code jar} ({@code java -jar}), or
 * a {@code command} that is not a JVM at all and finds the listening socket on fd 0 (inetd-style). An empty list
 * counts as not set. The values were checked when they were read, and the rules between them by
 * {@link ConfigBuilder#build()}; this record only holds them.
 *
 * @param jvmOptions extra JVM options, such as {@code -Xmx256m}
 * @param env        extra environment variables
 * @param passEnv    names of the master's variables passed on besides the default few
 * @param user       the user workers run as, if not herd's own
 * @param group      the group workers run with, if not the user's primary group
 * @param mainClass  the user's main class, such as {@code com.example.Main}, if any
 * @param jar        an executable jar, if any
 * @param classpath  jar files and directories holding {@code mainClass}; herd's worker API is added after them
 * @param args       arguments passed to {@code mainClass} or the jar
 * @param command    argv of a non-JVM worker, the executable path first; empty if the worker is a JVM
 * @param appPort    the port the user's unchanged app binds, which herd's agent hands herd's socket; empty: none
 */
public record WorkerSpec(
        List<String> jvmOptions,
        Map<String, String> env,
        List<String> passEnv,
        Optional<String> user,
        Optional<String> group,
        Optional<String> mainClass,
        Optional<String> jar,
        List<String> classpath,
        List<String> args,
        List<String> command,
        Optional<Integer> appPort) {

    /** What a worker runs; {@link #kind()} tells. */
    public enum Kind {
        /** One of {@link ConfigValues#APPS}, named by {@link HerdConfig#app()}. */
        BUILT_IN_APP,
        /** The user's {@link #mainClass()} in a JVM. */
        MAIN_CLASS,
        /** The user's executable {@link #jar()}. */
        JAR,
        /** The executable {@link #command()}, not a JVM. */
        COMMAND
    }

    public WorkerSpec {
        jvmOptions = List.copyOf(jvmOptions);
        env = Map.copyOf(env);
        passEnv = List.copyOf(passEnv);
        classpath = List.copyOf(classpath);
        args = List.copyOf(args);
        command = List.copyOf(command);
    }

    /** A worker without {@code appPort}. */
    public WorkerSpec(List<String> jvmOptions, Map<String, String> env, List<String> passEnv, Optional<String> user,
                      Optional<String> group, Optional<String> mainClass, Optional<String> jar, List<String> classpath,
                      List<String> args, List<String> command) {
        this(jvmOptions, env, passEnv, user, group, mainClass, jar, classpath, args, command, Optional.empty());
    }

    /** Which program the worker runs; exactly one applies. */
    public Kind kind() {
        if (!command.isEmpty()) {
            return Kind.COMMAND;
        }
        if (jar.isPresent()) {
            return Kind.JAR;
        }
        return mainClass.isPresent() ? Kind.MAIN_CLASS : Kind.BUILT_IN_APP;
    }

    /**
     * What the workers run, for the master's first log line: {@code app echo}, {@code main class com.example.Main},
     * {@code jar /opt/app/app.jar}, {@code command ./server -v}.
     */
    public String describe(String app) {
        return switch (kind()) {
            case BUILT_IN_APP -> "app " + app;
            case MAIN_CLASS -> "main class " + mainClass.orElseThrow();
            case JAR -> "jar " + jar.orElseThrow();
            case COMMAND -> "command " + String.join(" ", command);
        };
    }
}
