package dev.herd.worker;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The API for an app of your own running as a herd worker: take the shared listening socket, say when you are
 * ready, beat while you are healthy, drain when told. Every method is safe to call outside herd, where the
 * notifications do nothing (no {@code NOTIFY_SOCKET}: one field check) and return {@code false}, so the same main
 * class runs by hand, in tests and under herd. The messages follow the systemd notify protocol (sd_notify(3)), so
 * herd's master and systemd understand the same datagrams. Thread-safe; the state behind it is created on the
 * first call, from the environment the master gave the process.
 *
 * <pre>{@code
 * Herd.listener();                     // fd 0, checked; from here a SIGTERM is kept for onDrain
 * connector.setInheritChannel(true);   // Jetty: serve on that socket
 * server.start();
 * Herd.onDrain(() -> stop(server));    // graceful: stop accepting, finish requests, exit 0
 * Herd.ready();
 * Herd.startHeartbeats(server.getThreadPool());
 * }</pre>
 */
public final class Herd {

    private Herd() {
    }

    /**
     * Created on first use from the environment the master gave the process. The holder class makes that lazy and
     * thread-safe without a lock: the counters are called on every request, and a synchronized accessor would put
     * one global lock on the app's data path.
     */
    private static final class Context {
        static final WorkerContext INSTANCE = WorkerContext.fromSystem();
    }

    private static WorkerContext context() {
        return Context.INSTANCE;
    }

    /** Whether a herd master started this process ({@code HERD_MASTER_PID} is set). */
    public static boolean underHerd() {
        return context().environment().masterPid() != 0;
    }

    /** This worker's slot, 1..N under herd, 0 otherwise (and in a hot spare until it is promoted). */
    public static int slot() {
        return context().slot();
    }

    /**
     * Whether the master started this process as a hot spare (the spareWorkers setting): it must call
     * {@link #awaitPromotion()} before it accepts a connection.
     */
    public static boolean isSpare() {
        return context().environment().spare();
    }

    /**
     * In a hot spare, once everything slow is done (the app built, its classes loaded, caches warm) and before the
     * first accept: tells the master the spare is warm ({@code X_HERD_SPARE=1}) and blocks until the master
     * promotes it into a slot, when a worker dies or is replaced. Returns {@code true} then, with {@link #slot()}
     * the new slot: start accepting and send {@link #ready()}. Returns {@code false} when the spare is not needed
     * after all (the master retired it, stops, or is gone; a SIGTERM while waiting): exit 0. In a process that is
     * not a spare it returns {@code true} at once, so an app may call it unconditionally.
     *
     * @throws IOException if the promotion pipe cannot be read or sends something other than a slot number
     */
    public static boolean awaitPromotion() throws IOException {
        return context().awaitPromotion();
    }

    /**
     * The listening socket the master shares among all workers, inherited as fd 0, as the channel
     * {@link System#inheritedChannel()} returns (the JDK's blocking mode; Jetty: {@code ServerConnector
     * .setInheritChannel(true)}, Netty: {@code new NioServerSocketChannel(listener())}, registered, never bound).
     * O_NONBLOCK belongs to the socket that every worker shares: a selector-based server switches it on for all of
     * them, and the JDK's blocking accept() then waits for the next connection in poll() instead of failing, so
     * either kind of server works next to the other. Never switch it back to blocking (docs/your-app.md).
     *
     * <p>Under herd it also starts watching for the drain (SIGTERM, the lifeline): a SIGTERM that arrives while
     * the app is still starting is kept, and the {@link #onDrain} callback registered once the app runs is
     * called at once. Take the listener first, register {@code onDrain} before {@link #ready()}. And it keeps
     * {@code System.out} and {@code System.err} working after the app closes the listener (the JDK then puts
     * /dev/null on fds 0 to 2, a habit from inetd).
     *
     * @throws IllegalStateException if fd 0 is not a listening TCP socket (the process was not started by herd,
     *     or by something else that passes a socket the way inetd does)
     */
    public static ServerSocketChannel listener() throws IOException {
        ServerSocketChannel listener = context().listener();
        if (underHerd()) {
            context().keepStandardStreams();
            context().watchForDrainOnce();
        }
        return listener;
    }

    /**
     * Closes this worker's copy of the shared listening socket (the other workers keep theirs, and what waits in
     * the backlog goes to them), and returns once no thread is inside its {@code accept()}: an acceptor blocked there
     * has been woken, and a connection that an {@code accept()} had just taken has been returned to the server,
     * which serves it. Call it first in a drain, before stopping the server: a stop that begins while its acceptor
     * is still taking a connection can leave that connection unserved until the JVM exits (seen with Jetty, whose
     * stop interrupts its acceptor).
     */
    public static void closeListener() throws IOException {
        closeAndAwaitAccepts(context().listener());
    }

    static void closeAndAwaitAccepts(ServerSocketChannel listener) throws IOException {
        listener.close();
        try {
            // accept() takes the channel's accept lock before it checks that the channel is open: this waits until
            // an accept in progress on another thread has finished, then fails, the channel being closed.
            SocketChannel unexpected = listener.accept();
            if (unexpected != null) {
                unexpected.close();
            }
        } catch (ClosedChannelException expected) {
            // closed, and no accept in progress any more
        }
    }

    /** Sends {@code READY=1}: the app accepts connections. Returns whether the message was delivered. */
    public static boolean ready() {
        return context().ready();
    }

    /** Sends {@code STATUS=text} (one line), shown by {@code herd status}. */
    public static boolean status(String text) {
        return context().status(text);
    }

    /** Sends {@code STOPPING=1}. {@link #onDrain} does this itself when the drain starts. */
    public static boolean stopping() {
        return context().stopping();
    }

    /** Sends one {@code WATCHDOG=1}. Usually {@link #startHeartbeats(Executor)} does this for you. */
    public static boolean heartbeat() {
        return context().heartbeat();
    }

    /**
     * How often to beat: half of {@code WATCHDOG_USEC}, systemd's convention; empty when the master does not
     * expect heartbeats (heartbeatTimeout 0) or the process is not under herd.
     */
    public static Optional<Duration> heartbeatInterval() {
        return context().environment().heartbeatInterval();
    }

    /**
     * Beats every {@link #heartbeatInterval()} for as long as the process lives: a daemon timer thread submits
     * {@link #heartbeat()} to {@code requestExecutor}, the pool that runs your requests (Jetty:
     * {@code server.getThreadPool()}). If that pool is stuck, the beats stop and the master replaces the worker
     * as hung, which is the point. Returns {@code false} (and starts nothing) when no heartbeats are expected.
     *
     * @throws IllegalStateException if heartbeats were already started
     */
    public static boolean startHeartbeats(Executor requestExecutor) {
        return context().startHeartbeats(requestExecutor);
    }

    /**
     * Beats from the timer thread itself: for an app without a request pool. It proves only that the JVM is alive,
     * not that the app still serves; prefer {@link #startHeartbeats(Executor)}.
     */
    public static boolean startHeartbeats() {
        return startHeartbeats(Runnable::run);
    }

    /**
     * Runs {@code callback} once when the drain starts: on SIGTERM from the master, or when the master is gone
     * (the lifeline pipe on fd 3 reads end of file). {@code STOPPING=1} is sent first; callbacks then run in the
     * order registered, on one thread of their own, and may block until the app has finished its requests. The
     * callback should stop accepting at once, finish the requests in progress, close idle connections, and let
     * the process exit 0. If the master is gone, the process is halted one second after the drain began, and on
     * its way out it stops the processes it started (SIGTERM, SIGKILL a second later), which the master would have.
     *
     * <p>The first call installs a SIGTERM handler (so SIGTERM no longer runs shutdown hooks and exits 143) and,
     * under herd, ignores SIGINT, SIGHUP, SIGTTIN and SIGTTOU, which reach the whole process group but are meant
     * for the master.
     */
    public static void onDrain(Runnable callback) {
        context().onDrain(callback);
    }

    /** Counts a connection opened, for {@code herd status}. */
    public static void connectionOpened() {
        context().stats().connectionOpened();
    }

    /** Counts a connection closed, for {@code herd status}. */
    public static void connectionClosed() {
        context().stats().connectionClosed();
    }

    /**
     * Counts one request served. The master compares this count with {@code maxRequests} to recycle the worker;
     * an app that does not call it is never recycled for its request count.
     */
    public static void requestServed() {
        context().stats().requestServed();
    }

    /** Why the drain began ({@code SIGTERM}, {@code master is gone}), once it has. */
    public static Optional<String> drainReason() {
        return Optional.ofNullable(context().drainReason());
    }
}
