package dev.herd.supervisor.master;

import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.ListenQueue;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.ProcessStats;
import dev.herd.supervisor.os.ReapResult;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.os.SpawnRequest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
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
 * one already reaped) reports it as not a child. The loop's tests start workers through a {@link FakeSpawner},
 * so the descriptor and socket calls are not faked: they fail the test if the loop ever makes them. Synchronized
 * so that {@code run()} can be driven from another thread.
 */
final class FakeOs implements Os {

    static final int MASTER_PID = 4242;
    private int pid = MASTER_PID;

    record Kill(int pid, Signal signal) {
    }

    private final Set<Integer> running = new LinkedHashSet<>();
    private final Map<Integer, ExitStatus> exitedNotReaped = new HashMap<>();
    private final List<Kill> kills = new ArrayList<>();
    private final List<Kill> groupKills = new ArrayList<>();
    private final Map<Integer, Integer> groups = new HashMap<>();
    private final Map<Integer, Integer> sessions = new HashMap<>();
    private final CountDownLatch terminatedOne = new CountDownLatch(1);
    private final Map<Integer, OsException> reapFailures = new HashMap<>();
    private ExitStatus exitOnTerm;

    private final Map<Integer, ProcessStats> stats = new HashMap<>();

    /** What /proc says about the process with this pid from now on. */
    synchronized void setStats(int childPid, ProcessStats processStats) {
        stats.put(childPid, processStats);
    }

    @Override
    public synchronized Optional<ProcessStats> processStats(int childPid) {
        return Optional.ofNullable(stats.get(childPid));
    }

    /** Makes the master PID 1, as in a container. */
    synchronized void runAsPid1() {
        pid = 1;
    }

    /**
     * A process the master did not start became its child (an orphan re-parented to PID 1), in the master's own
     * process group (as the JDK's own children are).
     */
    synchronized void adopt(int orphanPid) {
        adopt(orphanPid, MASTER_PID);
    }

    /** An orphan in process group {@code pgid} became the master's child. */
    synchronized void adopt(int orphanPid, int pgid) {
        running.add(orphanPid);
        groups.put(orphanPid, pgid);
    }

    /** An orphan that leads a session of its own (setsid) became the master's child. */
    synchronized void adoptSessionLeader(int orphanPid) {
        adopt(orphanPid, orphanPid);
        sessions.put(orphanPid, orphanPid);
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

    @Override
    public synchronized Optional<ProcessState> processState(int childPid) {
        if (childPid == pid) {
            return Optional.of(new ProcessState(pid, MASTER_PID, MASTER_PID, false));
        }
        if (running.contains(childPid)) {
            return Optional.of(new ProcessState(childPid, groupOf(childPid), sessionOf(childPid), false));
        }
        return exitedNotReaped.containsKey(childPid)
                ? Optional.of(new ProcessState(childPid, groupOf(childPid), sessionOf(childPid), true))
                : Optional.empty();
    }

    /** Every child is in the master's session, but for an orphan adopted with a session of its own. */
    private int sessionOf(int child) {
        return sessions.getOrDefault(child, MASTER_PID);
    }

    /** A worker leads its own group; an adopted orphan is in the group it was adopted with. */
    private int groupOf(int child) {
        return groups.getOrDefault(child, child);
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

    /** From now on, every running child exits with this status as soon as it gets SIGTERM. */
    synchronized void exitOnTerm(ExitStatus status) {
        exitOnTerm = status;
    }

    /** From now on, reap(pid) fails with this exception. */
    synchronized void failReap(int childPid, OsException failure) {
        reapFailures.put(childPid, failure);
    }

    synchronized List<Kill> kills() {
        return List.copyOf(kills);
    }

    /** The signals other than SIGTERM sent by pid (SIGKILL, SIGQUIT...). */
    synchronized List<Kill> sigkills() {
        return kills.stream().filter(k -> k.signal() != Signal.TERM).toList();
    }

    /** The SIGTERMs sent by pid. */
    synchronized List<Integer> terminated() {
        return kills.stream().filter(k -> k.signal() == Signal.TERM).map(Kill::pid).toList();
    }

    /** kill(-pgid, ...) calls, as Kill(pgid, signal). */
    synchronized List<Kill> groupKills() {
        return List.copyOf(groupKills);
    }

    /** Counted down by the first SIGTERM. */
    CountDownLatch terminatedOne() {
        return terminatedOne;
    }

    @Override
    public synchronized boolean kill(int pid, Signal signal) {
        kills.add(new Kill(pid, signal));
        if (signal == Signal.TERM) {
            terminatedOne.countDown();
        }
        boolean exists = running.contains(pid) || exitedNotReaped.containsKey(pid);
        if (running.contains(pid) && (signal == Signal.TERM && exitOnTerm != null || signal == Signal.KILL
                && groups.containsKey(pid))) {
            exit(pid, signal == Signal.TERM ? exitOnTerm : ExitStatus.decode(Signal.KILL.number()));
        }
        return exists;
    }

    @Override
    public synchronized boolean killProcessGroup(int pgid, Signal signal) {
        groupKills.add(new Kill(pgid, signal));
        return processGroupExists(pgid);
    }

    @Override
    public synchronized boolean processGroupExists(int pgid) {
        return java.util.stream.Stream.concat(running.stream(), exitedNotReaped.keySet().stream())
                .anyMatch(child -> groupOf(child) == pgid);
    }

    @Override
    public void becomeChildSubreaper() {
        throw notFaked();
    }

    @Override
    public synchronized ReapResult reap(int pid) throws OsException {
        if (reapFailures.containsKey(pid)) {
            throw reapFailures.get(pid);
        }
        if (running.contains(pid)) {
            return new ReapResult.Running();
        }
        ExitStatus status = exitedNotReaped.remove(pid);
        if (status == null) {
            return new ReapResult.NotAChild("waitpid(" + pid + "): No child processes");
        }
        return new ReapResult.Exited(status);
    }

    @Override
    public int pid() {
        return pid;
    }

    // ---- not used by the loop: a call fails the test ------------------------------------------------------------

    private static UnsupportedOperationException notFaked() {
        return new UnsupportedOperationException("the loop's tests spawn through FakeSpawner");
    }

    @Override
    public int spawn(SpawnRequest request) {
        throw notFaked();
    }

    @Override
    public Pipe pipe() {
        throw notFaked();
    }

    @Override
    public int read(int fd, byte[] buffer) {
        throw notFaked();
    }

    @Override
    public void write(int fd, byte[] bytes) {
        throw notFaked();
    }

    @Override
    public void close(int fd) {
        if (fd != 99) { // the memory file's: see memoryFile
            throw notFaked();
        }
    }

    @Override
    public int pollReadable(int[] fds, boolean[] readable, int timeoutMillis) {
        throw notFaked();
    }

    @Override
    public int listenTcp(InetAddress address, int port, int backlog) {
        throw notFaked();
    }

    @Override
    public void relisten(int fd, int backlog) {
        throw notFaked();
    }

    @Override
    public boolean listening(int fd) {
        throw notFaked();
    }

    @Override
    public void listenAgain(int fd, InetSocketAddress address, int backlog) {
        throw notFaked();
    }

    @Override
    public InetSocketAddress localAddress(int fd) {
        throw notFaked();
    }

    @Override
    public InheritedSocket inspectSocket(int fd) {
        throw notFaked();
    }

    @Override
    public Optional<Integer> findUnixListener(Path path) {
        throw notFaked();
    }

    @Override
    public void dup2(int from, int to) {
        throw notFaked();
    }

    @Override
    public ListenQueue listenQueue(int fd) {
        throw notFaked();
    }

    @Override
    public int bindDatagramSocket(Path path) {
        throw notFaked();
    }

    @Override
    public int openDatagramSocket() {
        throw notFaked();
    }

    @Override
    public void sendDatagram(int fd, String socketName, byte[] message) {
        throw notFaked();
    }

    @Override
    public Optional<Integer> receiveDatagram(int fd, byte[] buffer) {
        throw notFaked();
    }

    @Override
    public void ensureStandardDescriptors() {
        throw notFaked();
    }

    @Override
    public void unignore(Signal signal) {
        throw notFaked();
    }

    @Override
    public void becomeProcessGroupLeader() {
        throw notFaked();
    }

    @Override
    public int processGroup() {
        return MASTER_PID;
    }

    @Override
    public void setCloseOnExec(int fd) {
        throw notFaked();
    }

    @Override
    public void unsetenv(String name) {
        throw notFaked();
    }

    /** What the last {@link #memoryFile} held; an exec then fails (ENOENT), as with a missing program. */
    byte[] memoryFileContents;
    /** The last exec asked for: its argv, environment and the descriptors it was to keep. */
    List<String> execArgv;
    Map<String, String> execEnvironment;
    List<Integer> execKept;

    @Override
    public int memoryFile(String name, byte[] contents) {
        memoryFileContents = contents.clone();
        return 99;
    }

    @Override
    public void execKeeping(List<String> argv, Map<String, String> environment, List<Integer> keep)
            throws OsException {
        execArgv = List.copyOf(argv);
        execEnvironment = Map.copyOf(environment);
        execKept = List.copyOf(keep);
        throw new OsException("execve(" + argv.get(0) + ")", 2, "No such file or directory");
    }

    @Override
    public int effectiveUid() {
        return 0;
    }

    @Override
    public Optional<Account> lookUpUser(String name) {
        throw notFaked();
    }

    @Override
    public Optional<Integer> lookUpGroup(String name) {
        throw notFaked();
    }

    @Override
    public void chown(Path path, int uid, int gid) {
        throw notFaked();
    }

    @Override
    public void fchown(int fd, int uid, int gid) {
        throw notFaked();
    }
}
