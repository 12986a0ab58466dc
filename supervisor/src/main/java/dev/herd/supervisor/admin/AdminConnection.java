package dev.herd.supervisor.admin;

import dev.herd.log.Log;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * One admin client, driven by {@link AdminServer}'s selector on the admin thread: reads request lines, answers
 * invalid ones itself, hands valid ones to the master one at a time (requests on a connection are answered in
 * order; no further line is read while one waits for the master), and writes the replies.
 */
final class AdminConnection {

    private final AdminServer server;
    private final SocketChannel channel;
    private final UserPrincipal user;
    private final long openedNanos;
    /** Bytes read but not yet handled: at most one partial line, or what arrived behind a waiting request. */
    private final ByteArrayOutputStream inbox = new ByteArrayOutputStream(0);
    private final Deque<ByteBuffer> output = new ArrayDeque<>();
    private long pendingOutputBytes;
    private SelectionKey key;
    private long idleSinceNanos;
    /** The request waiting for the master, if any; a late reply to an expired one is dropped. */
    private Waiting waiting;
    private boolean closeWhenFlushed;
    private boolean closed;
    /** Requests answered on it so far (error replies included). */
    private int answered;

    private record Waiting(long deadlineNanos, AdminCommand command) {
    }

    AdminConnection(AdminServer server, SocketChannel channel, UserPrincipal user, long nowNanos) {
        this.server = server;
        this.channel = channel;
        this.user = user;
        this.openedNanos = nowNanos;
        this.idleSinceNanos = nowNanos;
    }

    UserPrincipal user() {
        return user;
    }

    /**
     * Reads what the client sent along with its connection, before it is admitted, and says whether that holds a
     * whole request line: such a newcomer may take the place of a silent connection at once (see
     * {@link AdminServer}), so a flood of silent connections cannot keep out a client that has something to ask.
     */
    boolean readAhead() {
        try {
            ByteBuffer buffer = server.readBuffer();
            int count = channel.read(buffer.clear());
            if (count > 0) {
                inbox.write(buffer.array(), 0, count);
            }
        } catch (IOException e) {
            return false; // it left already; the selector finds out
        }
        return indexOf(inbox.toByteArray(), (byte) '\n') >= 0;
    }

    /** Starts serving it: registers it with the selector and handles what {@link #readAhead} read. */
    void admit(Selector selector) throws IOException {
        key = channel.register(selector, SelectionKey.OP_READ, this);
        handleInbox();
    }

    /** Idle: no request in progress and nothing left to send, so closing it loses nothing. */
    boolean idle() {
        return waiting == null && output.isEmpty();
    }

    /**
     * Whether an upgrade's exec may close it now: it waits for the {@code upgrade} request's own answer (which
     * the exec's close is), or it has been answered and nothing more is on its way or unsent. A connection that
     * has not sent its first request yet is not: that request may be on its way.
     */
    boolean mayCloseForHandOver() {
        if (waiting != null) {
            return waiting.command() == AdminCommand.UPGRADE;
        }
        return output.isEmpty() && answered > 0 && inbox.size() == 0;
    }

    /** Whether it waits for the answer to {@code upgrade}. */
    boolean waitsForUpgrade() {
        return waiting != null && waiting.command() == AdminCommand.UPGRADE;
    }

    /** Since when it has been idle: its last completed request, or its opening. */
    long idleSinceNanos() {
        return idleSinceNanos;
    }

    long nextDeadlineNanos() {
        return waiting != null ? waiting.deadlineNanos()
                : Math.min(idleSinceNanos + server.timeouts().idleNanos(),
                        openedNanos + server.timeouts().lifetimeNanos());
    }

    void onReady(SelectionKey ready) {
        try {
            if (ready.isWritable()) {
                flush();
            }
            if (!closed && ready.isReadable()) {
                read();
            }
        } catch (IOException e) {
            close(); // the client went away
        }
    }

    /** Times out a request the master did not answer, and closes a connection idle or open for too long. */
    void expire(long now) {
        if (closed) {
            return;
        }
        if (waiting != null) {
            if (now - waiting.deadlineNanos() >= 0) {
                waiting = null;
                send(new AdminException(AdminException.INTERNAL, "the master did not answer in time").toReply());
                answered++;
                handleInbox();
            }
            return;
        }
        if (!output.isEmpty()) {
            return;
        }
        if (now - idleSinceNanos >= server.timeouts().idleNanos()) {
            closeWith(new AdminException(AdminException.IDLE, "no request for "
                    + server.timeouts().idleNanos() / 1_000_000_000 + " s; closing"));
        } else if (now - openedNanos >= server.timeouts().lifetimeNanos()) {
            closeWith(new AdminException(AdminException.IDLE, "connection open for "
                    + server.timeouts().lifetimeNanos() / 60_000_000_000L + " min; closing (connect again)"));
        }
    }

    /** Sends one error reply, as far as the socket takes it at once, and closes: nothing was registered yet. */
    void refuse(AdminException why) {
        try {
            channel.write(ByteBuffer.wrap(line(why.toReply())));
        } catch (IOException e) {
            // it left already
        }
        close();
    }

    /** Sends one error reply and closes once it is out. */
    void closeWith(AdminException why) {
        send(why.toReply());
        closeWhenFlushed = true;
        try {
            flush();
        } catch (IOException e) {
            close();
        }
    }

    private void read() throws IOException {
        ByteBuffer buffer = server.readBuffer();
        int count = channel.read(buffer.clear());
        if (count < 0) {
            close();
            return;
        }
        inbox.write(buffer.array(), 0, count);
        handleInbox();
    }

    /** Handles every complete line in the inbox, up to the first request that must wait for the master. */
    private void handleInbox() {
        while (waiting == null && !closeWhenFlushed && !closed) {
            byte[] bytes = inbox.toByteArray();
            int newline = indexOf(bytes, (byte) '\n');
            if (newline < 0) {
                if (bytes.length > AdminServer.MAX_LINE_BYTES) {
                    closeWith(new AdminException(AdminException.LINE_TOO_LONG, "request line longer than "
                            + AdminServer.MAX_LINE_BYTES / 1024 + " KiB; closing"));
                }
                break;
            }
            inbox.reset();
            inbox.write(bytes, newline + 1, bytes.length - newline - 1);
            if (newline > AdminServer.MAX_LINE_BYTES) {
                closeWith(new AdminException(AdminException.LINE_TOO_LONG, "request line longer than "
                        + AdminServer.MAX_LINE_BYTES / 1024 + " KiB; closing"));
                break;
            }
            handleLine(Arrays.copyOf(bytes, newline));
        }
        interestIn(waiting == null && !closeWhenFlushed);
    }

    private void handleLine(byte[] line) {
        if (new String(line, StandardCharsets.UTF_8).isBlank()) {
            return;
        }
        AdminRequest request;
        try {
            request = AdminRequest.parse(line);
        } catch (AdminException e) {
            send(e.toReply());
            answered++;
            idleSinceNanos = System.nanoTime();
            return;
        }
        long now = System.nanoTime();
        Waiting mine = new Waiting(now + (request.waitForCompletion() ? AdminServer.LASTING_REPLY_NANOS
                : server.timeouts().masterReplyNanos()), request.command());
        waiting = mine;
        CompletableFuture<AdminReply> reply = new CompletableFuture<>();
        reply.whenComplete((answer, failure) -> server.runOnAdminThread(() -> replied(mine, answer, failure)));
        try {
            server.handler().submit(request, reply);
        } catch (RuntimeException e) {
            reply.completeExceptionally(e);
        }
    }

    private void replied(Waiting which, AdminReply answer, Throwable failure) {
        if (closed || waiting != which) {
            return; // timed out meanwhile, or the client left
        }
        waiting = null;
        if (failure != null) {
            Log.error("admin: the master could not answer: %s", failure);
            send(new AdminException(AdminException.INTERNAL, "the master could not answer: " + failure).toReply());
        } else {
            send(answer);
        }
        answered++;
        idleSinceNanos = System.nanoTime();
        handleInbox();
    }

    private void send(AdminReply reply) {
        byte[] bytes = line(reply);
        if (pendingOutputBytes + bytes.length > AdminServer.MAX_PENDING_OUTPUT) {
            close(); // it does not read what it asked for
            return;
        }
        output.add(ByteBuffer.wrap(bytes));
        pendingOutputBytes += bytes.length;
        try {
            flush();
        } catch (IOException e) {
            close();
        }
    }

    private void flush() throws IOException {
        while (!output.isEmpty()) {
            ByteBuffer head = output.peek();
            pendingOutputBytes -= channel.write(head);
            if (head.hasRemaining()) {
                break;
            }
            output.poll();
        }
        if (output.isEmpty() && closeWhenFlushed) {
            close();
            return;
        }
        if (key != null && key.isValid()) {
            int ops = key.interestOps();
            key.interestOps(output.isEmpty() ? ops & ~SelectionKey.OP_WRITE : ops | SelectionKey.OP_WRITE);
        }
    }

    private void interestIn(boolean reading) {
        if (key != null && key.isValid()) {
            int ops = key.interestOps();
            key.interestOps(reading ? ops | SelectionKey.OP_READ : ops & ~SelectionKey.OP_READ);
        }
    }

    void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            channel.close(); // also cancels the key
        } catch (IOException e) {
            Log.warn("admin: closing a connection: %s", e.getMessage());
        }
        server.closed(this);
    }

    private static byte[] line(AdminReply reply) {
        return (ReplyJson.toJson(reply).toString() + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] bytes, byte wanted) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
