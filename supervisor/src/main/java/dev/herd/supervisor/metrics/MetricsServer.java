package dev.herd.supervisor.metrics;

import dev.herd.config.ListenAddress;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.jvm.ProcessMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /metrics} in the Prometheus text format on {@code metricsListen}, served by the Prometheus Java
 * client's HTTP server on one thread of its own: the pool's metrics ({@link PoolCollector}), the reload
 * durations, and the master's own process metrics (CPU, memory, descriptors). Off unless configured.
 */
public final class MetricsServer implements AutoCloseable {

    /** Reloads of a few workers take seconds; of many slow-starting ones, minutes. */
    private static final double[] RELOAD_BUCKETS = {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};

    private final HTTPServer server;
    private final Histogram reloadDurations;
    private final ExecutorService executor;

    private MetricsServer(HTTPServer server, Histogram reloadDurations, ExecutorService executor) {
        this.server = server;
        this.reloadDurations = reloadDurations;
        this.executor = executor;
    }

    public static MetricsServer start(ListenAddress listen, PoolSource pool) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PoolCollector(pool));
        Histogram reloads = Histogram.builder().name("herd_reload_duration_seconds")
                .help("How long rolling reloads took, from the request to the last old worker told to drain")
                .classicOnly().classicUpperBounds(RELOAD_BUCKETS).register(registry);
        ProcessMetrics.builder().register(registry);
        // One thread, and a bounded queue: a flood of scrapes waits or is refused, it cannot grow the master.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(64), task -> {
                    Thread thread = new Thread(task, "herd-metrics");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.DiscardPolicy());
        try {
            HTTPServer server = HTTPServer.builder().hostname(listen.host()).port(listen.port()).registry(registry)
                    .executorService(executor).buildAndStart();
            return new MetricsServer(server, reloads, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
        }
    }

    /** The port it serves on (the kernel's choice for port 0). */
    public int port() {
        return server.getPort();
    }

    /** A rolling reload ended after {@code took}. */
    public void reloadTook(Duration took) {
        reloadDurations.observe(took.toNanos() / 1e9);
    }

    @Override
    public void close() {
        server.stop();
        executor.shutdownNow();
    }
}
