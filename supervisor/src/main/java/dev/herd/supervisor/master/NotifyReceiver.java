package dev.herd.supervisor.master;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketOptions;

/**
 * One worker's notify socket: a Unix datagram socket the master binds and names in the worker's NOTIFY_SOCKET,
 * read by a daemon thread that turns each datagram into a {@link MasterEvent.WorkerNotified} on the loop's queue.
 * One socket per worker says who sent a datagram without SCM_CREDENTIALS. The JDK has no Unix datagram sockets,
 * hence jnr-unixsocket.
 */
final class NotifyReceiver implements AutoCloseable {

    /** systemd accepts notify datagrams up to this size; a bigger one is cut. */
    private static final int MAX_DATAGRAM = 4096;

    /**
     * Closing a jnr channel does not wake a thread blocked in receive, so the thread wakes this often to see
     * whether it should stop, and closes the channel itself: never a receive on a closed (reused) descriptor.
     */
    private static final int RECEIVE_TIMEOUT_MILLIS = 500;

    private final Path path;
    private final UnixDatagramChannel channel;
    private volatile boolean closed;

    private NotifyReceiver(Path path, UnixDatagramChannel channel) {
        this.path = path;
        this.channel = channel;
    }

    static NotifyReceiver open(Path path, int serial, String workerName, Queue<MasterEvent> events)
            throws IOException {
        Files.deleteIfExists(path);
        UnixDatagramChannel channel = UnixDatagramChannel.open();
        try {
            channel.bind(new UnixSocketAddress(path.toFile()));
            channel.setOption(UnixSocketOptions.SO_RCVTIMEO, RECEIVE_TIMEOUT_MILLIS);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw new IOException("notify socket " + path + ": " + e.getMessage(), e);
        }
        NotifyReceiver receiver = new NotifyReceiver(path, channel);
        Thread thread = new Thread(() -> receiver.receive(serial, events), "notify-" + workerName);
        thread.setDaemon(true);
        thread.start();
        return receiver;
    }

    String path() {
        return path.toString();
    }

    private void receive(int serial, Queue<MasterEvent> events) {
        ByteBuffer buffer = ByteBuffer.allocate(MAX_DATAGRAM);
        boolean failureLogged = false;
        try {
            while (!closed) {
                buffer.clear();
                long began = System.nanoTime();
                try {
                    channel.receive(buffer);
                } catch (IOException timedOutOrFailed) {
                    // EAGAIN after the receive timeout: look at the closed flag again. An error that comes back
                    // sooner is a real failure: say so once, and wait a timeout's length instead of spinning.
                    if (System.nanoTime() - began < TimeUnit.MILLISECONDS.toNanos(RECEIVE_TIMEOUT_MILLIS / 2)) {
                        if (!failureLogged) {
                            failureLogged = true;
                            Log.warn("notify socket %s: %s", path, timedOutOrFailed.getMessage());
                        }
                        pauseAfterFailure();
                    }
                    continue;
                }
                buffer.flip();
                if (buffer.hasRemaining()) {
                    events.add(new MasterEvent.WorkerNotified(serial,
                            StandardCharsets.UTF_8.decode(buffer).toString()));
                }
            }
        } finally {
            try {
                channel.close();
                Files.deleteIfExists(path);
            } catch (IOException e) {
                Log.warn("closing notify socket %s: %s", path, e.getMessage());
            }
        }
    }

    private static void pauseAfterFailure() {
        try {
            Thread.sleep(RECEIVE_TIMEOUT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the reader; it closes the socket and removes its file within {@link #RECEIVE_TIMEOUT_MILLIS}. */
    @Override
    public void close() {
        closed = true;
    }
}
