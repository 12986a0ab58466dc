package dev.herd.worker;

import dev.herd.log.Log;
import dev.herd.worker.app.App;
import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Entry point of a worker JVM started by the herd master ({@code WorkerMain APP}). The contract with the master:
 * fd 0 is the shared listening socket, fd 3 the lifeline pipe (EOF means the master is gone),
 * {@code HERD_WORKER_SLOT} and {@code HERD_MASTER_PID} in the environment. SIGTERM starts a drain: stop accepting,
 * finish the exchanges in progress, close idle connections, exit 0. SIGINT, SIGHUP, SIGTTIN and SIGTTOU are
 * ignored: sent to the whole group they are meant for the master, which answers Ctrl+C with SIGTERM itself.
 */
public final class WorkerMain {

    /**
     * Exit status of a worker that could not start (wrong fd 0, unknown app). The master counts it as a crash
     * like any other, so repeated boot failures back off instead of looping.
     */
    public static final int EXIT_BOOT_FAILURE = 3;

    private WorkerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        WorkerEnvironment environment = WorkerEnvironment.fromSystem();
        Log.setSource("worker-" + environment.slot());
        if (args.length != 1) {
            Log.error("usage: WorkerMain APP (workers are started by 'herd run')");
            System.exit(EXIT_BOOT_FAILURE);
        }
        App app;
        ServerSocketChannel listener;
        Drain drain;
        Lifeline lifeline;
        try {
            StandardStreams.detachFromFds();
            app = App.named(args[0], WorkerStats.fromEnvironment());
            listener = inheritedListener();
            drain = new Drain(listener);
            lifeline = Lifeline.watch(environment.masterPid(), drain);
        } catch (IllegalArgumentException | IOException e) {
            Log.error("cannot start: %s", e.getMessage());
            System.exit(EXIT_BOOT_FAILURE);
            return;
        }
        Signal.handle(new Signal("TERM"), signal -> drain.begin("SIGTERM"));
        // Signals meant for the master can reach the whole group (Ctrl+C, a terminal hangup, kill -TTIN -PGID):
        // the master decides what they mean, and a worker stopped or killed by one would only count as a crash.
        for (String masterSignal : new String[] {"INT", "HUP", "TTIN", "TTOU"}) {
            Signal.handle(new Signal(masterSignal), SignalHandler.SIG_IGN);
        }

        Log.info("accepting (app %s, master %d)", args[0], environment.masterPid());
        int exitCode = 0;
        try {
            app.serve(listener);
            app.finishInFlight();
            Log.info("drained (%s); exiting", drain.reason());
        } catch (IOException e) {
            // The shared socket failed outside a drain; the master replaces this worker.
            Log.error("accept failed: %s", e.getMessage());
            exitCode = 1;
        }
        closeLifeline(lifeline);
        System.exit(exitCode);
    }

    private static void closeLifeline(Lifeline lifeline) {
        if (lifeline == null) {
            return;
        }
        try {
            lifeline.close();
        } catch (IOException e) {
            Log.warn("closing the lifeline: %s", e.getMessage());
        }
    }

    private static ServerSocketChannel inheritedListener() throws IOException {
        Channel inherited = System.inheritedChannel();
        if (inherited instanceof ServerSocketChannel server) {
            // Blocking accept on a platform thread: O_NONBLOCK is a property of the shared open file, so it must
            // stay off for every worker holding the socket.
            server.configureBlocking(true);
            return server;
        }
        throw new IOException("fd 0 is not a listening TCP socket (" + inherited + ")");
    }
}
