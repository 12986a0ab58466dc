package dev.herd.supervisor.os;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every operating-system call the master makes, named after the system calls behind it (jnr-posix's POSIX is the
 * model): processes, descriptors, sockets, and the set-up of the master's own process. {@link PosixOs} is the real
 * one and the only code that calls native code; the master loop's unit tests use a fake. A failed call throws
 * {@link OsException} naming the call and the C library's error text; outcomes that are not failures (a child still
 * running, a datagram not yet there) are ordinary return values.
 */
public interface Os {

    // ---- processes ---------------------------------------------------------------------------------------------

    /** This process's pid. */
    int pid();

    /**
     * Starts a process as described and returns its pid. The process leads a process group of its own (pgid =
     * pid), so that {@link #killProcessGroup} reaches whatever it starts and does not move out of the group.
     */
    int spawn(SpawnRequest request) throws OsException;

    /**
     * Puts the calling thread at the lowest CPU priority (SCHED_IDLE and nice 19) for good: what it computes and
     * the processes it starts (which inherit both) then take only CPU that nothing else wants. Best effort.
     */
    default void lowerCurrentThread() {
    }

    /** kill(pid, signal). Returns false if the process no longer exists (ESRCH). */
    boolean kill(int pid, Signal signal) throws OsException;

    /**
     * kill(-pgid, signal): every process in the group. Returns false if the group has no process left (ESRCH).
     */
    boolean killProcessGroup(int pgid, Signal signal) throws OsException;

    /** kill(-pgid, 0): whether the group still holds a process (an unreaped zombie counts). */
    boolean processGroupExists(int pgid) throws OsException;

    /** waitpid(pid, WNOHANG), never waitpid(-1): see {@link ReapResult}. */
    ReapResult reap(int pid) throws OsException;

    /**
     * The pids of this process's children, whoever started them: its workers, the JDK's own children, and orphans
     * re-parented to it (as PID 1, or as a child subreaper).
     */
    List<Integer> children() throws OsException;

    /** A process's group, session and whether it has exited (from /proc/PID/stat); empty once it has gone. */
    Optional<ProcessState> processState(int pid);

    /** A process's resident memory and CPU time (from /proc); empty once it has gone. */
    Optional<ProcessStats> processStats(int pid);

    // ---- descriptors -------------------------------------------------------------------------------------------

    /** A pipe with both ends close-on-exec. */
    Pipe pipe() throws OsException;

    /** read(2): the number of bytes read, 0 at end of file. */
    int read(int fd, byte[] buffer) throws OsException;

    /** write(2) of all of {@code bytes}, or an exception. */
    void write(int fd, byte[] bytes) throws OsException;

    void close(int fd) throws OsException;

    /**
     * poll(2) for input on {@code fds}: sets {@code readable[i]} when {@code fds[i]} has data, reached end of file
     * or failed (each case shows in the next read). Returns the number of such descriptors, 0 on timeout or EINTR.
     */
    int pollReadable(int[] fds, boolean[] readable, int timeoutMillis) throws OsException;

    // ---- sockets -----------------------------------------------------------------------------------------------

    /** socket + SO_REUSEADDR + bind + listen; the descriptor is close-on-exec. */
    int listenTcp(InetAddress address, int port, int backlog) throws OsException;

    /** listen(2) again on a listening socket: Linux applies the new backlog in place. */
    void relisten(int fd, int backlog) throws OsException;

    /** getsockopt(SO_ACCEPTCONN): whether a TCP socket is (still) in the LISTEN state. */
    boolean listening(int fd) throws OsException;

    /**
     * bind + listen of a socket that was listening and was shut down (shutdown(2) of any copy of it, a worker's
     * included): Linux then releases its port but keeps the socket, so binding it again restores it on the same
     * descriptor, which every worker holding a copy shares.
     */
    void listenAgain(int fd, InetSocketAddress address, int backlog) throws OsException;

    /** The address a bound IPv4 or IPv6 socket has (with the port the kernel chose for port 0). */
    InetSocketAddress localAddress(int fd) throws OsException;

    /** Whether a descriptor the master was handed is a listening TCP socket, and its address. */
    InheritedSocket inspectSocket(int fd) throws OsException;

    /**
     * The descriptor of this process's listening Unix stream socket bound to {@code path} (as given to bind), found
     * among /proc/self/fd by getsockname: a socket the JDK opened (the admin socket) does not tell its number.
     * Empty if there is none.
     */
    Optional<Integer> findUnixListener(Path path) throws OsException;

    /**
     * dup2(2): makes {@code to} refer to what {@code from} refers to, closing what {@code to} referred to before;
     * {@code to} is not close-on-exec afterwards.
     */
    void dup2(int from, int to) throws OsException;

    /** The accept queue of a listening TCP socket, from TCP_INFO. */
    ListenQueue listenQueue(int fd) throws OsException;

    /**
     * A Unix datagram socket bound to {@code path}, close-on-exec and non-blocking: a worker's NOTIFY_SOCKET. The
     * path must not exist.
     */
    int bindDatagramSocket(Path path) throws OsException;

    /** An unbound Unix datagram socket for sending, close-on-exec. */
    int openDatagramSocket() throws OsException;

    /**
     * Sends one datagram to {@code socketName}: an absolute path, or {@code @name} in the abstract namespace. Never
     * waits: a receiver whose queue is full (a systemd that does not read) is an error, not a blocked caller.
     */
    void sendDatagram(int fd, String socketName, byte[] message) throws OsException;

    /** Receives one waiting datagram into {@code buffer} and returns its length, or empty if none is waiting. */
    Optional<Integer> receiveDatagram(int fd, byte[] buffer) throws OsException;

    // ---- the master's own process ------------------------------------------------------------------------------

    /**
     * Opens /dev/null on fd 0, 1 or 2 if the master was started with one of them closed, so that no socket or pipe
     * of ours lands there and gets mistaken for stdin or stdout by a child.
     */
    void ensureStandardDescriptors() throws OsException;

    /**
     * Sets a signal that is ignored (nohup, {@code trap '' TERM}) back to its default. The JVM installs no handler
     * for a signal that was ignored at start, and children would inherit the ignore.
     */
    void unignore(Signal signal) throws OsException;

    /**
     * Makes this process the leader of its own process group unless it already leads one, so that kill(0, ...)
     * reaches exactly the master and its workers, not the shell pipeline that started it.
     */
    void becomeProcessGroupLeader() throws OsException;

    int processGroup();

    /**
     * prctl(PR_SET_CHILD_SUBREAPER): orphans among this process's descendants are re-parented to it instead of to
     * PID 1, so that it can find, stop and reap what its workers left behind.
     */
    void becomeChildSubreaper() throws OsException;

    /** Sets close-on-exec on a descriptor the master was handed (socket activation). */
    void setCloseOnExec(int fd) throws OsException;

    /**
     * A memory file (memfd_create) holding {@code contents}, close-on-exec, its offset back at 0: a bounded place to
     * hand data to the program this process execs next (see {@link #execKeeping}), which reads it through
     * /proc/self/fd.
     */
    int memoryFile(String name, byte[] contents) throws OsException;

    /**
     * Replaces this process's program with {@code argv} (execve), keeping its pid, its children and exactly the
     * descriptors in {@code keep}: every other descriptor from 3 up is closed by the exec (the JDK's own are not
     * close-on-exec), and the calling thread's signal mask is emptied first (it survives the exec, and the JVM's
     * main thread would start with SIGQUIT blocked), and HUP, USR1, QUIT, TTIN and TTOU are ignored across the exec
     * (their default action would end or stop the process before the new program handles them). Returns only by
     * throwing, with every descriptor of {@code keep} close-on-exec again, the mask and the handlers restored: the
     * caller goes on as if nothing happened.
     */
    void execKeeping(List<String> argv, Map<String, String> environment, List<Integer> keep) throws OsException;

    /** Removes a variable from this process's C environment (what sd_listen_fds(3) does with LISTEN_*). */
    void unsetenv(String name) throws OsException;

    // ---- users -------------------------------------------------------------------------------------------------

    /** This process's effective uid. */
    int effectiveUid();

    /** getpwnam(3): the account of a user name, as NSS knows it; empty if there is none. */
    Optional<Account> lookUpUser(String name);

    /** getgrnam(3): the gid of a group name; empty if there is none. */
    Optional<Integer> lookUpGroup(String name);

    /** chown(2) of a file the master made, so that a worker running as another user can use it. */
    void chown(Path path, int uid, int gid) throws OsException;

    /**
     * fchown(2) of a pipe the master made: a worker running as another user reopens its pipes through
     * /proc/self/fd, which checks the pipe's owner like a file's.
     */
    void fchown(int fd, int uid, int gid) throws OsException;

    /** A user account: what a worker running as it needs to know. */
    record Account(String name, int uid, int gid, String home) {
    }

    /** A process: its pid, process group and session, and whether it has exited (a zombie, for waitpid). */
    record ProcessState(int pid, int processGroup, int session, boolean exited) {
    }

    /** The two ends of a pipe. */
    record Pipe(int readFd, int writeFd) {
    }

    /** What {@link #inspectSocket} found. */
    record InheritedSocket(boolean socket, boolean tcp, boolean listening, Optional<InetSocketAddress> address) {
    }
}
