package dev.herd.supervisor.spawn;

import dev.herd.config.HerdConfig;
import dev.herd.config.WorkerSpec;
import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.SpawnRequest;
import dev.herd.worker.WorkerContract;
import dev.herd.worker.app.WorkerMain;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Starts the worker process for a slot: the same {@code java} the master runs on with the master's own classpath
 * for a built-in app, the user's main class or jar, or any command. The descriptors it gets (DESIGN.md §5,
 * {@link WorkerContract}): the shared listening socket as fd 0, pipes for its stdout and stderr as fds 1 and 2
 * (relayed by {@link WorkerIo} to the master's log), the read end of the lifeline pipe as fd 3 and the write end of
 * its notify pipe as fd 4; its environment tells it its slot, the master's pid, its NOTIFY_SOCKET and counters
 * file, and the heartbeat timeout. Used on the master thread only.
 */
public final class WorkerLauncher implements WorkerSpawner, AutoCloseable {

    /**
     * Variables meant for the master alone: a worker that inherited NOTIFY_SOCKET would talk to systemd as if it
     * were the service, and one that inherited LISTEN_PID/LISTEN_FDS would look for sockets on fds it lacks.
     */
    private static final List<String> MASTER_ONLY_VARIABLES =
            List.of("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC");

    /**
     * A worker that runs out of heap should die and be replaced, not limp on. On JDK 24 and later, jnr also needs
     * native access and sun.misc.Unsafe without warnings (a user's app may load it); JDK 17 rejects the second
     * flag, so they depend on the JDK the master (and so every worker) runs on, as in bin/herd.
     */
    private static final List<String> DEFAULT_JVM_OPTIONS = Runtime.version().feature() >= 24
            ? List.of("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow")
            : List.of("-XX:+ExitOnOutOfMemoryError");

    private final Os os;
    private final WorkerFiles files;
    private final WorkerIo io;
    private final SharedSocket socket;
    private final int lifelineReadFd;
    private final Map<String, String> baseEnvironment;
    private final String javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final String classpath = absoluteClasspath(System.getProperty("java.class.path"));
    private HerdConfig config;

    private WorkerLauncher(Os os, WorkerFiles files, WorkerIo io, HerdConfig config, SharedSocket socket,
                           int lifelineReadFd, Map<String, String> baseEnvironment) {
        this.os = os;
        this.files = files;
        this.io = io;
        this.config = config;
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
            throws IOException {
        WorkerFiles files = WorkerFiles.create();
        try {
            return new WorkerLauncher(os, files, WorkerIo.start(os, listener), config, socket, lifelineReadFd,
                    baseEnvironment);
        } catch (OsException e) {
            files.close();
            throw e;
        }
    }

    /** The configuration for workers started from now on (a reload). */
    public void setConfig(HerdConfig next) {
        config = next;
    }

    @Override
    public Spawned spawn(int slot, int serial) throws OsException {
        String name = "worker-" + slot;
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
            WorkerSpec worker = config.worker();
            int pid;
            try {
                pid = os.spawn(requestFor(slot, worker, statsFile, notifyPath,
                        List.of(socket.fd(), stdout.writeFd(), stderr.writeFd(), lifelineReadFd, notifyPipe.writeFd())));
            } finally {
                // Only the worker may hold the write ends, or the reader would never see end of file.
                for (int fd : List.of(notifyPipe.writeFd(), stdout.writeFd(), stderr.writeFd())) {
                    opened.remove(Integer.valueOf(fd));
                    closeQuietly(fd);
                }
            }
            io.watch(new WorkerChannels(serial, name, pid, notifySocket, notifyPath, notifyPipe.readFd(),
                    stdout.readFd(), stderr.readFd()));
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
        return io.outputFacts(serial);
    }

    @Override
    public void release(int serial) {
        io.forget(serial);
        files.remove(serial);
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
            io.close();
        } finally {
            files.close();
        }
    }

    SpawnRequest requestFor(int slot, WorkerSpec worker, Path statsFile, Path notifySocket,
                            List<Integer> descriptors) {
        List<String> argv = switch (worker.kind()) {
            case BUILT_IN_APP -> javaArgv(slot, worker, List.of("-cp", classpath, WorkerMain.class.getName(),
                    config.app()));
            // herd's jars come after the user's: the user's own Jetty (or anything else) wins.
            case MAIN_CLASS -> javaArgv(slot, worker, concat(List.of("-cp", String.join(File.pathSeparator,
                    worker.classpath()) + File.pathSeparator + classpath, worker.mainClass().orElseThrow()),
                    worker.args()));
            // Nothing of herd's on the classpath: the jar brings its own worker API (the Spring Boot starter).
            case JAR -> javaArgv(slot, worker, concat(List.of("-jar", worker.jar().orElseThrow()), worker.args()));
            case COMMAND -> worker.command();
        };
        Map<String, String> environment = new HashMap<>(baseEnvironment);
        MASTER_ONLY_VARIABLES.forEach(environment::remove);
        environment.putAll(worker.env());
        environment.put(WorkerContract.SLOT, Integer.toString(slot));
        environment.put(WorkerContract.MASTER_PID, Integer.toString(os.pid()));
        environment.put(WorkerContract.STATS_FILE, statsFile.toString());
        environment.put(WorkerContract.NOTIFY_SOCKET, notifySocket.toString());
        environment.put(WorkerContract.NOTIFY_FD, Integer.toString(WorkerContract.NOTIFY_PIPE_FD));
        if (!config.heartbeatTimeout().isZero()) {
            // systemd's convention: the timeout in microseconds; a client pings at half of it.
            environment.put(WorkerContract.WATCHDOG_USEC, Long.toString(config.heartbeatTimeout().toNanos() / 1000));
        }
        return new SpawnRequest(argv.get(0), argv, environment, descriptors);
    }

    private List<String> javaArgv(int slot, WorkerSpec worker, List<String> programAndArgs) {
        List<String> argv = new ArrayList<>();
        argv.add(javaExecutable);
        argv.addAll(DEFAULT_JVM_OPTIONS);
        argv.addAll(worker.jvmOptions());
        // Shown by ps: which slot this JVM fills, without reading its environment.
        argv.add("-Dherd.worker.slot=" + slot);
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
