package dev.herd.supervisor.spawn;

import dev.herd.config.ConfigException;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Os;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The listening socket every worker gets as fd 0: bound by the master, or adopted from systemd. A reload that
 * changes the listen address or backlog binds a new one here; the old one stays open in the master until the
 * rolling restart that moves the workers over has ended ({@link #moveDone(boolean)}), so the old workers drain on
 * it; if that restart fails, the old socket becomes the current one again. Used on the master thread only.
 */
public final class SharedSocket implements AutoCloseable {

    private final Os os;
    private final boolean fromSystemd;
    private Retired retired;
    /** The backlog before a rebind that changed only the backlog, until the reload that asked for it is applied. */
    private Integer relistenedFrom;
    private int fd;
    private ListenAddress configured;
    private int backlog;
    private ListenAddress bound;
    /** A restore failed and was logged: not logged again until the socket listens. */
    private boolean restoreFailing;

    private SharedSocket(Os os, int fd, ListenAddress configured, int backlog, ListenAddress bound,
                         boolean fromSystemd) {
        this.os = os;
        this.fd = fd;
        this.configured = configured;
        this.backlog = backlog;
        this.bound = bound;
        this.fromSystemd = fromSystemd;
    }

    /** Binds {@code listen} (port 0: the kernel picks one, logged by the caller). */
    public static SharedSocket bind(Os os, ListenAddress listen, int backlog) throws ConfigException, OsException {
        int fd = os.listenTcp(resolve(listen), listen.port(), backlog);
        try {
            return new SharedSocket(os, fd, listen, backlog, boundAddress(os, fd, listen), false);
        } catch (OsException e) {
            os.close(fd);
            throw e;
        }
    }

    /** A socket systemd passed (socket activation); it is systemd's to change, not a reload's. */
    public static SharedSocket adopted(Os os, int fd, ListenAddress bound, ListenAddress configured, int backlog) {
        return new SharedSocket(os, fd, configured, backlog, bound, true);
    }

    /**
     * The socket a master before an upgrade handed over (see the master's Upgrader), which that master had bound:
     * this master's from now on, as if it had bound it (a socket from systemd is {@link #adopted} again).
     */
    public static SharedSocket handedOver(Os os, int fd, ListenAddress bound, ListenAddress configured,
                                          int backlog) {
        return new SharedSocket(os, fd, configured, backlog, bound, false);
    }

    /** The backlog it listens with. */
    public int backlog() {
        return backlog;
    }

    public int fd() {
        return fd;
    }

    /** The address bound, with the port the kernel chose for port 0. */
    public ListenAddress address() {
        return bound;
    }

    /** The address as configured (port 0 stays 0): a reload to the same one keeps the socket. */
    public ListenAddress configured() {
        return configured;
    }

    public boolean fromSystemd() {
        return fromSystemd;
    }

    /** Whether a config with this address and backlog needs a new socket. */
    public boolean differsFrom(ListenAddress listen, int listenBacklog) {
        return !listen.equals(configured) || listenBacklog != backlog;
    }

    /**
     * Makes new workers get a socket for {@code listen} with {@code listenBacklog}. A new backlog alone is applied
     * in place (listen(2) again). A new address is bound next to the old one, which stays open (its workers still
     * serve on it) until {@link #moveDone(boolean)}. If the bind fails, nothing changes; the same port on another
     * host address of this machine usually fails with "Address already in use" while the old socket is open.
     */
    public void rebind(ListenAddress listen, int listenBacklog) throws ConfigException, OsException {
        rebind(listen, listen.equals(configured) ? null : resolve(listen), listenBacklog);
    }

    /**
     * {@link #rebind(ListenAddress, int)} with {@code listen}'s host already resolved to {@code address} (a reload
     * looks it up beside the master's loop); {@code address} is not needed, and may be null, when only the backlog
     * changes ({@code listen} is {@link #configured()}).
     */
    public void rebind(ListenAddress listen, InetAddress address, int listenBacklog) throws ConfigException,
            OsException {
        if (listen.equals(configured)) {
            os.relisten(fd, listenBacklog);
            relistenedFrom = backlog;
            backlog = listenBacklog;
            return;
        }
        if (retired != null) {
            throw new ConfigException("the move from " + retired.bound() + " to " + bound + " is still going on");
        }
        int next = os.listenTcp(java.util.Objects.requireNonNull(address, "address"), listen.port(), listenBacklog);
        ListenAddress nextBound;
        try {
            nextBound = boundAddress(os, next, listen);
        } catch (OsException e) {
            closeQuietly(next);
            throw e;
        }
        // Only now that nothing can fail any more does the move begin.
        retired = new Retired(fd, configured, backlog, bound);
        fd = next;
        configured = listen;
        backlog = listenBacklog;
        bound = nextBound;
    }

    /** The kernel's port for port 0, or the configured one. */
    private static ListenAddress boundAddress(Os os, int fd, ListenAddress listen) throws OsException {
        return new ListenAddress(listen.host(), os.localAddress(fd).getPort());
    }

    /**
     * Restores the socket if it no longer listens: a worker that calls shutdown(2) on its copy (a common way to
     * wake a thread blocked in accept()) shuts down the one socket every worker shares, and the port refuses
     * connections for the whole pool. It is bound to its address again and listens, on the same descriptor, so
     * every worker's copy serves again. Called on every turn of the loop: one getsockopt while all is well. A
     * restore that fails (another process took the port meanwhile) is logged once and tried again next time.
     */
    public void restoreIfShutDown() throws OsException {
        if (os.listening(fd)) {
            restoreFailing = false;
            return;
        }
        java.net.InetSocketAddress address = os.localAddress(fd); // the kernel keeps the name after shutdown
        if (address.getPort() == 0) {
            address = new java.net.InetSocketAddress(address.getAddress(), bound.port());
        }
        try {
            os.listenAgain(fd, address, backlog);
        } catch (OsException e) {
            if (!restoreFailing) {
                Log.error("the listening socket %s no longer listens (a worker shut it down?) and cannot listen "
                        + "again: %s; trying again on every turn", bound, e.getMessage());
                restoreFailing = true;
            }
            return;
        }
        restoreFailing = false;
        Log.warn("the listening socket %s had stopped listening (a worker called shutdown() on its copy, which "
                + "is every worker's); listening again on the same address", bound);
    }

    /** The accept queue now: connections waiting for a worker, and the backlog limit. */
    public dev.herd.supervisor.os.ListenQueue listenQueue() throws OsException {
        return os.listenQueue(fd);
    }

    /**
     * Ends a move begun by {@link #rebind}. When the workers moved over, the master closes its copy of the old
     * socket: it closes for good when its last worker has drained, and connections still waiting in its backlog
     * then are reset by the kernel. When the move failed, the old socket becomes the current one again (the
     * workers that kept it are still serving there) and the master closes its copy of the new one.
     */
    public void moveDone(boolean succeeded) {
        if (retired == null) {
            return;
        }
        if (succeeded) {
            closeQuietly(retired.fd());
        } else {
            Log.warn("the move to %s failed: new workers get %s again", bound, retired.bound());
            backToRetired();
        }
        retired = null;
    }

    /** Closes the new socket; the one it replaced is the current one again. */
    private void backToRetired() {
        closeQuietly(fd);
        fd = retired.fd();
        configured = retired.configured();
        backlog = retired.backlog();
        bound = retired.bound();
        retired = null;
    }

    /**
     * Takes back the {@link #rebind} just made, before any worker got the new socket: a later step of the same
     * reload failed, and a refused reload changes nothing. The new socket is closed (its port is free again), or
     * the old backlog is set again.
     */
    public void undoRebind() {
        if (relistenedFrom != null) {
            try {
                os.relisten(fd, relistenedFrom);
                backlog = relistenedFrom;
            } catch (OsException e) {
                Log.warn("cannot set the listen backlog back to %d: %s", relistenedFrom, e.getMessage());
            }
        } else if (retired != null) {
            backToRetired();
        }
        relistenedFrom = null;
    }

    /** The reload that asked for the last {@link #rebind} is applied: there is nothing left to undo. */
    public void keepRebind() {
        relistenedFrom = null;
    }

    /** What a socket replaced by {@link #rebind} was, until its move is done. */
    private record Retired(int fd, ListenAddress configured, int backlog, ListenAddress bound) {
    }

    private void closeQuietly(int descriptor) {
        try {
            os.close(descriptor);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }

    /** The address of {@code listen}'s host; an unknown host is a configuration error. */
    public static InetAddress resolve(ListenAddress listen) throws ConfigException {
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
        if (retired != null) {
            closeQuietly(retired.fd());
        }
        closeQuietly(fd);
    }
}
