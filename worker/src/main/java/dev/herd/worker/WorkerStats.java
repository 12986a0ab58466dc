package dev.herd.worker;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A worker's counters, shared with the master through a small memory-mapped file ({@code HERD_STATS_FILE}): two
 * 64-bit counters in native byte order, connections open now at offset 0 and units served at offset 8. A unit is
 * whatever the app counts as one piece of work: a connection for {@code echo}, a request for {@code http}; the
 * master recycles a worker after {@code maxRequests} of them. The master reads the file when asked for status;
 * nothing is sent, nothing polled. The counters are updated in place with atomic adds on the mapping, so
 * concurrent threads need no lock and the master never sees half a number or a lost update.
 */
public final class WorkerStats {

    public static final String FILE_VARIABLE = "HERD_STATS_FILE";
    public static final int FILE_BYTES = 16;

    private static final int OPEN_OFFSET = 0;
    private static final int SERVED_OFFSET = 8;
    private static final VarHandle COUNTER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final ByteBuffer counters;

    private WorkerStats(ByteBuffer counters) {
        this.counters = counters;
    }

    /** The stats file named by the environment, or counters kept in memory only (a worker started by hand). */
    public static WorkerStats fromEnvironment() throws IOException {
        return forFile(System.getenv(FILE_VARIABLE));
    }

    static WorkerStats forFile(String file) throws IOException {
        if (file == null || file.isEmpty()) {
            // Direct, like a mapping: atomic access through a VarHandle needs an aligned direct buffer.
            return new WorkerStats(ByteBuffer.allocateDirect(FILE_BYTES));
        }
        try (FileChannel channel = FileChannel.open(Path.of(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // The mapping outlives the channel.
            return new WorkerStats(channel.map(FileChannel.MapMode.READ_WRITE, 0, FILE_BYTES));
        }
    }

    public void connectionOpened() {
        COUNTER.getAndAdd(counters, OPEN_OFFSET, 1L);
    }

    public void connectionClosed() {
        COUNTER.getAndAdd(counters, OPEN_OFFSET, -1L);
    }

    /** One more unit of work done: a request, or for a connection-oriented app such as echo, a connection. */
    public void requestServed() {
        COUNTER.getAndAdd(counters, SERVED_OFFSET, 1L);
    }

    public long openConnections() {
        return (long) COUNTER.getVolatile(counters, OPEN_OFFSET);
    }

    public long served() {
        return (long) COUNTER.getVolatile(counters, SERVED_OFFSET);
    }
}
