package dev.herd.supervisor.master;

import dev.herd.config.HerdConfig;
import dev.herd.config.WorkerSpec;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.os.SpawnRequest;
import dev.herd.worker.WorkerEnvironment;
import dev.herd.worker.WorkerMain;
import dev.herd.worker.WorkerStats;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Starts the worker process for a slot: the same {@code java} the master runs on, the master's own classpath,
 * the app's main class, and an environment that tells the worker who it is. The descriptors it gets are the
 * shared listening socket (fd 0), a pipe for its output (fd 1 and 2, relayed by the master to its own stderr,
 * see {@link OutputRelay}) and the read end of the lifeline pipe (fd 3).
 */
final class WorkerLauncher implements WorkerSpawner {

    /**
     * Variables meant for the master alone: a worker that inherited NOTIFY_SOCKET would talk to systemd as if it
     * were the service, and one that inherited LISTEN_PID/LISTEN_FDS would look for sockets on fds it lacks.
     */
    private static final List<String> MASTER_ONLY_VARIABLES =
            List.of("NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID", "WATCHDOG_USEC");

    /**
     * A worker that runs out of heap should die and be replaced, not limp on. On JDK 24 and later, jnr (which the
     * worker's notify socket uses) also needs native access and sun.misc.Unsafe without warnings; JDK 17 rejects
     * the second flag, so they depend on the JDK the master (and so every worker) runs on, as in bin/herd.
     */
    private static final List<String> DEFAULT_JVM_OPTIONS = Runtime.version().feature() >= 24
            ? List.of("-XX:+ExitOnOutOfMemoryError", "--enable-native-access=ALL-UNNAMED",
                    "--sun-misc-unsafe-memory-access=allow")
            : List.of("-XX:+ExitOnOutOfMemoryError");

    private final PosixOs os;
    private final List<Thread> relays = new ArrayList<>();
    private final Map<Integer, NotifyReceiver> receivers = new HashMap<>();
    private final WorkerFiles files;
    private final Queue<MasterEvent> events;
    private HerdConfig config;
    private Duration heartbeatTimeout;
    private final int masterPid;
    private final SharedSocket socket;
    private final int lifelineReadFd;
    private final Map<String, String> baseEnvironment;
    private final String javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final String classpath = absoluteClasspath(System.getProperty("java.class.path"));

    WorkerLauncher(PosixOs os, WorkerFiles files, Queue<MasterEvent> events, HerdConfig config,
                   Duration heartbeatTimeout, SharedSocket socket, int lifelineReadFd, Map<String, String> baseEnvironment) {
        this.os = os;
        this.files = files;
        this.events = events;
        this.config = config;
        this.heartbeatTimeout = heartbeatTimeout;
        this.masterPid = os.pid();
        this.socket = socket;
        this.lifelineReadFd = lifelineReadFd;
        this.baseEnvironment = baseEnvironment;
    }

    /**
     * Waits (up to {@code timeout} in all) until the relays have passed on the last lines of exited workers,
     * such as "drained; exiting", which the master would otherwise lose by exiting first.
     */
    void awaitOutputRelays(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread relay : relays) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                relay.join(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The configuration for workers started from now on (a reload). */
    void setConfig(HerdConfig next, Duration nextHeartbeatTimeout) {
        config = next;
        heartbeatTimeout = nextHeartbeatTimeout;
    }

    @Override
    public int spawn(int slot, int serial) throws OsException {
        Path statsFile;
        NotifyReceiver receiver;
        try {
            statsFile = files.createStatsFile(serial);
            receiver = NotifyReceiver.open(files.notifySocket(serial), serial, "worker-" + slot, events);
        } catch (IOException e) {
            files.remove(serial);
            throw new OsException("preparing worker-" + slot, 0, e.getMessage());
        }
        int[] output = null;
        int pid;
        try {
            output = os.pipe();
            pid = os.spawn(requestFor(slot, output[1], statsFile, receiver.path()));
        } catch (OsException e) {
            if (output != null) {
                closeQuietly(output[0]);
            }
            receiver.close();
            files.remove(serial);
            throw e;
        } finally {
            // Only the worker may hold the write end, or the relay would never see end of file.
            if (output != null) {
                closeQuietly(output[1]);
            }
        }
        receivers.put(serial, receiver);
        relays.removeIf(relay -> !relay.isAlive());
        relays.add(OutputRelay.start(os, output[0], "worker-" + slot, pid));
        return pid;
    }

    @Override
    public long served(int serial) {
        return files.read(serial).map(WorkerFiles.Counters::served).orElse(0L);
    }

    @Override
    public void release(int serial) {
        NotifyReceiver receiver = receivers.remove(serial);
        if (receiver != null) {
            receiver.close();
        }
        files.remove(serial);
    }

    SpawnRequest requestFor(int slot, int outputFd, Path statsFile, String notifySocket) {
        WorkerSpec worker = config.worker();
        List<String> argv = switch (worker.kind()) {
            case BUILT_IN_APP -> javaArgv(slot, classpath, WorkerMain.class.getName(), List.of(config.app()));
            // herd's jars come after the user's: the user's own Jetty (or anything else) wins.
            case MAIN_CLASS -> javaArgv(slot, String.join(File.pathSeparator, worker.classpath())
                    + File.pathSeparator + classpath, worker.mainClass().orElseThrow(), worker.args());
            case COMMAND -> worker.command();
        };
        Map<String, String> environment = environmentFor(slot);
        environment.put(WorkerStats.FILE_VARIABLE, statsFile.toString());
        environment.put("NOTIFY_SOCKET", notifySocket);
        if (!heartbeatTimeout.isZero()) {
            // systemd's convention: the timeout in microseconds; a client pings at half of it.
            environment.put("WATCHDOG_USEC", Long.toString(heartbeatTimeout.toNanos() / 1000));
        }
        return new SpawnRequest(argv.get(0), argv, environment, socket.fd(), outputFd, lifelineReadFd);
    }

    private List<String> javaArgv(int slot, String workerClasspath, String mainClass, List<String> args) {
        List<String> argv = new ArrayList<>();
        argv.add(javaExecutable);
        argv.addAll(DEFAULT_JVM_OPTIONS);
        argv.addAll(config.worker().jvmOptions());
        // Shown by ps: which slot this JVM fills, without reading its environment.
        argv.add("-Dherd.worker.slot=" + slot);
        argv.add("-cp");
        argv.add(workerClasspath);
        argv.add(mainClass);
        argv.addAll(args);
        return argv;
    }

    private void closeQuietly(int fd) {
        try {
            os.close(fd);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }

    private Map<String, String> environmentFor(int slot) {
        Map<String, String> environment = new HashMap<>(baseEnvironment);
        MASTER_ONLY_VARIABLES.forEach(environment::remove);
        environment.putAll(config.worker().env());
        environment.put(WorkerEnvironment.SLOT, Integer.toString(slot));
        environment.put(WorkerEnvironment.MASTER_PID, Integer.toString(masterPid));
        return environment;
    }

    /** The worker runs in the master's working directory, but absolute paths keep ps output unambiguous. */
    private static String absoluteClasspath(String classpath) {
        return Stream.of(classpath.split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
