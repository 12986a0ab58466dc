package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The listening socket every worker gets as fd 0: bound by the master, or adopted from systemd. A reload that
 * changes the listen address or backlog binds a new one here; the old one stays open in the master until the
 * rolling restart that moves the workers over has ended ({@link #closeRetired()}), so the old workers drain on
 * it. Used on the master thread only.
 */
final class SharedSocket implements AutoCloseable {

    private final PosixOs os;
    private final boolean fromSystemd;
    private final List<Integer> retired = new ArrayList<>();
    private int fd;
    private ListenAddress configured;
    private int backlog;
    private ListenAddress bound;

    private SharedSocket(PosixOs os, int fd, ListenAddress configured, int backlog, ListenAddress bound,
                         boolean fromSystemd) {
        this.os = os;
        this.fd = fd;
        this.configured = configured;
        this.backlog = backlog;
        this.bound = bound;
        this.fromSystemd = fromSystemd;
    }

    /** Binds {@code listen} (port 0: the kernel picks one, logged by the caller). */
    static SharedSocket bind(PosixOs os, ListenAddress listen, int backlog) throws ConfigException, OsException {
        int fd = os.listenTcp(resolve(listen), listen.port(), backlog);
        return new SharedSocket(os, fd, listen, backlog, new ListenAddress(listen.host(), os.localPort(fd)), false);
    }

    /** A socket systemd passed (socket activation); it is systemd's to change, not a reload's. */
    static SharedSocket adopted(PosixOs os, int fd, ListenAddress bound, ListenAddress configured, int backlog) {
        return new SharedSocket(os, fd, configured, backlog, bound, true);
    }

    int fd() {
        return fd;
    }

    /** The address bound, with the port the kernel chose for port 0. */
    ListenAddress address() {
        return bound;
    }

    boolean fromSystemd() {
        return fromSystemd;
    }

    /** Whether a config with this address and backlog needs a new socket. */
    boolean differsFrom(ListenAddress listen, int listenBacklog) {
        return !listen.equals(configured) || listenBacklog != backlog;
    }

    /**
     * Binds the new address and makes it the one new workers get. The old socket stays open (its workers are
     * still serving on it) until {@link #closeRetired()}. If the bind fails, nothing changes.
     */
    void rebind(ListenAddress listen, int listenBacklog) throws ConfigException, OsException {
        int next = os.listenTcp(resolve(listen), listen.port(), listenBacklog);
        retired.add(fd);
        fd = next;
        configured = listen;
        backlog = listenBacklog;
        bound = new ListenAddress(listen.host(), os.localPort(next));
    }

    /**
     * Closes the master's copy of the sockets replaced by {@link #rebind}. A socket closes for good when its last
     * worker has drained; connections still waiting in its backlog then are reset by the kernel.
     */
    void closeRetired() {
        retired.forEach(this::closeQuietly);
        retired.clear();
    }

    private void closeQuietly(int descriptor) {
        try {
            os.close(descriptor);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }

    private static InetAddress resolve(ListenAddress listen) throws ConfigException {
        try {
            return InetAddress.getByName(listen.host());
        } catch (UnknownHostException e) {
            throw new ConfigException("cannot resolve host '" + listen.host() + "' of listen address " + listen);
        }
    }

    /**
     * For a socket from systemd this drops only our reference: systemd's own copy keeps the socket, and the
     * connections queued in it, for the next master.
     */
    @Override
    public void close() {
        closeRetired();
        closeQuietly(fd);
    }
}
