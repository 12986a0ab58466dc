package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.LogCapture;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A hot spare's wait for its promotion, with a FIFO standing in for the promotion pipe the master gives a spare as
 * fd 5: the worker API finds it by descriptor number, as in a spare. The spare says it is warm, then wakes for the
 * slot number the master writes, for the end of the pipe, or for a drain.
 */
class PromotionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @TempDir
    Path directory;
    /** The promotion pipe; its holder is the master's end. */
    private TestFifo fifo;
    private RandomAccessFile master;
    private final List<String> sent = new CopyOnWriteArrayList<>();
    private final ExecutorService spare = Executors.newSingleThreadExecutor();
    private WorkerContext context;

    @BeforeEach
    void openFifo() throws Exception {
        fifo = TestFifo.create(directory.resolve("promotion"));
        master = fifo.holder();
        Notifier recorder = new Notifier() {
            @Override
            public void send(String message) {
                sent.add(message);
            }

            @Override
            public String describe() {
                return "recorder";
            }
        };
        context = new WorkerContext(WorkerEnvironment.from(Map.of("HERD_MASTER_PID", "1", "HERD_WORKER_SLOT", "0",
                "HERD_PROMOTION_FD", Integer.toString(fifo.descriptor())), 2), Optional.of(recorder),
                WorkerStats.forFile(null));
    }

    @AfterEach
    void close() throws IOException {
        spare.shutdownNow();
        fifo.close();
    }

    @Test
    void theSpareSaysItIsWarmAndTakesTheSlotTheMasterWrites() throws Exception {
        Future<Boolean> promoted = spare.submit(context::awaitPromotion);
        awaitSent("X_HERD_SPARE=1");
        assertFalse(promoted.isDone(), "it waits");
        assertEquals(0, context.slot());

        master.write("7\n".getBytes(StandardCharsets.US_ASCII));

        assertTrue(promoted.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(7, context.slot());
        assertTrue(context.awaitPromotion(), "a second call answers at once, and the same");
    }

    @Test
    void theEndOfThePipeMeansTheSpareIsNotNeeded() throws Exception {
        Future<Boolean> promoted = spare.submit(context::awaitPromotion);
        awaitSent("X_HERD_SPARE=1");

        master.close(); // the master's end closes: it retired the spare, or is gone

        assertFalse(promoted.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals(0, context.slot());
    }

    @Test
    void aDrainWhileWaitingEndsTheWait() throws Exception {
        Future<Boolean> promoted = spare.submit(context::awaitPromotion);
        awaitSent("X_HERD_SPARE=1");

        context.beginDrain("SIGTERM");

        assertFalse(promoted.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertFalse(context.awaitPromotion(), "nor does a later call wait");
    }

    @Test
    void somethingOtherThanASlotNumberIsAnError() throws Exception {
        Future<Boolean> promoted = spare.submit(context::awaitPromotion);
        awaitSent("X_HERD_SPARE=1");

        master.write("soon\n".getBytes(StandardCharsets.US_ASCII));

        Exception failed = assertThrows(Exception.class, () -> promoted.get(DEADLINE.toMillis(),
                TimeUnit.MILLISECONDS));
        assertTrue(failed.getCause() instanceof IOException, failed.toString());
        assertTrue(failed.getCause().getMessage().contains("no slot number"), failed.getCause().getMessage());
    }

    @Test
    void aWorkerThatIsNoSpareIsPromotedAlready() throws IOException {
        WorkerContext worker = new WorkerContext(WorkerEnvironment.from(Map.of("HERD_MASTER_PID", "1",
                "HERD_WORKER_SLOT", "2"), 2), Optional.empty(), WorkerStats.forFile(null));
        assertTrue(worker.awaitPromotion());
        assertEquals(2, worker.slot());
    }

    private void awaitSent(String message) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!sent.contains(message) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(1_000_000); // the polling interval, not a wait for the outcome
        }
        assertTrue(sent.contains(message), "sent: " + sent);
    }
}
