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
import dev.herd.supervisor.os.ProcessLimits;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A master's whole life, as a straight line of steps: open the log file (if any), own the standard descriptors,
 * install the signal forwarders, lead a process group, open the admin socket, bind the shared
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
        BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
        SignalForwarder.install(os, events);
        os.becomeProcessGroupLeader();

        // The admin socket first: a second master on the same socket stops here, before touching the port.
        Optional<GroupPrincipal> adminGroup = lookUpGroup(config.adminGroup());
        try (AdminServer admin = AdminServer.open(AdminPaths.resolve(config.adminSocket(), System.getenv()),
                adminGroup, events); WorkerFiles files = WorkerFiles.create()) {
            Optional<SocketActivation.Adopted> fromSystemd = SocketActivation.adopt(os, System.getenv());
            // The master holds the only write end of the lifeline. It never writes: its death closes the pipe and
            // every worker reads EOF on fd 3, even after a SIGKILL.
            try (SharedSocket socket = fromSystemd.isPresent()
                    ? SharedSocket.adopted(os, fromSystemd.get().fd(), listenAddressOf(fromSystemd.get().address()),
                            config.listen(), config.backlog())
                    : SharedSocket.bind(os, config.listen(), config.backlog());
                 Lifeline lifeline = Lifeline.open(os);
                 PidFile written = pidFile.isPresent() ? PidFile.write(pidFile.get(), os.pid()) : null) {
                Log.info("listening on %s (%sprocess group %d, %d workers, app %s, admin socket %s)",
                        socket.address(), fromSystemd.isPresent() ? "socket from systemd; " : "",
                        os.processGroup(), config.workers(), config.app(), admin.path());
                ProcessLimits.report(config.workers()).forEach(ProcessLimits.Line::log);
                SupervisionPolicy policy = SupervisionPolicy.from(config);
                WorkerLauncher launcher = new WorkerLauncher(os, files, events, config, policy.heartbeatTimeout(),
                        socket, lifeline.readFd(), System.getenv());
                MasterLoop loop = new MasterLoop(os, launcher, config.workers(), policy, events, System::nanoTime);
                ServiceNotifier systemd = SystemdNotifier.fromEnvironment(System.getenv(), os.pid());
                if (systemd != ServiceNotifier.NONE) {
                    Log.info("notifying %s", systemd);
                }
                loop.setServiceNotifier(systemd);
                loop.setAdminExecutor(new AdminExecutor(new AdminExecutor.MasterInfo(os.pid(), version, startedAt,
                        startedAtNanos), config, reloader, launcher, files, socket));
                int exitCode = loop.run();
                launcher.awaitOutputRelays(java.time.Duration.ofSeconds(1));
                Log.info("stopped");
                return exitCode;
            }
        }
    }

    /** The lifeline pipe: workers get the read end as fd 3; the write end, never written, is the master's alone. */
    private record Lifeline(PosixOs os, int readFd, int writeFd) implements AutoCloseable {
        static Lifeline open(PosixOs os) throws OsException {
            int[] fds = os.pipe();
            return new Lifeline(os, fds[0], fds[1]);
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
}
