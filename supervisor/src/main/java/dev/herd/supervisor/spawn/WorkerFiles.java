package dev.herd.supervisor.spawn;

import dev.herd.log.Log;
import dev.herd.worker.WorkerContract;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The master's private directory (0700, removed at exit) for what each worker process gets of its own: a counters
 * file (layout in {@link WorkerContract#STATS_FILE_BYTES}) and a notify socket. Both are named by the worker's
 * serial, so the old and the new worker of a slot never share one during a rolling restart. Used on the master
 * thread only.
 */
final class WorkerFiles implements AutoCloseable {

    private final Path directory;
    /** The mapped counters of each live worker, by serial. */
    private final Map<Integer, ByteBuffer> counters = new HashMap<>();

    private WorkerFiles(Path directory) {
        this.directory = directory;
    }

    static WorkerFiles create() throws IOException {
        return new WorkerFiles(Files.createTempDirectory("herd-")); // 0700 on POSIX file systems
    }

    /**
     * The directory of the master this one was upgraded from (same process, same user): its workers' notify
     * sockets are bound there and their counters files are mapped by them, so it is kept, not made anew.
     *
     * @throws IOException if it is no directory of ours (a symlink, another owner)
     */
    static WorkerFiles adopt(Path directory, int ownUid) throws IOException {
        boolean directoryOfOurs = Files.isDirectory(directory, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                && (int) Files.getAttribute(directory, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS) == ownUid;
        if (!directoryOfOurs) {
            throw new IOException("the workers' directory " + directory + " handed over is not a directory of ours");
        }
        return new WorkerFiles(directory);
    }

    Path directory() {
        return directory;
    }

    /** Maps the counters file of a worker the master adopted, if it still has one. */
    void mapExisting(int serial) throws IOException {
        Path file = statsFile(serial);
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            counters.put(serial, channel.map(FileChannel.MapMode.READ_WRITE, 0, WorkerContract.STATS_FILE_BYTES)
                    .order(ByteOrder.nativeOrder()));
        }
    }

    /**
     * Creates the worker's zeroed counters file, maps it, and returns its path for the worker's environment. The
     * master reads its mapping, not the file: recycling looks at the counters on every turn of the loop.
     */
    Path createStatsFile(int serial) throws IOException {
        Path file = statsFile(serial);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            // A fresh mapping of a file extended to its size reads as zeros; it outlives the channel.
            counters.put(serial, channel.map(FileChannel.MapMode.READ_WRITE, 0, WorkerContract.STATS_FILE_BYTES)
                    .order(ByteOrder.nativeOrder()));
        }
        return file;
    }

    /**
     * Lets workers running as another user reach their files here (0711: they may traverse the directory, not
     * list it; each file is then made its worker's).
     */
    void openToOtherUsers() throws IOException {
        Files.setPosixFilePermissions(directory, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
    }

    /** Where the worker's notify socket goes (a path well under the 108-byte limit of sockaddr_un). */
    Path notifySocket(int serial) {
        return directory.resolve("w" + serial + ".notify");
    }

    /** What the worker has published so far; empty for a worker that has no counters (any more). */
    Optional<WorkerSpawner.Counters> read(int serial) {
        ByteBuffer mapped = counters.get(serial);
        return mapped == null ? Optional.empty() : Optional.of(new WorkerSpawner.Counters(
                mapped.getLong(WorkerContract.OPEN_CONNECTIONS_OFFSET), mapped.getLong(WorkerContract.SERVED_OFFSET)));
    }

    /** Removes the counters file of a reaped worker (its notify socket is {@link WorkerIo}'s to remove). */
    void remove(int serial) {
        counters.remove(serial);
        try {
            Files.deleteIfExists(statsFile(serial));
        } catch (IOException e) {
            Log.warn("removing %s: %s", statsFile(serial), e.getMessage());
        }
    }

    private Path statsFile(int serial) {
        return directory.resolve("w" + serial + ".stats");
    }

    @Override
    public void close() {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(file);
            }
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            Log.warn("removing %s: %s", directory, e.getMessage());
        }
    }
}
