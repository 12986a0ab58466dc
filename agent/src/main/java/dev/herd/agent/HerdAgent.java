package dev.herd.agent;

import dev.herd.log.Log;
import dev.herd.worker.Herd;
import dev.herd.worker.WorkerContract;
import java.lang.instrument.Instrumentation;

/**
 * herd's Java agent, which the master attaches to a JVM worker when {@code worker.appPort} is set
 * ({@code -javaagent:herd-agent.jar=appPort=8080,gracefulTimeoutMillis=30000}): an app that knows nothing of herd
 * binds that port, as it would on its own, and serves on herd's shared socket instead ({@link SocketAdoption}). The
 * worker is ready when it first waits for connections there, beats while the JVM lives, and on herd's SIGTERM stops
 * accepting at once, lets its keep-alive clients close their connections ({@link ConnectionDrain}), then stops as
 * the JVM always does on SIGTERM (shutdown hooks: the framework's graceful shutdown; exit status 143).
 * SIGINT, SIGHUP, SIGTTIN and SIGTTOU, meant for the master, are ignored, and the worker stops when the master is
 * gone, as with herd's worker API. Started outside herd (no {@code HERD_MASTER_PID}) it does nothing.
 */
public final class HerdAgent {

    /** The status a JVM exits with after SIGTERM, 128 + 15: what the app's JVM does without herd. */
    static final int EXIT_AFTER_SIGTERM = 143;

    private HerdAgent() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        if (System.getenv(WorkerContract.MASTER_PID) == null) {
            return; // not started by herd: the app binds its own port, and nothing of herd's is loaded
        }
        Log.setSource("worker-" + Herd.slot()); // as the master relays this worker's lines
        try {
            int appPort = appPort(arguments);
            long holdNanos = gracefulTimeoutMillis(arguments) * 1_000_000L / 2;
            JdkSockets sockets = JdkSockets.resolve();
            SocketAdoption adoption = new SocketAdoption(appPort, sockets, () -> ready(appPort));
            System.getProperties().put(Hook.KEY, adoption);
            keepNettyOnTheJdksSockets();
            NativeTransportRefusal.install();
            JdkSocketInstrumentation.install(instrumentation, sockets);
            Herd.onDrain(() -> {
                adoption.stopAccepting();
                ConnectionDrain.letConnectionsClose(instrumentation, sockets, adoption, holdNanos);
                adoption.appStopBegins();
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
     * epoll explicitly then fails at once with herd's line saying what to change ({@link NativeTransportRefusal}).
     */
    private static void keepNettyOnTheJdksSockets() {
        if (System.getProperty(NativeTransportRefusal.NETTY_NO_NATIVE) == null) {
            System.setProperty(NativeTransportRefusal.NETTY_NO_NATIVE, "true");
        }
    }

    private static void ready(int appPort) {
        Herd.startHeartbeats(); // from a timer thread: they prove the JVM lives, not that the app still serves
        Herd.ready();
        Log.info("ready: the app waits for connections on herd's socket (its port %d)", appPort);
    }

    /**
     * The agent's {@code appPort=N} argument, as WorkerLauncher writes it: {@code appPort=N[,gracefulTimeoutMillis=M]}.
     */
    static int appPort(String arguments) {
        String value = argument(arguments, "appPort");
        if (value != null) {
            try {
                int port = Integer.parseInt(value);
                if (port >= 1 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("the agent's argument must be appPort=N (1..65535)"
                + "[,gracefulTimeoutMillis=M], not '" + arguments + "'");
    }

    /**
     * The worker's {@code gracefulTimeout} in milliseconds ({@code gracefulTimeoutMillis=M}), or
     * {@link #DEFAULT_GRACEFUL_TIMEOUT_MILLIS} when the argument does not say.
     */
    static long gracefulTimeoutMillis(String arguments) {
        String value = argument(arguments, "gracefulTimeoutMillis");
        if (value == null) {
            return DEFAULT_GRACEFUL_TIMEOUT_MILLIS;
        }
        try {
            long millis = Long.parseLong(value);
            if (millis >= 0) {
                return millis;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("the agent's gracefulTimeoutMillis must be a count of milliseconds, not '"
                + value + "'");
    }

    /** herd's default gracefulTimeout (30 s), for an argument written by an older herd. */
    static final long DEFAULT_GRACEFUL_TIMEOUT_MILLIS = 30_000;

    private static String argument(String arguments, String name) {
        if (arguments == null) {
            return null;
        }
        for (String pair : arguments.split(",")) {
            if (pair.startsWith(name + "=")) {
                return pair.substring(name.length() + 1);
            }
        }
        return null;
    }
}
