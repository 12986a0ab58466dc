package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The worker side of the notify protocol against a real datagram socket standing in for the master. */
class WorkerContextTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    /** The failures provoked here (a throwing callback, a rejecting executor, a gone master) are logged on purpose. */
    @RegisterExtension
    final LogCapture log = new LogCapture();

    @TempDir
    Path directory;
    private UnixDatagramChannel master;
    private String socketPath;

    @BeforeEach
    void bindMasterSocket() throws IOException {
        socketPath = directory.resolve("worker-1.sock").toString();
        master = UnixDatagramChannel.open();
        master.bind(new UnixSocketAddress(socketPath));
        master.configureBlocking(false);
    }

    private final List<WorkerContext> contexts = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeMasterSocket() throws IOException {
        contexts.forEach(WorkerContext::stopHeartbeats);
        master.close();
    }

    @Test
    void sendsReadyStatusAndStopping() throws IOException {
        WorkerContext context = contextWith(Map.of());
        assertTrue(context.ready());
        assertTrue(context.status("warm\nup"));
        assertTrue(context.stopping());
        assertEquals("READY=1", nextMessage());
        assertEquals("STATUS=warm up", nextMessage());
        assertEquals("STOPPING=1", nextMessage());
    }

    @Test
    void withoutANotifySocketEverythingIsANoOp() throws IOException {
        WorkerContext context = new WorkerContext(WorkerEnvironment.from(Map.of("WATCHDOG_USEC", "1000"), 1),
                Optional.empty(), WorkerStats.forFile(null));
        assertFalse(context.ready());
        assertFalse(context.heartbeat());
        assertFalse(context.startHeartbeats(Runnable::run));
    }

    @Test
    void aMasterThatIsGoneIsReportedNotThrown() throws IOException {
        WorkerContext context = contextWith(Map.of());
        master.close();
        java.nio.file.Files.delete(Path.of(socketPath));
        assertFalse(context.ready());
        log.expect(Log.Level.WARN, "READY=1 not delivered");
    }

    @Test
    void heartbeatsRunOnTheGivenExecutor() throws IOException {
        WorkerContext context = contextWith(Map.of("WATCHDOG_USEC", "20000")); // a beat every 10 ms
        List<String> threads = new CopyOnWriteArrayList<>();
        assertTrue(context.startHeartbeats(task -> {
            threads.add(Thread.currentThread().getName());
            new Thread(task, "request-pool").start();
        }));
        assertEquals("WATCHDOG=1", nextMessage());
        assertEquals("WATCHDOG=1", nextMessage());
        assertEquals("herd-heartbeat", threads.get(0));
        assertThrows(IllegalStateException.class, () -> context.startHeartbeats(Runnable::run));
    }

    @Test
    void aStuckExecutorSendsNoHeartbeat() throws IOException {
        WorkerContext context = contextWith(Map.of("WATCHDOG_USEC", "20000"));
        BlockingQueue<Runnable> neverRun = new LinkedBlockingQueue<>();
        context.startHeartbeats(neverRun::add);
        awaitTrue(() -> neverRun.size() >= 3);
        assertFalse(tryReceive(ByteBuffer.allocate(256)), "a beat was sent though no task ran");
    }

    @Test
    void aRejectingExecutorDoesNotStopTheTimer() throws IOException {
        WorkerContext context = contextWith(Map.of("WATCHDOG_USEC", "20000"));
        List<Runnable> rejected = new CopyOnWriteArrayList<>();
        context.startHeartbeats(task -> {
            rejected.add(task);
            throw new java.util.concurrent.RejectedExecutionException("pool stopped");
        });
        awaitTrue(() -> rejected.size() >= 3);
        log.await(Log.Level.WARN, "heartbeat not submitted, the executor rejected it: pool stopped", DEADLINE);
    }

    @Test
    void drainSendsStoppingThenRunsCallbacksOnceInOrder() throws IOException, InterruptedException {
        WorkerContext context = contextWith(Map.of());
        BlockingQueue<String> ran = new LinkedBlockingQueue<>();
        Drain drain = new Drain(context::stopping);
        drain.onDrain(() -> ran.add("first"));
        drain.onDrain(() -> {
            throw new IllegalStateException("a failing callback");
        });
        drain.onDrain(() -> ran.add("second:" + Thread.currentThread().getName()));
        drain.begin("SIGTERM");
        drain.begin("master is gone");

        assertEquals("STOPPING=1", nextMessage());
        assertEquals("first", ran.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertEquals("second:herd-drain", ran.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertTrue(log.expect(Log.Level.ERROR, "drain callback").contains("a failing callback"));
        assertEquals("SIGTERM", drain.reason());

        drain.onDrain(() -> ran.add("late"));
        assertEquals("late", ran.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        assertFalse(tryReceive(ByteBuffer.allocate(256)), "STOPPING=1 was sent twice");
    }

    private WorkerContext contextWith(Map<String, String> extra) throws IOException {
        Map<String, String> env = new java.util.HashMap<>(extra);
        env.put("NOTIFY_SOCKET", socketPath);
        WorkerEnvironment environment = WorkerEnvironment.from(env, ProcessHandle.current().pid());
        WorkerContext context = new WorkerContext(environment, SdNotify.fromEnvironment(env, "NOTIFY_SOCKET").map(Notifier.class::cast),
                WorkerStats.forFile(null));
        contexts.add(context);
        return context;
    }

    /** The next datagram the master socket received, polled until a deadline. */
    private String nextMessage() throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!tryReceive(buffer)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no datagram within " + DEADLINE);
            }
            Thread.onSpinWait();
        }
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }

    /** A non-blocking receive; jnr reports an empty queue as an IOException (EAGAIN) rather than null. */
    private boolean tryReceive(ByteBuffer buffer) throws IOException {
        try {
            return master.receive(buffer) != null;
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("temporarily unavailable")) {
                return false;
            }
            throw e;
        }
    }

    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + DEADLINE);
            }
            Thread.onSpinWait();
        }
    }
}
