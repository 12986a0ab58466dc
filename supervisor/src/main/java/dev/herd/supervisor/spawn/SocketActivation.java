package dev.herd.supervisor.spawn;

import dev.herd.config.ConfigException;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Os;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;

/**
 * systemd socket activation (sd_listen_fds(3)): when {@code LISTEN_PID} is this process and {@code LISTEN_FDS} is
 * 1, the listening socket is fd 3, bound by systemd (herd.socket) or systemd-socket-activate, and the master
 * adopts it instead of binding. systemd keeps its own copy of the socket across restarts of the service, so
 * connections that arrive while no master runs wait in its backlog and are served by the next master; the
 * master's own close at exit only drops its reference.
 * <p>
 * fd 3 is free for this: systemd places the sockets before it execs the launcher, so the JVM opens its own files
 * above them. A LISTEN_PID that is another process's means the variables were inherited by mistake: they are
 * ignored, as sd_listen_fds does.
 */
public final class SocketActivation {

    static final int FIRST_FD = 3; // SD_LISTEN_FDS_START

    /** A socket systemd passed and the master adopted. */
    public record Adopted(int fd, InetSocketAddress address) {
    }

    private SocketActivation() {
    }

    /**
     * The socket passed to this process, checked and made close-on-exec, with LISTEN_* removed from the
     * environment; empty when none was passed.
     *
     * @throws ConfigException if the passed sockets are not exactly one listening TCP socket (a herd.socket with
     *                         two ListenStream= lines or a ListenDatagram=): a deployment error, exit 78, which
     *                         the unit's RestartPreventExitStatus= keeps from a restart loop
     */
    public static Optional<Adopted> adopt(Os os, Map<String, String> environment) throws ConfigException, OsException {
        String listenPid = environment.get("LISTEN_PID");
        String listenFds = environment.get("LISTEN_FDS");
        if (listenPid == null || listenFds == null || !listenPid.equals(Integer.toString(os.pid()))) {
            return Optional.empty();
        }
        for (String name : new String[] {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"}) {
            os.unsetenv(name);
        }
        int count;
        try {
            count = Integer.parseInt(listenFds);
        } catch (NumberFormatException e) {
            throw new ConfigException("LISTEN_FDS=" + listenFds + " is not a number of sockets");
        }
        if (count == 0) {
            return Optional.empty();
        }
        if (count != 1) {
            // One master serves one socket. Picking the first would silently ignore an address the unit names.
            throw new ConfigException("systemd passed " + count + " sockets (LISTEN_FDS=" + count
                    + "); herd serves exactly one: give herd.socket a single ListenStream=");
        }
        Os.InheritedSocket socket = os.inspectSocket(FIRST_FD);
        if (!socket.socket() || !socket.tcp() || !socket.listening() || socket.address().isEmpty()) {
            throw new ConfigException("the socket systemd passed on fd " + FIRST_FD + " is not a listening TCP socket"
                    + " (" + (socket.socket() ? socket.tcp() ? "not listening" : "not TCP" : "not a socket")
                    + "): herd.socket needs ListenStream=");
        }
        os.setCloseOnExec(FIRST_FD);
        return Optional.of(new Adopted(FIRST_FD, socket.address().get()));
    }
}
