package dev.herd.worker.app;

import dev.herd.log.Log;
import dev.herd.worker.Herd;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Executor;

/**
 * The original socket example's server, made concurrent: every byte a client sends is written back unchanged as
 * soon as it arrives (clients write titles without a newline, so nothing waits for one). One platform thread per
 * connection keeps each exchange simple; an exchange is "busy" from the read that returned bytes until the echo
 * is fully written, and a drain closes only connections that are not busy. Each connection counts as one unit
 * served. There is no request pool, so heartbeats are sent from herd's timer thread. The acceptor thread blocks in
 * the JDK's accept(), which also works when a selector-based worker has made the shared socket non-blocking.
 */
final class EchoApp implements App {

    /** How long a drain waits for the first bytes of a connection accepted just before it. */
    private static final long FIRST_EXCHANGE_GRACE_MILLIS = 1000;
    /** A spare's warm-up: enough echoes for the interpreter to have run each step of one many times. */
    private static final int WARM_UP_ECHOES = 200;
    private static final byte[] WARM_UP_BYTES = "War and Peace".getBytes(StandardCharsets.US_ASCII);

    private final Set<EchoConnection> connections = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile ServerSocketChannel listener;
    private volatile boolean draining;
    /** Started by a spare's warm-up, waiting here: a promotion then costs no thread start. */
    private Thread acceptor;
    private final CountDownLatch listenerGiven = new CountDownLatch(1);

    @Override
    public void start(ServerSocketChannel listener) {
        this.listener = listener;
        if (acceptor == null) {
            acceptor = newAcceptor();
            acceptor.start();
        }
        listenerGiven.countDown();
    }

    /** Not a daemon: it is the thread that keeps serving while main waits in awaitStopped. */
    private Thread newAcceptor() {
        return new Thread(() -> {
            try {
                listenerGiven.await();
            } catch (InterruptedException e) {
                stopped.completeExceptionally(e);
                return;
            }
            acceptUntilDrained();
        }, "echo-acceptor");
    }

    @Override
    public Executor requestExecutor() {
        return Runnable::run;
    }

    @Override
    public void drain() {
        try {
            // Our copy of the shared socket only: the other workers keep theirs and the backlog.
            listener.close();
        } catch (IOException e) {
            Log.warn("closing the listening socket: %s", e.getMessage());
        }
    }

    @Override
    public void awaitStopped() throws IOException, InterruptedException {
        try {
            stopped.get();
        } catch (ExecutionException e) {
            throw new IOException("accept failed: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private void acceptUntilDrained() {
        try {
            serve();
            finishInFlight();
            stopped.complete(null);
        } catch (IOException | InterruptedException | RuntimeException e) {
            stopped.completeExceptionally(e);
        }
    }

    private void serve() throws IOException {
        while (true) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (ClosedChannelException closedByDrain) {
                // AsynchronousCloseException is a ClosedChannelException: the drain closed our copy of the socket.
                return;
            }
            EchoConnection connection = new EchoConnection(client);
            connections.add(connection);
            Herd.connectionOpened();
            Herd.requestServed();
            Thread thread = new Thread(() -> serveConnection(connection), "echo-" + client.socket().getPort());
            thread.setDaemon(true);
            thread.start();
        }
    }

    /**
     * A few echoes through a loopback connection of the spare's own, by the code that serves the shared socket's
     * connections: the accept, the connection's thread, the read and the write are loaded and run before the
     * promotion. Not counted: the counters are the clients'.
     */
    @Override
    public void warmUp() throws IOException, InterruptedException {
        try (ServerSocketChannel local = ServerSocketChannel.open()) {
            local.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1);
            try (SocketChannel client = SocketChannel.open(local.getLocalAddress())) {
                EchoConnection connection = new EchoConnection(local.accept());
                Thread echo = new Thread(() -> {
                    try {
                        exchange(connection);
                    } catch (IOException e) {
                        Log.warn("warming up: %s", e.getMessage());
                    } finally {
                        connection.close();
                    }
                }, "echo-warm-up");
                echo.setDaemon(true);
                echo.start();
                for (int i = 0; i < WARM_UP_ECHOES; i++) {
                    ByteBuffer sent = ByteBuffer.wrap(WARM_UP_BYTES);
                    while (sent.hasRemaining()) {
                        client.write(sent);
                    }
                    ByteBuffer back = ByteBuffer.allocate(WARM_UP_BYTES.length);
                    while (back.hasRemaining() && client.read(back) >= 0) {
                        // until the whole echo is back
                    }
                }
                client.shutdownOutput();
                echo.join(TimeUnit.SECONDS.toMillis(1));
            }
        }
        acceptor = newAcceptor();
        acceptor.start();
    }

    private void serveConnection(EchoConnection connection) {
        try {
            exchange(connection);
        } catch (ClosedChannelException closedWhileIdle) {
            // a drain closed this idle connection: nothing was in flight
        } catch (IOException e) {
            Log.warn("echo connection failed: %s", e.getMessage());
        } finally {
            connection.close();
            Herd.connectionClosed();
            synchronized (connections) {
                connections.remove(connection);
                connections.notifyAll();
            }
        }
    }

    /** Echoes until the client closes, or a drain does. */
    private void exchange(EchoConnection connection) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(8192);
        while (true) {
            buffer.clear();
            if (connection.channel.read(buffer) < 0 || !connection.beginExchange()) {
                return;
            }
            buffer.flip();
            while (buffer.hasRemaining()) {
                connection.channel.write(buffer);
            }
            if (!connection.endExchange(draining)) {
                return;
            }
        }
    }

    /**
     * Closes idle connections at once; waits for busy ones. A connection accepted just before the drain whose
     * client has not sent anything yet is not idle but new: its client is about to write, so it gets
     * {@link #FIRST_EXCHANGE_GRACE_MILLIS} for a first exchange before it is closed too.
     */
    private void finishInFlight() throws InterruptedException {
        draining = true;
        connections.forEach(connection -> connection.closeIfIdle(false));
        long graceEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FIRST_EXCHANGE_GRACE_MILLIS);
        boolean graceOver = false;
        synchronized (connections) {
            while (!connections.isEmpty()) {
                long left = TimeUnit.NANOSECONDS.toMillis(graceEnd - System.nanoTime());
                if (!graceOver && left <= 0) {
                    graceOver = true;
                    connections.forEach(connection -> connection.closeIfIdle(true));
                }
                connections.wait(graceOver ? 0 : Math.max(1, left));
            }
        }
    }

    /** One client connection; the monitor guards the idle/busy/closed decision against a concurrent drain. */
    private static final class EchoConnection {
        private final SocketChannel channel;
        private boolean busy;
        private boolean exchanged;
        private boolean closed;

        EchoConnection(SocketChannel channel) {
            this.channel = channel;
        }

        synchronized boolean beginExchange() {
            if (closed) {
                return false;
            }
            busy = true;
            return true;
        }

        /** Returns whether the connection stays open for another exchange. */
        synchronized boolean endExchange(boolean draining) {
            busy = false;
            exchanged = true;
            if (draining) {
                closeQuietly();
            }
            return !closed;
        }

        /** Closes the connection unless an exchange is under way; a new one only when {@code evenNew}. */
        synchronized void closeIfIdle(boolean evenNew) {
            if (!busy && (exchanged || evenNew)) {
                closeQuietly();
            }
        }

        synchronized void close() {
            closeQuietly();
        }

        private void closeQuietly() {
            closed = true;
            try {
                channel.close();
            } catch (IOException e) {
                Log.warn("closing echo connection: %s", e.getMessage());
            }
        }
    }
}
