package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminHandler;
import dev.herd.supervisor.admin.AdminServer;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.spawn.SharedSocket;
import dev.herd.supervisor.spawn.WorkerLauncher;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The master's side of a {@link HandOver}, apart from the loop's: assembling one from what the master holds before
 * an upgrade's exec, and, in the master exec'ed into, taking over what it lists (the socket, the workers' channels)
 * and clearing away what the old master left that the new one does not use. Used on the master thread.
 */
final class HandOvers {

    private HandOvers() {
    }

    /** The hand-over as the master stands now: see {@link Upgrader}. Workers without channels are not listed. */
    static HandOver assemble(int upgrades, List<WorkerHandle> workers, SharedSocket socket, int lifelineReadFd,
                             int lifelineWriteFd, WorkerLauncher launcher, Path adminSocket,
                             OptionalInt adminListenerFd, Optional<Path> pidFile) {
        List<HandOver.Worker> handed = new ArrayList<>();
        for (WorkerHandle worker : workers) {
            launcher.channels(worker.serial()).ifPresent(channels -> handed.add(new HandOver.Worker(worker.slot(),
                    worker.serial(), worker.pid(), worker.jvm(), worker.state() == WorkerState.READY, channels)));
        }
        return new HandOver(upgrades, new HandOver.Socket(socket.fd(), socket.configured(), socket.address(),
                socket.backlog(), socket.fromSystemd()), lifelineReadFd, lifelineWriteFd, launcher.workerDirectory(),
                adminSocket, adminListenerFd, pidFile, handed);
    }

    /**
     * The admin socket's listening descriptor, to be handed over with what waits in its backlog; empty (the new
     * master then binds the path afresh, refusing connections for the second in between) if it cannot be found.
     */
    static OptionalInt adminListenerOf(Os os, Path adminSocket) {
        try {
            Optional<Integer> fd = os.findUnixListener(adminSocket);
            if (fd.isPresent()) {
                return OptionalInt.of(fd.get());
            }
            Log.warn("upgrade: no listening socket at %s among this master's descriptors; the new master binds "
                    + "the admin socket afresh", adminSocket);
        } catch (OsException e) {
            Log.warn("upgrade: cannot find the admin socket's descriptor: %s; the new master binds it afresh",
                    e.getMessage());
        }
        return OptionalInt.empty();
    }

    /**
     * The new master's admin server. With the old master's listener handed over and the same path, it serves that
     * listener: what clients queued while the exec ran is answered. With another path, it binds the new path and
     * serves the old listener too, until the upgrade has ended ({@link #retireOldAdminSocket}). Without a listener
     * (a herd that did not hand it over), the old file is removed and the path bound afresh.
     */
    static AdminServer openAdmin(Os os, Optional<HandOver> handOver, Path path, Optional<GroupPrincipal> adminGroup,
                                 long ownUid, AdminHandler handler) throws IOException {
        if (handOver.isEmpty()) {
            return AdminServer.open(path, adminGroup, ownUid, handler);
        }
        HandOver given = handOver.get();
        Optional<ServerSocketChannel> handed = given.adminListenerFd().isPresent()
                ? adminListenerChannel(os, given) : Optional.empty();
        if (handed.isPresent() && samePath(given.adminSocket(), path)) {
            return AdminServer.takeOver(handed.get(), path, adminGroup, ownUid, handler);
        }
        if (handed.isEmpty()) {
            removeAdminSocketOf(given); // its listener is gone with the exec: nobody would answer there
        }
        AdminServer admin;
        try {
            admin = AdminServer.open(path, adminGroup, ownUid, handler);
        } catch (IOException e) {
            handed.ifPresent(HandOvers::closeQuietly);
            throw e;
        }
        handed.ifPresent(old -> {
            Log.info("upgrade: the admin socket moves from %s to %s; the old path answers until the upgrade has "
                    + "ended", given.adminSocket(), path);
            admin.alsoServe(old, given.adminSocket());
        });
        return admin;
    }

    /**
     * The upgrade has ended (its replacement done or failed): the old admin path, if the upgrade moved it, is
     * removed and its listener closed once what waits in it is answered. On the master thread.
     */
    static void retireOldAdminSocket(HandOver given, AdminServer admin) {
        if (!samePath(given.adminSocket(), admin.path())) {
            admin.retireOldSocket(given.adminSocket());
        }
    }

    /**
     * The handed-over admin listener as a channel of the JDK's, which makes one of an inherited descriptor only
     * for fd 0 ({@code System.inheritedChannel()}); and closing that one points fds 0, 1 and 2 at /dev/null
     * (verified on JDK 17 and 25), which would silence the master's log. So a channel of its own is bound to a
     * temporary path beside the admin socket and the handed-over socket is dup2'ed onto that channel's
     * descriptor: the channel then accepts from, and closes, the handed-over socket like one it had bound.
     */
    private static Optional<ServerSocketChannel> adminListenerChannel(Os os, HandOver given) {
        int handed = given.adminListenerFd().getAsInt();
        Path temporary = given.adminSocket().resolveSibling(".handover-" + os.pid() + ".sock");
        ServerSocketChannel channel = null;
        try {
            AdminServer.deleteIfSocket(temporary); // one a master that died here left behind
            channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            channel.bind(UnixDomainSocketAddress.of(temporary), 1);
            int own = os.findUnixListener(temporary).orElseThrow(() -> new IOException(
                    "the descriptor of " + temporary + " not found"));
            os.dup2(handed, own);
            return Optional.of(channel);
        } catch (IOException | RuntimeException e) { // OsException among the first
            Log.warn("upgrade: cannot take over the admin socket's listener: %s; binding it afresh", e.getMessage());
            if (channel != null) {
                closeQuietly(channel);
            }
            return Optional.empty();
        } finally {
            try {
                os.close(handed); // the channel has its own copy now, or the socket is let go
            } catch (OsException e) {
                Log.warn("%s", e.getMessage());
            }
            try {
                AdminServer.deleteIfSocket(temporary);
            } catch (IOException e) {
                Log.warn("upgrade: cannot remove %s: %s", temporary, e.getMessage());
            }
        }
    }

    private static boolean samePath(Path one, Path other) {
        return one.toAbsolutePath().normalize().equals(other.toAbsolutePath().normalize());
    }

    private static void closeQuietly(ServerSocketChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            Log.warn("upgrade: closing the old admin listener: %s", e.getMessage());
        }
    }

    /**
     * The socket the old master handed over. A changed {@code listen} or {@code backlog} is applied as a reload
     * applies it ({@link SharedSocket#rebind}): a new backlog in place; a new address bound beside the handed
     * socket, which the old workers keep serving until they have moved over (the caller ends the move with
     * {@link SharedSocket#moveDone}). If the new address cannot be bound, the workers go on on the handed socket,
     * and the log says so. One that came from systemd stays systemd's.
     */
    static SharedSocket socketOf(Os os, HandOver given, HerdConfig config) {
        HandOver.Socket handed = given.socket();
        if (handed.fromSystemd()) {
            return SharedSocket.adopted(os, handed.fd(), handed.bound(), config.listen(), config.backlog());
        }
        SharedSocket socket = SharedSocket.handedOver(os, handed.fd(), handed.bound(), handed.configured(),
                handed.backlog());
        if (socket.differsFrom(config.listen(), config.backlog())) {
            try {
                socket.rebind(config.listen(), config.backlog());
                socket.keepRebind();
            } catch (ConfigException | OsException e) {
                Log.error("upgrade: cannot listen on %s (backlog %d): %s; the workers go on serving on %s (a "
                        + "reload tries again)", config.listen(), config.backlog(), e.getMessage(), handed.bound());
                return socket;
            }
            if (!socket.address().equals(handed.bound())) {
                Log.info("upgrade: listening on %s; the workers move over from %s one by one", socket.address(),
                        handed.bound());
            }
        }
        return socket;
    }

    /** The old master's workers: their channels are read from now on, as if this master had started them. */
    static void watchChannels(HandOver given, WorkerLauncher launcher) throws IOException {
        for (HandOver.Worker worker : given.workers()) {
            launcher.adopt(worker.channels());
        }
    }

    /**
     * The admin socket file the master before the upgrade bound, when this master does not serve it: removed only
     * if it is a socket (never through a symlink), so that the admin server binds afresh, at the same path or
     * another.
     */
    static void removeAdminSocketOf(HandOver given) {
        try {
            AdminServer.deleteIfSocket(given.adminSocket());
        } catch (IOException e) {
            Log.warn("upgrade: cannot remove the old admin socket %s: %s", given.adminSocket(), e.getMessage());
        }
    }



    /** The old master's pid file, if the configuration now names another: removed if it holds this pid. */
    static void removePidFileOf(HandOver given, Optional<Path> pidFile, int pid) {
        if (given.pidFile().isEmpty() || given.pidFile().map(Path::toAbsolutePath)
                .equals(pidFile.map(Path::toAbsolutePath))) {
            return;
        }
        try {
            PidFile.removeIfHolds(given.pidFile().get(), pid);
        } catch (IOException e) {
            Log.warn("upgrade: cannot remove the old pid file %s: %s", given.pidFile().get(), e.getMessage());
        }
    }
}
