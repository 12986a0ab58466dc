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
 * A worker's counters, shared with the master through a small memory-mapped file (layout in
 * {@link WorkerContract#STATS_FILE_BYTES}). A unit served is whatever the app counts as one piece of work: a
 * connection for {@code echo}, a request for {@code http}; the master recycles a worker after {@code maxRequests}
 * of them, reading its own mapping of the file on its loop's turns. The counters are updated in place with atomic
 * adds on the mapping, so concurrent threads need no lock and the master never sees half a number or a lost update.
 */
final class WorkerStats {

    private static final int OPEN_OFFSET = WorkerContract.OPEN_CONNECTIONS_OFFSET;
    private static final int SERVED_OFFSET = WorkerContract.SERVED_OFFSET;
    private static final int FILE_BYTES = WorkerContract.STATS_FILE_BYTES;
    private static final VarHandle COUNTER =
            MethodHandles.byteBufferViewVarHandle(long[].class, ByteOrder.nativeOrder());

    private final ByteBuffer counters;

    private WorkerStats(ByteBuffer counters) {
        this.counters = counters;
    }

    /** The stats file named by the environment, or counters kept in memory only (a worker started by hand). */
    static WorkerStats fromEnvironment() throws IOException {
        return forFile(System.getenv(WorkerContract.STATS_FILE));
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

    void connectionOpened() {
        COUNTER.getAndAdd(counters, OPEN_OFFSET, 1L);
    }

    void connectionClosed() {
        COUNTER.getAndAdd(counters, OPEN_OFFSET, -1L);
    }

    /** One more unit of work done: a request, or for a connection-oriented app such as echo, a connection. */
    void requestServed() {
        COUNTER.getAndAdd(counters, SERVED_OFFSET, 1L);
    }

    long openConnections() {
        return (long) COUNTER.getVolatile(counters, OPEN_OFFSET);
    }

    long served() {
        return (long) COUNTER.getVolatile(counters, SERVED_OFFSET);
    }
}
