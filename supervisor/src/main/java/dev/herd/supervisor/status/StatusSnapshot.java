package dev.herd.supervisor.status;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * How the master and its pool stand at one moment, taken by the master loop on its own thread and then read
 * anywhere: the admin channel's {@code status} reply, {@code herd top}, the metrics. Plain data, no behaviour.
 *
 * @param pid            the master's pid
 * @param version        herd's version
 * @param startedAt      when the master started (wall clock)
 * @param uptimeMillis   how long it has run (monotonic clock)
 * @param listen         the address workers accept on
 * @param configFile     the config file it was started with, if any
 * @param desiredWorkers the workers wanted
 * @param readyWorkers   wanted slots with a ready worker
 * @param summary        the one-line summary systemd shows as STATUS=
 * @param stopping       whether a graceful stop has begun
 * @param listenQueue    connections waiting in the shared socket's accept queue, and its limit (the backlog)
 * @param workers        one row per worker process, and one per slot that has none (waiting, backing off)
 * @param upgrade        the upgrades in place this process went through, and how the last one stands
 * @param adminSocket    the path of the admin socket the master answers on, if the snapshot says
 */
public record StatusSnapshot(int pid, String version, Instant startedAt, long uptimeMillis, String listen,
                             Optional<String> configFile, int desiredWorkers, int readyWorkers, String summary,
                             boolean stopping, Optional<ListenQueueLength> listenQueue, List<WorkerRow> workers,
                             Upgrade upgrade, Optional<String> adminSocket) {

    public StatusSnapshot {
        workers = List.copyOf(workers);
    }

    /** A snapshot that does not say where its admin socket is. */
    public StatusSnapshot(int pid, String version, Instant startedAt, long uptimeMillis, String listen,
                          Optional<String> configFile, int desiredWorkers, int readyWorkers, String summary,
                          boolean stopping, Optional<ListenQueueLength> listenQueue, List<WorkerRow> workers,
                          Upgrade upgrade) {
        this(pid, version, startedAt, uptimeMillis, listen, configFile, desiredWorkers, readyWorkers, summary,
                stopping, listenQueue, workers, upgrade, Optional.empty());
    }

    /** A snapshot of a master that was never upgraded in place. */
    public StatusSnapshot(int pid, String version, Instant startedAt, long uptimeMillis, String listen,
                          Optional<String> configFile, int desiredWorkers, int readyWorkers, String summary,
                          boolean stopping, Optional<ListenQueueLength> listenQueue, List<WorkerRow> workers) {
        this(pid, version, startedAt, uptimeMillis, listen, configFile, desiredWorkers, readyWorkers, summary,
                stopping, listenQueue, workers, Upgrade.NONE);
    }

    /**
     * {@code herd upgrade} as this process went through it.
     *
     * @param count       hand-overs into this process so far (its pid stays the same through each)
     * @param phase       none, checking, replacing, done or failed
     * @param lastFailure why the last upgrade was refused or stopped early
     */
    public record Upgrade(int count, String phase, Optional<String> lastFailure) {
        public static final Upgrade NONE = new Upgrade(0, "none", Optional.empty());
    }

    /** Connections waiting to be accepted, and the most that may wait (the listen backlog). */
    public record ListenQueueLength(long waiting, long limit) {
    }

    /** The restarts of all slots together. */
    public int restarts() {
        return workers.stream().filter(WorkerRow::firstOfSlot).mapToInt(WorkerRow::restarts).sum();
    }
}
