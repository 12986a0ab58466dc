package dev.herd.supervisor.os;

import java.lang.ref.Reference;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import jnr.constants.platform.Fcntl;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The real operating system, through jnr-posix and a small libc binding ({@link LibC}). Besides the {@link Os}
 * calls of the master loop it offers the one-time setup steps of a master: standard descriptors, signal
 * dispositions, process group, the listening socket and the lifeline pipe. Linux and glibc only.
 */
public final class PosixOs implements Os {

    private static final int AF_INET = 2;
    private static final int AF_INET6 = 10;
    private static final int SOCK_STREAM = 1;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_RDWR = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_TYPE = 3;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SO_DOMAIN = 39;
    private static final int FD_CLOEXEC = 1;
    private static final int WNOHANG = 1;
    private static final int EINTR = 4;
    private static final int ESRCH = 3;
    private static final int ENOTSOCK = 88;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; sigset_t is 128; generous. */
    private static final int OPAQUE_STRUCT_BYTES = 1024;
    private static final int SIGACTION_BYTES = 256;
    private static final long SIG_IGN = 1;

    private final POSIX posix = POSIXFactory.getNativePOSIX();
    private final LibC libc = LibraryLoader.create(LibC.class).load("c");
    private final jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(libc);

    /** Starts a process as described and returns its pid. */
    public int spawn(SpawnRequest request) throws OsException {
        Pointer fileActions = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        Pointer attributes = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        Pointer emptySet = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        Pointer fullSet = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        List<Pointer> keepAlive = new ArrayList<>();
        check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(fileActions));
        int attributesFailed = libc.posix_spawnattr_init(attributes);
        if (attributesFailed != 0) {
            libc.posix_spawn_file_actions_destroy(fileActions);
            check("posix_spawnattr_init", attributesFailed);
        }
        try {
            // dup2 clears close-on-exec on the target, so the socket and the pipe survive the exec. Then close
            // everything else: the JDK's own descriptors (jars, sockets, pipes) are not close-on-exec, and a
            // worker holding them would, for one, keep an old listening socket open after the master closed it.
            check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, request.stdinFd(), 0));
            check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, request.outputFd(), 1));
            check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, request.outputFd(), 2));
            check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, request.lifelineFd(), 3));
            check("addclosefrom_np", libc.posix_spawn_file_actions_addclosefrom_np(fileActions, 4));
            // A child spawned from a JVM thread inherits that thread's blocked signals (SIGQUIT among them) and
            // any ignored dispositions: start it with an empty mask and every signal at its default.
            libc.sigemptyset(emptySet);
            libc.sigfillset(fullSet);
            check("setsigmask", libc.posix_spawnattr_setsigmask(attributes, emptySet));
            check("setsigdefault", libc.posix_spawnattr_setsigdefault(attributes, fullSet));
            check("setflags", libc.posix_spawnattr_setflags(attributes,
                    (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)));

            Pointer argv = cStringArray(request.argv(), keepAlive);
            Pointer envp = cStringArray(environmentStrings(request.environment()), keepAlive);
            int[] pid = new int[1];
            // posix_spawn returns the error number itself (unlike jnr-posix's posix_spawnp, which loses it).
            int error = libc.posix_spawn(pid, request.executable(), fileActions, attributes, argv, envp);
            if (error != 0) {
                throw new OsException("posix_spawn(" + request.executable() + ")", error, posix.strerror(error));
            }
            return pid[0];
        } finally {
            libc.posix_spawn_file_actions_destroy(fileActions);
            libc.posix_spawnattr_destroy(attributes);
            Reference.reachabilityFence(keepAlive);
        }
    }

    @Override
    public boolean kill(int pid, Signal signal) throws OsException {
        if (posix.kill(pid, signal.number()) == 0) {
            return true;
        }
        int errno = posix.errno();
        if (errno == ESRCH) {
            return false;
        }
        throw failure("kill(" + pid + ", SIG" + signal + ")", errno);
    }

    @Override
    public void killProcessGroup(Signal signal) throws OsException {
        if (posix.kill(0, signal.number()) != 0) {
            throw failure("kill(0, SIG" + signal + ")", posix.errno());
        }
    }

    @Override
    public Optional<ExitStatus> reap(int pid) throws OsException {
        int[] status = new int[1];
        while (true) {
            // waitpid on this one pid, never -1: that would also reap children the JDK started itself.
            int result = posix.waitpid(pid, status, WNOHANG);
            if (result == pid) {
                return Optional.of(ExitStatus.decode(status[0]));
            }
            if (result == 0) {
                return Optional.empty();
            }
            int errno = posix.errno();
            if (errno != EINTR) {
                throw failure("waitpid(" + pid + ")", errno);
            }
        }
    }

    @Override
    public List<Integer> strangersInProcessGroup() {
        int self = posix.getpid();
        int group = posix.getpgrp();
        List<Integer> strangers = new ArrayList<>();
        try (java.util.stream.Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            all.forEach(process -> {
                int pid = (int) process.pid();
                if (pid != self && posix.getpgid(pid) == group && !descendsFrom(process, self)) {
                    strangers.add(pid);
                }
            });
        }
        return strangers;
    }

    @Override
    public List<Integer> children() {
        try (java.util.stream.Stream<ProcessHandle> children = ProcessHandle.current().children()) {
            return children.map(child -> (int) child.pid()).toList();
        }
    }

    private static boolean descendsFrom(ProcessHandle process, long ancestor) {
        for (Optional<ProcessHandle> parent = process.parent(); parent.isPresent(); parent = parent.get().parent()) {
            if (parent.get().pid() == ancestor) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int pid() {
        return posix.getpid();
    }

    /**
     * Opens /dev/null on fd 0, 1 or 2 if the master was started with one of them closed, so that no socket or
     * pipe of ours lands there and gets mistaken for stdin or stdout by a child.
     */
    public void ensureStandardDescriptors() throws OsException {
        for (int fd = 0; fd <= 2; fd++) {
            if (posix.fcntl(fd, Fcntl.F_GETFD) == -1 && posix.open("/dev/null", O_RDWR, 0) == -1) {
                throw failure("open(/dev/null)", posix.errno());
            }
        }
    }

    /**
     * Sets a signal that is ignored (nohup, {@code trap '' TERM}) back to its default. The JVM installs no
     * handler for a signal that was ignored at start, and children would inherit the ignore.
     */
    public void unignore(Signal signal) throws OsException {
        Pointer current = Memory.allocateDirect(runtime, SIGACTION_BYTES, true);
        if (libc.sigaction(signal.number(), null, current) != 0) {
            throw failure("sigaction(SIG" + signal + ")", errno());
        }
        if (current.getAddress(0) == SIG_IGN) {
            Pointer defaults = Memory.allocateDirect(runtime, SIGACTION_BYTES, true); // sa_handler = SIG_DFL (0)
            if (libc.sigaction(signal.number(), defaults, null) != 0) {
                throw failure("sigaction(SIG" + signal + ", SIG_DFL)", errno());
            }
        }
    }

    /**
     * Makes this process the leader of its own process group unless it already leads one, so that kill(0, ...)
     * reaches exactly the master and its workers, not the shell pipeline that started it. A session leader
     * (under systemd, or after setsid) already leads its group; setpgid would fail there with EPERM.
     */
    public void becomeProcessGroupLeader() throws OsException {
        if (posix.getpgrp() != posix.getpid() && posix.setpgid(0, 0) != 0) {
            throw failure("setpgid(0, 0)", posix.errno());
        }
    }

    public int processGroup() {
        return posix.getpgrp();
    }

    /** socket + SO_REUSEADDR + bind + listen; the descriptor is close-on-exec, and spawn dup2s it onto fd 0. */
    public int listenTcp(InetAddress address, int port, int backlog) throws OsException {
        String where = (address instanceof Inet6Address ? "[" + address.getHostAddress() + "]"
                : address.getHostAddress()) + ":" + port;
        int family = address instanceof Inet4Address ? AF_INET : AF_INET6;
        int fd = libc.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket", errno());
        }
        try {
            if (libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, new int[] {1}, 4) != 0) {
                throw failure("setsockopt(SO_REUSEADDR)", errno());
            }
            Pointer sockaddr = socketAddress(address, port);
            if (libc.bind(fd, sockaddr, (int) sockaddr.size()) != 0) {
                throw failure("bind(" + where + ")", errno());
            }
            if (libc.listen(fd, backlog) != 0) {
                throw failure("listen(" + where + ")", errno());
            }
            return fd;
        } catch (OsException e) {
            libc.close(fd);
            throw e;
        }
    }

    /** listen(2) again on a listening socket: Linux applies the new backlog to it in place. */
    public void relisten(int fd, int backlog) throws OsException {
        if (libc.listen(fd, backlog) != 0) {
            throw failure("listen(fd " + fd + ", backlog " + backlog + ")", errno());
        }
    }

    /** The port a listening socket is bound to (the kernel's choice when asked for port 0). */
    public int localPort(int fd) throws OsException {
        Pointer sockaddr = Memory.allocateDirect(runtime, 128, true);
        int[] length = {128};
        if (libc.getsockname(fd, sockaddr, length) != 0) {
            throw failure("getsockname", errno());
        }
        // sin_port and sin6_port both sit at offset 2, in network byte order.
        return ((sockaddr.getByte(2) & 0xff) << 8) | (sockaddr.getByte(3) & 0xff);
    }

    /**
     * Describes a descriptor the master was handed (systemd socket activation): whether it is a listening TCP
     * socket, and its address. A descriptor that is not a socket at all is reported as such, not as an error.
     */
    public InheritedSocket inspectSocket(int fd) throws OsException {
        if (posix.fcntl(fd, Fcntl.F_GETFD) == -1) {
            throw failure("fcntl(" + fd + ", F_GETFD)", posix.errno());
        }
        int[] value = new int[1];
        int[] length = {4};
        if (libc.getsockopt(fd, SOL_SOCKET, SO_TYPE, value, length) != 0) {
            int errno = errno();
            if (errno == ENOTSOCK) {
                return new InheritedSocket(false, false, false, Optional.empty());
            }
            throw failure("getsockopt(" + fd + ", SO_TYPE)", errno);
        }
        boolean stream = value[0] == SOCK_STREAM;
        if (libc.getsockopt(fd, SOL_SOCKET, SO_DOMAIN, value, length) != 0) {
            throw failure("getsockopt(" + fd + ", SO_DOMAIN)", errno());
        }
        boolean inet = value[0] == AF_INET || value[0] == AF_INET6;
        if (libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) != 0) {
            throw failure("getsockopt(" + fd + ", SO_ACCEPTCONN)", errno());
        }
        boolean listening = value[0] != 0;
        return new InheritedSocket(true, stream && inet, listening,
                inet ? Optional.of(localAddress(fd)) : Optional.empty());
    }

    /** What {@link #inspectSocket} found. */
    public record InheritedSocket(boolean socket, boolean tcp, boolean listening,
                                  Optional<java.net.InetSocketAddress> address) {
    }

    /**
     * Sets close-on-exec on a descriptor the master was handed, like every descriptor the master makes itself:
     * spawn dup2s it onto a worker's fd 0, and nothing else the master starts should hold it.
     */
    public void setCloseOnExec(int fd) throws OsException {
        if (posix.fcntl(fd, Fcntl.F_SETFD, FD_CLOEXEC) == -1) {
            throw failure("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)", posix.errno());
        }
    }

    /**
     * Removes a variable from this process's C environment (what sd_listen_fds(1) does with LISTEN_*). The JDK's
     * System.getenv() keeps its own copy taken at start; children get their environment from herd explicitly.
     */
    public void unsetenv(String name) throws OsException {
        if (libc.unsetenv(name) != 0) {
            throw failure("unsetenv(" + name + ")", errno());
        }
    }

    /** The address a bound IPv4 or IPv6 socket has. */
    public java.net.InetSocketAddress localAddress(int fd) throws OsException {
        Pointer sockaddr = Memory.allocateDirect(runtime, 128, true);
        int[] length = {128};
        if (libc.getsockname(fd, sockaddr, length) != 0) {
            throw failure("getsockname", errno());
        }
        int family = sockaddr.getShort(0);
        int port = ((sockaddr.getByte(2) & 0xff) << 8) | (sockaddr.getByte(3) & 0xff);
        byte[] ip = new byte[family == AF_INET ? 4 : 16];
        sockaddr.get(family == AF_INET ? 4 : 8, ip, 0, ip.length);
        try {
            return new java.net.InetSocketAddress(InetAddress.getByAddress(ip), port);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("a 4- or 16-byte address is always valid", e);
        }
    }

    /** A pipe with both ends close-on-exec: {@code [readEnd, writeEnd]}. */
    public int[] pipe() throws OsException {
        int[] fds = new int[2];
        if (libc.pipe2(fds, O_CLOEXEC) != 0) {
            throw failure("pipe2", errno());
        }
        return fds;
    }

    /** read(2): the number of bytes read, 0 at end of file. */
    public int read(int fd, byte[] buffer) throws OsException {
        while (true) {
            int count = posix.read(fd, buffer, buffer.length);
            if (count >= 0) {
                return count;
            }
            int errno = posix.errno();
            if (errno != EINTR) {
                throw failure("read(" + fd + ")", errno);
            }
        }
    }

    public void close(int fd) throws OsException {
        if (libc.close(fd) != 0) {
            throw failure("close(" + fd + ")", errno());
        }
    }

    private Pointer socketAddress(InetAddress address, int port) {
        byte[] ip = address.getAddress();
        if (address instanceof Inet4Address) {
            Pointer sin = Memory.allocateDirect(runtime, 16, true);
            sin.putShort(0, (short) AF_INET); // sa_family is in host byte order
            putPort(sin, port);
            sin.put(4, ip, 0, 4);
            return sin;
        }
        Pointer sin6 = Memory.allocateDirect(runtime, 28, true);
        sin6.putShort(0, (short) AF_INET6);
        putPort(sin6, port);
        sin6.put(8, ip, 0, 16);
        sin6.putInt(24, ((Inet6Address) address).getScopeId());
        return sin6;
    }

    private static void putPort(Pointer sockaddr, int port) {
        sockaddr.putByte(2, (byte) (port >> 8)); // network byte order
        sockaddr.putByte(3, (byte) port);
    }

    private Pointer cStringArray(List<String> strings, List<Pointer> keepAlive) {
        int slot = runtime.addressSize();
        Pointer array = Memory.allocateDirect(runtime, (strings.size() + 1) * slot, true); // NULL-terminated
        for (int i = 0; i < strings.size(); i++) {
            byte[] bytes = strings.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer string = Memory.allocateDirect(runtime, bytes.length + 1, true);
            string.put(0, bytes, 0, bytes.length);
            array.putPointer((long) i * slot, string);
            keepAlive.add(string);
        }
        keepAlive.add(array);
        return array;
    }

    private static List<String> environmentStrings(Map<String, String> environment) {
        List<String> strings = new ArrayList<>(environment.size());
        environment.forEach((name, value) -> strings.add(name + "=" + value));
        return strings;
    }

    private void check(String call, int result) throws OsException {
        if (result != 0) {
            throw new OsException(call, result, posix.strerror(result));
        }
    }

    private int errno() {
        return LastError.getLastError(runtime);
    }

    private OsException failure(String call, int errno) {
        return new OsException(call, errno, posix.strerror(errno));
    }
}
