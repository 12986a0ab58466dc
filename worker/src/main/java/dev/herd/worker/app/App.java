package dev.herd.worker.app;

import dev.herd.worker.WorkerStats;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;

/**
 * A built-in worker application. {@link #serve} accepts on the shared listening channel until the channel is
 * closed (the drain has begun), then returns; {@link #finishInFlight} closes idle connections and waits until the
 * ones in the middle of an exchange have finished.
 */
public interface App {

    /** Accepts and serves connections; returns once {@code listener} has been closed by a drain. */
    void serve(ServerSocketChannel listener) throws IOException;

    /** Closes idle connections and blocks until the busy ones have completed their exchange and closed. */
    void finishInFlight() throws InterruptedException;

    /** The built-in app with this name; names are checked by the config module before a worker starts. */
    static App named(String name, WorkerStats stats) {
        return switch (name) {
            case "echo" -> new EchoApp(stats);
            default -> throw new IllegalArgumentException("unknown app '" + name + "'");
        };
    }
}
