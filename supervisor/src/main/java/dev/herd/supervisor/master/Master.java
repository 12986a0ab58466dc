package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminPaths;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A master's whole life, as a straight line of steps: own the standard descriptors, resolve the host, install
 * the signal forwarders, lead a process group, open the admin socket, bind the shared socket, open the lifeline,
 * run the loop, release what it made.
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
            int listenFd = os.listenTcp(host, config.listen().port(), config.backlog());
            // The master holds the only write end. It never writes: its death closes the pipe and every worker
            // reads EOF on fd 3, even after a SIGKILL.
            int[] lifeline = os.pipe();
            try {
                ListenAddress bound = new ListenAddress(config.listen().host(), os.localPort(listenFd));
                Log.info("listening on %s (process group %d, %d workers, app %s, admin socket %s)", bound,
                        os.processGroup(), config.workers(), config.app(), admin.path());
                SupervisionPolicy policy = SupervisionPolicy.from(config);
                WorkerLauncher launcher = new WorkerLauncher(os, files, events, config, policy.heartbeatTimeout(),
                        listenFd, lifeline[0], System.getenv());
                MasterLoop loop = new MasterLoop(os, launcher, config.workers(), policy, events, System::nanoTime);
                loop.setAdminExecutor(new AdminExecutor(new AdminExecutor.MasterInfo(os.pid(), version, startedAt,
                        startedAtNanos, bound.toString(), bound.port()), config, reloader, launcher, files));
                int exitCode = loop.run();
                launcher.awaitOutputRelays(java.time.Duration.ofSeconds(1));
                Log.info("stopped");
                return exitCode;
            } finally {
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
