package dev.herd.supervisor.master;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Scale requests waiting until every wanted slot has a ready worker and the surplus slots are gone. Each wait is
 * for the count its request asked for: a later change of the wanted count (a reload, another scale, SIGTTIN) ends
 * it at once with what happened, so that no reply claims a count the pool is no longer going to. Used on the
 * master thread only.
 */
final class CapacityWaits {

    private record Wait(int target, long deadlineNanos, CompletableFuture<Optional<String>> result) {
    }

    private final List<Wait> waits = new ArrayList<>();

    /**
     * Completes with nothing once {@code target} workers are ready and no surplus slot is left, or with why not:
     * what is missing at the deadline, or who changed the wanted count meanwhile.
     */
    CompletableFuture<Optional<String>> add(int target, long deadlineNanos) {
        CompletableFuture<Optional<String>> result = new CompletableFuture<>();
        waits.add(new Wait(target, deadlineNanos, result));
        return result;
    }

    /**
     * @param surplusSlots slots above the wanted count still holding a process (draining); the bench of hot spares
     *                     is not one of them
     */
    void settle(int readyWorkers, int desiredWorkers, int surplusSlots, long nowNanos) {
        if (waits.isEmpty()) {
            return;
        }
        boolean settled = readyWorkers == desiredWorkers && surplusSlots == 0;
        waits.removeIf(wait -> {
            if (settled) {
                wait.result().complete(Optional.empty());
            } else if (nowNanos - wait.deadlineNanos() >= 0) {
                wait.result().complete(Optional.of("after the ready and graceful timeouts " + readyWorkers + " of "
                        + desiredWorkers + " workers are ready and " + surplusSlots + " surplus slots still draining"));
            } else {
                return false;
            }
            return true;
        });
    }

    /** The wanted count is now {@code workers} because of {@code reason}: waits for another count end here. */
    void wantedChanged(int workers, String reason) {
        waits.removeIf(wait -> {
            if (wait.target() == workers) {
                return false;
            }
            wait.result().complete(Optional.of(reason + " set the count to " + workers + " meanwhile"));
            return true;
        });
    }

    /** Ends every wait with {@code why} (the master is stopping). */
    void abort(String why) {
        waits.forEach(wait -> wait.result().complete(Optional.of(why)));
        waits.clear();
    }
}
