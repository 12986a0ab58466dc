package dev.herd.agent;

import dev.herd.log.Log;
import dev.herd.worker.Herd;
import dev.herd.worker.WorkerContract;
import java.lang.instrument.Instrumentation;

/**
 * herd's Java agent, which the master attaches to a JVM worker when {@code worker.appPort} is set
 * ({@code -javaagent:herd-agent.jar=appPort=8080}): an app that knows nothing of herd binds that port, as it would on
 * its own, and serves on herd's shared socket instead ({@link SocketAdoption}). The worker is ready when it first
 * waits for connections there, beats while the JVM lives, and on herd's SIGTERM stops accepting at once, then
 * stops as the JVM always does on SIGTERM (shutdown hooks: the framework's graceful shutdown; exit status 143).
 * SIGINT, SIGHUP, SIGTTIN and SIGTTOU, meant for the master, are ignored, and the worker stops when the master is
 * gone, as with herd's worker API. Started outside herd (no {@code HERD_MASTER_PID}) it does nothing.
 */
public final class HerdAgent {

    /** The status a JVM exits with after SIGTERM, 128 + 15: what the app's JVM does without herd. */
    static final int EXIT_AFTER_SIGTERM = 143;

    private static final String NETTY_NO_NATIVE = "io.netty.transport.noNative";

    private HerdAgent() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        if (System.getenv(WorkerContract.MASTER_PID) == null) {
            return; // not started by herd: the app binds its own port, and nothing of herd's is loaded
        }
        Log.setSource("worker-" + Herd.slot()); // as the master relays this worker's lines
        try {
            int appPort = appPort(arguments);
            JdkSockets sockets = JdkSockets.resolve();
            SocketAdoption adoption = new SocketAdoption(appPort, sockets, () -> ready(appPort));
            System.getProperties().put(Hook.KEY, adoption);
            keepNettyOnTheJdksSockets();
            JdkSocketInstrumentation.install(instrumentation, sockets);
            Herd.onDrain(() -> {
                adoption.stopAccepting();
                System.exit(EXIT_AFTER_SIGTERM);
            });
        } catch (Exception | LinkageError e) {
            Log.error("herd's agent cannot start: %s", e);
            Runtime.getRuntime().halt(WorkerContract.EXIT_BOOT_FAILURE);
        }
    }

    /**
     * Netty's native transports (epoll, io_uring) bind through JNI, where no JDK socket class is involved and herd
     * cannot hand over its socket: the worker would bind the port itself, which works in one worker and fails in
     * the next. Vert.x, Quarkus and Micronaut use them when they load, so herd turns them off before the app's
     * main runs, unless the user chose otherwise with {@code -Dio.netty.transport.noNative}; an app that asks for
     * epoll explicitly then fails at once with Netty's own message saying so.
     */
    private static void keepNettyOnTheJdksSockets() {
        if (System.getProperty(NETTY_NO_NATIVE) == null) {
            System.setProperty(NETTY_NO_NATIVE, "true");
        }
    }

    private static void ready(int appPort) {
        Herd.startHeartbeats(); // from a timer thread: they prove the JVM lives, not that the app still serves
        Herd.ready();
        Log.info("ready: the app waits for connections on herd's socket (its port %d)", appPort);
    }

    /** The agent's argument, {@code appPort=N}, as WorkerLauncher writes it. */
    static int appPort(String arguments) {
        String prefix = "appPort=";
        if (arguments != null && arguments.startsWith(prefix)) {
            try {
                int port = Integer.parseInt(arguments.substring(prefix.length()));
                if (port >= 1 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("the agent's argument must be appPort=N (1..65535), not '" + arguments
                + "'");
    }
}
