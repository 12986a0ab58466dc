package dev.herd.supervisor.master;

import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.os.SpawnRequest;
import dev.herd.worker.WorkerEnvironment;
import dev.herd.worker.WorkerMain;
import dev.herd.worker.WorkerStats;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** A worker that runs out of heap should die and be replaced, not limp on. */
    private static final List<String> DEFAULT_JVM_OPTIONS = List.of("-XX:+ExitOnOutOfMemoryError");

    private final PosixOs os;
    private final List<Thread> relays = new ArrayList<>();
    private final WorkerStatsFiles stats;
    private HerdConfig config;
    private final int masterPid;
    private final int listenFd;
    private final int lifelineReadFd;
    private final Map<String, String> baseEnvironment;
    private final String javaExecutable = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final String classpath = absoluteClasspath(System.getProperty("java.class.path"));

    WorkerLauncher(PosixOs os, WorkerStatsFiles stats, HerdConfig config, int listenFd, int lifelineReadFd,
                   Map<String, String> baseEnvironment) {
        this.os = os;
        this.stats = stats;
        this.config = config;
        this.masterPid = os.pid();
        this.listenFd = listenFd;
        this.lifelineReadFd = lifelineReadFd;
        this.baseEnvironment = baseEnvironment;
    }

    /**
     * Waits (up to {@code timeout} in all) until the relays have passed on the last lines of exited workers,
     * such as "drained; exiting", which the master would otherwise lose by exiting first.
     */
    void awaitOutputRelays(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Thread relay : relays) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                relay.join(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** The configuration for workers started from now on (a reload). */
    void setConfig(HerdConfig next) {
        config = next;
    }

    @Override
    public int spawn(int slot) throws OsException {
        Path statsFile;
        try {
            statsFile = stats.resetFor(slot);
        } catch (java.io.IOException e) {
            throw new OsException("write(stats file of slot " + slot + ")", 0, e.getMessage());
        }
        int[] output = os.pipe();
        int pid;
        try {
            pid = os.spawn(requestFor(slot, output[1], statsFile));
        } catch (OsException e) {
            closeQuietly(output[0]);
            throw e;
        } finally {
            // Only the worker may hold the write end, or the relay would never see end of file.
            closeQuietly(output[1]);
        }
        relays.removeIf(relay -> !relay.isAlive());
        relays.add(OutputRelay.start(os, output[0], "worker-" + slot, pid));
        return pid;
    }

    SpawnRequest requestFor(int slot, int outputFd, Path statsFile) {
        List<String> argv = new ArrayList<>();
        argv.add(javaExecutable);
        argv.addAll(DEFAULT_JVM_OPTIONS);
        argv.addAll(config.worker().jvmOptions());
        // Shown by ps: which slot this JVM fills, without reading its environment.
        argv.add("-Dherd.worker.slot=" + slot);
        argv.add("-cp");
        argv.add(classpath);
        argv.add(WorkerMain.class.getName());
        argv.add(config.app());
        Map<String, String> environment = environmentFor(slot);
        environment.put(WorkerStats.FILE_VARIABLE, statsFile.toString());
        return new SpawnRequest(javaExecutable, argv, environment, listenFd, outputFd, lifelineReadFd);
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
