package dev.herd.worker;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A worker's connection counters, shared with the master through a small memory-mapped file
 * ({@code HERD_STATS_FILE}): two 64-bit counters, connections open now at offset 0 and connections served at
 * offset 8, native byte order. The master reads them when asked for status; nothing is sent, nothing polled.
 * Aligned 8-byte stores are atomic on the platforms herd runs on, so a reader never sees half a number.
 */
public final class WorkerStats {

    public static final String FILE_VARIABLE = "HERD_STATS_FILE";
    public static final int FILE_BYTES = 16;

    private final ByteBuffer counters;
    private long open;
    private long served;

    private WorkerStats(ByteBuffer counters) {
        this.counters = counters;
    }

    /** The stats file named by the environment, or counters kept in memory only (a worker started by hand). */
    public static WorkerStats fromEnvironment() throws IOException {
        String file = System.getenv(FILE_VARIABLE);
        if (file == null || file.isEmpty()) {
            return new WorkerStats(null);
        }
        try (FileChannel channel = FileChannel.open(Path.of(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // The mapping outlives the channel.
            return new WorkerStats(channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES).order(ByteOrder.nativeOrder()));
        }
    }

    public synchronized void connectionOpened() {
        open++;
        served++;
        publish();
    }

    public synchronized void connectionClosed() {
        open--;
        publish();
    }

    private void publish() {
        if (counters != null) {
            counters.putLong(0, open);
            counters.putLong(8, served);
        }
    }
}
