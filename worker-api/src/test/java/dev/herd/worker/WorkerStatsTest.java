package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerStatsTest {

    @TempDir
    Path directory;

    @Test
    void countsOpenConnectionsAndServedRequestsSeparatelyInTheFile() throws IOException {
        Path file = directory.resolve("stats");
        Files.write(file, new byte[WorkerContract.STATS_FILE_BYTES]);
        WorkerStats stats = WorkerStats.forFile(file.toString());
        stats.connectionOpened();
        stats.connectionOpened();
        stats.requestServed();
        stats.requestServed();
        stats.requestServed();
        stats.connectionClosed();

        ByteBuffer written = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.nativeOrder());
        assertEquals(1, written.getLong(0));
        assertEquals(3, written.getLong(8));
    }

    @Test
    void concurrentUpdatesAreNotLost() throws InterruptedException, IOException {
        WorkerStats stats = WorkerStats.forFile(null);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread thread = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    stats.connectionOpened();
                    stats.requestServed();
                    stats.connectionClosed();
                }
            });
            thread.start();
            threads.add(thread);
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(0, stats.openConnections());
        assertEquals(40_000, stats.served());
    }
}
