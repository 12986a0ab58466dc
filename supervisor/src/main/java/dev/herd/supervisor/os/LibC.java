package dev.herd.supervisor.os;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;

/**
 * The few libc calls jnr-posix does not offer: socket/bind/listen for the shared listening socket (so the master
 * owns a raw descriptor without JDK internals), getsockopt to check a socket systemd passed, unsetenv, pipe2, sigaction to read a disposition, and posix_spawn with our
 * own file actions and attributes, which let us close every inherited descriptor (closefrom) and reset the signal
 * mask, both things jnr-posix's spawn wrapper cannot do. Struct layouts are glibc's on Linux.
 * Public only because jnr-ffi generates its implementation in another class loader; nothing outside this package
 * should use it.
 */
public interface LibC {
    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int option, @In int[] value, int length);

    int bind(int fd, @In Pointer address, int length);

    int listen(int fd, int backlog);

    int getsockname(int fd, @Out Pointer address, int[] length);

    int getsockopt(int fd, int level, int option, @Out int[] value, int[] length);

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

    int posix_spawnattr_setsigmask(Pointer attributes, Pointer signalSet);

    int posix_spawnattr_setsigdefault(Pointer attributes, Pointer signalSet);

    int sigemptyset(Pointer signalSet);

    int sigfillset(Pointer signalSet);
}
