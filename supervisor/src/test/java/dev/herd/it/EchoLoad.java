package dev.herd.it;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Busy echo clients for the reliability tests: each thread opens a connection, exchanges a title, closes, and
 * starts over, until {@link #close()}. Counts what it attempted, what was echoed and what failed, with the first
 * failure for the message.
 */
final class EchoLoad implements AutoCloseable {

    static final String TITLE = "War and Peace";

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicInteger attempted = new AtomicInteger();
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();

    EchoLoad(int port, int clients) {
        for (int i = 0; i < clients; i++) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    attempted.incrementAndGet();
                    try {
                        String echo = EchoClient.roundTrip(port, TITLE);
                        if (echo.equals(TITLE)) {
                            served.incrementAndGet();
                        } else {
                            fail("wrong echo '" + echo + "'");
                        }
                    } catch (IOException e) {
                        fail(e.toString());
                    }
                }
            }, "echo-load-" + i);
            thread.setDaemon(true);
            thread.start();
            threads.add(thread);
        }
    }

    private void fail(String why) {
        failed.incrementAndGet();
        firstFailure.compareAndSet(null, why);
    }

    int attempted() {
        return attempted.get();
    }

    int served() {
        return served.get();
    }

    int failed() {
        return failed.get();
    }

    String firstFailure() {
        return firstFailure.get();
    }

    /** Waits until {@code more} further exchanges have been echoed (the clients are really running). */
    void awaitServed(int more, java.time.Duration timeout) {
        int target = served() + more;
        Poll.until(timeout, target + " echoed exchanges (failed " + failed() + ", first: " + firstFailure() + ")",
                () -> served() >= target);
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }

    @Override
    public String toString() {
        return "attempted " + attempted() + ", echoed " + served() + ", failed " + failed()
                + (firstFailure() == null ? "" : " (first: " + firstFailure() + ")");
    }
}
