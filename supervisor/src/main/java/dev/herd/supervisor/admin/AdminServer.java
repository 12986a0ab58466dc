package dev.herd.supervisor.admin;

import dev.herd.log.Log;
import dev.herd.supervisor.master.MasterEvent;
import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The admin channel: a Unix stream socket, owner-only (or owner and {@code adminGroup}), speaking JSON lines (docs/admin-protocol.md). An accept
 * thread hands each connection to a thread of its own ({@link AdminConnection}), which parses and checks requests
 * and puts only valid commands on the master's queue; a reaper closes connections idle for 30 s. Nothing here
 * touches supervisor state, so no client, however slow or hostile, can stall worker supervision.
 *
 * <p>It uses the JDK's own Unix-domain channels rather than jnr-unixsocket's: they give proper exceptions,
 * work with ordinary blocking threads, and SO_PEERCRED names the peer's user, which is what the check needs.
 */
public final class AdminServer implements AutoCloseable {

    static final long IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final int MAX_CONNECTIONS = 1024;

    private final Path path;
    private final ServerSocketChannel server;
    private final BlockingQueue<MasterEvent> events;
    private final PeerPolicy peers;
    private final Set<AdminConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private AdminServer(Path path, ServerSocketChannel server, BlockingQueue<MasterEvent> events, PeerPolicy peers) {
        this.path = path;
        this.server = server;
        this.events = events;
        this.peers = peers;
    }

    /**
     * Binds the socket at {@code path}. A live master already answering there is an error; a stale socket file
     * (nothing answers) is removed first. With an admin group, the socket is 0660 and owned by that group.
     */
    public static AdminServer open(Path path, Optional<GroupPrincipal> adminGroup, BlockingQueue<MasterEvent> events)
            throws IOException {
        prepareDirectory(path.toAbsolutePath().getParent(), adminGroup);
        removeStaleSocket(path);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            // Created with 0755 under umask 022, and connect() only needs write permission: owner-only (0600), or
            // 0660 for the admin group.
            restrict(path, adminGroup, "rw-------", "rw-rw----");
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot bind admin socket " + path + ": " + e.getMessage(), e);
        }
        AdminServer admin = new AdminServer(path, server, events, new PeerPolicy(adminGroup.map(GroupPrincipal::getName)));
        admin.startThreads();
        return admin;
    }

    public Path path() {
        return path;
    }

    private static void prepareDirectory(Path directory, Optional<GroupPrincipal> adminGroup) throws IOException {
        if (directory == null) {
            return;
        }
        if (!Files.exists(directory)) {
            Files.createDirectories(directory);
            // herd made it, so herd decides: only the owner (and the admin group) may even look inside.
            restrict(directory, adminGroup, "rwx------", "rwxr-x---");
            return;
        }
        checkNobodyElseControls(directory);
    }

    /**
     * An existing directory (say /tmp/herd-UID, whose name anyone can predict) must belong to us or root, and
     * nobody else may be able to replace our socket in it: no write access for group or others unless the
     * sticky bit protects our entries, as in /tmp.
     */
    private static void checkNobodyElseControls(Path directory) throws IOException {
        PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class);
        String owner = attributes.owner().getName();
        if (!owner.equals(System.getProperty("user.name")) && !owner.equals("root")) {
            throw new IOException("refusing admin socket directory " + directory + ": it belongs to " + owner);
        }
        int mode = (Integer) Files.getAttribute(directory, "unix:mode");
        boolean writableByOthers = (mode & 0022) != 0;
        boolean sticky = (mode & 01000) != 0;
        if (writableByOthers && !sticky) {
            throw new IOException("refusing admin socket directory " + directory
                    + ": others may write to it (mode " + Integer.toOctalString(mode & 07777) + ")");
        }
    }

    private static void restrict(Path file, Optional<GroupPrincipal> group, String ownerOnly, String withGroup)
            throws IOException {
        if (group.isPresent()) {
            Files.getFileAttributeView(file, PosixFileAttributeView.class).setGroup(group.get());
        }
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(group.isPresent() ? withGroup : ownerOnly));
    }

    private static void removeStaleSocket(Path path) throws IOException {
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("another herd master is already running at admin socket " + path);
        } catch (ConnectException refused) {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            // A regular file refuses connections too: never delete what is not a socket.
            if (!attributes.isOther()) {
                throw new IOException("admin socket path " + path + " exists and is not a socket");
            }
            Log.warn("removing stale admin socket %s (nothing answered on it)", path);
            Files.delete(path);
        }
    }

    private void startThreads() {
        Thread acceptor = new Thread(this::acceptConnections, "admin-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        Thread reaper = new Thread(this::closeIdleConnections, "admin-idle-reaper");
        reaper.setDaemon(true);
        reaper.start();
    }

    private void acceptConnections() {
        while (!closed) {
            try {
                SocketChannel channel = server.accept();
                if (connections.size() >= MAX_CONNECTIONS) {
                    Log.warn("admin: %d connections open; refusing another", connections.size());
                    channel.close();
                    continue;
                }
                AdminConnection connection = new AdminConnection(channel, events, peers, connections::remove);
                connections.add(connection);
                connection.start();
            } catch (ClosedChannelException e) {
                return; // close() was called
            } catch (IOException e) {
                Log.error("admin: accept failed: %s", e.getMessage());
                pauseAfterAcceptFailure(); // EMFILE and the like persist: do not spin on them
            }
        }
    }

    private static void pauseAfterAcceptFailure() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeIdleConnections() {
        while (!closed) {
            long now = System.nanoTime();
            for (AdminConnection connection : connections) {
                if (now - connection.lastActivityNanos() > IDLE_TIMEOUT_NANOS) {
                    connection.close("idle for 30 s");
                }
            }
            try {
                Thread.sleep(1000); // the reaper's period
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            Files.deleteIfExists(path);
        } catch (IOException e) {
            Log.warn("closing admin socket %s: %s", path, e.getMessage());
        }
        connections.forEach(connection -> connection.close("master exiting"));
    }
}
