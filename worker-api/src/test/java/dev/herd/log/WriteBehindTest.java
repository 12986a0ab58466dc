package dev.herd.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WriteBehindTest {

    @Test
    void aStalledSinkCostsTheCallerNothingAndTheDroppedLinesAreToldOnceItTakesLinesAgain() throws Exception {
        CountDownLatch sinkStalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> written = new CopyOnWriteArrayList<>();
        WriteBehind writer = new WriteBehind(8, line -> {
            sinkStalled.countDown();
            awaitQuietly(release);
            written.add(line);
        }, count -> "dropped " + count);

        writer.offer("first", false); // taken by the writer, which then stalls in the sink
        assertTrue(sinkStalled.await(10, TimeUnit.SECONDS));
        for (int i = 0; i < 20; i++) {
            writer.offer("worker " + i, true); // 6 fit (three quarters of 8), 14 are dropped
        }
        for (int i = 0; i < 4; i++) {
            writer.offer("master " + i, false); // the reserve takes 2, 2 are dropped
        }
        assertEquals(16, writer.droppedInAll());

        release.countDown();
        writer.drain(10_000);
        assertEquals("first", written.get(0));
        assertEquals(List.of("worker 0", "worker 1", "worker 2", "worker 3", "worker 4", "worker 5", "master 0",
                "master 1"), written.stream().filter(line -> !line.startsWith("dropped") && !line.equals("first"))
                .toList());
        assertEquals(List.of("dropped 16"), written.stream().filter(line -> line.startsWith("dropped")).toList());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
