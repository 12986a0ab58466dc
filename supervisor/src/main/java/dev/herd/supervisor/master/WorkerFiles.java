package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.worker.WorkerStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The master's private directory (0700, removed at exit) for what each worker process gets of its own: a 16-byte
 * counters file (see {@link WorkerStats}) and a notify socket. Both are named by the worker's serial, so the old
 * and the new worker of a slot never share one during a rolling restart.
 */
final class WorkerFiles implements AutoCloseable {

    /** Connections open now and served so far (requests for an HTTP app), as the worker last published them. */
    record Counters(long open, long served) {
    }

    private final Path directory;

    private WorkerFiles(Path directory) {
        this.directory = directory;
    }

    static WorkerFiles create() throws IOException {
        return new WorkerFiles(Files.createTempDirectory("herd-")); // 0700 on POSIX file systems
    }

    /** Creates the worker's zeroed counters file and returns its path for the worker's environment. */
    Path createStatsFile(int serial) throws IOException {
        Path file = statsFile(serial);
        Files.write(file, new byte[WorkerStats.FILE_BYTES]);
        return file;
    }

    /** Where the worker's notify socket goes (a path well under the 108-byte limit of sockaddr_un). */
    Path notifySocket(int serial) {
        return directory.resolve("w" + serial + ".notify");
    }

    Optional<Counters> read(int serial) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(statsFile(serial))).order(ByteOrder.nativeOrder());
            return bytes.remaining() < WorkerStats.FILE_BYTES ? Optional.empty()
                    : Optional.of(new Counters(bytes.getLong(0), bytes.getLong(8)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Removes the files of a reaped worker. */
    void remove(int serial) {
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
