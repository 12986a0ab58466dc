package dev.herd.agent;

import dev.herd.log.Log;
import dev.herd.worker.WorkerContract;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiFunction;

/**
 * What happens when the app's server socket meets the app's port ({@code worker.appPort}): called by
 * the code {@link SocketWeaver} put into the JDK, through {@link Hook}. The first server socket that binds the port, whatever address it
 * names, gets herd's shared listening socket (fd 0) on its own descriptor number instead of a socket of its own
 * (dup2), and skips its bind and listen; one server socket holds it at a time, as the kernel would allow one bind of
 * a port. The worker is ready when a thread first waits for connections on it: an {@code accept()} call, or a
 * selector asked to report accepts. On herd's drain, {@link #stopAccepting()} closes it, and a thread that then
 * fails in its accept() waits (2 s at most) instead of seeing an error it never sees outside herd. Other ports are left to the
 * JDK; a failed bind of one is named in one line, since every worker binds it.
 *
 * <p>An app may also serve on herd's socket as an inetd-style server does, through {@code System.inheritedChannel()}
 * (fd 0: Jetty's {@code inheritChannel}, Dropwizard's, Micronaut's fd listener): there is no bind to adopt, but its
 * first wait on that channel makes the worker ready as well, and the drain closes it too. Its close keeps fds 0 to 2,
 * where the JDK's own would point them at /dev/null and so end the worker's log.
 */
final class SocketAdoption implements BiFunction<Object, Object, Object> {

    private final int appPort;
    private final JdkSockets sockets;
    private final Runnable onFirstWait;
    /** The server socket (channel or impl) that holds herd's socket now; replaced only once it is closed. */
    private volatile Object adopted;
    /** The channel System.inheritedChannel() made of herd's socket, once a thread waited on it; null before. */
    private volatile Object inherited;
    private volatile boolean ready;
    /** What {@link #stopAccepting()} closed, so that their accept() failures can be told from the app's own. */
    private volatile List<Object> closedByDrain = List.of();
    private boolean draining;
    /** Set when the drain has let the clients go and the app's stop begins; a blocking acceptor waits till then. */
    private volatile boolean appStopBegun;
    /** The drain's thread, which runs the JVM's exit right after {@link #appStopBegins()}; null before. */
    private volatile Thread exitThread;
    /** herd's port, once a server socket adopted herd's socket; 0 before. */
    private volatile int herdPort;
    /** The connections' events, handled once the drain begins ({@link ClosingResponses}); null before. */
    private volatile BiFunction<Object, Object, Object> connectionEvents;

    SocketAdoption(int appPort, JdkSockets sockets, Runnable onFirstWait) {
        this.appPort = appPort;
        this.sockets = sockets;
        this.onFirstWait = onFirstWait;
    }

    @Override
    public Object apply(Object event, Object arguments) {
        Object[] args = (Object[]) arguments;
        switch ((String) event) {
            case Hook.BIND:
                return bind(args[0], sockets.isChannel(args[0]) ? JdkSockets.requestedPort(args[1]) : (int) args[2]);
            case Hook.BIND_FAILED:
                bindFailed(sockets.isChannel(args[0]) ? JdkSockets.requestedPort(args[1]) : (int) args[2],
                        (Throwable) args[args.length - 1]);
                return null;
            case Hook.LISTEN:
                return args[0] == adopted ? Boolean.TRUE : null;
            case Hook.ACCEPT:
                waiting(args[0]);
                return null;
            case Hook.INTEREST:
                if (((int) args[1] & SelectionKey.OP_ACCEPT) != 0) {
                    waiting(args[0]);
                }
                return null;
            case Hook.ACCEPT_FAILED:
                acceptFailed(args[0]);
                return null;
            case Hook.CLOSE_INHERITED:
                try {
                    sockets.closeKeepingStandardStreams(args[0]);
                } catch (IOException e) {
                    throw sneaky(e);
                }
                return Boolean.TRUE;
            case Hook.READ_END:
            case Hook.WRITE:
                BiFunction<Object, Object, Object> handler = connectionEvents;
                return handler == null ? null : handler.apply(event, arguments);
            default:
                throw new IllegalArgumentException("unknown hook event " + event);
        }
    }

    /** Adopts herd's socket for a server socket binding the app's port; null leaves the bind to the JDK. */
    private Object bind(Object target, int port) {
        if (port != appPort || (!sockets.isChannel(target) && !sockets.isServerImpl(target))
                || !sockets.isOpen(target) || sockets.isBound(target)) {
            return null; // another port, a client socket, or a bind the JDK refuses itself
        }
        synchronized (this) {
            if (draining) {
                throw sneaky(new BindException("herd: the worker is stopping; port " + appPort + " is not handed out "
                        + "any more"));
            }
            Object holder = adopted;
            if (holder != null && sockets.isOpen(holder)) {
                throw sneaky(new BindException("herd: port " + appPort + " is herd's shared socket, and another "
                        + "server socket of this worker holds it already (herd hands it to one at a time; close that "
                        + "one first)"));
            }
            InetSocketAddress local;
            try {
                local = sockets.adopt(target, WorkerContract.LISTENER_FD);
            } catch (IOException | RuntimeException e) {
                // Never let the app bind the port itself: that "works" in one worker and fails in the next.
                BindException failure = new BindException("herd: cannot give herd's shared socket (fd "
                        + WorkerContract.LISTENER_FD + ") to the app's bind of port " + appPort + ": " + e);
                failure.initCause(e);
                throw sneaky(failure);
            }
            adopted = target;
            herdPort = local.getPort();
            Log.info("the app's bind of port %d gets herd's shared socket (%s)", appPort, address(local));
            return Boolean.TRUE;
        }
    }

    private void bindFailed(int port, Throwable thrown) {
        if (thrown instanceof BindException && port > 0 && port != appPort) {
            Log.error("this app also binds port %d itself (each worker binds it: move or disable it, e.g. Spring's "
                    + "management.server.port, Dropwizard's admin connector)", port);
        }
    }

    /** A thread waits for connections: the first time on herd's socket, the worker is ready. */
    private void waiting(Object target) {
        if (ready) {
            return; // the path of every accept once ready: one volatile read
        }
        if (target != adopted && !(sockets.isInheritedChannel(target) && inherit(target))) {
            return; // another server socket of the app's
        }
        synchronized (this) {
            if (ready) {
                return;
            }
            ready = true;
        }
        try {
            onFirstWait.run();
        } catch (RuntimeException e) {
            Log.error("cannot tell herd this worker is ready: %s", e);
        }
    }

    /**
     * The app waits on System.inheritedChannel(), a dup of fd 0, herd's socket: no bind was adopted, and this is the
     * channel the drain closes. False once the drain began, or if the channel is closed already.
     */
    private boolean inherit(Object channel) {
        int port;
        try {
            port = JdkSockets.localPort(channel);
        } catch (IOException closed) {
            return false;
        }
        synchronized (this) {
            if (draining) {
                return false;
            }
            if (inherited == channel) {
                return true;
            }
            inherited = channel;
            if (herdPort == 0) {
                herdPort = port;
            }
        }
        Log.info("the app serves on herd's shared socket through System.inheritedChannel() (its port %d)", port);
        return true;
    }

    /**
     * A thread's accept() failed because the drain closed the socket under it: it waits until the framework's own
     * stop (the shutdown hooks) has told it to end, or {@link #ACCEPT_FAILED_WAIT_NANOS} after that stop began at
     * most, and then sees the failure. A blocking acceptor (Tomcat's, Helidon's, a ServerSocket's) does nothing else,
     * so it also waits while the drain lets the clients go ({@link #appStopBegins()} not yet called): it would
     * otherwise log the failure, again and again, while its connections are still served. A selector's thread (Netty,
     * the JDK's HttpServer) serves connections too and never waits past the 2 s. Waiting for good hung a stop: the
     * JDK's HttpServer.stop() joins its dispatcher thread, which was parked here.
     */
    private void acceptFailed(Object target) {
        if (!closedByDrain.contains(target)) {
            return;
        }
        boolean blockingAcceptor = !sockets.isChannel(target) || ((SelectableChannel) target).isBlocking();
        while (blockingAcceptor && !appStopBegun && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(this, APP_STOP_POLL_NANOS);
        }
        long deadline = System.nanoTime() + ACCEPT_FAILED_WAIT_NANOS;
        for (long left = ACCEPT_FAILED_WAIT_NANOS; left > 0 && !Thread.currentThread().isInterrupted();
             left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
        }
        // The JVM's own work around the shutdown hooks (beforeHalt, halt: a class-data archive is written there, for
        // seconds) is no stop of the app's, and nothing joins this thread then; woken, it would print the failure
        // that outside herd it never sees, where the JVM ends it blocked in accept().
        while (jvmHalting() && !Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(this, APP_STOP_POLL_NANOS);
        }
    }

    /** Whether the exit the drain began is in the JVM's native steps before or after the shutdown hooks. */
    private boolean jvmHalting() {
        Thread exiting = exitThread;
        if (exiting == null) {
            return false;
        }
        for (StackTraceElement frame : exiting.getStackTrace()) {
            if (frame.getClassName().equals("java.lang.Shutdown")
                    && (frame.getMethodName().equals("beforeHalt") || frame.getMethodName().equals("halt0"))) {
                return true;
            }
        }
        return false;
    }

    /** The drain has let the clients go: the app's own stop (the JVM's shutdown hooks) begins now. */
    void appStopBegins() {
        exitThread = Thread.currentThread(); // HerdAgent's drain, which calls System.exit next
        appStopBegun = true; // a parked acceptor sees it within APP_STOP_POLL_NANOS
    }

    private static final long APP_STOP_POLL_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100);

    /** Long enough for a framework's stop to reach its acceptor before it sees the closed socket. */
    private static final long ACCEPT_FAILED_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    /** herd's drain: this worker takes no more connections; its siblings take what waits in the backlog. */
    void stopAccepting() {
        List<Object> holders = new ArrayList<>(2);
        synchronized (this) {
            draining = true;
            for (Object holder : new Object[] {adopted, inherited}) {
                if (holder != null && sockets.isOpen(holder)) {
                    holders.add(holder);
                }
            }
        }
        closedByDrain = List.copyOf(holders);
        for (Object holder : holders) {
            try {
                sockets.close(holder);
                Log.info("stopped accepting on herd's socket");
            } catch (IOException | RuntimeException e) {
                Log.error("cannot stop accepting on herd's socket: %s", e);
            }
        }
    }

    /** herd's port as the app's server socket holds it; 0 when the app has neither adopted nor inherited it. */
    int herdPort() {
        return herdPort;
    }

    /** From the drain on, the connections' read and write events go to {@code handler}. */
    void handConnectionEvents(BiFunction<Object, Object, Object> handler) {
        connectionEvents = handler;
    }

    private static String address(InetSocketAddress local) {
        String host = local.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + local.getPort();
    }

    /** Throws a checked exception through BiFunction: the JDK method it surfaces in declares IOException. */
    @SuppressWarnings("unchecked")
    static <T extends Throwable> RuntimeException sneaky(Throwable e) throws T {
        throw (T) e;
    }
}
