package dev.herd.it.apps;

import dev.herd.worker.Herd;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A worker whose request thread gets stuck after it is ready, as a deadlock or an endless call would leave it:
 * its heartbeats go through that thread, so they stop, and herd must find it hung and log its thread dump. The
 * first connection it accepts is the moment it hangs.
 */
public final class HangingApp {

    private HangingApp() {
    }

    public static void main(String[] args) throws Exception {
        ServerSocketChannel listener = Herd.listener();
        ExecutorService requests = Executors.newSingleThreadExecutor(task -> new Thread(task, "stuck-request-thread"));
        Herd.onDrain(() -> System.exit(0));
        Herd.startHeartbeats(requests);
        Herd.ready();
        try (SocketChannel first = listener.accept()) {
            requests.execute(HangingApp::hangForever);
        }
        new CountDownLatch(1).await(); // the main thread waits for the kill
    }

    private static void hangForever() {
        try {
            new CountDownLatch(1).await(); // parked for good: no heartbeat gets through any more
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
