package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The effective configuration of one master: defaults, overlaid by the config file, overlaid by command-line
 * flags. Immutable and always valid: the constructor applies the same {@link ConfigValues} rules as the file
 * loader and the command line, and throws {@link IllegalArgumentException} (or NullPointerException for a
 * missing component) otherwise. Build one with {@link ConfigBuilder} or {@link ConfigLoader}.
 *
 * @param listen          the TCP address the master binds once and shares with every worker
 * @param workers         how many workers to keep alive
 * @param app             the built-in app each worker runs ({@code echo})
 * @param adminSocket     the admin Unix socket path, if set explicitly (otherwise resolved from the environment)
 * @param adminGroup      a group whose members may also use the admin socket (mode 0660), if any
 * @param gracefulTimeout how long a stopping worker may take before it gets SIGKILL
 * @param backlog         the listen(2) backlog of the shared socket
 * @param worker          how worker processes are started
 * @param source          the config file these values came from, if any
 */
public record HerdConfig(
        ListenAddress listen,
        int workers,
        String app,
        Optional<Path> adminSocket,
        Optional<String> adminGroup,
        Duration gracefulTimeout,
        int backlog,
        WorkerSpec worker,
        Optional<Path> source) {

    public HerdConfig {
        Objects.requireNonNull(listen, "listen");
        ConfigValues.checkWorkers(workers);
        ConfigValues.checkApp(Objects.requireNonNull(app, "app"));
        Objects.requireNonNull(adminSocket, "adminSocket").ifPresent(ConfigValues::checkAdminSocket);
        Objects.requireNonNull(adminGroup, "adminGroup").ifPresent(ConfigValues::checkAdminGroup);
        ConfigValues.checkGracefulTimeout(Objects.requireNonNull(gracefulTimeout, "gracefulTimeout"));
        ConfigValues.checkBacklog(backlog);
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(source, "source");
    }
}
