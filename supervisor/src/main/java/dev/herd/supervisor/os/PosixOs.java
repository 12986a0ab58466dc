package dev.herd.supervisor.os;

import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import jnr.constants.platform.Fcntl;
import jnr.constants.platform.Sysconf;
import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;

/**
 * The real operating system, through jnr-posix and a small libc binding ({@link LibC}). Linux and glibc only.
 * jnr-posix does not clear errno after a successful call: errno is read only after a call reported failure.
 */
public final class PosixOs implements Os {

    private static final int SOCK_STREAM = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_NONBLOCK = 0x800;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int O_CLOEXEC = 0x80000;
    private static final int O_RDWR = 2;
    private static final int SOL_SOCKET = 1;
    private static final int SO_REUSEADDR = 2;
    private static final int SO_TYPE = 3;
    private static final int SO_ACCEPTCONN = 30;
    private static final int SO_DOMAIN = 39;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_INFO = 11;
    /** struct tcp_info: eight one-byte fields, then u32 tcpi_rto, ato, snd_mss, rcv_mss, unacked, sacked, ... */
    private static final int TCPI_UNACKED_OFFSET = 24;
    private static final int TCPI_SACKED_OFFSET = 28;
    private static final int TCP_INFO_BYTES = 256;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_NOSIGNAL = 0x4000;
    private static final short POLLIN = 0x1;
    private static final short POLLERR = 0x8;
    private static final short POLLHUP = 0x10;
    private static final short POLLNVAL = 0x20;
    private static final int POLLFD_BYTES = 8; // struct pollfd { int fd; short events; short revents; }
    private static final int FD_CLOEXEC = 1;
    private static final int WNOHANG = 1;
    private static final int EPERM = 1;
    private static final int ESRCH = 3;
    private static final int PR_SET_CHILD_SUBREAPER = 36;
    private static final int EINTR = 4;
    private static final int EAGAIN = 11;
    private static final int ECHILD = 10;
    private static final int ENOTSOCK = 88;
    private static final short POSIX_SPAWN_SETPGROUP = 0x02;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** Linux's lowest scheduling class: the CPU goes to such a thread only when nothing else wants it. */
    private static final int SCHED_IDLE = 5;
    private static final int PRIO_PROCESS = 0;
    private static final int LOWEST_NICE = 19;
    /** glibc's posix_spawn_file_actions_t is 80 bytes and posix_spawnattr_t 336; sigset_t is 128; generous. */
    private static final int OPAQUE_STRUCT_BYTES = 1024;
    private static final int SIGACTION_BYTES = 256;
    private static final long SIG_IGN = 1;
    private static final int MFD_CLOEXEC = 1;
    private static final int CLOSE_RANGE_CLOEXEC = 4;
    private static final int SIG_SETMASK = 2;

    static {
        // By default jnr writes a bytecode stub with ASM for every function of an interface when it loads it:
        // jnr-posix's libc has hundreds, herd calls a score of them a few times a second. Its reflective loader binds
        // a function at its first call instead, microseconds slower per call: measured, 100 ms less CPU for the
        // master's start and 14 MB less resident memory. Read once, when jnr's loader class initializes, so it is
        // set here before the first use of jnr; -Djnr.ffi.asm.enabled=true still wins.
        if (System.getProperty("jnr.ffi.asm.enabled") == null) {
            System.setProperty("jnr.ffi.asm.enabled", "false");
        }
    }

    private final POSIX posix = POSIXFactory.getNativePOSIX();
    private final LibC libc = LibraryLoader.create(LibC.class).load("c");
    /** sysconf(_SC_PAGESIZE), asked once at the first use: /proc counts resident memory in pages. */
    private long pageSize;
    private final jnr.ffi.Runtime runtime = jnr.ffi.Runtime.getRuntime(libc);

    // ---- processes ---------------------------------------------------------------------------------------------

    @Override
    public int pid() {
        return posix.getpid();
    }

    @Override
    public int spawn(SpawnRequest request) throws OsException {
        return request.background() ? spawnFromALoweredThread(request) : spawnHere(request);
    }

    private int spawnHere(SpawnRequest request) throws OsException {
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
            // The file actions run in order in the child, so a source that is also a lower target (the master's
            // fd 3 meant for the child's fd 4, say) would be overwritten before its turn. Every source is first
            // copied above all sources and targets, then into place. dup2 clears close-on-exec on the copy, so the
            // descriptors survive the exec. Then everything else is closed, the copies included: the JDK's own
            // descriptors (jars, sockets, pipes) are not close-on-exec, and a worker holding them would, for one,
            // keep an old listening socket open after the master closed it.
            List<Integer> sources = request.descriptors();
            int spare = Math.max(sources.stream().mapToInt(Integer::intValue).max().orElse(0), sources.size()) + 1;
            for (int target = 0; target < sources.size(); target++) {
                check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, sources.get(target),
                        spare + target));
            }
            for (int target = 0; target < sources.size(); target++) {
                check("adddup2", libc.posix_spawn_file_actions_adddup2(fileActions, spare + target, target));
            }
            check("addclosefrom_np", libc.posix_spawn_file_actions_addclosefrom_np(fileActions, sources.size()));
            // A child spawned from a JVM thread inherits that thread's blocked signals (SIGQUIT among them) and
            // any ignored dispositions: start it with an empty mask and every signal at its default.
            libc.sigemptyset(emptySet);
            libc.sigfillset(fullSet);
            check("setsigmask", libc.posix_spawnattr_setsigmask(attributes, emptySet));
            check("setsigdefault", libc.posix_spawnattr_setsigdefault(attributes, fullSet));
            // A process group of its own (pgid = its pid): kill(-pid, ...) then reaches every helper process it
            // starts, also after it died, and its helpers cannot be mistaken for the JDK's own children, which
            // stay in the master's group.
            check("setpgroup", libc.posix_spawnattr_setpgroup(attributes, 0));
            check("setflags", libc.posix_spawnattr_setflags(attributes,
                    (short) (POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP)));

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

    /**
     * Spawns from a thread of its own that first lowers itself to SCHED_IDLE and nice 19: the child inherits both
     * from the thread that forks it, before its first instruction, and so does every thread the JVM then makes
     * (both are per thread on Linux: set on the pid afterwards, they would miss threads already made; glibc's
     * posix_spawnattr_setschedpolicy refuses SCHED_IDLE). An unprivileged thread may lower itself but not rise
     * again, hence the throwaway thread. Should the kernel refuse SCHED_IDLE, nice 19 alone is kept.
     */
    @Override
    public void lowerCurrentThread() {
        // who = 0: the calling thread (setpriority's PRIO_PROCESS is per thread on Linux, despite the name).
        posix.setpriority(PRIO_PROCESS, 0, LOWEST_NICE);
        libc.sched_setscheduler(0, SCHED_IDLE, new int[] {0}); // sched_priority must be 0
    }

    private int spawnFromALoweredThread(SpawnRequest request) throws OsException {
        int[] pid = new int[1];
        OsException[] failure = new OsException[1];
        Thread spawner = new Thread(() -> {
            lowerCurrentThread();
            try {
                pid[0] = spawnHere(request);
            } catch (OsException e) {
                failure[0] = e;
            }
        }, "herd-background-spawn");
        spawner.start();
        // Uninterruptibly: the child's pid must come back to be reaped. posix_spawn returns once the child has
        // exec'd, in milliseconds.
        boolean interrupted = false;
        while (spawner.isAlive()) {
            try {
                spawner.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        return pid[0];
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
    public boolean killProcessGroup(int pgid, Signal signal) throws OsException {
        return killGroup(pgid, signal.number(), "SIG" + signal);
    }

    @Override
    public boolean processGroupExists(int pgid) throws OsException {
        return killGroup(pgid, 0, "0");
    }

    /** kill(-pgid, signal): false on ESRCH (no process in the group). */
    private boolean killGroup(int pgid, int signal, String name) throws OsException {
        if (pgid <= 1) {
            throw new IllegalArgumentException("not a process group of a child: " + pgid); // -1 would be everyone
        }
        if (posix.kill(-pgid, signal) == 0) {
            return true;
        }
        int errno = posix.errno();
        if (errno == ESRCH) {
            return false;
        }
        if (signal == 0 && errno == EPERM) {
            return true; // there is a process, of another user
        }
        throw failure("kill(-" + pgid + ", " + name + ")", errno);
    }

    @Override
    public ReapResult reap(int pid) throws OsException {
        int[] status = new int[1];
        while (true) {
            // waitpid on this one pid, never -1: that would also reap children the JDK started itself.
            int result = posix.waitpid(pid, status, WNOHANG);
            if (result == pid) {
                return new ReapResult.Exited(ExitStatus.decode(status[0]));
            }
            if (result == 0) {
                return new ReapResult.Running();
            }
            int errno = posix.errno();
            if (errno == ECHILD) {
                return new ReapResult.NotAChild("waitpid(" + pid + "): " + posix.strerror(errno));
            }
            if (errno != EINTR) {
                throw failure("waitpid(" + pid + ")", errno);
            }
        }
    }

    /**
     * From /proc/self/task/TID/children, every thread's: a child belongs to the thread that started it, and an
     * adopted orphan to any of them. A few small files, not all of /proc.
     */
    @Override
    public List<Integer> children() throws OsException {
        List<Integer> children = new ArrayList<>();
        try (Stream<Path> threads = Files.list(Path.of("/proc/self/task"))) {
            for (Path thread : (Iterable<Path>) threads::iterator) {
                String pids;
                try {
                    pids = Files.readString(thread.resolve("children"), StandardCharsets.US_ASCII).strip();
                } catch (IOException threadGone) {
                    continue;
                }
                for (String pid : pids.isEmpty() ? new String[0] : pids.split(" ")) {
                    children.add(Integer.parseInt(pid));
                }
            }
        } catch (IOException e) {
            throw new OsException("listing /proc/self/task", 0, String.valueOf(e.getMessage())); // EMFILE, say
        }
        return children;
    }

    @Override
    public Optional<ProcessState> processState(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
            // The command name, field 2, may hold blanks and parentheses: count from the last ')'.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            boolean exited = fields[0].equals("Z") || fields[0].equals("X");
            return Optional.of(new ProcessState(pid, Integer.parseInt(fields[2]), Integer.parseInt(fields[3]),
                    exited));
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<ProcessStats> processStats(int pid) {
        if (pageSize == 0) {
            pageSize = posix.sysconf(Sysconf._SC_PAGESIZE);
        }
        return ProcessStats.of(pid, pageSize);
    }

    // ---- descriptors -------------------------------------------------------------------------------------------

    @Override
    public Pipe pipe() throws OsException {
        int[] fds = new int[2];
        if (libc.pipe2(fds, O_CLOEXEC) != 0) {
            throw failure("pipe2", errno());
        }
        return new Pipe(fds[0], fds[1]);
    }

    @Override
    public int read(int fd, byte[] buffer) throws OsException {
        while (true) {
            long count = libc.read(fd, buffer, buffer.length);
            if (count >= 0) {
                return (int) count;
            }
            int errno = errno();
            if (errno != EINTR) {
                throw failure("read(" + fd + ")", errno);
            }
        }
    }

    @Override
    public void write(int fd, byte[] bytes) throws OsException {
        byte[] rest = bytes;
        while (rest.length > 0) {
            long count = libc.write(fd, rest, rest.length);
            if (count < 0) {
                int errno = errno();
                if (errno == EINTR) {
                    continue;
                }
                throw failure("write(" + fd + ")", errno);
            }
            rest = java.util.Arrays.copyOfRange(rest, (int) count, rest.length);
        }
    }

    @Override
    public void close(int fd) throws OsException {
        if (libc.close(fd) != 0) {
            throw failure("close(" + fd + ")", errno());
        }
    }

    @Override
    public int pollReadable(int[] fds, boolean[] readable, int timeoutMillis) throws OsException {
        Pointer pollfds = Memory.allocateDirect(runtime, Math.max(1, fds.length) * POLLFD_BYTES, true);
        for (int i = 0; i < fds.length; i++) {
            pollfds.putInt((long) i * POLLFD_BYTES, fds[i]);
            pollfds.putShort((long) i * POLLFD_BYTES + 4, POLLIN);
        }
        int count = libc.poll(pollfds, fds.length, timeoutMillis);
        if (count < 0) {
            int errno = errno();
            if (errno == EINTR) {
                java.util.Arrays.fill(readable, false);
                return 0;
            }
            throw failure("poll", errno);
        }
        int found = 0;
        for (int i = 0; i < fds.length; i++) {
            short revents = pollfds.getShort((long) i * POLLFD_BYTES + 6);
            readable[i] = (revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
            found += readable[i] ? 1 : 0;
        }
        return found;
    }

    // ---- sockets -----------------------------------------------------------------------------------------------

    @Override
    public int listenTcp(InetAddress address, int port, int backlog) throws OsException {
        String where = (address.getAddress().length == 16 ? "[" + address.getHostAddress() + "]" : address.getHostAddress())
                + ":" + port;
        int family = address.getAddress().length == 4 ? SocketAddresses.AF_INET : SocketAddresses.AF_INET6;
        int fd = libc.socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket", errno());
        }
        try {
            if (libc.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, new int[] {1}, 4) != 0) {
                throw failure("setsockopt(SO_REUSEADDR)", errno());
            }
            Pointer sockaddr = SocketAddresses.inet(runtime, address, port);
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

    @Override
    public void relisten(int fd, int backlog) throws OsException {
        if (libc.listen(fd, backlog) != 0) {
            throw failure("listen(fd " + fd + ", backlog " + backlog + ")", errno());
        }
    }

    @Override
    public boolean listening(int fd) throws OsException {
        int[] value = new int[1];
        int[] length = {4};
        if (libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) != 0) {
            throw failure("getsockopt(" + fd + ", SO_ACCEPTCONN)", errno());
        }
        return value[0] != 0;
    }

    @Override
    public void listenAgain(int fd, InetSocketAddress address, int backlog) throws OsException {
        // Verified on Linux 6.18: after shutdown(SHUT_RDWR) a listen() alone would autobind a new ephemeral port;
        // bind() to the old address first keeps the port.
        String where = address.getAddress().getHostAddress() + ":" + address.getPort();
        Pointer sockaddr = SocketAddresses.inet(runtime, address.getAddress(), address.getPort());
        if (libc.bind(fd, sockaddr, (int) sockaddr.size()) != 0) {
            throw failure("bind(" + where + ")", errno());
        }
        if (libc.listen(fd, backlog) != 0) {
            throw failure("listen(" + where + ")", errno());
        }
    }

    @Override
    public InetSocketAddress localAddress(int fd) throws OsException {
        Pointer sockaddr = Memory.allocateDirect(runtime, 128, true);
        int[] length = {128};
        if (libc.getsockname(fd, sockaddr, length) != 0) {
            throw failure("getsockname", errno());
        }
        return SocketAddresses.decodeInet(sockaddr);
    }

    @Override
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
        boolean inet = value[0] == SocketAddresses.AF_INET || value[0] == SocketAddresses.AF_INET6;
        if (libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, length) != 0) {
            throw failure("getsockopt(" + fd + ", SO_ACCEPTCONN)", errno());
        }
        boolean listening = value[0] != 0;
        return new InheritedSocket(true, stream && inet, listening,
                inet ? Optional.of(localAddress(fd)) : Optional.empty());
    }

    @Override
    public Optional<Integer> findUnixListener(Path path) throws OsException {
        String wanted = path.toString();
        List<Integer> sockets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().startsWith("socket:")) {
                        sockets.add(Integer.parseInt(fd.getFileName().toString()));
                    }
                } catch (IOException closedMeanwhile) {
                    // the listing's own descriptor, or one another thread closed: not ours to find
                }
            }
        } catch (IOException e) {
            throw new OsException("listing /proc/self/fd", 0, String.valueOf(e.getMessage()));
        }
        for (int fd : sockets) {
            Pointer sockaddr = Memory.allocateDirect(runtime, 2 + SocketAddresses.UNIX_PATH_BYTES, true);
            int[] length = {2 + SocketAddresses.UNIX_PATH_BYTES};
            int[] value = new int[1];
            int[] valueLength = {4};
            // A descriptor closed since the listing fails here: skipped like any socket that is not the one.
            if (libc.getsockname(fd, sockaddr, length) == 0
                    && SocketAddresses.decodeUnixPath(sockaddr, length[0]).filter(wanted::equals).isPresent()
                    && libc.getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, value, valueLength) == 0 && value[0] != 0) {
                return Optional.of(fd);
            }
        }
        return Optional.empty();
    }

    @Override
    public void dup2(int from, int to) throws OsException {
        if (libc.dup2(from, to) != to) {
            throw failure("dup2(" + from + ", " + to + ")", errno());
        }
    }

    @Override
    public ListenQueue listenQueue(int fd) throws OsException {
        byte[] info = new byte[TCP_INFO_BYTES];
        int[] length = {TCP_INFO_BYTES};
        if (libc.getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, length) != 0) {
            throw failure("getsockopt(" + fd + ", TCP_INFO)", errno());
        }
        return new ListenQueue(u32(info, TCPI_UNACKED_OFFSET), u32(info, TCPI_SACKED_OFFSET));
    }

    @Override
    public int bindDatagramSocket(Path path) throws OsException {
        int fd = openDatagram(SOCK_NONBLOCK);
        try {
            Pointer address = unixAddress(path.toString());
            if (libc.bind(fd, address, (int) address.size()) != 0) {
                throw failure("bind(" + path + ")", errno());
            }
            return fd;
        } catch (OsException e) {
            libc.close(fd);
            throw e;
        }
    }

    @Override
    public int openDatagramSocket() throws OsException {
        return openDatagram(0);
    }

    private int openDatagram(int flags) throws OsException {
        int fd = libc.socket(SocketAddresses.AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | flags, 0);
        if (fd < 0) {
            throw failure("socket(AF_UNIX, SOCK_DGRAM)", errno());
        }
        return fd;
    }

    @Override
    public void sendDatagram(int fd, String socketName, byte[] message) throws OsException {
        Pointer address = unixAddress(socketName);
        while (true) {
            // MSG_NOSIGNAL: a vanished receiver is an error to report, not a SIGPIPE. MSG_DONTWAIT: a receiver that
            // does not read (its queue full) gets EAGAIN, and the master's loop does not wait on it.
            long sent = libc.sendto(fd, message, message.length, MSG_NOSIGNAL | MSG_DONTWAIT, address,
                    (int) address.size());
            if (sent == message.length) {
                return;
            }
            if (sent >= 0) {
                throw new OsException("sendto(" + socketName + ")", 0, "sent " + sent + " of " + message.length
                        + " bytes");
            }
            int errno = errno();
            if (errno != EINTR) {
                throw failure("sendto(" + socketName + ")", errno);
            }
        }
    }

    @Override
    public Optional<Integer> receiveDatagram(int fd, byte[] buffer) throws OsException {
        while (true) {
            long count = libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT);
            if (count >= 0) {
                return Optional.of((int) count);
            }
            int errno = errno();
            if (errno == EAGAIN) {
                return Optional.empty();
            }
            if (errno != EINTR) {
                throw failure("recv(" + fd + ")", errno);
            }
        }
    }

    private Pointer unixAddress(String socketName) throws OsException {
        try {
            return SocketAddresses.unix(runtime, socketName);
        } catch (IllegalArgumentException e) {
            throw new OsException("socket address", 0, e.getMessage());
        }
    }

    // ---- the master's own process ------------------------------------------------------------------------------

    @Override
    public void ensureStandardDescriptors() throws OsException {
        for (int fd = 0; fd <= 2; fd++) {
            if (posix.fcntl(fd, Fcntl.F_GETFD) == -1 && posix.open("/dev/null", O_RDWR, 0) == -1) {
                throw failure("open(/dev/null)", posix.errno());
            }
        }
    }

    @Override
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
     * A session leader (under systemd, or after setsid) already leads its group; setpgid would fail there with
     * EPERM, hence the check first.
     */
    @Override
    public void becomeProcessGroupLeader() throws OsException {
        if (posix.getpgrp() != posix.getpid() && posix.setpgid(0, 0) != 0) {
            throw failure("setpgid(0, 0)", posix.errno());
        }
    }

    @Override
    public int processGroup() {
        return posix.getpgrp();
    }

    @Override
    public void becomeChildSubreaper() throws OsException {
        if (libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
            throw failure("prctl(PR_SET_CHILD_SUBREAPER)", errno());
        }
    }

    @Override
    public void setCloseOnExec(int fd) throws OsException {
        if (posix.fcntl(fd, Fcntl.F_SETFD, FD_CLOEXEC) == -1) {
            throw failure("fcntl(" + fd + ", F_SETFD, FD_CLOEXEC)", posix.errno());
        }
    }

    @Override
    public int memoryFile(String name, byte[] contents) throws OsException {
        int fd = libc.memfd_create(name, MFD_CLOEXEC);
        if (fd < 0) {
            throw failure("memfd_create(" + name + ")", errno());
        }
        try {
            write(fd, contents);
            if (posix.lseek(fd, 0, 0) != 0) { // SEEK_SET: the reader starts at the beginning
                throw failure("lseek(" + fd + ", 0)", posix.errno());
            }
            return fd;
        } catch (OsException e) {
            libc.close(fd);
            throw e;
        }
    }

    @Override
    public void execKeeping(List<String> argv, Map<String, String> environment, List<Integer> keep)
            throws OsException {
        List<Pointer> keepAlive = new ArrayList<>();
        Pointer argvArray = cStringArray(argv, keepAlive);
        Pointer envp = cStringArray(environmentStrings(environment), keepAlive);
        Pointer emptySet = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        Pointer previousMask = Memory.allocateDirect(runtime, OPAQUE_STRUCT_BYTES, true);
        libc.sigemptyset(emptySet);
        // The JDK opens its jars, lib/modules and sockets without close-on-exec: the new JVM would inherit ~90 of
        // them. close_range marks every descriptor from 3 up (kernel 5.11+), then only what is handed over is
        // cleared again.
        if (libc.close_range(3, -1, CLOSE_RANGE_CLOEXEC) != 0) {
            throw failure("close_range(3, ~0, CLOSE_RANGE_CLOEXEC)", errno());
        }
        try {
            for (int fd : keep) {
                if (posix.fcntl(fd, Fcntl.F_SETFD, 0) == -1) {
                    throw failure("fcntl(" + fd + ", F_SETFD, 0)", posix.errno());
                }
            }
            check("pthread_sigmask(SIG_SETMASK, {})", libc.pthread_sigmask(SIG_SETMASK, emptySet, previousMask));
            Map<Signal, Pointer> handlers = new java.util.EnumMap<>(Signal.class);
            try {
                ignoreAcrossExec(handlers);
                libc.execve(argv.get(0), argvArray, envp); // returns only on failure
                throw failure("execve(" + argv.get(0) + ")", errno());
            } finally {
                handlers.forEach((signal, handler) -> libc.sigaction(signal.number(), handler, null));
                libc.pthread_sigmask(SIG_SETMASK, previousMask, null);
            }
        } finally {
            for (int fd : keep) {
                posix.fcntl(fd, Fcntl.F_SETFD, FD_CLOEXEC);
            }
            Reference.reachabilityFence(keepAlive);
        }
    }

    /**
     * From the exec until the new program has installed its handlers (bash, then a JVM's start: a second or so) a
     * signal finds its default action, and a handler cannot be carried across an exec (blocking does not help
     * either: HotSpot unblocks HUP, INT and TERM in every thread before it installs their handlers). HUP, USR1 and
     * QUIT would end the process, TTIN and TTOU stop it: ignored, which does survive the exec, they are lost
     * instead. Nothing is missed by that: the new master reads its configuration and opens its log file at start.
     * The new JVM installs its handlers over an ignored USR1, TTIN, TTOU and QUIT; herd resets HUP first (see
     * SignalForwarder). TERM and INT keep their default: a stop asked for in that window ends the process (the
     * workers follow through their lifeline). Each handler replaced is put in {@code replaced}.
     */
    private void ignoreAcrossExec(Map<Signal, Pointer> replaced) throws OsException {
        for (Signal signal : new Signal[] {Signal.HUP, Signal.USR1, Signal.QUIT, Signal.TTIN, Signal.TTOU}) {
            Pointer ignore = Memory.allocateDirect(runtime, SIGACTION_BYTES, true);
            ignore.putAddress(0, SIG_IGN);
            Pointer previous = Memory.allocateDirect(runtime, SIGACTION_BYTES, true);
            if (libc.sigaction(signal.number(), ignore, previous) != 0) {
                throw failure("sigaction(SIG" + signal + ", SIG_IGN)", errno());
            }
            replaced.put(signal, previous);
        }
    }

    /** The JDK's System.getenv() keeps its own copy taken at start; children get their environment from herd. */
    @Override
    public void unsetenv(String name) throws OsException {
        if (libc.unsetenv(name) != 0) {
            throw failure("unsetenv(" + name + ")", errno());
        }
    }

    // ---- users -------------------------------------------------------------------------------------------------

    @Override
    public int effectiveUid() {
        return posix.geteuid();
    }

    @Override
    public Optional<Account> lookUpUser(String name) {
        jnr.posix.Passwd account = posix.getpwnam(name);
        return account == null ? Optional.empty() : Optional.of(new Account(account.getLoginName(),
                (int) account.getUID(), (int) account.getGID(), account.getHome()));
    }

    @Override
    public Optional<Integer> lookUpGroup(String name) {
        jnr.posix.Group group = posix.getgrnam(name);
        return group == null ? Optional.empty() : Optional.of((int) group.getGID());
    }

    @Override
    public void chown(Path path, int uid, int gid) throws OsException {
        if (posix.chown(path.toString(), uid, gid) != 0) {
            throw failure("chown(" + path + ", " + uid + ", " + gid + ")", posix.errno());
        }
    }

    @Override
    public void fchown(int fd, int uid, int gid) throws OsException {
        if (posix.fchown(fd, uid, gid) != 0) {
            throw failure("fchown(" + fd + ", " + uid + ", " + gid + ")", posix.errno());
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

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

    private static long u32(byte[] bytes, int offset) {
        return java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.nativeOrder()).getInt(offset) & 0xffffffffL;
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
