package dev.herd.supervisor.master;

import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.spawn.SharedSocket;
import dev.herd.supervisor.spawn.WorkerLauncher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
                             int lifelineWriteFd, WorkerLauncher launcher, Path adminSocket, Optional<Path> pidFile) {
        List<HandOver.Worker> handed = new ArrayList<>();
        for (WorkerHandle worker : workers) {
            launcher.channels(worker.serial()).ifPresent(channels -> handed.add(new HandOver.Worker(worker.slot(),
                    worker.serial(), worker.pid(), worker.jvm(), worker.state() == WorkerState.READY, channels)));
        }
        return new HandOver(upgrades, new HandOver.Socket(socket.fd(), socket.configured(), socket.address(),
                socket.backlog(), socket.fromSystemd()), lifelineReadFd, lifelineWriteFd, launcher.workerDirectory(),
                adminSocket, pidFile, handed);
    }

    /**
     * The socket the old master handed over. A changed {@code listen} is not applied by an upgrade yet: the
     * workers go on serving on the socket they have (docs/upgrade.md). One that came from systemd stays systemd's.
     */
    static SharedSocket socketOf(Os os, HandOver given, HerdConfig config) {
        HandOver.Socket handed = given.socket();
        if (handed.fromSystemd()) {
            return SharedSocket.adopted(os, handed.fd(), handed.bound(), config.listen(), config.backlog());
        }
        if (!handed.configured().equals(config.listen())) {
            Log.warn("upgrade: listen changed from %s to %s; an upgrade keeps the socket it was handed (%s): "
                    + "reload to move the workers to the new address", handed.configured(), config.listen(),
                    handed.bound());
        }
        return SharedSocket.handedOver(os, handed.fd(), handed.bound(), handed.configured(), handed.backlog());
    }

    /** The old master's workers: their channels are read from now on, as if this master had started them. */
    static void watchChannels(HandOver given, WorkerLauncher launcher) throws IOException {
        for (HandOver.Worker worker : given.workers()) {
            launcher.adopt(worker.channels());
        }
    }

    /**
     * The admin socket file the master before the upgrade bound: its exec closed the listener and left the file.
     * Removed only if it is a socket (never through a symlink), so that the admin server binds afresh, at the same
     * path or another.
     */
    static void removeAdminSocketOf(HandOver given) {
        Path old = given.adminSocket();
        try {
            if (Files.readAttributes(old, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
                Files.delete(old);
            }
        } catch (NoSuchFileException gone) {
            // nothing left behind
        } catch (IOException e) {
            Log.warn("upgrade: cannot remove the old admin socket %s: %s", old, e.getMessage());
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
