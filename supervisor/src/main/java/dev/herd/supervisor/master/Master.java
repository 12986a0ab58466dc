package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminPaths;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.notify.SystemdNotifier;
import dev.herd.supervisor.os.PosixOs;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A master's whole life, as a straight line of steps: open the log file (if any), own the standard descriptors,
 * resolve the host, install the signal forwarders, lead a process group, open the admin socket, bind the shared
 * socket (or adopt the one systemd passed), write the pid file (if any), open the lifeline, run the loop, release
 * what it made.
 * A step that fails ends the start before any worker exists, so a failed start leaves no process behind.
 */
public final class Master {

    private final HerdConfig config;
    private final ConfigReloader reloader;
    private final String version;
    private final PosixOs os = new PosixOs();

    public Master(HerdConfig config, ConfigReloader reloader, String version) {
        this.config = config;
        this.reloader = reloader;
        this.version = version;
    }

    /**
     * Runs the master until a graceful stop completes and returns its exit code.
     *
     * @throws ConfigException if the configured listen host cannot be resolved or the admin group does not exist
     * @throws java.io.IOException if a setup step fails (the address is in use, another master owns the admin
     *                             socket, ...)
     */
    public int run() throws ConfigException, java.io.IOException, InterruptedException {
        return run(Optional.empty(), Optional.empty());
    }

    /**
     * {@link #run()} with a pid file written once the socket is ready and removed at exit, and a log file in
     * place of stderr (reopened on SIGUSR1).
     */
    public int run(Optional<Path> pidFile, Optional<Path> logFile)
            throws ConfigException, java.io.IOException, InterruptedException {
        if (logFile.isPresent()) {
            Log.toFile(logFile.get());
        }
        Instant startedAt = Instant.now();
        long startedAtNanos = System.nanoTime();
        Log.setSource("master");
        os.ensureStandardDescriptors();
        InetAddress host = resolve(config.listen());
        BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
        SignalForwarder.install(os, events);
        os.becomeProcessGroupLeader();

        // The admin socket first: a second master on the same socket stops here, before touching the port.
        Optional<GroupPrincipal> adminGroup = lookUpGroup(config.adminGroup());
        try (AdminServer admin = AdminServer.open(AdminPaths.resolve(config.adminSocket(), System.getenv()),
                adminGroup, events); WorkerFiles files = WorkerFiles.create()) {
            Optional<SocketActivation.Adopted> fromSystemd = SocketActivation.adopt(os, System.getenv());
            int listenFd = fromSystemd.isPresent() ? fromSystemd.get().fd()
                    : os.listenTcp(host, config.listen().port(), config.backlog());
            // The master holds the only write end. It never writes: its death closes the pipe and every worker
            // reads EOF on fd 3, even after a SIGKILL.
            int[] lifeline = os.pipe();
            try (PidFile written = pidFile.isPresent() ? PidFile.write(pidFile.get(), os.pid()) : null) {
                ListenAddress bound = fromSystemd.isPresent() ? listenAddressOf(fromSystemd.get().address())
                        : new ListenAddress(config.listen().host(), os.localPort(listenFd));
                Log.info("listening on %s (%sprocess group %d, %d workers, app %s, admin socket %s)", bound,
                        fromSystemd.isPresent() ? "socket from systemd; " : "", os.processGroup(),
                        config.workers(), config.app(), admin.path());
                SupervisionPolicy policy = SupervisionPolicy.from(config);
                WorkerLauncher launcher = new WorkerLauncher(os, files, events, config, policy.heartbeatTimeout(),
                        listenFd, lifeline[0], System.getenv());
                MasterLoop loop = new MasterLoop(os, launcher, config.workers(), policy, events, System::nanoTime);
                ServiceNotifier systemd = SystemdNotifier.fromEnvironment(System.getenv(), os.pid());
                if (systemd != ServiceNotifier.NONE) {
                    Log.info("notifying %s", systemd);
                }
                loop.setServiceNotifier(systemd);
                loop.setAdminExecutor(new AdminExecutor(new AdminExecutor.MasterInfo(os.pid(), version, startedAt,
                        startedAtNanos, bound.toString(), bound.port()), config, reloader, launcher, files));
                int exitCode = loop.run();
                launcher.awaitOutputRelays(java.time.Duration.ofSeconds(1));
                Log.info("stopped");
                return exitCode;
            } finally {
                // For a socket from systemd this drops only our reference: systemd's own copy keeps the socket,
                // and the connections queued in it, for the next master.
                closeAll(listenFd, lifeline[0], lifeline[1]);
            }
        }
    }

    private static Optional<GroupPrincipal> lookUpGroup(Optional<String> name) throws ConfigException {
        if (name.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(FileSystems.getDefault().getUserPrincipalLookupService()
                    .lookupPrincipalByGroupName(name.get()));
        } catch (java.io.IOException e) {
            throw new ConfigException("adminGroup: no group named '" + name.get() + "'");
        }
    }

    private static ListenAddress listenAddressOf(java.net.InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        int scope = host.indexOf('%');
        return new ListenAddress(scope < 0 ? host : host.substring(0, scope), address.getPort());
    }

    private static InetAddress resolve(ListenAddress listen) throws ConfigException {
        try {
            return InetAddress.getByName(listen.host());
        } catch (UnknownHostException e) {
            throw new ConfigException("cannot resolve host '" + listen.host() + "' of listen address " + listen);
        }
    }

    private void closeAll(int... fds) {
        for (int fd : fds) {
            try {
                os.close(fd);
            } catch (OsException e) {
                Log.warn("%s", e.getMessage());
            }
        }
    }
}
