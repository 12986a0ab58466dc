package dev.herd.supervisor.spawn;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The java that runs a JVM worker: the master's own, or the one {@code worker.java} names, resolved to the file
 * workers exec ({@link TrustedExecutable}). The JVM options herd adds follow the version of this JVM, never the
 * master's ({@link #herdOptions}). herd gives workers no class-data archive of its own (see WorkerLauncher); an
 * archive is valid for one JDK build only, so one made for a worker must be keyed on {@link #executable()} and
 * that JDK's release file, as bin/herd keys the master's.
 *
 * @param configured the path worker.java gave, if any
 * @param executable the file workers exec: the configured path with every symlink resolved, or the master's java
 */
record WorkerJvm(Optional<Path> configured, Path executable) {

    /** The feature version from which a JDK warns about jnr's native calls and sun.misc.Unsafe unless allowed. */
    static final int NATIVE_ACCESS_WARNINGS_FROM = 24;

    /** The master's own java, which built-in apps always run on, and the others unless worker.java is set. */
    static WorkerJvm master() {
        return new WorkerJvm(Optional.empty(), Path.of(System.getProperty("java.home"), "bin", "java"));
    }

    boolean isMasters() {
        return configured.isEmpty();
    }

    /** For messages: {@code worker.java=/usr/lib/jvm/.../bin/java}, or {@code the master's java}. */
    String describe() {
        return configured.map(path -> "worker.java=" + path).orElse("the master's java; worker.java chooses another");
    }

    /**
     * The options herd gives every JVM worker, before the app's defaults and worker.jvmOptions. One that runs out of
     * heap should die and be replaced, not limp on. From JDK 24 on, jnr (which an app of the user's, or herd's worker
     * API, may load) needs native access and sun.misc.Unsafe allowed, or the JVM warns; JDK 17 rejects
     * {@code --sun-misc-unsafe-memory-access}. A JVM whose version is not known yet gets only what every JDK takes.
     */
    static List<String> herdOptions(OptionalInt feature) {
        return feature.orElse(0) >= NATIVE_ACCESS_WARNINGS_FROM
                ? List.of("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                        "--sun-misc-unsafe-memory-access=allow")
                : List.of("-XX:+ExitOnOutOfMemoryError");
    }
}
