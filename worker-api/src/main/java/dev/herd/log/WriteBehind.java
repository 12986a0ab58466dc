package dev.herd.log;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongFunction;

/**
 * A bounded queue of log lines and the one thread that writes them ({@link Log#writeBehind}). {@link #offer}
 * never blocks: a full queue drops the line and counts it, and the writer puts a notice of the count before a
 * line it writes once the reader has caught up to half the queue, or every {@link #NOTICE_INTERVAL_NANOS} while
 * it does not (a notice per line would only add to what the reader cannot take).
 */
final class WriteBehind {

    private static final long NOTICE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final BlockingQueue<String> lines;
    private final int capacity;
    /** Lines offered and not yet written (queued, or being written). */
    private final AtomicLong pending = new AtomicLong();
    private final Consumer<String> sink;
    private final LongFunction<String> droppedNotice;
    /** Dropped since the last notice; the writer takes it to 0 when it tells. */
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedInAll = new AtomicLong();
    private final Thread thread;
    private long lastNoticeNanos = System.nanoTime(); // the writer thread's

    WriteBehind(int capacity, Consumer<String> sink, LongFunction<String> droppedNotice) {
        this.lines = new ArrayBlockingQueue<>(capacity);
        this.capacity = capacity;
        this.sink = sink;
        this.droppedNotice = droppedNotice;
        this.thread = new Thread(this::run, "herd-log");
        thread.setDaemon(true); // the shutdown hook drains it; it must not keep a stopping JVM alive
        thread.start();
    }

    /**
     * Queues a line, or drops and counts it when the queue is full. A line another process wrote (a worker's
     * output) is dropped already at three quarters: the last quarter is kept for the master's own lines, so that a
     * chatty worker cannot crowd out what the master says about the pool.
     */
    void offer(String line, boolean relayed) {
        pending.incrementAndGet();
        if ((relayed && lines.size() >= capacity - capacity / 4) || !lines.offer(line)) {
            pending.decrementAndGet();
            dropped.incrementAndGet();
            droppedInAll.incrementAndGet();
        }
    }

    long droppedInAll() {
        return droppedInAll.get();
    }

    private void run() {
        while (true) {
            String line;
            try {
                line = lines.take();
            } catch (InterruptedException e) {
                return;
            }
            writeOne(line);
        }
    }

    private void writeOne(String line) {
        try {
            if (dropped.get() > 0 && (lines.size() <= capacity / 2
                    || System.nanoTime() - lastNoticeNanos >= NOTICE_INTERVAL_NANOS)) {
                sink.accept(droppedNotice.apply(dropped.getAndSet(0)));
                lastNoticeNanos = System.nanoTime();
            }
            sink.accept(line);
        } catch (RuntimeException e) {
            // A sink that throws (it should not: write errors are counted where they happen) must not end the
            // thread, or every later line would queue up and be dropped unwritten.
            System.err.println("herd: writing a log line failed: " + e);
        } finally {
            pending.decrementAndGet();
        }
    }

    /** Waits until every line offered is written (or {@code millis} passed): the lines queued at the JVM's exit. */
    void drain(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10); // the writer empties the queue; this only waits for it, with a bound
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
