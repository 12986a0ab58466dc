package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * An {@link Os} without processes: it records the signals the loop sends, and a child exits only when the test
 * says so ({@link #exit}). Like waitpid, {@link #reap} reports an exit once; reaping a pid it does not know (or
 * one already reaped) fails with ECHILD. Synchronized so that {@code run()} can be driven from another thread.
 */
final class FakeOs implements Os {

    static final int MASTER_PID = 4242;
    private int pid = MASTER_PID;
    private static final int ECHILD = 10;

    record Kill(int pid, Signal signal) {
    }

    private final Set<Integer> running = new LinkedHashSet<>();
    private final Map<Integer, ExitStatus> exitedNotReaped = new HashMap<>();
    private final List<Kill> kills = new ArrayList<>();
    private final List<Signal> groupSignals = new ArrayList<>();
    private final CountDownLatch groupSignalled = new CountDownLatch(1);
    private ExitStatus exitOnGroupSignal;
    private OsException groupSignalFailure;

    /** Makes the master PID 1, as in a container. */
    synchronized void runAsPid1() {
        pid = 1;
    }

    /** A process the master did not start became its child (an orphan re-parented to PID 1). */
    synchronized void adopt(int orphanPid) {
        running.add(orphanPid);
    }

    /** Whether the pid has been reaped (or never existed). */
    synchronized boolean reaped(int childPid) {
        return !running.contains(childPid) && !exitedNotReaped.containsKey(childPid);
    }

    @Override
    public synchronized List<Integer> children() {
        List<Integer> children = new ArrayList<>(running);
        children.addAll(exitedNotReaped.keySet());
        return children;
    }

    /** Called by the fake spawner: a child with this pid now exists. */
    synchronized void started(int pid) {
        running.add(pid);
    }

    /** The child ends with this status; the next reap(pid) returns it. */
    synchronized void exit(int pid, ExitStatus status) {
        if (!running.remove(pid)) {
            throw new IllegalStateException("pid " + pid + " is not a running child");
        }
        exitedNotReaped.put(pid, status);
    }

    /** From now on, every running child exits with this status as soon as the process group is signalled. */
    synchronized void exitAllOnGroupSignal(ExitStatus status) {
        exitOnGroupSignal = status;
    }

    /** From now on, kill(0, ...) fails with this exception. */
    synchronized void failGroupSignals(OsException failure) {
        groupSignalFailure = failure;
    }

    synchronized List<Kill> kills() {
        return List.copyOf(kills);
    }

    synchronized List<Signal> groupSignals() {
        return List.copyOf(groupSignals);
    }

    /** Counted down by the first kill(0, ...). */
    CountDownLatch groupSignalled() {
        return groupSignalled;
    }

    @Override
    public synchronized boolean kill(int pid, Signal signal) {
        kills.add(new Kill(pid, signal));
        return running.contains(pid) || exitedNotReaped.containsKey(pid);
    }

    @Override
    public synchronized void killProcessGroup(Signal signal) throws OsException {
        if (groupSignalFailure != null) {
            throw groupSignalFailure;
        }
        groupSignals.add(signal);
        groupSignalled.countDown();
        if (exitOnGroupSignal != null) {
            for (int pid : List.copyOf(running)) {
                exit(pid, exitOnGroupSignal);
            }
        }
    }

    @Override
    public synchronized Optional<ExitStatus> reap(int pid) throws OsException {
        if (running.contains(pid)) {
            return Optional.empty();
        }
        ExitStatus status = exitedNotReaped.remove(pid);
        if (status == null) {
            throw new OsException("waitpid(" + pid + ")", ECHILD, "No child processes");
        }
        return Optional.of(status);
    }

    /** The fake group holds only the master and its workers. */
    @Override
    public java.util.List<Integer> strangersInProcessGroup() {
        return java.util.List.of();
    }

    @Override
    public int pid() {
        return pid;
    }
}
