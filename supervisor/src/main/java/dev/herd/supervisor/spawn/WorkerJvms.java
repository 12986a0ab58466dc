package dev.herd.supervisor.spawn;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.WorkerSpec;
import dev.herd.log.Log;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which java runs the workers, and its feature version (17, 21, 25), which chooses the JVM options herd adds.
 * {@code worker.java} is checked at start and at each reload ({@link #check}). Its version comes from the JDK's
 * {@code release} file beside {@code bin/java} ({@code JAVA_VERSION="17.0.15"}), read once per file and modification
 * time (a JDK upgraded in place is read again); a java without one (a wrapper script, an unusual build) is asked
 * with {@code java -version} on a thread of its own, never on the master's loop, and until it answers its workers
 * get only the options every JDK takes. Used on the master thread; the probe's thread only completes its future.
 */
public final class WorkerJvms implements AutoCloseable {

    /** A JVM that does not print its version within this is given up on (and killed). */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(30);
    /** A release file is about a kilobyte; a bigger one is not a JDK's. */
    private static final int MAX_RELEASE_BYTES = 64 * 1024;
    private static final Pattern RELEASE_VERSION = Pattern.compile("^JAVA_VERSION=\"([^\"]*)\"", Pattern.MULTILINE);
    private static final Pattern VERSION_LINE = Pattern.compile("version \"([^\"]*)\"");

    /** A file's version as read at one modification time. */
    private record Known(FileTime modified, CompletableFuture<OptionalInt> feature) {
    }

    private final int herdUid;
    private final Map<Path, Known> known = new ConcurrentHashMap<>();
    private final ExecutorService probes = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "herd-java-version");
        thread.setDaemon(true);
        return thread;
    });

    /** @param herdUid the effective uid herd runs as: its own files are trusted like root's */
    public WorkerJvms(int herdUid) {
        this.herdUid = herdUid;
    }

    /**
     * The java that {@code config}'s JVM workers run: the master's, or worker.java's file once it is found
     * trustworthy ({@link TrustedExecutable}); its version is looked up now, so that the probe, if one is needed,
     * starts before the first worker does.
     *
     * @throws ConfigException one line naming worker.java and what is wrong with it
     */
    WorkerJvm check(HerdConfig config) throws ConfigException {
        WorkerSpec.Kind kind = config.worker().kind();
        if (config.workerJava().isEmpty() || kind == WorkerSpec.Kind.BUILT_IN_APP
                || kind == WorkerSpec.Kind.COMMAND) {
            return WorkerJvm.master();
        }
        Path configured = config.workerJava().get();
        try {
            WorkerJvm jvm = new WorkerJvm(Optional.of(configured), TrustedExecutable.resolve(configured, herdUid));
            feature(jvm);
            return jvm;
        } catch (TrustedExecutable.Refused e) {
            throw new ConfigException("\"worker.java\": " + e.getMessage());
        }
    }

    /** The JVM options herd adds for {@code jvm}'s workers, by its version ({@link WorkerJvm#herdOptions}). */
    java.util.List<String> herdOptions(WorkerJvm jvm) {
        return WorkerJvm.herdOptions(feature(jvm));
    }

    /** {@code jvm}'s feature version, if known now; never waits. */
    OptionalInt feature(WorkerJvm jvm) {
        return lookUp(jvm).getNow(OptionalInt.empty());
    }

    /**
     * {@code jvm}'s feature version, waiting up to {@code timeout} for a probe in progress: only before the
     * master's loop runs, so that its first workers get the right options.
     */
    OptionalInt awaitFeature(WorkerJvm jvm, Duration timeout) {
        try {
            return lookUp(jvm).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        } catch (ExecutionException | TimeoutException e) {
            return OptionalInt.empty();
        }
    }

    @Override
    public void close() {
        probes.shutdownNow();
    }

    private CompletableFuture<OptionalInt> lookUp(WorkerJvm jvm) {
        if (jvm.isMasters()) {
            return CompletableFuture.completedFuture(OptionalInt.of(Runtime.version().feature()));
        }
        Path executable = jvm.executable();
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(executable);
        } catch (IOException e) {
            return CompletableFuture.completedFuture(OptionalInt.empty()); // gone: its workers' spawn will say so
        }
        Known cached = known.get(executable);
        if (cached != null && cached.modified().equals(modified)) {
            return cached.feature();
        }
        OptionalInt fromRelease = releaseFeature(executable);
        CompletableFuture<OptionalInt> feature = fromRelease.isPresent()
                ? CompletableFuture.completedFuture(fromRelease)
                : CompletableFuture.supplyAsync(() -> probe(jvm), probes);
        known.put(executable, new Known(modified, feature));
        return feature;
    }

    /** The feature version in the release file of the JDK whose {@code bin/java} this is, if it has one. */
    static OptionalInt releaseFeature(Path executable) {
        Path bin = executable.getParent();
        if (bin == null || bin.getParent() == null || !bin.getFileName().toString().equals("bin")) {
            return OptionalInt.empty();
        }
        try (InputStream in = Files.newInputStream(bin.getParent().resolve("release"))) {
            Matcher version = RELEASE_VERSION.matcher(new String(in.readNBytes(MAX_RELEASE_BYTES),
                    StandardCharsets.UTF_8));
            return version.find() ? featureOf(version.group(1)) : OptionalInt.empty();
        } catch (IOException e) {
            return OptionalInt.empty(); // no release file: the probe asks the JVM itself
        }
    }

    /** The feature of a version string: 17 of {@code 17.0.15}, 25 of {@code 25}, 8 of {@code 1.8.0_412}. */
    static OptionalInt featureOf(String version) {
        Matcher numbers = Pattern.compile("^(\\d+)(?:\\.(\\d+))?").matcher(version);
        if (!numbers.find()) {
            return OptionalInt.empty();
        }
        int first = Integer.parseInt(numbers.group(1));
        return first == 1 && numbers.group(2) != null ? OptionalInt.of(Integer.parseInt(numbers.group(2)))
                : OptionalInt.of(first);
    }

    /**
     * Runs {@code java -version} (on the probe's thread) and reads the version it prints. Its output is a few
     * hundred bytes, far less than a pipe holds, so waiting for the exit before reading cannot block it. As PID 1
     * the master's orphan reaper may reap it first; its output is all that is needed.
     */
    private static OptionalInt probe(WorkerJvm jvm) {
        Path configured = jvm.configured().orElseThrow();
        ProcessBuilder builder = new ProcessBuilder(jvm.executable().toString(), "-version")
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().clear(); // the master's secrets and its NOTIFY_SOCKET are not the probe's
        try {
            Process process = builder.start();
            if (!process.waitFor(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                Log.warn("worker.java %s did not print its version within %d s; its workers get only the JVM "
                        + "options every JDK takes", configured, PROBE_TIMEOUT.toSeconds());
                return OptionalInt.empty();
            }
            String output = new String(process.getInputStream().readNBytes(MAX_RELEASE_BYTES),
                    StandardCharsets.UTF_8);
            Matcher version = VERSION_LINE.matcher(output);
            OptionalInt feature = version.find() ? featureOf(version.group(1)) : OptionalInt.empty();
            if (feature.isPresent()) {
                Log.info("worker.java %s is Java %d (from its -version: it has no release file)", configured,
                        feature.getAsInt());
            } else {
                Log.warn("worker.java %s printed no version (%s); its workers get only the JVM options every JDK "
                        + "takes", configured, output.lines().findFirst().orElse("nothing"));
            }
            return feature;
        } catch (IOException e) {
            Log.warn("worker.java %s: running it for its version failed: %s", configured, e.getMessage());
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }
}
