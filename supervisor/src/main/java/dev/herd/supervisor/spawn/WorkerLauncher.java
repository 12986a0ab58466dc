package dev.herd.supervisor.spawn;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.WorkerSpec;
import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.SpawnRequest;
import dev.herd.worker.WorkerContract;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Starts the worker process for a slot: the same {@code java} the master runs on with the master's own classpath
 * for a built-in app, the user's main class or jar (on worker.java's JVM if set, see {@link WorkerJvms}), or any
 * command. The descriptors it gets (DESIGN.md §5, {@link WorkerContract}): the shared listening socket as fd 0,
 * pipes for its stdout and stderr as fds 1 and 2 (relayed by {@link WorkerIo} to the master's log), the read end of
 * the lifeline pipe as fd 3 and the write end of its notify pipe as fd 4; its environment tells it its slot, the
 * master's pid, its NOTIFY_SOCKET and counters file, and the heartbeat timeout. With worker.classData it also
 * starts the class-data training runs and gives workers their app's archive ({@link ClassDataTrainer}). Used on the
 * master thread only.
 */
public final class WorkerLauncher implements WorkerSpawner, AutoCloseable {

    /**
     * How long the loop waits, once a worker is reaped, for the rest of its output (see {@link #outputFacts}):
     * milliseconds when the worker is gone, this long only when something it left behind holds its pipes.
     */
    private static final Duration OUTPUT_END_WAIT = Duration.ofMillis(100);

    /**
     * What a worker gets of the master's environment unless {@code worker.passEnv} names more: what a program
     * needs to run and format text, nothing else. A secret the master was started with (a token, a password for
     * its own scripts) stays with the master.
     */
    private static final Set<String> PASSED_BY_DEFAULT =
            Set.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "JAVA_HOME");

    /**
     * Variables meant for the master alone, even when passEnv names them: a worker that inherited NOTIFY_SOCKET
     * would talk to systemd as if it were the service, one that inherited LISTEN_PID/LISTEN_FDS would look for
     * sockets on fds it lacks, and the admin socket is the master's to be controlled through.
     */
    private static final Set<String> MASTER_ONLY_VARIABLES = Set.of("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS",
            "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC", "HERD_ADMIN_SOCKET", "JOURNAL_STREAM",
            "HERD_HANDOVER_FD", "HERD_CONFIG_SNAPSHOT_FD"); // an upgrade's, closed in the master: see HandOver

    /** util-linux's setpriv: it sets the uid, gid and groups of a worker that runs as another user, then execs it. */
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    /** Who workers run as when {@code worker.user} is set. */
    record Identity(Os.Account account, int gid) {
    }

    /**
     * The built-in apps' defaults, before worker.jvmOptions (the JVM takes the last of a repeated option, so the
     * user's win): the serial collector and C1 alone, a heap that starts small and may grow to 256 MB, small
     * stacks; measured in docs/benchmarks.md. Not the master's class-data archive: with the archive relocated for
     * ASLR (the default of current JDKs) every JVM that maps it dirties all of it, 10 MB more proportional memory
     * per worker, and a worker's start took no less CPU with it.
     */
    private static final List<String> BUILT_IN_APP_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xms8m", "-Xmx256m", "-Xss512k", "-XX:ReservedCodeCacheSize=32m", "-Xlog:all=warning:stderr");

    private final Os os;
    private final WorkerFiles files;
    private final WorkerIo io;
    private final SharedSocket socket;
    private final int lifelineReadFd;
    private final Map<String, String> baseEnvironment;
    private final WorkerJvms jvms;
    private final String classpath = absoluteClasspath(System.getProperty("java.class.path"));
    private HerdConfig config;
    private Optional<Identity> identity;
    /** The java of JVM workers started from now on (the master's, or worker.java's). */
    private WorkerJvm jvm;
    /** herd's agent, for a configuration with worker.appPort. */
    private Optional<Path> agentJar = Optional.empty();
    /** worker.classData's archives and training runs; null until {@link #startClassData}. */
    private ClassDataTrainer classData;
    /** The write end of each waiting spare's promotion pipe, by serial; master thread only. */
    private final Map<Integer, Integer> promotionPipes = new HashMap<>();
    /** The master's ends of each worker's channels, by serial, for an upgrade's hand-over; master thread only. */
    private final Map<Integer, WorkerChannels> channels = new HashMap<>();

    private WorkerLauncher(Os os, WorkerJvms jvms, WorkerFiles files, WorkerIo io, SharedSocket socket,
                           int lifelineReadFd, Map<String, String> baseEnvironment) {
        this.os = os;
        this.jvms = jvms;
        this.files = files;
        this.io = io;
        this.socket = socket;
        this.lifelineReadFd = lifelineReadFd;
        this.baseEnvironment = baseEnvironment;
    }

    /**
     * A launcher with its private directory and its I/O thread, which hands every worker notification to
     * {@code listener}.
     */
    public static WorkerLauncher open(Os os, WorkerIo.Listener listener, HerdConfig config, SharedSocket socket,
                                      int lifelineReadFd, Map<String, String> baseEnvironment)
            throws IOException, ConfigException {
        return open(os, listener, config, socket, lifelineReadFd, baseEnvironment, Optional.empty());
    }

    /**
     * {@link #open(Os, WorkerIo.Listener, HerdConfig, SharedSocket, int, Map)} in a master that was upgraded in
     * place: its workers' directory is the one {@code workerDirectory} names, the old master's.
     */
    public static WorkerLauncher open(Os os, WorkerIo.Listener listener, HerdConfig config, SharedSocket socket,
                                      int lifelineReadFd, Map<String, String> baseEnvironment,
                                      Optional<Path> workerDirectory) throws IOException, ConfigException {
        Optional<Identity> identity = identity(os, config.worker());
        Optional<Path> agentJar = agentJar(config.worker());
        WorkerJvms jvms = new WorkerJvms(os.effectiveUid());
        WorkerFiles files = null;
        WorkerIo io = null;
        try {
            WorkerJvm jvm = jvms.check(config);
            // The loop does not run yet: a java without a release file is asked its version now, for the first
            // workers' options (a reload's probe runs beside the loop).
            jvms.awaitFeature(jvm, Duration.ofSeconds(30));
            files = workerDirectory.isPresent() ? WorkerFiles.adopt(workerDirectory.get(), os.effectiveUid())
                    : WorkerFiles.create();
            io = WorkerIo.start(os, listener);
            WorkerLauncher launcher = new WorkerLauncher(os, jvms, files, io, socket, lifelineReadFd,
                    baseEnvironment);
            launcher.apply(config, identity, jvm);
            launcher.agentJar = agentJar;
            return launcher;
        } catch (IOException | ConfigException e) {
            if (io != null) {
                io.close();
            }
            if (files != null) {
                files.close();
            }
            jvms.close();
            throw e;
        }
    }

    /**
     * Looks up what a configuration's workers need (worker.user and worker.group in the name service, worker.java
     * on disk, herd's agent), beside the master's loop: a reload calls this on a thread of its own, because a name
     * service can take seconds. Returns the step that makes workers started from then on use it, for the loop to
     * run once the whole reload is known to go through; that step makes no lookup and cannot be refused.
     *
     * @throws ConfigException naming the key and why workers cannot be started as {@code next} asks
     */
    public Runnable prepare(HerdConfig next) throws ConfigException {
        Optional<Identity> nextIdentity = identity(os, next.worker());
        WorkerJvm nextJvm = jvms.check(next);
        Optional<Path> nextAgentJar = agentJar(next.worker());
        return () -> {
            try {
                apply(next, nextIdentity, nextJvm);
                agentJar = nextAgentJar;
            } catch (IOException e) {
                throw new IllegalStateException("a checked configuration failed: " + e.getMessage(), e);
            }
        };
    }

    private void apply(HerdConfig next, Optional<Identity> nextIdentity, WorkerJvm nextJvm) throws IOException {
        if (nextIdentity.isPresent()) {
            // The worker opens its counters file and, for a command, its notify socket by path, and reopens its
            // lifeline through /proc/self/fd: all of it must be the worker user's to open.
            files.openToOtherUsers();
            os.fchown(lifelineReadFd, nextIdentity.get().account().uid(), nextIdentity.get().gid());
        }
        config = next;
        identity = nextIdentity;
        if (!nextJvm.equals(jvm) && !nextJvm.isMasters()) {
            Log.info("jar and mainClass workers run %s (%s)", nextJvm.executable(), jvms.feature(nextJvm).stream()
                    .mapToObj(feature -> "Java " + feature).findFirst().orElse("its version is being asked"));
        }
        jvm = nextJvm;
        if (classData != null) {
            classData.configure(classDataInputs());
        }
    }

    /**
     * Turns on worker.classData's machinery (when the configuration asks for it): the key of each configuration is
     * computed beside the loop and applied through {@code toLoop}, which runs it on the master thread.
     */
    public void startClassData(java.util.function.Consumer<Runnable> toLoop) {
        classData = new ClassDataTrainer(os, new ClassDataTrainer.Starter() {
            @Override
            public int start(int serial, String name, int socketFd, ClassDataTrainer.Launch launch)
                    throws OsException {
                return WorkerLauncher.this.start(BENCH, serial, false, new Role(name, socketFd, launch)).pid();
            }

            @Override
            public void release(int serial) {
                WorkerLauncher.this.release(serial);
            }
        }, toLoop);
        classData.configure(classDataInputs());
    }

    /** What the current configuration's workers run, for class data; empty when it is off for them. */
    private Optional<ClassDataTrainer.Inputs> classDataInputs() {
        WorkerSpec worker = config.worker();
        if (!config.workerClassData() || (worker.kind() != WorkerSpec.Kind.JAR
                && worker.kind() != WorkerSpec.Kind.MAIN_CLASS)) {
            return Optional.empty();
        }
        // Both lines are info, not warnings: class data is on by default, and neither is a fault of the config.
        if (identity.isPresent()) {
            Log.info("worker.classData: not with worker.user (the archive directory is herd's user's alone); "
                    + "workers run without class data");
            return Optional.empty();
        }
        Optional<String> directoryOnClasspath = nonEmptyDirectory(worker.classpath());
        if (directoryOnClasspath.isPresent()) {
            // JDK 17 and 25 alike refuse to write an archive then ("Cannot have non-empty directory in paths").
            Log.info("worker.classData: the classpath holds the directory %s, and the JDK archives classes from jars "
                    + "only; workers run without class data (package the classes as a jar to have it)",
                    directoryOnClasspath.get());
            return Optional.empty();
        }
        // The command line of slot 1, less what differs between slots: the same for every worker.
        List<String> commandLine = requestFor(1, worker, Path.of("/"), Path.of("/"), List.of(0, 1, 2)).argv()
                .stream().filter(word -> !word.startsWith("-Dherd.worker.slot=")).toList();
        List<Path> entries = worker.kind() == WorkerSpec.Kind.JAR ? List.of(Path.of(worker.jar().orElseThrow()))
                : Stream.concat(worker.classpath().stream(), Stream.of(classpath.split(File.pathSeparator)))
                        .map(Path::of).toList();
        Path javaHome = jvm.executable().getParent().getParent();
        Path directory = config.classDataDirectory()
                .orElseGet(() -> ClassDataStore.defaultDirectory(baseEnvironment));
        String app = (worker.kind() == WorkerSpec.Kind.JAR ? "jar " : "main " + worker.mainClass().orElseThrow())
                + entries.stream().map(entry -> entry.toAbsolutePath().toString())
                        .collect(Collectors.joining(File.pathSeparator));
        return Optional.of(new ClassDataTrainer.Inputs(directory, app, javaHome, jvms.feature(jvm), commandLine,
                entries, config.readyTimeout(), worker.jar().map(Path::of)));
    }

    /** The first entry of a worker.classpath that is a directory holding anything (not {@code DIR/*}). */
    private static Optional<String> nonEmptyDirectory(List<String> classpath) {
        for (String entry : classpath) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(path)) {
                if (files.iterator().hasNext()) {
                    return Optional.of(entry);
                }
            } catch (IOException e) {
                return Optional.of(entry); // unreadable: the JVM could not archive it either
            }
        }
        return Optional.empty();
    }

    /**
     * What starting {@code config}'s workers would run into, found without starting anything ({@code herd run
     * --check}): worker.user and worker.group, worker.java, herd's agent for worker.appPort, and the worker's jar,
     * classpath or command on disk. Returns a line saying what would run.
     *
     * @throws ConfigException naming the key and what is wrong
     */
    public static String checkStartable(Os os, HerdConfig config) throws ConfigException {
        WorkerSpec worker = config.worker();
        identity(os, worker);
        agentJar(worker);
        String runs;
        try (WorkerJvms jvms = new WorkerJvms(os.effectiveUid())) {
            WorkerJvm jvm = jvms.check(config);
            runs = jvm.isMasters() ? "herd's own java" : jvm.executable().toString();
        }
        switch (worker.kind()) {
            case JAR -> {
                mustBeReadableFile("worker.jar", Path.of(worker.jar().orElseThrow()));
                return "jar " + worker.jar().get() + " on " + runs
                        + worker.appPort().map(port -> ", its port " + port + " handed herd's socket (herd's agent)")
                        .orElse("");
            }
            case MAIN_CLASS -> {
                for (String entry : worker.classpath()) {
                    // DIR/* is the JVM's classpath wildcard, every jar in DIR: the directory must exist.
                    boolean wildcard = entry.equals("*") || entry.endsWith("/*");
                    Path path = wildcard ? Path.of(entry.substring(0, entry.length() - 1)) : Path.of(entry);
                    if (wildcard ? !Files.isDirectory(path) : !Files.exists(path)) {
                        throw new ConfigException("\"worker.classpath\": " + entry + " does not exist"
                                + (wildcard ? " (no directory " + path + ")" : ""));
                    }
                }
                return "main class " + worker.mainClass().orElseThrow() + " on " + runs;
            }
            case COMMAND -> {
                Path program = Path.of(worker.command().get(0));
                mustBeReadableFile("worker.command", program);
                if (!Files.isExecutable(program)) {
                    throw new ConfigException("\"worker.command\": " + program + " is not executable");
                }
                return "command " + String.join(" ", worker.command());
            }
            default -> {
                return "the built-in app " + config.app() + " on herd's own java";
            }
        }
    }

    private static void mustBeReadableFile(String key, Path path) throws ConfigException {
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("\"" + key + "\": " + path + (Files.exists(path) ? " is not a file"
                    : " does not exist"));
        }
        if (!Files.isReadable(path)) {
            throw new ConfigException("\"" + key + "\": " + path + " is not readable");
        }
    }

    /** herd's agent when worker.appPort asks for it, or why it cannot be found. */
    private static Optional<Path> agentJar(WorkerSpec worker) throws ConfigException {
        return worker.appPort().isPresent() ? Optional.of(AppPortAgent.locate()) : Optional.empty();
    }

    /** Resolves worker.user and worker.group, or says why the workers cannot run as them. */
    static Optional<Identity> identity(Os os, WorkerSpec worker) throws ConfigException {
        if (worker.user().isEmpty()) {
            return Optional.empty();
        }
        String user = worker.user().get();
        Os.Account account = os.lookUpUser(user).orElseThrow(() -> new ConfigException(
                "\"worker.user\": no user named '" + user + "' on this machine"));
        int gid = account.gid();
        if (worker.group().isPresent()) {
            gid = os.lookUpGroup(worker.group().get()).orElseThrow(() -> new ConfigException(
                    "\"worker.group\": no group named '" + worker.group().get() + "' on this machine"));
        }
        if (os.effectiveUid() != 0 && account.uid() != os.effectiveUid()) {
            throw new ConfigException("\"worker.user\": herd runs as uid " + os.effectiveUid()
                    + " and can start workers as " + user + " (uid " + account.uid() + ") only when it runs as root");
        }
        if (!java.nio.file.Files.isExecutable(SETPRIV)) {
            throw new ConfigException("\"worker.user\" needs " + SETPRIV + " (Debian's util-linux), which is missing");
        }
        return Optional.of(new Identity(account, gid));
    }

    @Override
    public Spawned spawn(int slot, int serial) throws OsException {
        return start(slot, serial, false, Role.WORKER);
    }

    @Override
    public Spawned spawnSpare(int serial) throws OsException {
        return start(BENCH, serial, true, Role.WORKER);
    }

    @Override
    public void promote(int serial, int slot) throws OsException {
        Integer pipe = promotionPipes.remove(serial);
        if (pipe == null) {
            throw new IllegalStateException("worker serial " + serial + " is no spare waiting for its promotion");
        }
        try {
            // A few bytes into an empty pipe: the write cannot block, and the spare's read wakes at once. EPIPE
            // means the spare has exited: the caller says so, and its reap tells why.
            os.write(pipe, (slot + "\n").getBytes(StandardCharsets.US_ASCII));
            io.rename(serial, "worker-" + slot);
        } finally {
            closeQuietly(pipe);
        }
    }

    /**
     * Who a started process is: a worker (the shared socket), or a class-data training run (a private socket, its
     * own name, the option that writes the archive and the jar it trains on).
     */
    private record Role(String name, int socketFd, ClassDataTrainer.Launch launch) {
        static final Role WORKER = new Role("", -1, ClassDataTrainer.Launch.PLAIN);
    }

    private Spawned start(int slot, int serial, boolean spare, Role role) throws OsException {
        boolean isWorker = role == Role.WORKER;
        String name = !isWorker ? role.name() : spare ? "spare" : "worker-" + slot;
        Path statsFile;
        try {
            statsFile = files.createStatsFile(serial);
        } catch (IOException e) {
            files.remove(serial);
            throw new OsException("creating the counters file of " + name, 0, e.getMessage());
        }
        Path notifyPath = files.notifySocket(serial);
        List<Integer> opened = new ArrayList<>();
        try {
            int notifySocket = track(opened, os.bindDatagramSocket(notifyPath));
            Os.Pipe notifyPipe = track(opened, os.pipe());
            Os.Pipe stdout = track(opened, os.pipe());
            Os.Pipe stderr = track(opened, os.pipe());
            Optional<Os.Pipe> promotion = spare ? Optional.of(track(opened, os.pipe())) : Optional.empty();
            WorkerSpec worker = config.worker();
            List<Integer> toChild = new ArrayList<>(List.of(notifyPipe.writeFd(), stdout.writeFd(), stderr.writeFd()));
            promotion.ifPresent(pipe -> toChild.add(pipe.readFd()));
            if (identity.isPresent()) {
                giveTo(identity.get(), statsFile, notifyPath, toChild.stream().mapToInt(Integer::intValue).toArray());
            }
            // A training run gets a private socket as fd 0: it must serve nobody.
            List<Integer> descriptors = new ArrayList<>(List.of(isWorker ? socket.fd() : role.socketFd(),
                    stdout.writeFd(), stderr.writeFd(), lifelineReadFd, notifyPipe.writeFd()));
            promotion.ifPresent(pipe -> descriptors.add(pipe.readFd())); // fd 5, PROMOTION_PIPE_FD
            int pid;
            try {
                ClassDataTrainer.Launch launch = !isWorker ? role.launch()
                        : classData != null ? classData.launchFor(serial) : ClassDataTrainer.Launch.PLAIN;
                pid = os.spawn(requestFor(slot, worker, statsFile, notifyPath, descriptors, spare, launch,
                        isWorker ? slotLabel(slot) : role.name(), isWorker));
            } finally {
                // Only the worker may hold the write ends, or the reader would never see end of file; and only
                // the spare the read end of its promotion pipe, so that a write to a dead spare fails (EPIPE).
                for (int fd : toChild) {
                    opened.remove(Integer.valueOf(fd));
                    closeQuietly(fd);
                }
            }
            WorkerChannels started = new WorkerChannels(serial, name, pid, notifySocket, notifyPath,
                    notifyPipe.readFd(), stdout.readFd(), stderr.readFd(), jvm.describe());
            io.watch(started);
            channels.put(serial, started);
            promotion.ifPresent(pipe -> promotionPipes.put(serial, pipe.writeFd()));
            return new Spawned(pid, worker.kind() != WorkerSpec.Kind.COMMAND);
        } catch (OsException e) {
            opened.forEach(this::closeQuietly);
            deleteQuietly(notifyPath);
            files.remove(serial);
            throw e;
        }
    }

    @Override
    public Counters counters(int serial) {
        return files.read(serial).orElse(Counters.NONE);
    }

    @Override
    public OutputFacts outputFacts(int serial) {
        try {
            io.awaitOutputs(serial, OUTPUT_END_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // what has been read so far will do
        }
        return io.outputFacts(serial);
    }

    /** The master's ends of a worker's channels, for an upgrade's hand-over; empty for one no longer known. */
    public Optional<WorkerChannels> channels(int serial) {
        return Optional.ofNullable(channels.get(serial));
    }

    /** The directory of the workers' counters files and notify sockets: an upgrade hands it over. */
    public Path workerDirectory() {
        return files.directory();
    }

    /**
     * Takes over a worker the master it was upgraded from started: its counters are read and its notify and
     * output channels watched from now on, as for a worker of its own.
     */
    public void adopt(WorkerChannels adopted) throws IOException {
        files.mapExisting(adopted.serial());
        io.watch(adopted);
        channels.put(adopted.serial(), adopted);
    }

    @Override
    public void release(int serial) {
        channels.remove(serial);
        Integer promotion = promotionPipes.remove(serial);
        if (promotion != null) {
            closeQuietly(promotion);
        }
        io.forget(serial);
        files.remove(serial);
        if (classData != null) {
            classData.forget(serial);
        }
    }

    @Override
    public void workerReady(int serial, int pid) {
        if (classData != null) {
            classData.workerReady(serial, pid);
        }
    }

    @Override
    public boolean otherProcessNotified(int serial, List<Notification> notifications) {
        return classData != null && classData.notified(serial, notifications);
    }

    @Override
    public void superviseOthers() {
        if (classData != null) {
            classData.supervise();
        }
    }

    @Override
    public void stopOthers() {
        if (classData != null) {
            classData.stop();
        }
    }

    @Override
    public void endOthersNow(String why) {
        if (classData != null) {
            classData.abandon(why);
        }
    }

    @Override
    public boolean isOwnChild(int pid) {
        return classData != null && classData.trainerPid().orElse(-1) == pid;
    }

    @Override
    public Optional<String> classData(int serial) {
        return classData == null ? Optional.empty() : classData.usedBy(serial);
    }

    @Override
    public java.util.concurrent.CompletableFuture<Optional<String>> classDataFirst() {
        return classData == null ? WorkerSpawner.super.classDataFirst() : classData.archiveFirst();
    }

    /**
     * Waits (up to {@code timeout} in all) until the last lines of exited workers are relayed, such as
     * "drained; exiting", which the master would otherwise lose by exiting first.
     */
    public void awaitOutputs(java.time.Duration timeout) throws InterruptedException {
        io.awaitOutputs(timeout);
    }

    /** Stops the I/O thread (closing every worker descriptor it holds) and removes the private directory. */
    @Override
    public void close() {
        try {
            if (classData != null) {
                classData.close();
            }
            io.close();
        } finally {
            jvms.close();
            files.close();
        }
    }

    /** Makes a worker's files and pipes its user's, so that a worker running as that user can open them. */
    private void giveTo(Identity who, Path statsFile, Path notifySocket, int... pipes) throws OsException {
        int uid = who.account().uid();
        os.chown(statsFile, uid, who.gid());
        os.chown(notifySocket, uid, who.gid());
        for (int pipe : pipes) {
            os.fchown(pipe, uid, who.gid());
        }
    }

    SpawnRequest requestFor(int slot, WorkerSpec worker, Path statsFile, Path notifySocket,
                            List<Integer> descriptors) {
        return requestFor(slot, worker, statsFile, notifySocket, descriptors, false);
    }

    SpawnRequest requestFor(int slot, WorkerSpec worker, Path statsFile, Path notifySocket,
                            List<Integer> descriptors, boolean spare) {
        return requestFor(slot, worker, statsFile, notifySocket, descriptors, spare, ClassDataTrainer.Launch.PLAIN,
                slotLabel(slot), true);
    }

    private static String slotLabel(int slot) {
        return slot == BENCH ? "spare" : Integer.toString(slot);
    }

    private SpawnRequest requestFor(int slot, WorkerSpec worker, Path statsFile, Path notifySocket,
                                    List<Integer> descriptors, boolean spare, ClassDataTrainer.Launch classData,
                                    String slotLabel, boolean watched) {
        List<String> argv = switch (worker.kind()) {
            case BUILT_IN_APP -> javaArgv(slotLabel, BUILT_IN_APP_OPTIONS, worker, List.of("-cp", classpath,
                    WorkerContract.BUILT_IN_APP_MAIN, config.app()));
            // herd's jars come after the user's: the user's own Jetty (or anything else) wins.
            case MAIN_CLASS -> javaArgv(slotLabel, classData.options(), worker, concat(List.of("-cp",
                    String.join(File.pathSeparator,
                    worker.classpath()) + File.pathSeparator + classpath, worker.mainClass().orElseThrow()),
                    worker.args()));
            // Nothing of herd's on the classpath: the jar brings its own worker API (the Spring Boot starter). A
            // Spring Boot fat jar's extraction runs in its place with its class data; ps still shows the user's jar.
            case JAR -> javaArgv(slotLabel, classData.options(), worker, concat(classData.jar()
                    .map(extracted -> List.of("-Dherd.worker.jar=" + worker.jar().orElseThrow(), "-jar",
                            extracted.toString()))
                    .orElse(List.of("-jar", worker.jar().orElseThrow())), worker.args()));
            case COMMAND -> worker.command();
        };
        if (identity.isPresent()) {
            argv = concat(List.of(SETPRIV.toString(), "--reuid=" + identity.get().account().uid(),
                    "--regid=" + identity.get().gid(), "--init-groups", "--"), argv);
        }
        Map<String, String> environment = environmentFor(worker);
        environment.put(WorkerContract.SLOT, Integer.toString(slot));
        environment.put(WorkerContract.MASTER_PID, Integer.toString(os.pid()));
        environment.put(WorkerContract.STATS_FILE, statsFile.toString());
        environment.put(WorkerContract.NOTIFY_SOCKET, notifySocket.toString());
        environment.put(WorkerContract.NOTIFY_FD, Integer.toString(WorkerContract.NOTIFY_PIPE_FD));
        if (spare) {
            environment.put(WorkerContract.PROMOTION_FD, Integer.toString(WorkerContract.PROMOTION_PIPE_FD));
        }
        // A training run's heartbeats would go unread; without them its app beats nothing while the JVM writes
        // the archive at its exit (seconds, with the app's executor already stopped).
        if (watched && !config.heartbeatTimeout().isZero()) {
            // systemd's convention: the timeout in microseconds; a client pings at half of it.
            environment.put(WorkerContract.WATCHDOG_USEC, Long.toString(config.heartbeatTimeout().toNanos() / 1000));
        }
        // A training run (not watched) runs at the lowest CPU priority: it must never slow a worker's start.
        return new SpawnRequest(argv.get(0), argv, environment, descriptors, !watched);
    }

    /** A clean environment: the few variables every program expects, those passEnv names, and worker.env. */
    private Map<String, String> environmentFor(WorkerSpec worker) {
        Map<String, String> environment = new HashMap<>();
        baseEnvironment.forEach((name, value) -> {
            if (PASSED_BY_DEFAULT.contains(name) || name.startsWith("LC_") || worker.passEnv().contains(name)) {
                environment.put(name, value);
            }
        });
        identity.ifPresent(who -> {
            environment.put("USER", who.account().name());
            environment.put("LOGNAME", who.account().name());
            environment.put("HOME", who.account().home());
        });
        MASTER_ONLY_VARIABLES.forEach(environment::remove);
        environment.putAll(worker.env());
        return environment;
    }

    private List<String> javaArgv(String slotLabel, List<String> defaults, WorkerSpec worker,
                                  List<String> programAndArgs) {
        List<String> argv = new ArrayList<>();
        argv.add(jvm.executable().toString());
        argv.addAll(jvms.herdOptions(jvm));
        argv.addAll(defaults);
        // Only JVM workers of the user's program have an appPort (ConfigBuilder); the launcher found the agent.
        worker.appPort().ifPresent(port -> argv.addAll(AppPortAgent.jvmOptions(agentJar.orElseThrow(), port,
                config.gracefulTimeout())));
        argv.addAll(worker.jvmOptions());
        // Shown by ps: which slot this JVM fills, without reading its environment (a promoted spare keeps "spare").
        argv.add("-Dherd.worker.slot=" + slotLabel);
        argv.addAll(programAndArgs);
        return argv;
    }

    private static int track(List<Integer> opened, int fd) {
        opened.add(fd);
        return fd;
    }

    private static Os.Pipe track(List<Integer> opened, Os.Pipe pipe) {
        opened.add(pipe.readFd());
        opened.add(pipe.writeFd());
        return pipe;
    }

    private void closeQuietly(int fd) {
        try {
            os.close(fd);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            java.nio.file.Files.deleteIfExists(path);
        } catch (IOException e) {
            Log.warn("removing %s: %s", path, e.getMessage());
        }
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    /** The worker runs in the master's working directory, but absolute paths keep ps output unambiguous. */
    private static String absoluteClasspath(String classpath) {
        return Stream.of(classpath.split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
