package dev.herd.supervisor.spawn;

import dev.herd.log.Log;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ReapResult;
import dev.herd.supervisor.os.Signal;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Class data per app ({@code worker.classData}): trains a class-data archive for a jar or mainClass app once per
 * {@link ClassDataKey}, beside the pool, and gives every worker started afterwards the option that maps it.
 *
 * <p>The training run is the worker's own command line plus the option that writes the archive (JDK 25:
 * {@code -XX:AOTCacheOutput}, the JVM assembles the cache as it exits; JDK 17..24: {@code -XX:ArchiveClassesAtExit}),
 * started through the same spawn path as a worker, so it is the master's child, in its process group, reaped by
 * pid. Its fd 0 is a private listening socket on 127.0.0.1 (it serves nobody); it gets the lifeline and a notify
 * pipe; its output is relayed as {@code class-data}. When it says READY=1 it gets SIGTERM; when it has exited 0 or
 * 143 with a complete file, that file is renamed into place. It starts once the first worker of the current
 * configuration is ready, so it never delays readiness; at most one runs at a time; it is killed past its
 * deadline (readyTimeout plus {@link #DUMP_MARGIN}) and at the master's stop. Its serials are negative, so neither
 * the pool nor anything keyed by a worker's serial mistakes it for a worker; {@link #trainerPid()} names it. On
 * JDK 25 the training JVM starts a child JVM as it exits, which assembles the cache: a grandchild of the master's
 * that is no stray either.
 *
 * <p>A Spring Boot fat jar ({@code worker.jar} whose manifest names a Spring-Boot-Version) is extracted first
 * ({@link ClassDataExtractor}, on the key's thread) into the store beside its archive; the training run and every
 * worker given the archive then run the extracted jar instead of the fat jar (with {@code -Dherd.worker.jar=} naming
 * the user's jar, for ps), always both together. An extraction is removed with its archive once no worker runs
 * from it. If the extraction fails, the fat jar is trained as it is.
 *
 * <p>A worker that started with an archive but did not map it (its JVM refused it as stale or corrupt: the JVM's
 * warning is in the worker's relayed output) gets it deleted and trained again, once per key and master lifetime.
 * Used on the master thread only, except {@link ClassDataKey#compute}, which runs on a thread of its own.
 */
final class ClassDataTrainer implements AutoCloseable {

    /** How long a training run may take past readyTimeout: the JVM writes the archive (tens of MB) as it exits. */
    static final Duration DUMP_MARGIN = Duration.ofSeconds(120);

    /** Starts a process the way workers start (WorkerLauncher), with another socket, name and extra options. */
    interface Starter {
        int start(int serial, String name, int socketFd, Launch launch) throws OsException;

        /** The process {@code serial} has been reaped: close and remove what was made for it. */
        void release(int serial);
    }

    /** What the current configuration's workers run: the key's inputs, or empty when class data is off for it. */
    record Inputs(Path directory, String app, Path javaHome, OptionalInt feature, List<String> commandLine,
                  List<Path> classpath, Duration readyTimeout, Optional<Path> jar) {
    }

    /**
     * How a worker or the training run starts: JVM options before the app's, and the jar it runs instead of
     * {@code worker.jar} (a Spring Boot fat jar's extraction).
     */
    record Launch(List<String> options, Optional<Path> jar) {
        static final Launch PLAIN = new Launch(List.of(), Optional.empty());
    }

    /** What the key's thread found: the key, and a new extraction to rename into place (or why there is none). */
    private record Keyed(ClassDataKey key, Optional<Path> extracted, String extractionProblem) {
    }

    private record Training(int serial, int pid, ClassDataKey key, Path partial, Path archive, long startedAt,
                            long deadline) {
    }

    private final Os os;
    private Optional<ClassDataStore> store = Optional.empty();
    private final Starter starter;
    private final Consumer<Runnable> toLoop;
    private final ExecutorService hasher = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "herd-class-data-key");
        thread.setDaemon(true);
        return thread;
    });
    /**
     * Where the key's thread extracts a Spring Boot fat jar: a thread at the lowest CPU priority, as the training
     * run, so that the extracting JVM (which inherits its priority) never slows a reload's worker starts. The key
     * itself is computed at normal priority: a worker started before it is known starts without the archive.
     */
    private final ExecutorService extractor;

    private int generation;
    /** The master is stopping: a training run killed now is no failure worth a warning. */
    private boolean stopping;
    /** The current key's jars as they were when its configuration was applied: see {@link #stamp}. */
    private Optional<List<String>> keyStamp = Optional.empty();
    /** The same, for the key being computed. */
    private Optional<List<String>> pendingStamp = Optional.empty();
    /** A training run is being ended for an upgrade ({@link #abandon}): its end is not the build's failure. */
    private boolean abandoning;
    private Optional<Inputs> inputs = Optional.empty();
    private ClassDataKey key;
    /** The current key's extraction in the store, when its app is a Spring Boot fat jar extracted. */
    private Optional<Path> extraction = Optional.empty();
    private boolean readySeen;
    private Training training;
    private int nextSerial = -1;
    private final Set<String> failedKeys = new HashSet<>();
    private final Set<String> retrainedKeys = new HashSet<>();
    private final Map<Integer, Path> archiveBySerial = new HashMap<>();
    private final Map<Integer, Path> extractionBySerial = new HashMap<>();
    private final Map<Integer, Integer> generationBySerial = new HashMap<>();
    private final Set<Path> kept = new LinkedHashSet<>();
    /** Reloads with --train-first waiting for the current configuration's archive (see {@link #archiveFirst}). */
    private final List<CompletableFuture<Optional<String>>> firstWaiters = new ArrayList<>();
    /** Why the current configuration has no archive, once that is known (for {@link #firstWaiters}). */
    private Optional<String> whyNone = Optional.empty();

    ClassDataTrainer(Os os, Starter starter, Consumer<Runnable> toLoop) {
        this.os = os;
        this.starter = starter;
        this.toLoop = toLoop;
        this.extractor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(() -> {
                os.lowerCurrentThread();
                runnable.run();
            }, "herd-class-data-extract");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A new configuration (start, reload): its key is computed beside the loop and comes back through toLoop. */
    void configure(Optional<Inputs> next) {
        generation++;
        answerFirstWaiters(Optional.of("a newer configuration came meanwhile"));
        // The same app, options and JDK as before, and its jars' sizes and times unchanged (a reload that changed
        // other keys, or none): its archive stays in use while the key is computed again, so that the reload's
        // first workers start with it too. A jar rewritten in place gets a new key first.
        Optional<List<String>> stamp = next.flatMap(ClassDataTrainer::stamp);
        boolean sameApp = next.isPresent() && next.equals(inputs) && key != null && stamp.isPresent()
                && stamp.equals(keyStamp);
        pendingStamp = stamp;
        inputs = next;
        if (!sameApp) {
            key = null;
            extraction = Optional.empty();
        }
        readySeen = false;
        whyNone = next.isEmpty() ? Optional.of("worker.classData is off for these workers") : Optional.empty();
        if (next.isEmpty()) {
            return;
        }
        Path directory = next.get().directory().toAbsolutePath().normalize();
        if (store.isEmpty() || !store.get().directory().equals(directory)) {
            store = ClassDataStore.open(directory, os.effectiveUid());
            kept.clear();
        }
        if (store.isEmpty()) {
            whyNone = Optional.of("the directory " + directory + " is refused (the master's log says why)");
            return;
        }
        int forGeneration = generation;
        Inputs in = next.get();
        ClassDataStore into = store.get();
        hasher.execute(() -> {
            Keyed computed = key(forGeneration, in, into, extractor);
            toLoop.accept(() -> keyed(computed));
        });
    }

    /**
     * Each jar of the classpath with its inode, size and modification time: read on the loop (a stat per jar), it tells
     * whether a configuration's jars may be the ones its current key was computed from. Empty if one cannot be read.
     */
    private static Optional<List<String>> stamp(Inputs in) {
        List<String> stamp = new ArrayList<>();
        try {
            for (Path jar : ClassDataKey.jarsOf(in.classpath())) {
                var attributes = Files.readAttributes(jar, java.nio.file.attribute.BasicFileAttributes.class);
                // The file (a jar renamed over it is another), its size and time to the nanosecond.
                stamp.add(jar + " " + attributes.fileKey() + " " + attributes.size() + " "
                        + attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS));
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(stamp);
    }

    /**
     * On the key's thread: the key, and for a Spring Boot fat jar its extraction (unless one for this build is in
     * place already). Only this thread makes and removes {@code .extract-} directories; the loop renames a
     * current configuration's into place.
     */
    private static Keyed key(int forGeneration, Inputs in, ClassDataStore store, ExecutorService extractor) {
        ClassDataKey computed = ClassDataKey.compute(forGeneration, in.app(), in.javaHome(), in.commandLine(),
                in.classpath());
        if (!computed.known() || computed.springBoot().isEmpty() || in.jar().isEmpty()) {
            return new Keyed(computed, Optional.empty(), "");
        }
        ClassDataKey extractedKey = computed.extracted();
        if (store.usableExtraction(store.extraction(extractedKey)).isPresent()) {
            return new Keyed(extractedKey, Optional.empty(), "");
        }
        store.removeLeftExtractions(computed);
        Path under = store.extracting(extractedKey, forGeneration);
        try {
            ClassDataExtractor.Result result = extractor.submit(() -> {
                // What a failed or interrupted extraction wrote is removed here, on the extraction's own thread,
                // once its JVM has exited (extract waits for that): never while it may still write.
                boolean extracted = false;
                try {
                    ClassDataExtractor.Result outcome = ClassDataExtractor.extract(
                            in.javaHome().resolve("bin/java"), in.jar().get(), under);
                    extracted = outcome.extracted().isPresent();
                    return outcome;
                } finally {
                    if (!extracted) {
                        store.deleteTree(under);
                    }
                }
            }).get();
            if (result.extracted().isEmpty()) {
                return new Keyed(computed, Optional.empty(), result.problem());
            }
            return new Keyed(extractedKey, result.extracted(), "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the master is closing: nothing will read the result
            return new Keyed(computed, Optional.empty(), "interrupted");
        } catch (ExecutionException e) {
            return new Keyed(computed, Optional.empty(), String.valueOf(e.getCause()));
        }
    }

    private void keyed(Keyed computed) {
        if (computed.key().generation() != generation) {
            return; // a reload came meanwhile (the key's thread removes its extraction before its next)
        }
        if (!computed.key().known()) {
            Log.warn("worker.classData: %s; workers run without class data", computed.key().problem());
            noArchive(computed.key().problem());
            return;
        }
        key = computed.key();
        keyStamp = pendingStamp;
        String version = key.springBoot().orElse("");
        if (!computed.extractionProblem().isEmpty()) {
            Log.warn("worker.classData: the Spring Boot %s fat jar %s was not extracted (%s); its class data is "
                    + "trained on the fat jar, without the classes of its nested jars", version,
                    inputs.get().jar().orElseThrow(), computed.extractionProblem());
        } else if (key.springBoot().isPresent() && inputs.get().jar().isPresent()) {
            Path place = store.get().extraction(key);
            try {
                if (computed.extracted().isPresent()) {
                    store.get().commitExtraction(computed.extracted().get(), place);
                } else if (store.get().usableExtraction(place).isEmpty()) {
                    throw new IOException(place + " is gone");
                }
                extraction = Optional.of(place);
                Log.info("worker.classData: %s is a Spring Boot %s fat jar, extracted to %s: with its class data, "
                        + "workers run %s", inputs.get().jar().get(), version, place,
                        place.resolve(ClassDataStore.EXTRACTED_JAR));
            } catch (IOException e) {
                Log.warn("worker.classData: the extraction of %s is refused (%s); workers run without class "
                        + "data", inputs.get().jar().get(), e.getMessage());
                key = null;
                noArchive("the extraction of " + inputs.get().jar().get() + " is refused: " + e.getMessage());
                return;
            }
        }
        if (readySeen || !firstWaiters.isEmpty()) {
            trainIfNeeded();
        }
        answerFirstWaitersIfDone();
    }

    /**
     * For a reload that trains first: trains the current configuration's archive now, without waiting for a ready
     * worker, unless it exists; completes on the master thread with empty once it exists, or with why there is
     * none. Bounded: the training run's deadline ends it.
     */
    CompletableFuture<Optional<String>> archiveFirst() {
        CompletableFuture<Optional<String>> waiter = new CompletableFuture<>();
        if (whyNone.isPresent()) {
            waiter.complete(whyNone);
            return waiter;
        }
        firstWaiters.add(waiter);
        if (key != null) { // else keyed() goes on once the key is known
            trainIfNeeded();
            answerFirstWaitersIfDone();
        }
        return waiter;
    }

    /** Answers the reloads waiting for the archive if it exists or will not come (a training run may be going). */
    private void answerFirstWaitersIfDone() {
        if (firstWaiters.isEmpty()) {
            return;
        }
        if (currentArchive().isPresent()) {
            answerFirstWaiters(Optional.empty());
        } else if (key != null && (failedKeys.contains(key.hex()) || mode().isEmpty())) {
            answerFirstWaiters(Optional.of(whyNone.orElse(mode().isEmpty() ? "the workers' Java version is unknown"
                    : "training this build failed before (the master's log says why)")));
        } else if (training == null && key != null) {
            answerFirstWaiters(Optional.of(whyNone.orElse("the training run did not start")));
        }
    }

    private void noArchive(String why) {
        whyNone = Optional.of(why);
        answerFirstWaiters(whyNone);
    }

    private void answerFirstWaiters(Optional<String> why) {
        List<CompletableFuture<Optional<String>>> waiting = List.copyOf(firstWaiters);
        firstWaiters.clear();
        waiting.forEach(waiter -> waiter.complete(why));
    }

    /**
     * How the worker {@code serial} starts: with the current key's archive (and its extraction) when there is one;
     * remembered for {@link #usedBy} and the extraction's removal.
     */
    Launch launchFor(int serial) {
        generationBySerial.put(serial, generation);
        Optional<Path> archive = currentArchive();
        if (archive.isEmpty()) {
            return Launch.PLAIN;
        }
        Optional<Path> jar = extraction.flatMap(store.get()::usableExtraction);
        if (extraction.isPresent() && jar.isEmpty()) {
            return Launch.PLAIN;
        }
        archiveBySerial.put(serial, archive.get());
        extraction.ifPresent(directory -> extractionBySerial.put(serial, directory));
        return new Launch(List.of(runOption(mode().orElseThrow()) + "=" + archive.get()), jar);
    }

    /** "app" if the worker {@code serial} started with the app's archive. */
    Optional<String> usedBy(int serial) {
        return archiveBySerial.containsKey(serial) ? Optional.of("app") : Optional.empty();
    }

    /** A worker said READY=1: check that it mapped its archive; train if it is the configuration's first. */
    void workerReady(int serial, int pid) {
        Path archive = archiveBySerial.get(serial);
        if (archive != null && !mapped(pid, archive)) {
            refused(archive);
        }
        if (generationBySerial.getOrDefault(serial, -1) == generation) {
            readySeen = true;
            trainIfNeeded();
        }
    }

    private void refused(Path archive) {
        if (key == null || store.isEmpty() || !archive.equals(store.get().archive(key, mode().orElseThrow()))
                || !Files.exists(archive)) {
            return; // an older key's archive, or already dealt with
        }
        store.get().delete(archive);
        kept.remove(archive);
        if (retrainedKeys.add(key.hex())) {
            Log.warn("worker.classData: a worker's JVM ran without %s (stale or corrupt: JDK 25 says why above, "
                    + "JDK 17 silently); deleted, training it again", archive);
        } else {
            failedKeys.add(key.hex());
            Log.warn("worker.classData: a worker's JVM did not map %s again; deleted, workers of this build run "
                    + "without class data", archive);
        }
    }

    private void trainIfNeeded() {
        if (training != null || key == null || inputs.isEmpty() || store.isEmpty() || mode().isEmpty()
                || failedKeys.contains(key.hex()) || currentArchive().isPresent()) {
            return;
        }
        String mode = mode().get();
        ClassDataStore directory = store.get();
        Optional<Path> jar = extraction.flatMap(directory::usableExtraction);
        if (extraction.isPresent() && jar.isEmpty()) {
            Log.warn("worker.classData: %s is gone or no longer herd's alone; workers run without class data",
                    extraction.get());
            whyNone = Optional.of(extraction.get() + " is gone or no longer herd's alone");
            failedKeys.add(key.hex());
            return;
        }
        int serial = nextSerial--;
        Path archive = directory.archive(key, mode);
        Path partial = directory.partial(key, mode, serial);
        directory.delete(partial);
        List<String> options = trainOptions(mode, partial);
        int socketFd;
        try {
            // Private: the training run must serve nobody, so it never gets the shared socket.
            socketFd = os.listenTcp(InetAddress.getLoopbackAddress(), 0, 16);
        } catch (OsException e) {
            Log.warn("worker.classData: no socket for the training run: %s", e.getMessage());
            whyNone = Optional.of("no socket for the training run: " + e.getMessage());
            failedKeys.add(key.hex());
            return;
        }
        try {
            int pid = starter.start(serial, "class-data", socketFd, new Launch(options, jar));
            long now = System.nanoTime();
            training = new Training(serial, pid, key, partial, archive, now,
                    now + inputs.get().readyTimeout().plus(DUMP_MARGIN).toNanos());
            Log.info("class-data (pid %d): training the app's class data into %s", pid, archive);
        } catch (OsException e) {
            Log.warn("worker.classData: cannot start the training run: %s", e.getMessage());
            whyNone = Optional.of("cannot start the training run: " + e.getMessage());
            failedKeys.add(key.hex());
        } finally {
            closeQuietly(socketFd); // the child has its own copy as fd 0
        }
    }

    /** Whether {@code serial} is the training run's; if so, its notifications are handled here. */
    boolean notified(int serial, List<Notification> notifications) {
        if (training == null || training.serial() != serial) {
            return serial < 0; // a finished training run's late message
        }
        if (notifications.stream().anyMatch(n -> n instanceof Notification.Ready)) {
            signal(Signal.TERM); // its exit writes the archive
        }
        return true;
    }

    /** Each loop turn: reap a training run that ended, kill one past its deadline. */
    void supervise() {
        if (training == null) {
            return;
        }
        ReapResult result;
        try {
            result = os.reap(training.pid());
        } catch (OsException e) {
            Log.error("reaping the class-data training run (pid %d): %s", training.pid(), e.getMessage());
            return;
        }
        if (result instanceof ReapResult.Exited exited) {
            finished(exited.status());
        } else if (result instanceof ReapResult.NotAChild) {
            finished(new ExitStatus(255, 0));
        } else if (System.nanoTime() - training.deadline() > 0) {
            Log.warn("class-data (pid %d): training took longer than readyTimeout + %d s; killing it",
                    training.pid(), DUMP_MARGIN.toSeconds());
            failedKeys.add(training.key().hex());
            signal(Signal.KILL);
        }
    }

    private void finished(ExitStatus status) {
        Training done = training;
        training = null;
        starter.release(done.serial());
        ClassDataStore directory = store.get();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - done.startedAt());
        boolean clean = !status.killedBySignal() && (status.exitCode() == 0 || status.exitCode() == 143);
        try {
            if (!clean) {
                throw new IOException("it ended with " + status);
            }
            directory.commit(done.partial(), done.archive());
            Log.info("class-data: trained %s in %d ms (%d MB); workers started from now on use it", done.archive(),
                    millis, Files.size(done.archive()) >> 20);
            kept.remove(done.archive());
            kept.add(done.archive());
            while (kept.size() > 1) {
                kept.remove(kept.iterator().next());
            }
            Set<Path> keep = new HashSet<>(kept);
            extraction.ifPresent(keep::add);
            keep.addAll(extractionBySerial.values()); // workers still run from them
            if (key != null) { // else a new configuration's key is pending: it may reuse what is there
                directory.removeAllBut(done.key(), keep);
            }
        } catch (IOException e) {
            directory.delete(done.partial());
            if (abandoning) {
                return;
            }
            failedKeys.add(done.key().hex());
            if (stopping) {
                Log.info("class-data: training stopped with the master");
                return;
            }
            Log.warn("class-data: no archive for this build: %s; workers run without class data", e.getMessage());
            if (key != null && key.hex().equals(done.key().hex())) {
                whyNone = Optional.of("the training run failed: " + e.getMessage());
            }
        } finally {
            if (!firstWaiters.isEmpty() && !abandoning) {
                trainIfNeeded(); // an older build's run has ended: the current one's may start
                answerFirstWaitersIfDone();
            }
        }
    }

    /** The master is stopping: a training run is of no use any more. */
    void stop() {
        stopping = true;
        answerFirstWaiters(Optional.of("the master is stopping"));
        if (training != null) {
            failedKeys.add(training.key().hex());
            signal(Signal.KILL);
        }
    }

    OptionalInt trainerPid() {
        return training == null ? OptionalInt.empty() : OptionalInt.of(training.pid());
    }

    /** A worker was reaped and released: an older build's extraction goes with the last worker it ran. */
    void forget(int serial) {
        archiveBySerial.remove(serial);
        generationBySerial.remove(serial);
        Path ranFrom = extractionBySerial.remove(serial);
        // Not while a new configuration's key is pending: a reload with the same build reuses it.
        if (ranFrom != null && key != null && !extraction.equals(Optional.of(ranFrom)) && store.isPresent()
                && !extractionBySerial.containsValue(ranFrom) && Files.exists(ranFrom)) {
            Log.info("removing the old extraction %s (its last worker is gone)", ranFrom);
            store.get().deleteTree(ranFrom);
        }
    }

    /**
     * Ends a training run still going, now, for {@code why} (herd is about to re-execute itself, and an upgrade
     * must not wait on an optimisation): its archive is not written, and the key is not marked failed, so the next
     * ready worker of the build starts a new run.
     */
    void abandon(String why) {
        if (training == null) {
            return;
        }
        Log.info("class-data (pid %d): training ended: %s", training.pid(), why);
        answerFirstWaiters(Optional.of("the training run ended: " + why));
        abandoning = true; // its end is no failure: neither reported nor remembered
        try {
            killAndReap();
        } finally {
            abandoning = false;
        }
    }

    /** Kills and reaps a training run still going (bounded: a SIGKILLed process is gone in milliseconds). */
    @Override
    public void close() {
        hasher.shutdownNow();
        extractor.shutdownNow();
        killAndReap();
    }

    private void killAndReap() {
        if (training == null) {
            return;
        }
        signal(Signal.KILL);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (training != null && System.nanoTime() - deadline < 0) {
            supervise();
            if (training != null) {
                try {
                    Thread.sleep(10); // the waitpid polling interval, bounded by the deadline above
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private Optional<Path> currentArchive() {
        if (key == null || store.isEmpty() || mode().isEmpty() || failedKeys.contains(key.hex())) {
            return Optional.empty();
        }
        Path archive = store.get().archive(key, mode().get());
        if (!store.get().usable(archive)) {
            return Optional.empty();
        }
        kept.add(archive);
        return Optional.of(archive);
    }

    /**
     * "aot" from JDK 25 (one-step AOT cache), "jsa" on 17..24 (dynamic CDS), which is also the archive's file name
     * suffix; empty while the version is unknown.
     */
    private Optional<String> mode() {
        if (inputs.isEmpty() || inputs.get().feature().isEmpty()) {
            return Optional.empty();
        }
        int feature = inputs.get().feature().getAsInt();
        return feature >= 25 ? Optional.of("aot") : feature >= 17 ? Optional.of("jsa") : Optional.empty();
    }

    private static String runOption(String mode) {
        return mode.equals("aot") ? "-XX:AOTCache" : "-XX:SharedArchiveFile";
    }

    private List<String> trainOptions(String mode, Path partial) {
        if (mode.equals("aot")) {
            return List.of("-XX:AOTCacheOutput=" + partial);
        }
        boolean agent = inputs.get().commandLine().stream().anyMatch(word -> word.startsWith("-javaagent:"));
        // JDK 17 refuses to archive classes with a Java agent loaded unless told that the agent is expected.
        return agent ? List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+AllowArchivingWithJavaAgent",
                "-XX:ArchiveClassesAtExit=" + partial) : List.of("-XX:ArchiveClassesAtExit=" + partial);
    }

    /** Whether the process maps {@code archive}: a JVM that refused it (stale, corrupt) runs without mapping it. */
    private static boolean mapped(int pid, Path archive) {
        try (var lines = Files.lines(Path.of("/proc", Integer.toString(pid), "maps"))) {
            String name = archive.toString();
            // " (deleted)": herd removed it after the worker mapped it (a newer build's archive replaced it).
            return lines.anyMatch(line -> line.endsWith(name) || line.endsWith(name + " (deleted)"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return true; // gone meanwhile: nothing to learn from it
        }
    }

    private void signal(Signal signal) {
        try {
            os.kill(training.pid(), signal);
        } catch (OsException e) {
            Log.warn("signalling the class-data training run: %s", e.getMessage());
        }
    }

    private void closeQuietly(int fd) {
        try {
            os.close(fd);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }
}
