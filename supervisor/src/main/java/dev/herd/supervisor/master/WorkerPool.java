package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ReapResult;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.spawn.WorkerSpawner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The slots and the worker processes in them: starting a worker into a slot, signalling and reaping workers, and
 * forgetting a reaped one. What a worker's exit means is the loop's to decide; the pool only reports it. Slot 0
 * is the bench: the hot spares (spareWorkers) wait there, warm, until one is promoted into a wanted slot (1..N).
 * Used on the master thread only.
 */
final class WorkerPool {

    /** The bench's slot number: see {@link WorkerSpawner#BENCH}. */
    static final int BENCH = WorkerSpawner.BENCH;

    /** A worker the pool reaped: the slot it was in, how it ended, and what its output said about that. */
    record Exit(Slot slot, WorkerHandle worker, ExitStatus status, WorkerSpawner.OutputFacts output) {
    }

    private final Os os;
    private final WorkerSpawner spawner;
    private final SortedMap<Integer, Slot> slots = new TreeMap<>();
    private final Map<Integer, WorkerHandle> bySerial = new HashMap<>();
    private final Map<RestartReason, Long> restartCounts = new EnumMap<>(RestartReason.class);
    private int nextSerial = 1;

    WorkerPool(Os os, WorkerSpawner spawner) {
        this.os = os;
        this.spawner = spawner;
    }

    /** The slots by number; read-only for callers outside the pool except through its methods. */
    SortedMap<Integer, Slot> slots() {
        return slots;
    }

    Slot slot(int number, long nowNanos) {
        return slots.computeIfAbsent(number, n -> new Slot(n, nowNanos));
    }

    /** Slots above {@code count} (the wanted ones) still holding a process: draining after a scale-down. */
    int surplusSlots(int count) {
        return slots.tailMap(count + 1).size();
    }

    /** Forgets the slots above {@code count} that no longer hold a process (after a scale-down). */
    void dropEmptySlotsAbove(int count) {
        slots.tailMap(count + 1).values().removeIf(Slot::isEmpty);
    }

    Optional<WorkerHandle> bySerial(int serial) {
        return Optional.ofNullable(bySerial.get(serial));
    }

    /** The serial the next worker will get: every worker started before now has a lower one. */
    int nextSerial() {
        return nextSerial;
    }

    Collection<WorkerHandle> all() {
        return List.copyOf(bySerial.values());
    }

    int live() {
        return bySerial.size();
    }

    /**
     * The most worker processes the pool runs at once, whatever its workers say: its wanted workers and spares,
     * and one more, the replacement of one rolling step (or of a worker on its way out). Every process that still
     * runs code counts, whatever its state: starting, ready, warm on the bench, draining. A process already sent
     * SIGKILL does not: it runs no more code, and its replacement must not wait for its reap. The master's stop
     * starts nothing, so the bound never holds it up; adopting the workers of an upgrade starts nothing either.
     */
    static int maxProcesses(int workers, int spares) {
        return workers + spares + 1;
    }

    /** Its processes that still run code: every one not yet sent SIGKILL (see {@link #maxProcesses}). */
    int running() {
        return (int) bySerial.values().stream().filter(w -> w.state() != WorkerState.KILLED).count();
    }

    /** Whether one more process may start while the pool runs at most {@code maxProcesses}. */
    boolean hasRoom(int maxProcesses) {
        return running() < maxProcesses;
    }

    /**
     * Whether {@link #startInto} with {@code minSerial} can fill a slot now without the pool running more than
     * {@code maxProcesses}: a warm spare to promote (no new process), or room for a new one.
     */
    boolean canStart(int maxProcesses, int minSerial) {
        return hasRoom(maxProcesses) || spares().stream()
                .anyMatch(spare -> spare.state() == WorkerState.SPARE && spare.serial() >= minSerial);
    }

    /**
     * Wanted slots (1..{@code desired}) that no process holds and whose backoff is over: each starts a worker as
     * soon as the pool has room, before a rolling restart's next replacement does.
     */
    int slotsToFill(int desired, long nowNanos) {
        return (int) slots.headMap(desired + 1).values().stream()
                .filter(slot -> slot.number() != BENCH && !slot.isHeld() && !slot.backingOff(nowNanos)).count();
    }

    /** Wanted slots (1..{@code desired}) with a ready worker. */
    int ready(int desired) {
        return (int) slots.values().stream()
                .filter(slot -> slot.number() != BENCH && slot.number() <= desired && slot.hasReadyWorker()).count();
    }

    /** Whether every wanted slot has a ready worker: then, and only then, spares are worth their CPU. */
    boolean allReady(int desired) {
        return ready(desired) == desired;
    }

    /** The hot spares on the bench that are starting or warm (not those on their way out). */
    List<WorkerHandle> spares() {
        Slot bench = slots.get(BENCH);
        return bench == null ? List.of() : bench.workers().stream()
                .filter(w -> w.state() == WorkerState.STARTING || w.state() == WorkerState.SPARE).toList();
    }

    /** Starts a hot spare on the bench (slot 0); it says when it is warm, and waits for {@link #startInto}. */
    WorkerHandle spawnSpare(SupervisionPolicy policy, long nowNanos) throws OsException {
        Slot bench = slot(BENCH, nowNanos);
        int serial = nextSerial++;
        WorkerSpawner.Spawned spawned = spawner.spawnSpare(serial);
        WorkerHandle spare = new WorkerHandle(BENCH, serial, spawned.pid(), spawned.jvm(), nowNanos,
                nowNanos + policy.readyTimeout().toNanos(), servedLimit(policy), policy.heartbeatTimeout().toNanos());
        bench.add(spare);
        bySerial.put(serial, spare);
        Log.info("started a spare (pid %d)", spawned.pid());
        return spare;
    }

    /**
     * Fills {@code slot}: with a warm spare started at or after {@code minSerial}, promoted, when there is one (it
     * is ready within milliseconds), else with a new worker process.
     */
    WorkerHandle startInto(Slot slot, SupervisionPolicy policy, long nowNanos, int minSerial) throws OsException {
        for (WorkerHandle spare : spares()) {
            if (spare.state() == WorkerState.SPARE && spare.serial() >= minSerial) {
                try {
                    spawner.promote(spare.serial(), slot.number());
                } catch (OsException e) {
                    Log.warn("the spare (pid %d) did not take its promotion (%s: it has exited); starting a worker "
                            + "instead", spare.pid(), e.getMessage());
                    // No second try: its promotion pipe is closed. SIGKILL, harmless if it is gone, takes it off
                    // the bench now; its reap follows.
                    kill(spare, "did not take its promotion", RestartReason.SCALE);
                    continue;
                }
                slots.get(BENCH).release(spare);
                spare.promote(slot.number(), nowNanos, nowNanos + policy.readyTimeout().toNanos());
                slot.add(spare);
                Log.info("promoted the spare (pid %d) to worker-%d", spare.pid(), slot.number());
                return spare;
            }
        }
        return spawnInto(slot, policy, nowNanos);
    }

    /**
     * Takes over a worker of the master this one was upgraded from (see {@link Upgrader}): into its slot, ready if
     * it was ready then (it has served all along), else starting. Serials go on above it: its notify socket and
     * counters file are named by its serial.
     */
    WorkerHandle adopt(HandOver.Worker adopted, SupervisionPolicy policy, long nowNanos) {
        WorkerHandle worker = new WorkerHandle(adopted.slot(), adopted.serial(), adopted.pid(), adopted.jvm(),
                nowNanos, nowNanos + policy.readyTimeout().toNanos(), 0, policy.heartbeatTimeout().toNanos());
        if (adopted.ready()) {
            worker.ready(nowNanos);
        }
        slot(adopted.slot(), nowNanos).add(worker);
        bySerial.put(adopted.serial(), worker);
        nextSerial = Math.max(nextSerial, adopted.serial() + 1);
        Log.info("adopted %s from the master before the upgrade", worker);
        return worker;
    }

    /**
     * Starts a worker into {@code slot}. Its served limit is maxRequests plus a random jitter, so that workers
     * started together do not all recycle at once.
     */
    WorkerHandle spawnInto(Slot slot, SupervisionPolicy policy, long nowNanos) throws OsException {
        int serial = nextSerial++;
        WorkerSpawner.Spawned spawned = spawner.spawn(slot.number(), serial);
        WorkerHandle worker = new WorkerHandle(slot.number(), serial, spawned.pid(), spawned.jvm(), nowNanos,
                nowNanos + policy.readyTimeout().toNanos(), servedLimit(policy), policy.heartbeatTimeout().toNanos());
        slot.add(worker);
        bySerial.put(serial, worker);
        Log.info("started worker-%d (pid %d)", slot.number(), spawned.pid());
        return worker;
    }

    private static long servedLimit(SupervisionPolicy policy) {
        return policy.maxRequests() == 0 ? 0
                : policy.maxRequests() + ThreadLocalRandom.current().nextLong(policy.maxRequestsJitter() + 1);
    }

    /**
     * A worker of {@code slot} failed for {@code reason}: the slot counts it and returns its backoff delay (see
     * {@link Slot#failed}); the restart is counted by reason.
     */
    Duration failed(Slot slot, RestartReason reason, long uptimeNanos, long nowNanos, Instant wallNow,
                    Duration window) {
        restartCounts.merge(reason, 1L, Long::sum);
        slot.replaced(reason, wallNow);
        // A worker that never became ready did not run stably, however long its boot took (a slow app, a loaded
        // machine): its failures keep adding up, so that the slot backs off instead of retrying at once forever.
        return slot.failed(reason == RestartReason.BOOT_FAILURE ? 0 : uptimeNanos, nowNanos, window);
    }

    /** A worker of {@code slot} is being replaced or stopped on purpose: counted by reason, shown in status. */
    void replaced(Slot slot, RestartReason reason, Instant wallNow) {
        restartCounts.merge(reason, 1L, Long::sum);
        slot.replaced(reason, wallNow);
    }

    /** How many workers were replaced or stopped for each reason since the master started. */
    Map<RestartReason, Long> restartCounts() {
        return Map.copyOf(restartCounts);
    }

    void kill(WorkerHandle worker, String why, RestartReason reason) {
        worker.killed(why, reason);
        signal(worker, Signal.KILL);
    }

    void signal(WorkerHandle worker, Signal signal) {
        try {
            os.kill(worker.pid(), signal);
        } catch (OsException e) {
            Log.error("%s: %s", worker, e.getMessage());
        }
    }

    /**
     * Reaps every worker that has exited, each by its pid (never waitpid(-1), which would steal the exits of
     * processes the JDK started), and forgets it. A pid that is no longer our child is forgotten too: nothing can
     * bring it back.
     */
    List<Exit> reap() {
        List<Exit> exits = new ArrayList<>();
        for (Slot slot : slots.values()) {
            for (WorkerHandle worker : List.copyOf(slot.workers())) {
                ReapResult result;
                try {
                    result = os.reap(worker.pid());
                } catch (OsException e) {
                    Log.error("%s: %s; trying again", worker, e.getMessage());
                    continue;
                }
                if (result instanceof ReapResult.Exited exited) {
                    WorkerSpawner.OutputFacts output = spawner.outputFacts(worker.serial()); // before release
                    forget(slot, worker, Optional.of(exited.status()));
                    exits.add(new Exit(slot, worker, exited.status(), output));
                } else if (result instanceof ReapResult.NotAChild notAChild) {
                    Log.error("%s: %s; forgetting this worker", worker, notAChild.reason());
                    forget(slot, worker, Optional.empty());
                }
            }
        }
        return exits;
    }

    /** Whether {@code pid} is one of our workers (orphan reaping leaves those to {@link #reap()}). */
    boolean isWorker(int pid) {
        return bySerial.values().stream().anyMatch(w -> w.pid() == pid);
    }

    private void forget(Slot slot, WorkerHandle worker, Optional<ExitStatus> status) {
        worker.exited();
        slot.remove(worker, status);
        bySerial.remove(worker.serial());
        spawner.release(worker.serial());
    }

    /** What class data the worker started with ("app"), if any. */
    Optional<String> classData(WorkerHandle worker) {
        return spawner.classData(worker.serial());
    }

    WorkerSpawner.Counters counters(WorkerHandle worker) {
        return spawner.counters(worker.serial());
    }

    /** What the worker has served: its counters file, or what it reported through X_HERD_SERVED=. */
    long served(WorkerHandle worker) {
        return Math.max(spawner.counters(worker.serial()).served(), worker.reportedServed());
    }
}
