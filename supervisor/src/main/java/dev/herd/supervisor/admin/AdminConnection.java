package dev.herd.supervisor.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.log.Log;
import dev.herd.supervisor.master.MasterEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * One admin client, served on a thread of its own: checks the peer (SO_PEERCRED, {@link PeerPolicy}), then reads
 * JSON lines, answers malformed or invalid ones itself, and forwards valid commands to the master, waiting for
 * its reply.
 * Requests on one connection are answered in order. A line over 64 KiB gets an error and the connection closes.
 */
final class AdminConnection {

    static final int MAX_LINE_BYTES = 64 * 1024;
    private static final long MASTER_REPLY_TIMEOUT_SECONDS = 30;
    private static final long LASTING_REPLY_TIMEOUT_SECONDS = TimeUnit.HOURS.toSeconds(24);
    static final ObjectMapper JSON = new ObjectMapper();

    private final SocketChannel channel;
    private final BlockingQueue<MasterEvent> events;
    private final PeerPolicy peers;
    private final Consumer<AdminConnection> onClose;
    private volatile long lastActivityNanos = System.nanoTime();
    private volatile boolean awaitingMaster;

    AdminConnection(SocketChannel channel, BlockingQueue<MasterEvent> events, PeerPolicy peers,
                    Consumer<AdminConnection> onClose) {
        this.channel = channel;
        this.events = events;
        this.peers = peers;
        this.onClose = onClose;
    }

    void start() {
        Thread thread = new Thread(this::serve, "admin-connection");
        thread.setDaemon(true);
        thread.start();
    }

    /** When the connection last did something; a connection waiting for the master's reply is busy, not idle. */
    long lastActivityNanos() {
        return awaitingMaster ? System.nanoTime() : lastActivityNanos;
    }

    private void serve() {
        try {
            if (!peerMayControl()) {
                return;
            }
            ByteBuffer buffer = ByteBuffer.allocate(8192);
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            while (channel.read(buffer.clear()) >= 0) {
                lastActivityNanos = System.nanoTime();
                buffer.flip();
                while (buffer.hasRemaining()) {
                    byte b = buffer.get();
                    if (b == '\n') {
                        answer(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else if (line.size() >= MAX_LINE_BYTES) {
                        send(new AdminException(AdminException.LINE_TOO_LONG,
                                "request line longer than 64 KiB; closing").toReply());
                        return;
                    } else {
                        line.write(b);
                    }
                }
            }
        } catch (IOException e) {
            // the client went away, or the reaper closed us: nothing to answer any more
        } finally {
            close(null);
        }
    }

    private boolean peerMayControl() throws IOException {
        UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        String user = peer.user().getName();
        if (peers.mayControl(user, peer.group().getName())) {
            return true;
        }
        Log.warn("admin: refused a connection from user %s (%s)", user, peers.describe());
        send(new AdminException(AdminException.FORBIDDEN, "user " + user + " may not control this herd master")
                .toReply());
        return false;
    }

    private void answer(String line) throws IOException {
        if (line.isBlank()) {
            return;
        }
        ObjectNode reply;
        try {
            AdminCommand command = AdminCommand.parse(parseJson(line));
            reply = askMaster(command);
        } catch (AdminException e) {
            reply = e.toReply();
        }
        send(reply);
    }

    private static JsonNode parseJson(String line) throws AdminException {
        try {
            return JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new AdminException(AdminException.BAD_JSON, "malformed JSON: " + e.getOriginalMessage());
        }
    }

    private ObjectNode askMaster(AdminCommand command) throws AdminException {
        CompletableFuture<ObjectNode> reply = new CompletableFuture<>();
        events.add(new MasterEvent.AdminRequest(command, reply));
        boolean lasting = command instanceof AdminCommand.Lasting lastingCommand && lastingCommand.waitForCompletion();
        awaitingMaster = true;
        try {
            // A lasting command's reply comes when its work ends; the master always ends it (done, failed,
            // timed out, or stopping), so the cap is only a last resort.
            return reply.get(lasting ? LASTING_REPLY_TIMEOUT_SECONDS : MASTER_REPLY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AdminException(AdminException.INTERNAL, "interrupted while waiting for the master");
        } catch (ExecutionException | TimeoutException e) {
            throw new AdminException(AdminException.INTERNAL, "the master did not answer: " + e);
        } finally {
            lastActivityNanos = System.nanoTime();
            awaitingMaster = false;
        }
    }

    private void send(ObjectNode reply) throws IOException {
        ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(reply) + "\n").getBytes(StandardCharsets.UTF_8));
        while (bytes.hasRemaining()) {
            channel.write(bytes); // blocks while the client does not read; the idle reaper ends that
            lastActivityNanos = System.nanoTime();
        }
    }

    void close(String why) {
        if (why != null && channel.isOpen()) {
            Log.info("admin: closing a connection: %s", why);
        }
        try {
            channel.close();
        } catch (IOException e) {
            Log.warn("admin: closing a connection: %s", e.getMessage());
        }
        onClose.accept(this);
    }
}
