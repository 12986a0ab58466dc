package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What two samples of the status reply say per second, for {@code herd top}. A worker's CPU use is the growth of its
 * {@code cpuMs} over the wall time between the samples (100% is one core busy, as in top); its requests per second
 * the growth of its {@code connectionsServed}. Workers are matched by pid, not slot, so a restarted slot does not
 * show a negative rate: a pid the earlier sample does not list started after it, and is counted from zero. The
 * pool's rate is the sum over the workers of the later sample (what a worker served between its last sample and
 * its exit is not counted). Samples of different masters (another pid) give no rates.
 *
 * @param poolRequestsPerSecond the pool's requests per second; empty without an earlier sample
 * @param workers               by pid; a pid not in it has no rates
 */
record TopRates(OptionalDouble poolRequestsPerSecond, Map<Long, WorkerRates> workers) {

    /** Rates of one worker; each is empty when a sample lacks the counter. */
    record WorkerRates(OptionalDouble cpuPercent, OptionalDouble requestsPerSecond) {
        static final WorkerRates UNKNOWN = new WorkerRates(OptionalDouble.empty(), OptionalDouble.empty());
    }

    /** Before there are two samples. */
    static final TopRates NONE = new TopRates(OptionalDouble.empty(), Map.of());

    WorkerRates of(long pid) {
        return workers.getOrDefault(pid, WorkerRates.UNKNOWN);
    }

    /** The rates from {@code previous} (null: none yet) to {@code current}. */
    static TopRates between(TopSample previous, TopSample current) {
        if (previous == null || previous.status().path("pid").asLong() != current.status().path("pid").asLong()) {
            return NONE;
        }
        double seconds = (current.receivedNanos() - previous.receivedNanos()) / 1e9;
        if (seconds <= 0) {
            return NONE;
        }
        Map<Long, JsonNode> before = new HashMap<>();
        for (JsonNode worker : previous.status().path("workers")) {
            if (worker.path("pid").isNumber()) {
                before.put(worker.path("pid").asLong(), worker);
            }
        }
        Map<Long, WorkerRates> workers = new HashMap<>();
        double poolServed = 0;
        for (JsonNode worker : current.status().path("workers")) {
            if (!worker.path("pid").isNumber()) {
                continue;
            }
            long pid = worker.path("pid").asLong();
            JsonNode earlier = before.get(pid);
            OptionalDouble served = growth(worker, earlier, "connectionsServed");
            OptionalDouble cpuMillis = growth(worker, earlier, "cpuMs");
            if (served.isPresent()) {
                poolServed += served.getAsDouble();
            }
            // CPU milliseconds per wall millisecond, as a percentage of one core.
            OptionalDouble cpuPercent = divided(cpuMillis, seconds * 1000 / 100);
            workers.put(pid, new WorkerRates(cpuPercent, divided(served, seconds)));
        }
        return new TopRates(OptionalDouble.of(poolServed / seconds), Map.copyOf(workers));
    }

    /** How much a counter grew since {@code earlier} (null: the worker is new, its counter started at zero). */
    private static OptionalDouble growth(JsonNode worker, JsonNode earlier, String counter) {
        if (!worker.path(counter).isNumber()) {
            return OptionalDouble.empty();
        }
        long start;
        if (earlier == null) {
            start = 0;
        } else if (earlier.path(counter).isNumber()) {
            start = earlier.path(counter).asLong();
        } else {
            return OptionalDouble.empty();
        }
        long grown = worker.path(counter).asLong() - start;
        return grown < 0 ? OptionalDouble.empty() : OptionalDouble.of(grown);
    }

    private static OptionalDouble divided(OptionalDouble amount, double by) {
        return amount.isPresent() ? OptionalDouble.of(amount.getAsDouble() / by) : OptionalDouble.empty();
    }
}
