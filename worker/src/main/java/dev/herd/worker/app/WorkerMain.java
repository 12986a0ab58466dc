package dev.herd.worker.app;

import dev.herd.log.Log;
import dev.herd.worker.Herd;
import dev.herd.worker.WorkerContract;
import java.nio.channels.ServerSocketChannel;

/**
 * Entry point of a worker JVM started by the herd master ({@code WorkerMain APP}) for a built-in app. It drives the
 * app through the same {@link Herd} API a user's own app uses: fd 0 is the shared listening socket, fd 3 the
 * lifeline pipe (EOF means the master is gone), {@code READY=1} goes to {@code NOTIFY_SOCKET} once the app accepts,
 * heartbeats go through the app's own executor, {@code STOPPING=1} when the drain starts. SIGTERM starts a drain:
 * stop accepting, finish the exchanges in progress, close idle connections, exit 0. SIGINT, SIGHUP, SIGTTIN and
 * SIGTTOU are ignored: sent to the whole group they are meant for the master, which answers Ctrl+C with SIGTERM.
 */
public final class WorkerMain {

    static {
        // Jetty logs through slf4j, which without a provider warns on stderr. The built-in apps choose slf4j's own
        // no-op provider (slf4j-api 2.0.9+) and hush slf4j's note about that choice, unless the JVM options (the
        // config's worker.jvmOptions) set either. A provider jar such as slf4j-nop would do the same, but this
        // module is also the library users' apps depend on, and a second provider there would fight theirs.
        setPropertyIfAbsent("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        setPropertyIfAbsent("slf4j.internal.verbosity", "WARN");
    }

    private WorkerMain() {
    }

    private static void setPropertyIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    public static void main(String[] args) throws InterruptedException {
        // Also sets up the worker's context: its notify pipe opens now.
        Log.setSource(Herd.isSpare() ? "spare" : "worker-" + Herd.slot());
        if (args.length != 1) {
            Log.error("usage: WorkerMain APP (workers are started by 'herd run')");
            System.exit(WorkerContract.EXIT_BOOT_FAILURE);
        }
        App app;
        DrainAfterStart drain;
        try {
            app = App.named(args[0]);
            // Under herd this also ignores the signals meant for the master (INT, HUP, TTIN, TTOU).
            ServerSocketChannel listener = Herd.listener();
            // Watched before the app starts, so that a SIGTERM during start-up is a drain too, never a kill.
            drain = new DrainAfterStart(app);
            Herd.onDrain(drain::requested);
            if (Herd.isSpare()) {
                // The JVM is up, the app made and warmed up: the slow part of a start is over, the accepting left.
                app.warmUp();
                if (!Herd.awaitPromotion()) {
                    Log.info("spare not needed; exiting");
                    System.exit(0);
                }
                Log.setSource("worker-" + Herd.slot());
            }
            app.start(listener);
        } catch (Exception e) {
            Log.error("cannot start: %s", e.getMessage() == null ? e : e.getMessage());
            System.exit(WorkerContract.EXIT_BOOT_FAILURE);
            return;
        }
        // Heartbeats first, so that READY=1 carries the first WATCHDOG=1: a worker that stops right after it is
        // ready (SIGSTOP, a stuck request pool) is already watched, and found hung.
        Herd.startHeartbeats(app.requestExecutor());
        if (!drain.started()) {
            Herd.ready();
        }
        Log.info("accepting (app %s, master %s%s)", args[0], System.getenv(WorkerContract.MASTER_PID),
                Herd.isSpare() ? ", promoted from spare" : "");

        int exitCode = 0;
        try {
            app.awaitStopped();
            Log.info("drained (%s); exiting", Herd.drainReason().orElse("stopped"));
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            // The shared socket failed outside a drain; the master replaces this worker.
            Log.error("%s", e.getMessage());
            exitCode = 1;
        }
        System.exit(exitCode);
    }

    /**
     * A drain that may be asked for before the app has started (the master stops a starting worker on a stop,
     * a scale-down or a restart): an app cannot drain what it has not started yet, so such a drain runs as soon
     * as the start has returned.
     */
    private static final class DrainAfterStart {
        private final App app;
        private boolean appStarted;
        private boolean pending;

        DrainAfterStart(App app) {
            this.app = app;
        }

        void requested() {
            synchronized (this) {
                if (!appStarted) {
                    pending = true;
                    return;
                }
            }
            app.drain();
        }

        /** Marks the app started; runs a drain asked for meanwhile and returns whether there was one. */
        boolean started() {
            synchronized (this) {
                appStarted = true;
                if (!pending) {
                    return false;
                }
            }
            app.drain();
            return true;
        }
    }
}
