package dev.herd.supervisor.cli;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.supervisor.master.Master;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code herd run}: starts a master in the foreground. Flags override the config file; no file is needed. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start the master in the foreground: bind the socket, run the workers, stop on SIGTERM.")
final class RunCommand implements Callable<Integer> {

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "JSON config file")
    private Path configFile;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = FlagConverters.Listen.class,
            description = "address to listen on (default 127.0.0.1:9876; [::1]:PORT for IPv6; port 0 = any free)")
    private ListenAddress listen;

    @Option(names = "--workers", paramLabel = "N", converter = FlagConverters.Workers.class,
            description = "number of workers (default: number of CPUs)")
    private Integer workers;

    @Option(names = "--app", paramLabel = "NAME", converter = FlagConverters.App.class,
            description = "built-in app the workers run (default echo)")
    private String app;

    @Option(names = "--admin-socket", paramLabel = "PATH", converter = FlagConverters.AdminSocket.class,
            description = "admin Unix socket path")
    private Path adminSocket;

    @Option(names = "--graceful-timeout", paramLabel = "DURATION", converter = FlagConverters.GracefulTimeout.class,
            description = "how long a stopping worker may take before SIGKILL, e.g. 500ms, 30s (default 30s)")
    private Duration gracefulTimeout;

    @Option(names = "--backlog", paramLabel = "N", converter = FlagConverters.Backlog.class,
            description = "listen backlog of the shared socket (default 511)")
    private Integer backlog;

    @Option(names = "--ready-timeout", paramLabel = "DURATION", converter = FlagConverters.ReadyTimeout.class,
            description = "how long a starting worker may take to report ready, 1ms..1h (default 60s)")
    private Duration readyTimeout;

    @Option(names = "--heartbeat-timeout", paramLabel = "DURATION", converter = FlagConverters.HeartbeatTimeout.class,
            description = "kill a ready worker silent for longer as hung; 0 = off, at most 1h (default 30s)")
    private Duration heartbeatTimeout;

    @Option(names = "--max-requests", paramLabel = "N", converter = FlagConverters.MaxRequests.class,
            description = "replace a worker after it has served N requests (http) or connections (echo); 0 = never (default 0)")
    private Integer maxRequests;

    @Option(names = "--pid-file", paramLabel = "PATH", converter = FlagConverters.FilePath.class,
            description = "file to write the master's pid to (default none)")
    private Path pidFile;

    @Option(names = "--log-file", paramLabel = "PATH", converter = FlagConverters.FilePath.class,
            description = "append the log and worker output to this file, reopened on SIGUSR1 (default stderr)")
    private Path logFile;

    @Override
    public Integer call() throws ConfigException, java.io.IOException, InterruptedException {
        HerdConfig config = effectiveConfig();
        return new Master(config, this::effectiveConfig, HerdVersion.current()).run(config.pidFile(), config.logFile());
    }

    private HerdConfig effectiveConfig() throws ConfigException {
        ConfigBuilder builder = configFile == null ? ConfigBuilder.defaults() : ConfigBuilder.fromFile(configFile);
        if (listen != null) {
            builder.listen(listen);
        }
        if (workers != null) {
            builder.workers(workers);
        }
        if (app != null) {
            builder.app(app);
        }
        if (adminSocket != null) {
            builder.adminSocket(adminSocket);
        }
        if (gracefulTimeout != null) {
            builder.gracefulTimeout(gracefulTimeout);
        }
        if (backlog != null) {
            builder.backlog(backlog);
        }
        if (readyTimeout != null) {
            builder.readyTimeout(readyTimeout);
        }
        if (heartbeatTimeout != null) {
            builder.heartbeatTimeout(heartbeatTimeout);
        }
        if (maxRequests != null) {
            builder.maxRequests(maxRequests);
        }
        if (pidFile != null) {
            builder.pidFile(pidFile);
        }
        if (logFile != null) {
            builder.logFile(logFile);
        }
        return builder.build();
    }
}
