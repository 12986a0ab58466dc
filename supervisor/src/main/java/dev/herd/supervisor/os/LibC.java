package dev.herd.supervisor.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The libc calls jnr-posix does not offer: sockets (TCP for the shared listening socket, so the master owns a raw
 * descriptor without JDK internals; Unix datagrams for sd_notify in both directions, which the JDK lacks), poll for
 * the one thread that reads every worker's notify socket and output, unsetenv, pipe2, sigaction to read a
 * disposition, prctl to become a child subreaper, sched_setscheduler for SCHED_IDLE, memfd_create, close_range,
 * pthread_sigmask and execve for herd's upgrade in place, and posix_spawn with our own file actions and attributes,
 * which
 * let us close every inherited descriptor (closefrom), reset the signal mask and give the child a process group of
 * its own, things jnr-posix's spawn wrapper cannot do. Struct layouts
 * are glibc's on Linux x86-64 and arm64. Public only because jnr-ffi generates its implementation in another class
 * loader; nothing outside this package uses it.
 */
public interface LibC {
    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int option, @In int[] value, int length);

    int bind(int fd, @In Pointer address, int length);

    int listen(int fd, int backlog);

    int getsockname(int fd, @Out Pointer address, int[] length);

    int dup2(int from, int to);

    int getsockopt(int fd, int level, int option, @Out int[] value, int[] length);

    int getsockopt(int fd, int level, int option, @Out byte[] value, int[] length);

    @ssize_t long sendto(int fd, @In byte[] buffer, @size_t long length, int flags, @In Pointer address, int addressLength);

    @ssize_t long recv(int fd, @Out byte[] buffer, @size_t long length, int flags);

    @ssize_t long read(int fd, @Out byte[] buffer, @size_t long length);

    @ssize_t long write(int fd, @In byte[] buffer, @size_t long length);

    int poll(Pointer fds, @size_t long count, int timeoutMillis);

    int unlink(String path);

    int unsetenv(String name);

    int pipe2(@Out int[] fds, int flags);

    int close(int fd);

    int sigaction(int signal, @In Pointer action, @Out Pointer oldAction);

    int posix_spawn(@Out int[] pid, String path, Pointer fileActions, Pointer attributes, Pointer argv,
                    Pointer envp);

    int posix_spawn_file_actions_init(Pointer fileActions);

    int posix_spawn_file_actions_destroy(Pointer fileActions);

    int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

    int posix_spawn_file_actions_addclosefrom_np(Pointer fileActions, int lowFd);

    int posix_spawnattr_init(Pointer attributes);

    int posix_spawnattr_destroy(Pointer attributes);

    int posix_spawnattr_setflags(Pointer attributes, short flags);

    int posix_spawnattr_setpgroup(Pointer attributes, int pgroup);

    int sched_setscheduler(int pid, int policy, @In int[] schedParam);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer signalSet);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signalSet);

    int sigemptyset(Pointer signalSet);

    int sigfillset(Pointer signalSet);

    int memfd_create(String name, int flags);

    int close_range(int first, int last, int flags);

    int pthread_sigmask(int how, Pointer signalSet, Pointer oldSet);

    int execve(String path, Pointer argv, Pointer envp);
}
