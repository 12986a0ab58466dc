package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A mutable {@link HerdConfig} in the making, for layering: start from {@link #defaults()} or
 * {@link #fromFile(Path)}, overlay command-line values with the setters, then {@link #build()}. Each setter
 * validates its value at once with {@link ConfigValues} and throws {@link InvalidValueException} (an
 * IllegalArgumentException naming the value) on a bad one. {@code build()} then checks only the rules between
 * keys, which a layer can break even when each value is fine on its own (the file sets {@code maxRequestsJitter},
 * a flag sets {@code maxRequests} to 0).
 */
public final class ConfigBuilder {

    public static final ListenAddress DEFAULT_LISTEN = new ListenAddress("127.0.0.1", 9876);
    public static final String DEFAULT_APP = "echo";
    public static final Duration DEFAULT_GRACEFUL_TIMEOUT = Duration.ofSeconds(30);
    /** The backlog nginx and Redis use; the kernel caps it at net.core.somaxconn anyway. */
    public static final int DEFAULT_BACKLOG = 511;
    public static final Duration DEFAULT_READY_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_HEARTBEAT_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_FLAPPING_CRASHES = 5;
    public static final Duration DEFAULT_FLAPPING_WINDOW = Duration.ofSeconds(60);

    private ListenAddress listen = DEFAULT_LISTEN;
    private int workers = defaultWorkers();
    private String app = DEFAULT_APP;
    // An app set on purpose contradicts a worker mainClass or command, even when it names the default.
    private boolean appSet;
    private Optional<Path> adminSocket = Optional.empty();
    private Optional<String> adminGroup = Optional.empty();
    private Duration gracefulTimeout = DEFAULT_GRACEFUL_TIMEOUT;
    private int backlog = DEFAULT_BACKLOG;
    private Duration readyTimeout = DEFAULT_READY_TIMEOUT;
    private Duration heartbeatTimeout = DEFAULT_HEARTBEAT_TIMEOUT;
    private int maxRequests;
    private int maxRequestsJitter;
    private int flappingCrashes = DEFAULT_FLAPPING_CRASHES;
    private Duration flappingWindow = DEFAULT_FLAPPING_WINDOW;
    private Optional<Path> logFile = Optional.empty();
    private Optional<Path> pidFile = Optional.empty();
    // The worker's parts are kept apart, because a WorkerSpec must be valid as a whole at every step.
    private List<String> workerJvmOptions = List.of();
    private Map<String, String> workerEnv = Map.of();
    private Optional<String> workerMainClass = Optional.empty();
    private List<String> workerClasspath = List.of();
    private List<String> workerArgs = List.of();
    private List<String> workerCommand = List.of();
    private Optional<Path> source = Optional.empty();

    private ConfigBuilder() {
    }

    /**
     * The built-in defaults: 127.0.0.1:9876, one worker per CPU, app echo, 30s graceful timeout, backlog 511,
     * 60s ready timeout, 30s heartbeat timeout, no request limit, backoff state after more than 5 crashes in 60s,
     * log to stderr, no pid file, workers that run the app with no extra options.
     */
    public static ConfigBuilder defaults() {
        return new ConfigBuilder();
    }

    /**
     * The defaults overlaid by the values in {@code file} (see {@link ConfigLoader} for the format). The file's
     * values must go together on their own, so a conflict is reported with the file's lines.
     */
    public static ConfigBuilder fromFile(Path file) throws ConfigException {
        ConfigBuilder builder = new ConfigBuilder();
        ConfigFileReader.readInto(file, builder);
        builder.source = Optional.of(file);
        return builder;
    }

    /** One worker per CPU, kept inside the allowed range so that the default is always valid. */
    public static int defaultWorkers() {
        return Math.min(Runtime.getRuntime().availableProcessors(), ConfigValues.MAX_WORKERS);
    }

    public ConfigBuilder listen(ListenAddress listen) {
        this.listen = Objects.requireNonNull(listen, "listen");
        return this;
    }

    public ConfigBuilder workers(int workers) {
        this.workers = ConfigValues.checkWorkers(workers);
        return this;
    }

    /** Sets the built-in app; then the worker cannot have a mainClass or a command ({@link #build()} says so). */
    public ConfigBuilder app(String app) {
        this.app = ConfigValues.checkApp(Objects.requireNonNull(app, "app"));
        this.appSet = true;
        return this;
    }

    public ConfigBuilder adminGroup(String adminGroup) {
        this.adminGroup = Optional.of(ConfigValues.checkAdminGroup(adminGroup));
        return this;
    }

    public ConfigBuilder adminSocket(Path adminSocket) {
        this.adminSocket = Optional.of(ConfigValues.checkAdminSocket(adminSocket));
        return this;
    }

    public ConfigBuilder gracefulTimeout(Duration gracefulTimeout) {
        this.gracefulTimeout = ConfigValues.checkGracefulTimeout(gracefulTimeout);
        return this;
    }

    public ConfigBuilder backlog(int backlog) {
        this.backlog = ConfigValues.checkBacklog(backlog);
        return this;
    }

    public ConfigBuilder readyTimeout(Duration readyTimeout) {
        this.readyTimeout = ConfigValues.checkReadyTimeout(Objects.requireNonNull(readyTimeout, "readyTimeout"));
        return this;
    }

    /** {@link Duration#ZERO} turns hang detection off. */
    public ConfigBuilder heartbeatTimeout(Duration heartbeatTimeout) {
        this.heartbeatTimeout =
                ConfigValues.checkHeartbeatTimeout(Objects.requireNonNull(heartbeatTimeout, "heartbeatTimeout"));
        return this;
    }

    /** 0 turns recycling off. */
    public ConfigBuilder maxRequests(int maxRequests) {
        this.maxRequests = ConfigValues.checkMaxRequests(maxRequests);
        return this;
    }

    public ConfigBuilder maxRequestsJitter(int maxRequestsJitter) {
        this.maxRequestsJitter = ConfigValues.checkMaxRequestsJitter(maxRequestsJitter);
        return this;
    }

    public ConfigBuilder flappingCrashes(int flappingCrashes) {
        this.flappingCrashes = ConfigValues.checkFlappingCrashes(flappingCrashes);
        return this;
    }

    public ConfigBuilder flappingWindow(Duration flappingWindow) {
        this.flappingWindow =
                ConfigValues.checkFlappingWindow(Objects.requireNonNull(flappingWindow, "flappingWindow"));
        return this;
    }

    public ConfigBuilder logFile(Path logFile) {
        this.logFile = Optional.of(ConfigValues.checkFilePath(logFile));
        return this;
    }

    public ConfigBuilder pidFile(Path pidFile) {
        this.pidFile = Optional.of(ConfigValues.checkFilePath(pidFile));
        return this;
    }

    /** Replaces every part of the worker's spec at once. */
    public ConfigBuilder worker(WorkerSpec worker) {
        Objects.requireNonNull(worker, "worker");
        this.workerJvmOptions = worker.jvmOptions();
        this.workerEnv = worker.env();
        this.workerMainClass = worker.mainClass();
        this.workerClasspath = worker.classpath();
        this.workerArgs = worker.args();
        this.workerCommand = worker.command();
        return this;
    }

    public ConfigBuilder workerJvmOptions(List<String> jvmOptions) {
        List<String> copy = List.copyOf(jvmOptions);
        copy.forEach(ConfigValues::checkJvmOption);
        this.workerJvmOptions = copy;
        return this;
    }

    public ConfigBuilder workerEnv(Map<String, String> env) {
        Map<String, String> copy = Map.copyOf(env);
        copy.keySet().forEach(ConfigValues::checkEnvName);
        copy.values().forEach(ConfigValues::checkEnvValue);
        this.workerEnv = copy;
        return this;
    }

    public ConfigBuilder workerMainClass(String mainClass) {
        this.workerMainClass = Optional.of(ConfigValues.checkMainClass(Objects.requireNonNull(mainClass, "mainClass")));
        return this;
    }

    public ConfigBuilder workerClasspath(List<String> classpath) {
        List<String> copy = List.copyOf(classpath);
        copy.forEach(ConfigValues::checkClasspathEntry);
        this.workerClasspath = copy;
        return this;
    }

    public ConfigBuilder workerArgs(List<String> args) {
        List<String> copy = List.copyOf(args);
        copy.forEach(ConfigValues::checkArgument);
        this.workerArgs = copy;
        return this;
    }

    /** The argv of a non-JVM worker; it cannot be empty. */
    public ConfigBuilder workerCommand(List<String> command) {
        this.workerCommand = ConfigValues.checkCommand(List.copyOf(command));
        return this;
    }

    /**
     * The configuration, once the rules between keys hold.
     *
     * @throws ConfigException naming both keys, e.g. {@code "maxRequestsJitter" needs "maxRequests" above 0}
     */
    public HerdConfig build() throws ConfigException {
        try {
            return assemble();
        } catch (KeyConflictException e) {
            throw new ConfigException(e.getMessage(), e);
        }
    }

    /** {@link #build()} with the conflict left as it is thrown, so that the file reader can add its lines. */
    HerdConfig assemble() {
        WorkerSpec worker = new WorkerSpec(workerJvmOptions, workerEnv, workerMainClass, workerClasspath, workerArgs,
                workerCommand);
        if (appSet && worker.kind() != WorkerSpec.Kind.BUILT_IN_APP) {
            throw KeyConflictException.exclusive("app", worker.programKey());
        }
        return new HerdConfig(listen, workers, app, adminSocket, adminGroup, gracefulTimeout, backlog, readyTimeout,
                heartbeatTimeout, maxRequests, maxRequestsJitter, flappingCrashes, flappingWindow, logFile, pidFile,
                worker, source);
    }
}
