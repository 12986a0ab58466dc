package dev.herd.agent;

import dev.herd.agent.ResponseHead.Kind;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.function.BiFunction;

/**
 * While a worker drains, makes the HTTP/1.x responses it writes on the connections it accepted from herd's socket
 * say {@code Connection: close}, so that a keep-alive client sends no further request on a connection the framework
 * is about to close: without it, a client that sent its next request just as the framework's stop closed the idle
 * connection sees a reset or an end of file, and a client that does not retry (wrk) loses that request.
 *
 * <p>Called through {@link Hook} from the JDK's connection classes, woven at the drain's start
 * ({@link JdkSocketInstrumentation#installResponseClose}): {@link Hook#READ_END} after each read,
 * {@link Hook#WRITE} before each write. A head is rewritten only at a response boundary it can tell: the first
 * write after a read that brought bytes (a request), when that write starts with a whole response head
 * ({@link ResponseHead}). The rewritten head is written whole before the app's bytes after it; on a non-blocking
 * channel only when poll(2) says it takes bytes now, else the app's write goes on unchanged and the next response
 * gets it. Connections made by the app (its database, say) have another local port and are left alone; so are TLS
 * and HTTP/2, whose bytes never start with a response head.
 */
final class ClosingResponses implements BiFunction<Object, Object, Object> {

    /** What is known of one connection's exchange. */
    private static final class Exchange {
        /** A read brought bytes since the last response head: the next write may start a response. */
        volatile boolean requestRead;
        /** A 101 switched the connection to another protocol: its bytes are no longer HTTP/1.x. */
        volatile boolean upgraded;
    }

    private static final Exchange NOT_ACCEPTED = new Exchange();

    private final JdkSockets sockets;
    private final int port;
    private final long deadlineNanos;
    private final Map<Object, Exchange> exchanges = Collections.synchronizedMap(new WeakHashMap<>());
    /** Set while this class writes through the hooked write itself: those calls pass. */
    private final ThreadLocal<Boolean> writing = new ThreadLocal<>();

    /**
     * @param port          herd's port: the local port of every connection accepted from herd's socket
     * @param deadlineNanos until when a rewritten head that the client is slow to take is waited for
     */
    ClosingResponses(JdkSockets sockets, int port, long deadlineNanos) {
        this.sockets = sockets;
        this.port = port;
        this.deadlineNanos = deadlineNanos;
    }

    @Override
    public Object apply(Object event, Object arguments) {
        Object[] args = (Object[]) arguments;
        if (Hook.READ_END.equals(event)) {
            if ((Boolean) args[args.length - 1]) { // the read brought bytes
                Exchange exchange = exchange(args[0]);
                if (exchange != null) {
                    exchange.requestRead = true;
                }
            }
            return null;
        }
        if (Hook.WRITE.equals(event) && writing.get() == null) {
            Exchange exchange = exchange(args[0]);
            if (exchange != null && exchange.requestRead && !exchange.upgraded) {
                try {
                    return args[1] instanceof byte[] ? writeToSocket(exchange, args) : writeToChannel(exchange, args);
                } catch (IOException e) {
                    throw SocketAdoption.sneaky(e);
                }
            }
        }
        return null;
    }

    /** The accepted connection's exchange, or null for a connection that was not accepted from herd's socket. */
    private Exchange exchange(Object connection) {
        Exchange exchange = exchanges.get(connection);
        if (exchange == null) {
            exchange = sockets.connectionPort(connection) == port ? new Exchange() : NOT_ACCEPTED;
            exchanges.put(connection, exchange);
        }
        return exchange == NOT_ACCEPTED ? null : exchange;
    }

    /** SocketChannel.write(ByteBuffer) or write(ByteBuffer[], int, int): the count written, or null to go on. */
    private Object writeToChannel(Exchange exchange, Object[] args) throws IOException {
        SocketChannel channel = (SocketChannel) args[0];
        boolean gathering = args.length == 4;
        ByteBuffer first = gathering ? firstWithBytes((ByteBuffer[]) args[1], (int) args[2], (int) args[3])
                : (ByteBuffer) args[1];
        if (first == null) {
            return null;
        }
        ResponseHead head = ResponseHead.of(first);
        if (!rewrites(exchange, head)) {
            return null;
        }
        if (!channel.isBlocking() && !sockets.awaitWritable(channel, 0)) {
            return null; // it would not take the head whole now: unchanged; it is tried again with these bytes
        }
        writing.set(Boolean.TRUE);
        try {
            writeWhole(channel, ByteBuffer.wrap(head.rewritten()));
            exchange.requestRead = false;
            first.position(first.position() + head.length()); // the app's head is written, as the rewritten one
            long more = gathering ? channel.write((ByteBuffer[]) args[1], (int) args[2], (int) args[3])
                    : channel.write(first);
            return gathering ? (Object) (head.length() + more) : (Object) (int) (head.length() + more);
        } finally {
            writing.remove();
        }
    }

    /** A java.net.Socket's write(byte[], int, int): it blocks until all is written, so the head goes whole. */
    private Object writeToSocket(Exchange exchange, Object[] args) throws IOException {
        byte[] bytes = (byte[]) args[1];
        int offset = (int) args[2];
        int length = (int) args[3];
        ResponseHead head = ResponseHead.of(bytes, offset, length);
        if (!rewrites(exchange, head)) {
            return null;
        }
        writing.set(Boolean.TRUE);
        try {
            sockets.writeToSocketImpl(args[0], head.rewritten(), 0, head.rewritten().length);
            exchange.requestRead = false;
            if (length > head.length()) {
                sockets.writeToSocketImpl(args[0], bytes, offset + head.length(), length - head.length());
            }
            return Boolean.TRUE;
        } finally {
            writing.remove();
        }
    }

    /** Whether to write the rewritten head; what the head says of the exchange is noted either way. */
    private static boolean rewrites(Exchange exchange, ResponseHead head) {
        Kind kind = head.kind();
        if (kind == Kind.INTERIM) {
            exchange.upgraded = head.status() == 101; // a 100 Continue: the final response comes next
            return false;
        }
        if (kind != Kind.KEEPS_ALIVE) {
            // Not a head (this response's head went before the drain: its next request's response is the one),
            // or it says close already.
            exchange.requestRead = false;
            return false;
        }
        return true;
    }

    /**
     * Writes the rewritten head whole: once a byte of it is written, the rest must follow before any other byte.
     * A client that takes none of it until the drain's deadline has its connection closed: an error it sees, where
     * a stream cut in the middle of a head would be one it misreads.
     */
    private void writeWhole(SocketChannel channel, ByteBuffer head) throws IOException {
        while (head.hasRemaining()) {
            channel.write(head);
            if (head.hasRemaining()) {
                long leftMillis = Math.max(100, (deadlineNanos - System.nanoTime()) / 1_000_000);
                if (!sockets.awaitWritable(channel, leftMillis)) {
                    channel.close();
                    throw new IOException("herd: the client took no bytes of the response for " + leftMillis
                            + " ms while the worker drains: connection closed");
                }
            }
        }
    }

    private static ByteBuffer firstWithBytes(ByteBuffer[] buffers, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (buffers[i].hasRemaining()) {
                return buffers[i];
            }
        }
        return null;
    }
}
