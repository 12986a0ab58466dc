package dev.herd.supervisor.metrics;

import dev.herd.supervisor.spawn.WorkerSpawner;
import dev.herd.supervisor.status.StatusSnapshot;
import dev.herd.supervisor.status.WorkerRow;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.ToDoubleFunction;

/**
 * The pool's metrics, built from one {@link PoolReading} per scrape (docs/operations.md lists them): workers by
 * state, restarts by reason, the listen queue, and per slot its serving worker's memory, CPU, requests,
 * connections and uptime. A scrape that gets no reading in time (a master stopped with SIGSTOP) answers with
 * {@code herd_up 0} and nothing else, rather than hang.
 */
final class PoolCollector implements MultiCollector {

    /** The states herd_workers always reports, 0 included, so that an alert on one of them has a series. */
    static final List<String> STATES = List.of("ready", "starting", "stopping", "backoff", "spare", "hung", "killed");
    static final List<String> NAMES = List.of("herd_up", "herd_workers", "herd_workers_desired",
            "herd_worker_restarts", "herd_listen_queue_length", "herd_listen_queue_limit",
            "herd_worker_resident_memory_bytes", "herd_worker_cpu_seconds", "herd_worker_requests",
            "herd_worker_open_connections", "herd_worker_uptime_seconds");
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

    private final PoolSource source;

    PoolCollector(PoolSource source) {
        this.source = source;
    }

    @Override
    public List<String> getPrometheusNames() {
        return NAMES;
    }

    @Override
    public MetricSnapshots collect() {
        PoolReading reading;
        try {
            reading = source.read(READ_TIMEOUT);
        } catch (TimeoutException e) {
            return MetricSnapshots.of(gauge("herd_up", "1 when the master's loop answered this scrape",
                    Map.of(Labels.EMPTY, 0.0)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return MetricSnapshots.of();
        }
        StatusSnapshot status = reading.status();
        List<MetricSnapshot> metrics = new ArrayList<>();
        metrics.add(gauge("herd_up", "1 when the master's loop answered this scrape", Map.of(Labels.EMPTY, 1.0)));
        metrics.add(gauge("herd_workers", "Worker processes by state (a slot backing off counts as backoff)",
                workersByState(status)));
        metrics.add(gauge("herd_workers_desired", "The workers wanted",
                Map.of(Labels.EMPTY, (double) status.desiredWorkers())));
        metrics.add(restarts(reading.restartsByReason()));
        status.listenQueue().ifPresent(queue -> {
            metrics.add(gauge("herd_listen_queue_length", "Connections waiting in the shared socket's accept queue",
                    Map.of(Labels.EMPTY, (double) queue.waiting())));
            metrics.add(gauge("herd_listen_queue_limit", "The shared socket's listen backlog",
                    Map.of(Labels.EMPTY, (double) queue.limit())));
        });
        List<WorkerRow> serving = servingWorkerOfEachSlot(status);
        metrics.add(perSlotGauge("herd_worker_resident_memory_bytes", "Resident memory of the slot's worker",
                Unit.BYTES, serving, row -> row.residentBytes().orElse(0)));
        metrics.add(perSlotCounter("herd_worker_cpu_seconds", "CPU time of the slot's worker (user and system)",
                Unit.SECONDS, serving, row -> row.cpuMillis().orElse(0) / 1000.0));
        metrics.add(perSlotCounter("herd_worker_requests", "Requests (connections, for echo) the slot's worker "
                + "served", null, serving, row -> (double) row.connectionsServed()));
        metrics.add(perSlotGauge("herd_worker_class_data", "1 when the slot's worker started with its app's "
                + "class-data archive (worker.classData)", null, serving, row -> row.classData().isPresent() ? 1 : 0));
        metrics.add(perSlotGauge("herd_worker_open_connections", "Connections the slot's worker has open", null,
                serving, row -> (double) row.connectionsOpen()));
        metrics.add(perSlotGauge("herd_worker_uptime_seconds", "How long the slot's worker has run", Unit.SECONDS,
                serving, row -> row.startedAt().map(started -> Duration.between(started, status.startedAt()
                        .plusMillis(status.uptimeMillis())).toMillis() / 1000.0).orElse(0.0)));
        return new MetricSnapshots(metrics);
    }

    private static Map<Labels, Double> workersByState(StatusSnapshot status) {
        Map<Labels, Double> counts = new LinkedHashMap<>();
        STATES.forEach(state -> counts.put(Labels.of("state", state), 0.0));
        for (WorkerRow row : status.workers()) {
            if (row.pid().isPresent() || row.state().equals("backoff")) {
                counts.merge(Labels.of("state", row.state()), 1.0, Double::sum);
            }
        }
        return counts;
    }

    /**
     * One worker per slot: during a rolling restart a slot has two (the old one serving, its replacement
     * starting), and the series of a slot follows the one serving; a slot's series resets when its worker is
     * replaced, as a process's counters do. Hot spares on the bench have no series of their own.
     */
    static List<WorkerRow> servingWorkerOfEachSlot(StatusSnapshot status) {
        Map<Integer, WorkerRow> bySlot = new LinkedHashMap<>();
        Comparator<WorkerRow> preference = Comparator.comparing((WorkerRow row) -> row.state().equals("ready"))
                .thenComparing(row -> row.startedAt().orElse(java.time.Instant.MIN));
        for (WorkerRow row : status.workers()) {
            if (row.pid().isEmpty() || row.slot() == WorkerSpawner.BENCH) {
                continue; // a slot waiting for its worker; a hot spare (counted in herd_workers{state="spare"})
            }
            bySlot.merge(row.slot(), row, (kept, other) -> preference.compare(other, kept) > 0 ? other : kept);
        }
        return List.copyOf(bySlot.values());
    }

    private static CounterSnapshot restarts(Map<String, Long> byReason) {
        CounterSnapshot.Builder counter = CounterSnapshot.builder().name("herd_worker_restarts")
                .help("Workers replaced or stopped, by reason: crash, boot_failure, oom, hang, recycle, memory, "
                        + "reload, restart, exit, scale");
        byReason.forEach((reason, count) -> counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(Labels.of("reason", reason)).value(count).build()));
        return counter.build();
    }

    private static GaugeSnapshot gauge(String name, String help, Map<Labels, Double> values) {
        GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(name).help(help);
        values.forEach((labels, value) -> gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(labels).value(value).build()));
        return gauge.build();
    }

    private static GaugeSnapshot perSlotGauge(String name, String help, Unit unit, List<WorkerRow> rows,
                                              ToDoubleFunction<WorkerRow> value) {
        GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name(name).help(help);
        if (unit != null) {
            gauge.unit(unit);
        }
        rows.forEach(row -> gauge.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(slotLabel(row)).value(value.applyAsDouble(row)).build()));
        return gauge.build();
    }

    private static CounterSnapshot perSlotCounter(String name, String help, Unit unit, List<WorkerRow> rows,
                                                  ToDoubleFunction<WorkerRow> value) {
        CounterSnapshot.Builder counter = CounterSnapshot.builder().name(name).help(help);
        if (unit != null) {
            counter.unit(unit);
        }
        rows.forEach(row -> counter.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                .labels(slotLabel(row)).value(value.applyAsDouble(row)).build()));
        return counter.build();
    }

    private static Labels slotLabel(WorkerRow row) {
        return Labels.of("slot", Integer.toString(row.slot()));
    }
}
