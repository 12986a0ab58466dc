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
 * The master's side of {@link WorkerStats}: one 16-byte counters file per slot in a private directory (0700,
 * removed at exit). Zeroed before each worker of the slot starts, read when status is asked for.
 */
final class WorkerStatsFiles implements AutoCloseable {

    /** Connections open now and served so far, as the slot's current worker last published them. */
    record Counters(long open, long served) {
    }

    private final Path directory;

    private WorkerStatsFiles(Path directory) {
        this.directory = directory;
    }

    static WorkerStatsFiles create() throws IOException {
        return new WorkerStatsFiles(Files.createTempDirectory("herd-stats-")); // 0700 on POSIX file systems
    }

    /** Zeroes the slot's file for a new worker and returns its path for the worker's environment. */
    Path resetFor(int slot) throws IOException {
        Path file = fileFor(slot);
        Files.write(file, new byte[WorkerStats.FILE_BYTES]);
        return file;
    }

    Optional<Counters> read(int slot) {
        try {
            ByteBuffer bytes = ByteBuffer.wrap(Files.readAllBytes(fileFor(slot))).order(ByteOrder.nativeOrder());
            return bytes.remaining() < WorkerStats.FILE_BYTES ? Optional.empty()
                    : Optional.of(new Counters(bytes.getLong(0), bytes.getLong(8)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private Path fileFor(int slot) {
        return directory.resolve("worker-" + slot + ".stats");
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
