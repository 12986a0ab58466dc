package dev.herd.supervisor.master;

import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.spawn.Notification;
import dev.herd.supervisor.spawn.WorkerSpawner;
import java.util.Optional;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link WorkerSpawner} that hands out increasing pids (1001, 1002, ...), registers each as a running child of
 * the {@link FakeOs}, and records every call. It can be told to fail the next spawns of a slot, to start JVMs
 * (which get SIGQUIT before SIGKILL when hung), and what a worker's output said.
 */
final class FakeSpawner implements WorkerSpawner {

    static final int FIRST_PID = 1001;
    private static final int EAGAIN = 11;

    private final FakeOs os;
    private final List<Integer> attempts = new ArrayList<>();
    private final List<Integer> spawnedPids = new ArrayList<>();
    private final Map<Integer, Integer> failuresLeftBySlot = new HashMap<>();
    private final Map<Integer, Integer> serials = new HashMap<>();
    private final Map<Integer, Long> served = new HashMap<>();
    private final List<Integer> released = new ArrayList<>();
    private final Map<Integer, OutputFacts> outputs = new HashMap<>();
    private final List<List<Integer>> promotions = new ArrayList<>();
    private final List<Integer> readyHooks = new ArrayList<>();
    private final List<Integer> otherNotified = new ArrayList<>();
    private int otherSupervisions;
    private boolean othersStopped;
    private boolean refusePromotions;
    private boolean jvm;
    private RuntimeException bug;
    private int nextPid = FIRST_PID;

    FakeSpawner(FakeOs os) {
        this.os = os;
    }

    /** The next {@code times} spawns for this slot throw an OsException. */
    synchronized void failNextSpawns(int slot, int times) {
        failuresLeftBySlot.put(slot, times);
    }

    /** The next spawn throws this, as a bug in the spawner would (not an OsException). */
    synchronized void throwOnNextSpawn(RuntimeException e) {
        bug = e;
    }

    /** From now on, spawned workers are JVMs (or not). */
    synchronized void spawnJvms(boolean jvms) {
        jvm = jvms;
    }

    @Override
    public synchronized Spawned spawn(int slot, int serial) throws OsException {
        attempts.add(slot);
        if (bug != null) {
            RuntimeException thrown = bug;
            bug = null;
            throw thrown;
        }
        int failuresLeft = failuresLeftBySlot.getOrDefault(slot, 0);
        if (failuresLeft > 0) {
            failuresLeftBySlot.put(slot, failuresLeft - 1);
            throw new OsException("posix_spawn", EAGAIN, "Resource temporarily unavailable");
        }
        int pid = nextPid++;
        os.started(pid);
        spawnedPids.add(pid);
        serials.put(pid, serial);
        return new Spawned(pid, jvm);
    }

    @Override
    public synchronized Spawned spawnSpare(int serial) throws OsException {
        return spawn(BENCH, serial);
    }

    @Override
    public synchronized void promote(int serial, int slot) throws OsException {
        if (!serials.containsValue(serial)) {
            throw new IllegalStateException("no worker serial " + serial);
        }
        if (refusePromotions) {
            throw new OsException("write", 32, "Broken pipe");
        }
        promotions.add(List.of(serial, slot));
    }

    /** From now on promotions fail, as with a spare that has exited. */
    synchronized void refusePromotions() {
        refusePromotions = true;
    }

    /** Every promotion: [serial, slot], in order. */
    synchronized List<List<Integer>> promotions() {
        return List.copyOf(promotions);
    }

    @Override
    public synchronized Counters counters(int serial) {
        return new Counters(0, served.getOrDefault(serial, 0L));
    }

    @Override
    public synchronized OutputFacts outputFacts(int serial) {
        return outputs.getOrDefault(serial, OutputFacts.NONE);
    }

    /** What the worker with this pid wrote, as the output relay would have seen it. */
    synchronized void wrote(int pid, Optional<String> rootCause, boolean outOfMemory) {
        outputs.put(serialOf(pid), new OutputFacts(rootCause, outOfMemory));
    }

    /** The worker with this pid said STOPPING=1, as the output relay saw it (the loop has not handled it yet). */
    synchronized void saidStopping(int pid) {
        OutputFacts known = outputs.getOrDefault(serialOf(pid), OutputFacts.NONE);
        outputs.put(serialOf(pid), new OutputFacts(known.rootCause(), known.outOfMemory(), true));
    }

    @Override
    public synchronized void release(int serial) {
        released.add(serial);
    }

    /** The serial the loop gave the worker with this pid. */
    synchronized int serialOf(int pid) {
        return serials.get(pid);
    }

    /** What the worker with this pid has served, as its stats file would say. */
    synchronized void setServed(int pid, long count) {
        served.put(serialOf(pid), count);
    }

    /** The serials of the workers released (reaped), in order. */
    @Override
    public synchronized void workerReady(int serial, int pid) {
        readyHooks.add(pid);
    }

    @Override
    public synchronized boolean otherProcessNotified(int serial, List<Notification> notifications) {
        otherNotified.add(serial);
        return true;
    }

    @Override
    public synchronized void superviseOthers() {
        otherSupervisions++;
    }

    @Override
    public synchronized void stopOthers() {
        othersStopped = true;
    }

    /** The pids the loop told {@link #workerReady} about, in order. */
    synchronized List<Integer> readyHooks() {
        return List.copyOf(readyHooks);
    }

    /** Serials of notifications that were no worker's. */
    synchronized List<Integer> otherNotified() {
        return List.copyOf(otherNotified);
    }

    synchronized int otherSupervisions() {
        return otherSupervisions;
    }

    synchronized boolean othersStopped() {
        return othersStopped;
    }

    synchronized List<Integer> released() {
        return List.copyOf(released);
    }

    /** The slot of every spawn call, failed ones included, in order. */
    synchronized List<Integer> attempts() {
        return List.copyOf(attempts);
    }

    /** How many workers were started successfully. */
    synchronized int spawned() {
        return spawnedPids.size();
    }
}
