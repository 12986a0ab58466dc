package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The effective configuration of one master: defaults, overlaid by the config file, overlaid by command-line
 * flags. Immutable and always valid: the constructor applies the same {@link ConfigValues} rules as the file
 * loader and the command line, and throws {@link IllegalArgumentException} (a {@link KeyConflictException} when
 * two valid values do not go together, or NullPointerException for a missing component) otherwise. Build one
 * with {@link ConfigBuilder} or {@link ConfigLoader}.
 *
 * @param listen            the TCP address the master binds once and shares with every worker
 * @param workers           how many workers to keep alive
 * @param app               the built-in app each worker runs ({@code echo}); always the default, and unused,
 *                          when {@code worker} runs a main class or a command
 * @param adminSocket       the admin Unix socket path, if set explicitly (otherwise resolved from the environment)
 * @param adminGroup        a group whose members may also use the admin socket (mode 0660), if any
 * @param gracefulTimeout   how long a stopping worker may take before it gets SIGKILL
 * @param backlog           the listen(2) backlog of the shared socket
 * @param readyTimeout      how long a starting worker may take to send READY=1 (more than 0, at most 1h)
 * @param heartbeatTimeout  how long a ready worker may go without WATCHDOG=1 before it is killed as hung;
 *                          {@link Duration#ZERO} turns hang detection off (at most 1h)
 * @param maxRequests       requests (connections) a worker serves before it is replaced, the replacement
 *                          ready first; 0 means never
 * @param maxRequestsJitter each worker's limit is {@code maxRequests} plus a random 0..jitter, so that workers
 *                          do not all recycle at once; 0 unless {@code maxRequests} is set. Add the two as
 *                          longs: both may be up to {@link Integer#MAX_VALUE}
 * @param flappingCrashes   a slot whose workers crashed more than this many times within
 *                          {@code flappingWindow} is shown as {@code backoff} (1..1000)
 * @param flappingWindow    see {@code flappingCrashes} (more than 0)
 * @param logFile           the file the master appends its log and relayed worker output to, if not stderr
 * @param pidFile           the file the master writes its pid to, if any
 * @param worker            how worker processes are started
 * @param source            the config file these values came from, if any
 */
public record HerdConfig(
        ListenAddress listen,
        int workers,
        String app,
        Optional<Path> adminSocket,
        Optional<String> adminGroup,
        Duration gracefulTimeout,
        int backlog,
        Duration readyTimeout,
        Duration heartbeatTimeout,
        int maxRequests,
        int maxRequestsJitter,
        int flappingCrashes,
        Duration flappingWindow,
        Optional<Path> logFile,
        Optional<Path> pidFile,
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
        ConfigValues.checkReadyTimeout(Objects.requireNonNull(readyTimeout, "readyTimeout"));
        ConfigValues.checkHeartbeatTimeout(Objects.requireNonNull(heartbeatTimeout, "heartbeatTimeout"));
        ConfigValues.checkMaxRequests(maxRequests);
        ConfigValues.checkMaxRequestsJitter(maxRequestsJitter);
        ConfigValues.checkFlappingCrashes(flappingCrashes);
        ConfigValues.checkFlappingWindow(Objects.requireNonNull(flappingWindow, "flappingWindow"));
        Objects.requireNonNull(logFile, "logFile").ifPresent(ConfigValues::checkFilePath);
        Objects.requireNonNull(pidFile, "pidFile").ifPresent(ConfigValues::checkFilePath);
        Objects.requireNonNull(worker, "worker");
        Objects.requireNonNull(source, "source");
        if (maxRequestsJitter > 0 && maxRequests == 0) {
            throw KeyConflictException.needs("maxRequestsJitter", "maxRequests", "above 0");
        }
        if (worker.kind() != WorkerSpec.Kind.BUILT_IN_APP && !app.equals(ConfigBuilder.DEFAULT_APP)) {
            throw KeyConflictException.exclusive("app", worker.programKey());
        }
    }
}
