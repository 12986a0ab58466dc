package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminPaths;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.metrics.MetricsServer;
import dev.herd.supervisor.metrics.PoolReading;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.notify.SystemdNotifier;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.os.ProcessLimits;
import dev.herd.supervisor.spawn.SharedSocket;
import dev.herd.supervisor.spawn.SocketActivation;
import dev.herd.supervisor.spawn.WorkerLauncher;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A master's whole life, as a straight line of steps: open the log file (if any), own the standard descriptors,
 * install the signal forwarders, lead a process group and become a child subreaper, open the admin socket, bind the
 * shared socket (or adopt the one systemd passed), write the pid file (if any), open the lifeline, start the worker
 * I/O thread, run the loop, release what it made. A step that fails ends the start before any worker exists, so
 * a failed start leaves no process behind.
 */
public final class Master {

    /**
     * Exit status when the loop itself failed (a bug that escaped every guard): the workers were killed, because
     * no master is left to supervise them. sysexits' EX_SOFTWARE.
     */
    public static final int EXIT_LOOP_FAILED = 70;
    /**
     * Log lines the master may have queued for a slow reader: about 2 MB at most; a burst of every worker's start-up
     * output fits, a reader stalled for longer loses lines, counted and told, never the master's time.
     */
    private static final int LOG_QUEUE_LINES = 16_384;

    /** Exit status after a thread of the master died (see {@link ThreadDeaths}): its workers drained first. */
    public static final int EXIT_THREAD_DIED = ThreadDeaths.EXIT_THREAD_DIED;

    private final HerdConfig config;
    private final ConfigReloader reloader;
    private final String version;
    private final Os os = new PosixOs();

    public Master(HerdConfig config, ConfigReloader reloader, String version) {
        this.config = config;
        this.reloader = reloader;
        this.version = version;
    }

    /**
     * Runs the master until a graceful stop completes and returns its exit code, with the configuration's pid file
     * written once the socket is ready and removed at exit, and its log file in place of stderr (reopened on
     * SIGUSR1).
     *
     * @throws ConfigException if the listen host cannot be resolved or the admin group does not exist
     * @throws IOException     if a setup step fails (the address is in use, another master owns the admin
     *                         socket, ...)
     */
    public int run() throws ConfigException, IOException, InterruptedException {
        // From here on the master's log lines are queued for a thread of their own: no loop turn, worker
        // notification or heartbeat ever waits on the log's reader (issue 19, item 3).
        Log.writeBehind(LOG_QUEUE_LINES);
        Log.useJson(config.logsJson());
        try (ProcessFiles files = ProcessFiles.openLog(config.logFile(), os.pid())) {
            return run(files);
        }
    }

    private int run(ProcessFiles files) throws ConfigException, IOException, InterruptedException {
        Instant startedAt = Instant.now();
        long startedAtNanos = System.nanoTime();
        Map<String, String> environment = System.getenv();
        Log.setSource("master");
        os.ensureStandardDescriptors();
        // A master that an upgrade exec'ed into: the old master's socket, lifeline and workers (see Upgrader).
        Optional<HandOver> handOver = HandOver.receive(os, environment);
        ConfigSnapshot.close(os, environment); // read by herd run already
        BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
        SignalForwarder.install(os, events);
        ThreadDeaths threadDeaths = ThreadDeaths.install(events);
        os.becomeProcessGroupLeader();
        // Orphans among the workers' descendants come to the master, not to PID 1: see StrayReaper.
        os.becomeChildSubreaper();

        // The admin socket first: a second master on the same socket stops here, before touching the port.
        // After an upgrade, the old master's listener: what queued in it during the exec is answered.
        Optional<GroupPrincipal> adminGroup = lookUpGroup(config.adminGroup());
        try (AdminServer admin = HandOvers.openAdmin(os, handOver, AdminPaths.resolve(config.adminSocket(),
                environment), adminGroup, AdminPaths.effectiveUid(), (request, reply) ->
                        events.add(new MasterEvent.AdminRequested(request, reply)))) {
            Optional<SocketActivation.Adopted> fromSystemd = handOver.isPresent() ? Optional.empty()
                    : SocketActivation.adopt(os, environment);
            // The master holds the only write end of the lifeline. It never writes: its death closes the pipe and
            // every worker reads EOF on fd 3, even after a SIGKILL.
            try (SharedSocket socket = handOver.isPresent() ? HandOvers.socketOf(os, handOver.get(), config)
                    : fromSystemd.isPresent()
                    ? SharedSocket.adopted(os, fromSystemd.get().fd(), listenAddressOf(fromSystemd.get().address()),
                            config.listen(), config.backlog())
                    : SharedSocket.bind(os, config.listen(), config.backlog());
                 Lifeline lifeline = handOver.isPresent() ? new Lifeline(os, handOver.get().lifelineReadFd(),
                         handOver.get().lifelineWriteFd()) : Lifeline.open(os);
                 WorkerLauncher launcher = WorkerLauncher.open(os, (serial, notifications) -> events.add(
                         new MasterEvent.WorkerNotified(serial, notifications)), config, socket,
                         lifeline.readFd(), environment, handOver.map(HandOver::workerDirectory))) {
                Log.info("listening on %s (%sprocess group %d, %d %s, %s, admin socket %s)", socket.address(),
                        fromSystemd.isPresent() ? "socket from systemd; "
                                : handOver.isPresent() ? "socket handed over by upgrade " + handOver.get().upgrades()
                                + "; " : "", os.processGroup(), config.workers(),
                        config.workers() == 1 ? "worker" : "workers", config.worker().describe(config.app()),
                        admin.path());
                ProcessLimits.report(config.workers()).forEach(ProcessLimits.Line::log);
                files.writePidFile(config.pidFile());
                handOver.ifPresent(given -> HandOvers.removePidFileOf(given, config.pidFile(), os.pid()));
                ServiceNotifier systemd = SystemdNotifier.fromEnvironment(os, environment);
                if (systemd != ServiceNotifier.NONE) {
                    Log.info("notifying %s", systemd);
                }
                MasterInfo info = new MasterInfo(os.pid(), version, startedAt, startedAtNanos);
                MasterLoop loop = new MasterLoop(os, launcher, systemd, config.workers(), SupervisionPolicy.from(config),
                        events, System::nanoTime, info);
                loop.setDesiredSpares(config.spareWorkers());
                loop.watchListener(() -> {
                    try {
                        socket.restoreIfShutDown();
                    } catch (OsException e) {
                        throw new IllegalStateException("checking the listening socket: " + e.getMessage(), e);
                    }
                });
                launcher.startClassData(apply -> events.add(new MasterEvent.WorkDone(apply)));
                // What a reload applies to the workers must be able to go back to this configuration: its names
                // are looked up once more here, before the loop runs.
                Runnable applyConfig = launcher.prepare(config);
                Reloader reload = new Reloader(loop.forReloads(), config, applyConfig, reloader, socket,
                        launcher::prepare, files, Master::besideTheLoop,
                        apply -> events.add(new MasterEvent.WorkDone(apply)));
                Upgrader upgrader = new Upgrader(os, loop.forUpgrades(reload, (upgrades, workers) -> HandOvers.assemble(
                        upgrades, workers, socket, lifeline.readFd(), lifeline.writeFd(), launcher, admin.path(),
                        HandOvers.adminListenerOf(os, admin.path()), reload.config().pidFile())),
                        adminPause(admin), () -> MasterCommand.current(environment), environment,
                        () -> socket.fromSystemd() ? Optional.empty() : Optional.of(socket.configured()),
                        handOver.map(HandOver::upgrades).orElse(0), task -> besideTheLoop(task, "herd-upgrade"),
                        apply -> events.add(new MasterEvent.WorkDone(apply)));
                loop.setCommands(new CommandExecutor(loop.forCommands(), reload, loop.statusReport(socketView(socket),
                        () -> reload.config().source(), upgrader::view, Optional.of(admin.path())), upgrader));
                // Before an install can rewrite herd's jars under this master: see UpgradePreloader.
                UpgradePreloader.startBesideTheLoop();
                if (handOver.isPresent()) {
                    HandOvers.watchChannels(handOver.get(), launcher);
                    CompletableFuture<RestartDriver.Outcome> replaced = loop.adopt(handOver.get().workers());
                    // A changed listen: the old socket is closed once the old workers have moved over (reload's way);
                    // a moved admin socket: the old path answers until then.
                    replaced.thenAccept(outcome -> {
                        socket.moveDone(outcome.failure().isEmpty());
                        HandOvers.retireOldAdminSocket(handOver.get(), admin);
                    });
                    upgrader.replacing(replaced);
                }
                try (MetricsServer metrics = startMetrics(config.metricsListen(), events)) {
                    if (metrics != null) {
                        loop.timeReloadsWith(metrics::reloadTook);
                    }
                    int exitCode = runGuarded(loop);
                    launcher.awaitOutputs(Duration.ofSeconds(1));
                    Log.info("stopped");
                    return exitCode != 0 ? exitCode : threadDeaths.exitCode().orElse(exitCode);
                }
            }
        }
    }

    /** The admin server's part in an upgrade's hand-over. */
    private static Upgrader.AdminPause adminPause(AdminServer admin) {
        return new Upgrader.AdminPause() {
            @Override
            public CompletableFuture<Void> pause() {
                return admin.pauseForHandOver();
            }

            @Override
            public void resume() {
                admin.resumeAfterHandOver();
            }
        };
    }

    /** A reload's slow half (see {@link Reloader}) on a thread of its own: the loop never waits for it. */
    private static void besideTheLoop(Runnable task) {
        besideTheLoop(task, "herd-reload");
    }

    private static void besideTheLoop(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true); // a read stuck on a FIFO must not keep the master from exiting
        thread.start();
    }

    /**
     * Runs the loop; what escapes it anyway (a bug past every guard, an Error) leaves no master to supervise the
     * workers, so they are killed at once rather than left to run unsupervised, and the exit code says so.
     */
    private static int runGuarded(MasterLoop loop) throws InterruptedException {
        try {
            return loop.run();
        } catch (RuntimeException | Error e) {
            Log.error("the master loop failed: %s; killing every worker", e);
            loop.killAllAfterFailure();
            return EXIT_LOOP_FAILED;
        }
    }

    /** The metrics server, when metricsListen asks for one; each scrape reads the pool through the loop. */
    private static MetricsServer startMetrics(Optional<ListenAddress> listen, BlockingQueue<MasterEvent> events)
            throws IOException {
        if (listen.isEmpty()) {
            return null;
        }
        MetricsServer metrics = MetricsServer.start(listen.get(), timeout -> {
            CompletableFuture<PoolReading> reading = new CompletableFuture<>();
            events.add(new MasterEvent.MetricsRequested(reading));
            try {
                return reading.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw new IllegalStateException("reading the pool failed: " + e.getCause(), e.getCause());
            }
        });
        Log.info("metrics on http://%s:%d/metrics (probes: /readyz, /livez)", listen.get().host(), metrics.port());
        return metrics;
    }

    private static StatusReport.Socket socketView(SharedSocket socket) {
        return new StatusReport.Socket() {
            @Override
            public String address() {
                return socket.address().toString();
            }

            @Override
            public dev.herd.supervisor.os.ListenQueue listenQueue() throws OsException {
                return socket.listenQueue();
            }
        };
    }

    /** The lifeline pipe: workers get the read end as fd 3; the write end, never written, is the master's alone. */
    private record Lifeline(Os os, int readFd, int writeFd) implements AutoCloseable {
        static Lifeline open(Os os) throws OsException {
            Os.Pipe pipe = os.pipe();
            return new Lifeline(os, pipe.readFd(), pipe.writeFd());
        }

        @Override
        public void close() {
            for (int fd : new int[] {readFd, writeFd}) {
                try {
                    os.close(fd);
                } catch (OsException e) {
                    Log.warn("%s", e.getMessage());
                }
            }
        }
    }

    /** adminGroup as the file system knows it (the admin socket is made its group), or why not. */
    public static Optional<GroupPrincipal> lookUpGroup(Optional<String> name) throws ConfigException {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(name.get()));
        } catch (IOException e) {
            throw new ConfigException("adminGroup: no group named '" + name.get() + "'");
        }
    }

    private static ListenAddress listenAddressOf(java.net.InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        int scope = host.indexOf('%');
        return new ListenAddress(scope < 0 ? host : host.substring(0, scope), address.getPort());
    }
}
