package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ListenQueue;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ProcessStats;
import dev.herd.supervisor.spawn.WorkerSpawner;
import dev.herd.supervisor.status.StatusSnapshot;
import dev.herd.supervisor.status.WorkerRow;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Takes a {@link StatusSnapshot} of the master's state, on the loop's thread: one row per worker process (a slot has
 * two during its rolling restart, plus any still on their way out), and one row for a slot with no process
 * (waiting to start, or backing off after failures). Hot spares are rows of slot 0, the bench.
 */
final class StatusReport {

    /** What the report needs of the master's state besides its workers: see {@link MasterLoop#statusReport}. */
    interface Master {
        long now();

        MasterInfo info();

        /** The rules in force: the flapping rule decides which slots show backoff. */
        SupervisionPolicy policy();

        int desiredWorkers();

        /** Wanted slots with a ready worker. */
        int readyWorkers();

        /** The one-line summary systemd shows too. */
        String summary();

        /** Whether the master's stop has begun. */
        boolean stopping();
    }

    /** What the report needs besides the master: the shared socket's address and accept queue. */
    interface Socket {
        String address();

        ListenQueue listenQueue() throws OsException;
    }

    private final Master master;
    private final WorkerPool pool;
    private final Os os;
    private final Socket socket;
    private final Supplier<Optional<Path>> configFile;
    private final Supplier<StatusSnapshot.Upgrade> upgrade;
    private final Optional<Path> adminSocket;

    /**
     * @param pool the workers, read on the loop's thread
     * @param os where each worker's memory and CPU time are read
     * @param adminSocket where the admin socket is (an upgrade may move it: its client follows)
     */
    StatusReport(Master master, WorkerPool pool, Os os, Socket socket, Supplier<Optional<Path>> configFile,
                 Supplier<StatusSnapshot.Upgrade> upgrade, Optional<Path> adminSocket) {
        this.master = master;
        this.pool = pool;
        this.os = os;
        this.socket = socket;
        this.configFile = configFile;
        this.upgrade = upgrade;
        this.adminSocket = adminSocket;
    }

    StatusSnapshot take() {
        long now = master.now();
        MasterInfo info = master.info();
        SupervisionPolicy policy = master.policy();
        List<WorkerRow> rows = new ArrayList<>();
        List<Slot> slots = new ArrayList<>(pool.slots().values());
        // The bench (slot 0) last: the wanted slots first, in order, then the spares.
        slots.sort(java.util.Comparator.comparing((Slot slot) -> slot.number() == WorkerPool.BENCH));
        for (Slot slot : slots) {
            boolean backoff = slot.flapping(now, policy.flappingCrashes(), policy.flappingWindow())
                    || slot.backingOff(now);
            SlotFacts facts = new SlotFacts(slot.restarts(), slot.failuresWithin(now, policy.flappingWindow()),
                    slot.lastExit().map(Object::toString), slot.lastRestartReason().map(RestartReason::label),
                    slot.lastRestartAt(), slot.lastBootError());
            if (slot.isEmpty() && slot.number() != WorkerPool.BENCH) {
                rows.add(new WorkerRow(slot.number(), true, Optional.empty(), backoff ? "backoff" : "starting",
                        Optional.empty(), OptionalLong.empty(), false, OptionalLong.empty(), 0, 0,
                        OptionalLong.empty(), Optional.empty(), Optional.empty(), facts.restarts, facts.crashes,
                        facts.lastExit, facts.lastReason, facts.lastAt, facts.bootError, OptionalLong.empty(),
                        OptionalLong.empty()));
            }
            boolean first = !slot.isEmpty();
            for (WorkerHandle worker : slot.workers()) {
                rows.add(row(worker, first, backoff, facts, now, info));
                first = false;
            }
        }
        Optional<StatusSnapshot.ListenQueueLength> queue;
        try {
            ListenQueue listenQueue = socket.listenQueue();
            queue = Optional.of(new StatusSnapshot.ListenQueueLength(listenQueue.waiting(), listenQueue.limit()));
        } catch (OsException e) {
            queue = Optional.empty();
        }
        return new StatusSnapshot(info.pid(), info.version(), info.startedAt(),
                TimeUnit.NANOSECONDS.toMillis(now - info.startedAtNanos()), socket.address(),
                configFile.get().map(Path::toString), master.desiredWorkers(), master.readyWorkers(), master.summary(),
                master.stopping(), queue, rows, upgrade.get(), adminSocket.map(Path::toString));
    }

    private WorkerRow row(WorkerHandle worker, boolean firstOfSlot, boolean backoff, SlotFacts facts, long now,
                          MasterInfo info) {
        // A flapping slot's worker shows backoff until it is ready: it is the one that keeps dying.
        String state = backoff && worker.state() == WorkerState.STARTING ? "backoff" : worker.state().label();
        WorkerSpawner.Counters counters = pool.counters(worker);
        Optional<ProcessStats> process = os.processStats(worker.pid());
        return new WorkerRow(worker.slot(), firstOfSlot, Optional.of(worker.pid()), state,
                Optional.of(info.wallAt(worker.startedAtNanos())),
                worker.readyAfterNanos().map(n -> OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(n)))
                        .orElse(OptionalLong.empty()),
                worker.watched(), millis(worker.heartbeatAgeNanos(now)), counters.open(),
                Math.max(counters.served(), worker.reportedServed()),
                worker.servedLimit() > 0 ? OptionalLong.of(worker.servedLimit()) : OptionalLong.empty(),
                worker.statusText(), worker.killedBecause(), facts.restarts, facts.crashes, facts.lastExit,
                facts.lastReason, facts.lastAt, facts.bootError,
                process.map(p -> OptionalLong.of(p.residentBytes())).orElse(OptionalLong.empty()),
                process.map(p -> OptionalLong.of(p.cpuMillis())).orElse(OptionalLong.empty()),
                pool.classData(worker));
    }

    private record SlotFacts(int restarts, int crashes, Optional<String> lastExit, Optional<String> lastReason,
                             Optional<Instant> lastAt, Optional<String> bootError) {
    }

    private static OptionalLong millis(OptionalLong nanos) {
        return nanos.isPresent() ? OptionalLong.of(TimeUnit.NANOSECONDS.toMillis(nanos.getAsLong()))
                : OptionalLong.empty();
    }
}
