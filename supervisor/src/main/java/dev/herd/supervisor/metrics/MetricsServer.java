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
 * client's HTTP server (the JDK's {@code com.sun.net.httpserver}): the pool's metrics ({@link PoolCollector}),
 * the reload durations, and the master's own process metrics (CPU, memory, descriptors); and the probes
 * {@code /readyz} and {@code /livez} ({@link Probes}). Off unless configured.
 * <p>
 * The JDK's server reads a request's headers, and writes its response, on the thread that serves it, with no
 * deadline of its own: one client that sent half a header and then a byte every few seconds held the only
 * thread, and every scrape timed out for a minute. So a few threads serve (started only when scrapes overlap),
 * and the JDK's own deadlines are set: a request must arrive whole within {@link #REQUEST_SECONDS}, a response
 * be taken within {@link #RESPONSE_SECONDS}, or the connection is closed.
 */
public final class MetricsServer implements AutoCloseable {

    /** Reloads of a few workers take seconds; of many slow-starting ones, minutes. */
    private static final double[] RELOAD_BUCKETS = {0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600};
    /** Scrapes served at once; more wait in the queue, and past it they are dropped (closed unanswered). */
    private static final int THREADS = 4;
    private static final int QUEUED_SCRAPES = 64;
    /** Prometheus's scrape timeout is 10 s by default: a slow client is cut off well within one. */
    static final int REQUEST_SECONDS = 5;
    static final int RESPONSE_SECONDS = 10;
    /**
     * How long a probe waits for the loop: a loop that turns answers in milliseconds even on a loaded machine;
     * Kubernetes' probe timeouts (docs/deploy.md: 5 s) must be longer, or the kubelet gives up before herd says why.
     */
    static final Duration PROBE_TIMEOUT = Duration.ofSeconds(3);

    private final HTTPServer server;
    private final Histogram reloadDurations;
    private final ExecutorService executor;

    private MetricsServer(HTTPServer server, Histogram reloadDurations, ExecutorService executor) {
        this.server = server;
        this.reloadDurations = reloadDurations;
        this.executor = executor;
    }

    public static MetricsServer start(ListenAddress listen, PoolSource pool) throws IOException {
        return start(listen, pool, PROBE_TIMEOUT);
    }

    static MetricsServer start(ListenAddress listen, PoolSource pool, Duration probeTimeout) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PoolCollector(pool));
        Histogram reloads = Histogram.builder().name("herd_reload_duration_seconds")
                .help("How long rolling reloads took, from the request to the last old worker told to drain")
                .classicOnly().classicUpperBounds(RELOAD_BUCKETS).register(registry);
        ProcessMetrics.builder().register(registry);
        HttpServerLogBridge.install();
        setDeadline("sun.net.httpserver.maxReqTime", REQUEST_SECONDS);
        setDeadline("sun.net.httpserver.maxRspTime", RESPONSE_SECONDS);
        // A few threads and a bounded queue: a flood of scrapes waits or is dropped, it cannot grow the master.
        // The threads end after a minute without scrapes, so an idle master holds none.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(QUEUED_SCRAPES), task -> {
                    Thread thread = new Thread(task, "herd-metrics");
                    thread.setDaemon(true);
                    return thread;
                }, new ThreadPoolExecutor.DiscardPolicy());
        executor.allowCoreThreadTimeOut(true);
        try {
            HTTPServer server = HTTPServer.builder().hostname(listen.host()).port(listen.port()).registry(registry)
                    .defaultHandler(new Probes(pool, probeTimeout)) // "/": every path but /metrics
                    .executorService(executor).buildAndStart();
            return new MetricsServer(server, reloads, executor);
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new IOException("cannot serve metrics on " + listen + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JDK's server reads its deadlines from system properties once, when its first server starts (so before
     * that); an operator's own {@code -D} in HERD_JAVA_OPTS wins.
     */
    private static void setDeadline(String property, int seconds) {
        if (System.getProperty(property) == null) {
            System.setProperty(property, Integer.toString(seconds));
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
