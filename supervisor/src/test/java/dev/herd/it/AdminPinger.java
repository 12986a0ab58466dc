package dev.herd.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A client of the admin socket as scripts are: every {@link #INTERVAL_MILLIS} ms a new connection, one {@code ping},
 * its reply, close. A refused or reset connection, one closed without a reply, or any reply but a pong counts as a
 * failure (the first kept for the message). Until {@link #close()}.
 */
final class AdminPinger implements AutoCloseable {

    static final long INTERVAL_MILLIS = 20;

    private final Path socket;
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong longestNanos = new java.util.concurrent.atomic.AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean running = true;

    AdminPinger(Path socket) {
        this.socket = socket;
        thread = new Thread(this::run, "admin-pinger");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            long start = System.nanoTime();
            try (AdminSocketClient client = new AdminSocketClient(socket)) {
                JsonNode reply = client.request("{\"command\":\"ping\"}");
                if (reply != null && reply.path("pong").asBoolean(false)) {
                    answered.incrementAndGet();
                } else {
                    fail(reply == null ? "closed without a reply" : "replied " + reply);
                }
            } catch (IOException e) {
                fail(e.toString());
            }
            longestNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS)); // the pace, not a synchronisation
        }
    }

    private void fail(String why) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, why);
    }

    int answered() {
        return answered.get();
    }

    int failed() {
        return failed.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(30));
    }

    @Override
    public String toString() {
        return "answered " + answered() + ", failed " + failed() + ", first failure: " + firstFailure.get()
                + ", longest round trip " + TimeUnit.NANOSECONDS.toMillis(longestNanos.get()) + " ms";
    }
}
