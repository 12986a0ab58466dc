package dev.herd.worker;

import dev.herd.log.Log;
import java.util.ArrayList;
import java.util.List;

/**
 * The start of a worker's drain, triggered once by SIGTERM or by the master's disappearance: it announces
 * {@code STOPPING=1}, then runs the app's drain callbacks in the order they were registered, on a thread of their
 * own ({@code herd-drain}) so that a callback that blocks until its server has stopped holds up neither the
 * signal's thread nor the lifeline's deadline. A callback registered after the drain began runs at once.
 */
final class Drain {

    private final Runnable announceStopping;
    private final List<Runnable> callbacks = new ArrayList<>();
    private String reason;

    Drain(Runnable announceStopping) {
        this.announceStopping = announceStopping;
    }

    synchronized void onDrain(Runnable callback) {
        if (reason == null) {
            callbacks.add(callback);
        } else {
            runOnDrainThread(List.of(callback));
        }
    }

    /** Idempotent: SIGTERM may arrive more than once, and the lifeline may break during a drain. */
    synchronized void begin(String why) {
        if (reason != null) {
            return;
        }
        reason = why;
        Log.info("%s: draining", why);
        announceStopping.run();
        runOnDrainThread(List.copyOf(callbacks));
        callbacks.clear();
    }

    synchronized String reason() {
        return reason;
    }

    private static void runOnDrainThread(List<Runnable> toRun) {
        // Not a daemon: a callback that finishes the app's in-flight work must not be cut short by the JVM's exit.
        Thread thread = new Thread(() -> toRun.forEach(Drain::runContained), "herd-drain");
        thread.setDaemon(false); // said, not inherited: the signal thread that starts a drain is a daemon
        thread.start();
    }

    private static void runContained(Runnable callback) {
        try {
            callback.run();
        } catch (RuntimeException e) {
            // One failing callback must not keep the others from stopping their part of the app.
            Log.error("drain callback %s failed: %s", callback, e);
        }
    }
}
