package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A FIFO standing in for a pipe the master gives a worker by descriptor number (the notify pipe, the promotion
 * pipe): the worker API finds it through /proc/self/fd/N, as in a worker. It is held open for reading and writing
 * ({@link #holder()}), so that no open of it blocks; closing the holder ends the pipe for a reader.
 */
final class TestFifo implements AutoCloseable {

    private final Path path;
    private final RandomAccessFile holder;

    private TestFifo(Path path, RandomAccessFile holder) {
        this.path = path;
        this.holder = holder;
    }

    static TestFifo create(Path path) throws IOException, InterruptedException {
        Process mkfifo = new ProcessBuilder("mkfifo", path.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo failed");
        return new TestFifo(path, new RandomAccessFile(path.toFile(), "rw")); // O_RDWR: a FIFO's open returns at once
    }

    Path path() {
        return path;
    }

    /** The FIFO's open read-write end, as the master's end of the pipe. */
    RandomAccessFile holder() {
        return holder;
    }

    /** The number of the holder's descriptor, as the master passes it in HERD_NOTIFY_FD or HERD_PROMOTION_FD. */
    int descriptor() throws IOException {
        try (Stream<Path> descriptors = Files.list(Path.of("/proc/self/fd"))) {
            for (Path descriptor : descriptors.toList()) {
                try {
                    if (Files.readSymbolicLink(descriptor).equals(path)) {
                        return Integer.parseInt(descriptor.getFileName().toString());
                    }
                } catch (IOException e) {
                    // the listing's own descriptor, closed by now
                }
            }
        }
        throw new AssertionError("the FIFO is not open in this process");
    }

    @Override
    public void close() throws IOException {
        holder.close();
    }
}
