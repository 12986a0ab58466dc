package dev.herd.supervisor.admin;

import dev.herd.log.Log;
import dev.herd.supervisor.os.FailureEpisode;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The admin channel: a Unix stream socket, owner-only (or owner and {@code adminGroup}), speaking JSON lines
 * (docs/admin-protocol.md). One thread and one selector serve every connection, so a flood costs descriptors and
 * a little memory, never a thread each. Each connection is checked (SO_PEERCRED, {@link PeerPolicy}); its lines
 * are parsed and checked here, and only valid requests reach the master, through {@link AdminHandler}. Nothing
 * here touches supervisor state, so no client, however slow or hostile, can stall worker supervision.
 *
 * <p>What a flood cannot do: starve the owner. Connections are capped in all and per user; when a cap is reached
 * the connection idle the longest (no request in progress) gives way to the new one, with a {@code busy} reply.
 * A newcomer that has sent nothing yet only displaces a connection idle for {@link #MIN_IDLE_BEFORE_EVICTION_NANOS}
 * (its own first request may be on its way); one whose request line came with it displaces the idlest at once, so
 * silent connections opened again as fast as they are closed cannot keep out a client with something to ask.
 * A connection counts as idle from its last completed request, not its last byte, so trickling bytes keeps
 * nobody in; it is closed after {@link #IDLE_TIMEOUT_NANOS} idle and in any case after {@link #LIFETIME_NANOS}.
 *
 * <p>It uses the JDK's own Unix-domain channels rather than jnr-unixsocket's: they work with the JDK's selector,
 * give proper exceptions, and SO_PEERCRED gives the peer's uid and gid as principals that compare by id.
 */
public final class AdminServer implements AutoCloseable {

    static final int MAX_LINE_BYTES = 64 * 1024;
    static final int MAX_CONNECTIONS = 1024;
    /** Half the total: one user (an adminGroup member, say) can never crowd out the master's own. */
    static final int MAX_CONNECTIONS_PER_USER = MAX_CONNECTIONS / 2;
    /** A connection younger than this is not evicted to make room: its first request may be on its way. */
    static final long MIN_IDLE_BEFORE_EVICTION_NANOS = TimeUnit.SECONDS.toNanos(1);
    static final long IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long LIFETIME_NANOS = TimeUnit.MINUTES.toNanos(10);
    /** How long a quick command may wait for the master; a lasting one waits for its work. */
    static final long MASTER_REPLY_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long LASTING_REPLY_NANOS = TimeUnit.HOURS.toNanos(24);
    /** A client that does not read its replies may leave this much unsent before it is dropped. */
    static final int MAX_PENDING_OUTPUT = 8 * 1024 * 1024;
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);
    /**
     * How long the admin thread stops accepting after accept() failed (EMFILE: the master is out of descriptors).
     * The waiting connection stays in the backlog and keeps the socket readable, so trying again at once would
     * spin the thread on a full core; it is tried again after this, as the descriptors of closed connections free.
     */
    static final long ACCEPT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** accept() failures this far apart are one episode, said once. */
    private static final long ACCEPT_EPISODE_QUIET_NANOS = TimeUnit.SECONDS.toNanos(5);
    /**
     * How long an upgrade's exec waits for the admin connections open when it paused to be answered (see
     * {@link #pauseForHandOver}): a request whose first bytes are on their way arrives within milliseconds, the
     * master answers within a loop turn.
     */
    static final long HAND_OVER_SETTLE_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** How long a connection may idle, live and wait for the master; only the unit test shortens them. */
    record Timeouts(long idleNanos, long lifetimeNanos, long masterReplyNanos) {
        static final Timeouts DEFAULT = new Timeouts(IDLE_TIMEOUT_NANOS, LIFETIME_NANOS, MASTER_REPLY_NANOS);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Selector selector;
    private final AdminHandler handler;
    private final PeerPolicy peers;
    private final Timeouts timeouts;
    private final Thread thread;
    private final SelectionKey acceptKey;
    private final Queue<Runnable> fromOtherThreads = new ConcurrentLinkedQueue<>();
    /** One read buffer for every connection: only this thread reads, so a connection costs a few hundred bytes. */
    private final java.nio.ByteBuffer readBuffer = java.nio.ByteBuffer.allocate(8192);
    private final List<AdminConnection> connections = new ArrayList<>();
    private final Map<UserPrincipal, Integer> perUser = new HashMap<>();
    private volatile boolean closed;
    private long lastWarningNanos = System.nanoTime() - WARNING_INTERVAL_NANOS;
    private int turnedAwaySinceWarning;
    /** Since accept() last failed: when to try again; the episode of failures, told once. */
    private long acceptPausedUntilNanos;
    private final FailureEpisode acceptFailures = new FailureEpisode(ACCEPT_EPISODE_QUIET_NANOS);
    /** While an upgrade's exec is being prepared: accepting has stopped; completed once the connections settled. */
    private HandingOver handingOver;

    private record HandingOver(CompletableFuture<Void> settled, long pausedNanos, long deadlineNanos) {
    }

    /** After an upgrade that moved the admin socket, the old one, served until the upgrade has ended. */
    private OldSocket oldSocket;

    private record OldSocket(ServerSocketChannel channel, Path path, SelectionKey key) {
    }

    private AdminServer(Path path, ServerSocketChannel server, Selector selector, SelectionKey acceptKey,
                        AdminHandler handler, PeerPolicy peers, Timeouts timeouts) {
        this.path = path;
        this.server = server;
        this.selector = selector;
        this.acceptKey = acceptKey;
        this.handler = handler;
        this.peers = peers;
        this.timeouts = timeouts;
        this.thread = new Thread(this::run, "herd-admin");
        thread.setDaemon(true);
    }

    /**
     * Binds the socket at {@code path} in a directory made or checked by {@link AdminDirectory}. A live master
     * already answering there is an error; a stale socket file (nothing answers) is removed first. With an admin
     * group, the socket is 0660 and owned by that group.
     *
     * @param ownUid the master's effective uid, which must own the directory (or root)
     */
    public static AdminServer open(Path path, Optional<GroupPrincipal> adminGroup, long ownUid, AdminHandler handler)
            throws IOException {
        return open(path, adminGroup, ownUid, handler, Timeouts.DEFAULT);
    }

    static AdminServer open(Path path, Optional<GroupPrincipal> adminGroup, long ownUid, AdminHandler handler,
                            Timeouts timeouts) throws IOException {
        Path directory = path.toAbsolutePath().getParent();
        AdminDirectory.prepare(directory, adminGroup, ownUid);
        removeStaleSocket(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path), MAX_CONNECTIONS);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot bind admin socket " + path + ": " + e.getMessage(), e);
        }
        return serve(server, path, adminGroup, handler, timeouts);
    }

    /**
     * Serves {@code listening}, a socket the master before an upgrade had bound at {@code path} and handed over
     * (see the master's HandOvers): it is not bound again, so the connections waiting in its backlog since that
     * master stopped accepting are answered here. Its directory is checked and its file's group and mode set as
     * {@link #open} does (adminGroup may have changed with the upgrade).
     */
    public static AdminServer takeOver(ServerSocketChannel listening, Path path, Optional<GroupPrincipal> adminGroup,
                                       long ownUid, AdminHandler handler) throws IOException {
        try {
            AdminDirectory.prepare(path.toAbsolutePath().getParent(), adminGroup, ownUid);
        } catch (IOException e) {
            listening.close();
            throw e;
        }
        return serve(listening, path, adminGroup, handler, Timeouts.DEFAULT);
    }

    /** Starts the admin thread on a socket listening at {@code path}; closes it if that fails. */
    private static AdminServer serve(ServerSocketChannel server, Path path, Optional<GroupPrincipal> adminGroup,
                                     AdminHandler handler, Timeouts timeouts) throws IOException {
        Selector selector = null;
        try {
            // connect() needs write permission: owner-only (0600), or 0660 for the admin group. The directory is
            // 0700 (0750) from its creation, so nobody else could reach the socket before this.
            if (adminGroup.isPresent()) {
                Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setGroup(adminGroup.get());
            }
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(adminGroup.isPresent()
                    ? "rw-rw----" : "rw-------"));
            server.configureBlocking(false);
            selector = Selector.open();
            SelectionKey acceptKey = server.register(selector, SelectionKey.OP_ACCEPT);
            UserPrincipal own = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS); // our effective uid, as a principal
            AdminServer admin = new AdminServer(path, server, selector, acceptKey, handler,
                    new PeerPolicy(own, rootPrincipal(), adminGroup), timeouts);
            admin.thread.start();
            return admin;
        } catch (IOException e) {
            server.close();
            if (selector != null) {
                selector.close();
            }
            throw new IOException("cannot serve admin socket " + path + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return path;
    }

    /** uid 0 as a principal: by name, else by number (a system without a passwd entry for root). */
    private static Optional<UserPrincipal> rootPrincipal() {
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        for (String name : new String[] {"root", "0"}) {
            try {
                return Optional.of(lookup.lookupPrincipalByName(name));
            } catch (IOException e) {
                // try the next form
            }
        }
        Log.warn("admin: no principal for uid 0; root may not use the admin socket");
        return Optional.empty();
    }

    private static void removeStaleSocket(Path path) throws IOException {
        switch (occupant(path)) {
            case NONE -> { }
            case LIVE_MASTER -> throw new IOException("another herd master is already running at admin socket "
                    + path);
            case STALE -> {
                Log.warn("removing stale admin socket %s (nothing answered on it)", path);
                Files.delete(path);
            }
        }
    }

    /** What is at an admin socket's path before a master binds it. */
    public enum Occupant { NONE, STALE, LIVE_MASTER }

    /**
     * What holds {@code path} now: nothing, a socket nobody answers on (a master that died), or a live master;
     * {@code herd run} removes the first kind and stops at the second, {@code herd run --check} says so.
     *
     * @throws IOException if the path exists and is not a socket (never connected through, nor deleted)
     */
    public static Occupant occupant(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return Occupant.NONE;
        }
        // Never connect through, or delete, what is not a socket of ours: a regular file refuses connections too.
        if (!(Boolean) Files.getAttribute(path, "isOther", LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("admin socket path " + path + " exists and is not a socket");
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            return Occupant.LIVE_MASTER;
        } catch (ConnectException refused) {
            return Occupant.STALE;
        }
    }

    // ---- the admin thread --------------------------------------------------------------------------------------

    /**
     * The admin thread. A failure of one connection (a bug in handling its request, say) closes that connection,
     * with an {@code internal} error reply, and the others go on being served. A failure of the thread itself (its
     * selector) is not caught here: the thread ends, and the master's handler for dying threads stops the master
     * with a named exit code ({@code ThreadDeaths}) rather than leave it running without an admin socket.
     */
    private void run() {
        try {
            serve();
        } catch (IOException e) {
            if (!closed) {
                throw new java.io.UncheckedIOException("the admin thread failed", e);
            }
        } finally {
            List.copyOf(connections).forEach(AdminConnection::close);
            if (oldSocket != null) { // the master stops before the upgrade that moved the socket has ended
                closeQuietly(oldSocket.channel());
                try {
                    deleteIfSocket(oldSocket.path());
                } catch (IOException e) {
                    Log.warn("removing the old admin socket %s: %s", oldSocket.path(), e.getMessage());
                }
            }
            try {
                selector.close();
                server.close();
            } catch (IOException e) {
                Log.warn("admin: closing: %s", e.getMessage());
            }
        }
    }

    private void serve() throws IOException {
        while (!closed) {
            selector.select(TimeUnit.NANOSECONDS.toMillis(nextTimerNanos()) + 1);
            for (Runnable task; (task = fromOtherThreads.poll()) != null; ) {
                task.run();
            }
            for (SelectionKey key : selector.selectedKeys()) {
                if (!key.isValid()) {
                    continue;
                }
                if (oldSocket != null && key == oldSocket.key()) {
                    acceptAllFromOld();
                } else if (key.isAcceptable()) {
                    acceptAll();
                } else {
                    serveGuarded((AdminConnection) key.attachment(), key);
                }
            }
            selector.selectedKeys().clear();
            resumeAcceptingWhenDue(System.nanoTime());
            settleHandOver(System.nanoTime());
            expireConnections(System.nanoTime());
            warnAboutTurnedAway(System.nanoTime());
        }
    }

    /** One connection's turn; a bug there costs that connection, not the admin socket. */
    private void serveGuarded(AdminConnection connection, SelectionKey key) {
        try {
            connection.onReady(key);
        } catch (RuntimeException e) {
            Log.error("admin: handling a connection of user %s failed: %s; closing it", connection.user().getName(),
                    e);
            connection.closeWith(new AdminException(AdminException.INTERNAL, "the master failed on this request: "
                    + e.getClass().getSimpleName()));
        }
    }

    private void acceptAll() throws IOException {
        for (SocketChannel channel; (channel = acceptOne()) != null; ) {
            admit(channel);
        }
    }

    /** A connection just accepted: checked (its user, the caps), then served. */
    private void admit(SocketChannel channel) throws IOException {
        UnixDomainPrincipal peer;
        try {
            peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        } catch (IOException e) {
            channel.close();
            return;
        }
        AdminConnection connection = new AdminConnection(this, channel, peer.user(), System.nanoTime());
        if (!peers.mayControl(peer)) {
            Log.warn("admin: refused a connection from user %s (%s)", peer.user().getName(), peers.describe());
            connection.refuse(new AdminException(AdminException.FORBIDDEN, "user " + peer.user().getName()
                    + " may not control this herd master"));
            return;
        }
        if (!makeRoomFor(peer.user(), connection.readAhead())) {
            turnedAwaySinceWarning++;
            connection.refuse(new AdminException(AdminException.BUSY, "the admin socket is busy ("
                    + connections.size() + " connections, none idle for a second); try again"));
            return;
        }
        connections.add(connection);
        perUser.merge(peer.user(), 1, Integer::sum);
        connection.admit(selector);
    }

    private SocketChannel acceptOne() throws IOException {
        if (!acceptKey.isValid() || acceptKey.interestOps() == 0) {
            return null; // backing off after a failed accept
        }
        try {
            SocketChannel channel = server.accept();
            if (channel != null) {
                channel.configureBlocking(false);
            }
            return channel;
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            backOffAccepting(e, System.nanoTime());
            return null;
        }
    }

    /**
     * accept() failed, EMFILE or ENFILE above all: the connection stays queued and the socket readable, so the
     * thread stops asking for OP_ACCEPT for {@link #ACCEPT_BACKOFF_NANOS}. Said once per episode, not per failure.
     */
    private void backOffAccepting(IOException failure, long now) {
        if (acceptFailures.failed(now)) {
            Log.error("admin: cannot accept connections: %s; trying again every %d ms until it works (connections "
                    + "wait in the socket's backlog meanwhile)", failure.getMessage(),
                    TimeUnit.NANOSECONDS.toMillis(ACCEPT_BACKOFF_NANOS));
        }
        acceptKey.interestOps(0);
        acceptPausedUntilNanos = now + ACCEPT_BACKOFF_NANOS;
    }

    private void resumeAcceptingWhenDue(long now) {
        if (handingOver == null && acceptKey.isValid() && acceptKey.interestOps() == 0
                && now - acceptPausedUntilNanos >= 0) {
            acceptKey.interestOps(SelectionKey.OP_ACCEPT);
        }
        acceptFailures.endIfQuiet(now).ifPresent(episode -> Log.info(
                "admin: accepting connections again (accept() failed: %s, then not for %d s)", episode,
                TimeUnit.NANOSECONDS.toSeconds(ACCEPT_EPISODE_QUIET_NANOS)));
    }

    /**
     * Below both caps there is room. At a cap, the connection of the same user (or of anyone, at the overall cap)
     * that has been idle the longest is closed with a busy reply; with none idle (for a second, unless the newcomer
     * {@code spoke} already), the new one is turned away.
     */
    private boolean makeRoomFor(UserPrincipal user, boolean spoke) {
        long minIdle = spoke ? 0 : MIN_IDLE_BEFORE_EVICTION_NANOS;
        if (perUser.getOrDefault(user, 0) >= MAX_CONNECTIONS_PER_USER) {
            return evictIdlest(c -> c.user().equals(user), minIdle);
        }
        if (connections.size() >= MAX_CONNECTIONS) {
            return evictIdlest(c -> true, minIdle);
        }
        return true;
    }

    private boolean evictIdlest(java.util.function.Predicate<AdminConnection> among, long minIdleNanos) {
        long now = System.nanoTime();
        Optional<AdminConnection> idlest = connections.stream().filter(among).filter(AdminConnection::idle)
                .filter(c -> now - c.idleSinceNanos() >= minIdleNanos)
                .min(Comparator.comparingLong(AdminConnection::idleSinceNanos));
        idlest.ifPresent(connection -> {
            turnedAwaySinceWarning++;
            connection.closeWith(new AdminException(AdminException.BUSY,
                    "closed to make room for a newer connection (too many admin connections)"));
        });
        return idlest.isPresent();
    }

    private void expireConnections(long now) {
        for (AdminConnection connection : List.copyOf(connections)) {
            connection.expire(now);
        }
    }

    private long nextTimerNanos() {
        long now = System.nanoTime();
        long next = TimeUnit.SECONDS.toNanos(1);
        if (handingOver != null) {
            next = handingOver.settled().isDone() ? next
                    : Math.max(0, Math.min(next, handingOver.deadlineNanos() - now));
        } else if (acceptKey.isValid() && acceptKey.interestOps() == 0) {
            next = Math.max(0, Math.min(next, acceptPausedUntilNanos - now));
        }
        for (AdminConnection connection : connections) {
            next = Math.min(next, Math.max(0, connection.nextDeadlineNanos() - now));
        }
        return next;
    }

    private void warnAboutTurnedAway(long now) {
        if (turnedAwaySinceWarning > 0 && now - lastWarningNanos >= WARNING_INTERVAL_NANOS) {
            Log.warn("admin: %d connections turned away or closed for room in the last %d s (%d open, at most %d, "
                    + "%d per user)", turnedAwaySinceWarning, TimeUnit.NANOSECONDS.toSeconds(now - lastWarningNanos),
                    connections.size(), MAX_CONNECTIONS, MAX_CONNECTIONS_PER_USER);
            turnedAwaySinceWarning = 0;
            lastWarningNanos = now;
        }
    }

    // ---- an upgrade's hand-over -------------------------------------------------------------------------------

    /**
     * Before an upgrade's exec: stops accepting, so that new connections wait in the socket's backlog for the
     * master the exec starts (the listening socket is handed over), and lets what is in progress finish: the
     * completed future says the remaining connections may be closed by the exec. Settled means every connection
     * has had its answers and has nothing more on its way (or waits for {@code upgrade} itself, which the exec
     * answers by closing it); those are then closed, each idle one with an {@code upgrading} line saying to
     * connect again, before any further request could reach a master that will not answer it. After
     * {@link #HAND_OVER_SETTLE_NANOS} the rest are closed the same way.
     */
    public CompletableFuture<Void> pauseForHandOver() {
        CompletableFuture<Void> settled = new CompletableFuture<>();
        runOnAdminThread(() -> {
            long now = System.nanoTime();
            handingOver = new HandingOver(settled, now, now + HAND_OVER_SETTLE_NANOS);
            if (acceptKey.isValid()) {
                acceptKey.interestOps(0);
            }
            settleHandOver(System.nanoTime());
        });
        return settled;
    }

    /** The exec did not happen (it failed, or the master began to stop): accepting again, as before. */
    public void resumeAfterHandOver() {
        runOnAdminThread(() -> {
            handingOver = null;
            if (acceptKey.isValid()) {
                acceptKey.interestOps(SelectionKey.OP_ACCEPT);
            }
        });
    }

    private void settleHandOver(long now) {
        if (handingOver == null || handingOver.settled().isDone()) {
            return;
        }
        boolean settled = connections.stream().allMatch(AdminConnection::mayCloseForHandOver);
        if (!settled && now - handingOver.deadlineNanos() < 0) {
            return;
        }
        int open = connections.size();
        for (AdminConnection connection : List.copyOf(connections)) {
            if (!connection.waitsForUpgrade()) {
                connection.closeWith(new AdminException(AdminException.UPGRADING, "the master hands over to the "
                        + "new herd (upgrade); connect again"));
            }
        }
        Log.info("admin: not accepting for the hand-over; %d open %s %s in %d ms", open,
                open == 1 ? "connection" : "connections", settled ? "settled" : "did not settle",
                TimeUnit.NANOSECONDS.toMillis(now - handingOver.pausedNanos()));
        handingOver.settled().complete(null);
    }

    /**
     * In the master an upgrade exec'ed into, when the admin socket moved: serves the old one too (the old master's
     * listener, handed over), so that what waited on it during the exec is answered and a client of the old path
     * (the upgrade's own) goes on being answered until {@link #retireOldSocket}.
     */
    public void alsoServe(ServerSocketChannel old, Path oldPath) {
        runOnAdminThread(() -> {
            try {
                old.configureBlocking(false);
                oldSocket = new OldSocket(old, oldPath, old.register(selector, SelectionKey.OP_ACCEPT));
            } catch (IOException e) {
                Log.warn("admin: cannot serve the old admin socket %s: %s", oldPath, e.getMessage());
                closeQuietly(old);
            }
        });
    }

    /**
     * The upgrade that moved the admin socket has ended: the old path's file is removed now, on the caller's
     * thread (no client reaches the old socket from then on), then the connections still waiting in it are
     * answered and it is closed, on the admin thread.
     */
    public void retireOldSocket(Path oldPath) {
        try {
            deleteIfSocket(oldPath);
        } catch (IOException e) {
            Log.warn("admin: cannot remove the old admin socket %s: %s", oldPath, e.getMessage());
        }
        runOnAdminThread(() -> {
            if (oldSocket != null) {
                int waited = acceptAllFromOld();
                closeQuietly(oldSocket.channel());
                Log.info("admin: the old admin socket %s is removed (%d %s waited on it at the end)",
                        oldSocket.path(), waited, waited == 1 ? "connection" : "connections");
                oldSocket = null;
            }
        });
    }

    /**
     * Accepts what waits on the old socket; how many. After a failure (EMFILE) the old socket is no longer
     * watched: what waits then is accepted at its retirement, or reset by its close.
     */
    private int acceptAllFromOld() {
        int accepted = 0;
        try {
            for (SocketChannel channel; (channel = oldSocket.channel().accept()) != null; accepted++) {
                channel.configureBlocking(false);
                admit(channel);
            }
        } catch (IOException e) {
            Log.warn("admin: accepting on the old admin socket %s: %s; no longer watched", oldSocket.path(),
                    e.getMessage());
            if (oldSocket.key().isValid()) {
                oldSocket.key().interestOps(0);
            }
        }
        return accepted;
    }

    /** Removes {@code path} if it is a socket, never through a symbolic link; nothing there is fine. */
    public static void deleteIfSocket(Path path) throws IOException {
        try {
            if (Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS).isOther()) {
                Files.delete(path);
            }
        } catch (NoSuchFileException gone) {
            // nothing left behind
        }
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            Log.warn("admin: closing the old admin socket: %s", e.getMessage());
        }
    }

    // ---- for AdminConnection -----------------------------------------------------------------------------------

    AdminHandler handler() {
        return handler;
    }

    Timeouts timeouts() {
        return timeouts;
    }

    /** The buffer a connection reads into, on this thread, and copies what it needs out of. */
    java.nio.ByteBuffer readBuffer() {
        return readBuffer;
    }

    /** Runs {@code task} on the admin thread (a reply the master completed on its own thread). */
    void runOnAdminThread(Runnable task) {
        fromOtherThreads.add(task);
        selector.wakeup();
    }

    void closed(AdminConnection connection) {
        if (connections.remove(connection)) {
            perUser.computeIfPresent(connection.user(), (user, count) -> count > 1 ? count - 1 : null);
        }
    }

    /** Stops the thread, closes every connection without a word (the master is exiting), removes the socket. */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
            Files.deleteIfExists(path);
        } catch (IOException e) {
            Log.warn("removing admin socket %s: %s", path, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
