package dev.herd.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A mutable {@link HerdConfig} in the making, for layering: start from {@link #defaults()} or
 * {@link #fromFile(Path)}, overlay command-line values with the setters, then {@link #build()}. Each setter
 * validates at once with {@link ConfigValues} and throws {@link InvalidValueException} (an
 * IllegalArgumentException naming the value) on a bad value, so {@code build()} never fails.
 */
public final class ConfigBuilder {

    public static final ListenAddress DEFAULT_LISTEN = new ListenAddress("127.0.0.1", 9876);
    public static final String DEFAULT_APP = "echo";
    public static final Duration DEFAULT_GRACEFUL_TIMEOUT = Duration.ofSeconds(30);
    /** The backlog nginx and Redis use; the kernel caps it at net.core.somaxconn anyway. */
    public static final int DEFAULT_BACKLOG = 511;

    private ListenAddress listen = DEFAULT_LISTEN;
    private int workers = defaultWorkers();
    private String app = DEFAULT_APP;
    private Optional<Path> adminSocket = Optional.empty();
    private Optional<String> adminGroup = Optional.empty();
    private Duration gracefulTimeout = DEFAULT_GRACEFUL_TIMEOUT;
    private int backlog = DEFAULT_BACKLOG;
    private WorkerSpec worker = WorkerSpec.DEFAULT;
    private Optional<Path> source = Optional.empty();

    private ConfigBuilder() {
    }

    /** The built-in defaults: 127.0.0.1:9876, one worker per CPU, app echo, 30s graceful timeout, backlog 511. */
    public static ConfigBuilder defaults() {
        return new ConfigBuilder();
    }

    /** The defaults overlaid by the values in {@code file} (see {@link ConfigLoader} for the format). */
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

    public ConfigBuilder app(String app) {
        this.app = ConfigValues.checkApp(Objects.requireNonNull(app, "app"));
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

    public ConfigBuilder worker(WorkerSpec worker) {
        this.worker = Objects.requireNonNull(worker, "worker");
        return this;
    }

    public HerdConfig build() {
        return new HerdConfig(listen, workers, app, adminSocket, adminGroup, gracefulTimeout, backlog, worker, source);
    }
}
