package dev.herd.supervisor.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Scale requests waiting until every wanted slot has a ready worker and the surplus slots are gone. Used on the
 * master thread only.
 */
final class CapacityWaits {

    private record Wait(long deadlineNanos, CompletableFuture<Optional<String>> result) {
    }

    private final List<Wait> waits = new ArrayList<>();

    /** Completes with nothing once the pool is settled, or at the deadline with what is missing. */
    CompletableFuture<Optional<String>> add(long deadlineNanos) {
        CompletableFuture<Optional<String>> result = new CompletableFuture<>();
        waits.add(new Wait(deadlineNanos, result));
        return result;
    }

    void settle(int readyWorkers, int desiredWorkers, int slots, long nowNanos) {
        if (waits.isEmpty()) {
            return;
        }
        boolean settled = readyWorkers == desiredWorkers && slots == desiredWorkers;
        waits.removeIf(wait -> {
            if (settled) {
                wait.result().complete(Optional.empty());
            } else if (nowNanos - wait.deadlineNanos() >= 0) {
                wait.result().complete(Optional.of(readyWorkers + " of " + desiredWorkers + " workers ready and "
                        + Math.max(0, slots - desiredWorkers) + " surplus slots still draining"));
            } else {
                return false;
            }
            return true;
        });
    }

    /** Ends every wait with {@code why} (the master is stopping). */
    void abort(String why) {
        waits.forEach(wait -> wait.result().complete(Optional.of(why)));
        waits.clear();
    }
}
