package dev.herd.worker.app;

import java.nio.channels.ServerSocketChannel;
import java.util.concurrent.Executor;

/**
 * A built-in worker application, driven by {@code WorkerMain} through the same {@code Herd} API a user's own app
 * uses. {@link #start} returns once the app accepts; {@link #drain} runs on the drain thread and stops accepting
 * at once, finishes the exchanges in progress and closes idle connections; {@link #awaitStopped} is where the main
 * thread waits for all of that.
 */
public interface App {

    /**
     * Starts accepting on {@code listener} and returns once it does. The channel is in the JDK's blocking mode; the
     * socket under it may be non-blocking (O_NONBLOCK is shared with every other worker), which the JDK's accept()
     * absorbs by waiting in poll() after EAGAIN.
     */
    void start(ServerSocketChannel listener) throws Exception;

    /**
     * In a hot spare, before it waits for its promotion: runs what the first connection will run, off the shared
     * socket, so that a promoted spare serves at once, its code loaded and compiled. Nothing by default.
     */
    default void warmUp() throws Exception {
    }

    /** The executor that runs the app's exchanges; heartbeats are submitted to it, so a stuck app stops beating. */
    Executor requestExecutor();

    /** Stops accepting now, lets the exchanges in progress finish, closes idle connections; may block. */
    void drain();

    /**
     * Blocks until the app has stopped: returns after a finished drain, throws if it stopped serving on its own
     * (the shared socket failed outside a drain).
     */
    void awaitStopped() throws Exception;

    /** The built-in app with this name; names are checked by the config module before a worker starts. */
    static App named(String name) {
        return switch (name) {
            case "echo" -> new EchoApp();
            case "http" -> new HttpApp();
            default -> throw new IllegalArgumentException("unknown app '" + name + "'");
        };
    }
}
