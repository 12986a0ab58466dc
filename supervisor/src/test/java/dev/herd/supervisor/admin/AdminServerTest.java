package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin server over real Unix sockets, with a handler standing in for the master: it answers {@code ping} at
 * once and hands every other request to the test, which answers it (or not) when it likes. The connection
 * timeouts are the real ones except where a test needs to see one pass; then it shortens them (10 s idle and
 * 30 s for the master's reply are too long to wait out in a unit test).
 */
class AdminServerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path parent;
    @RegisterExtension
    final LogCapture log = new LogCapture();

    private record Pending(AdminRequest request, CompletableFuture<AdminReply> reply) {
    }

    /** Every request the handler got, in order (pings included). */
    private final List<AdminCommand> seen = new CopyOnWriteArrayList<>();
    /** The requests other than ping, waiting for the test to answer them. */
    private final BlockingQueue<Pending> pending = new LinkedBlockingQueue<>();
    private final List<Client> clients = new ArrayList<>();
    private AdminServer server;
    private Path socket;
    /** Makes the handler throw on {@code version}: a bug on the admin thread. */
    private volatile boolean versionThrows;

    @AfterEach
    void closeEverything() throws IOException {
        for (Client client : clients) {
            client.close();
        }
        if (server != null) {
            server.close();
            assertFalse(Files.exists(socket), "the socket file is removed");
        }
        await("the admin thread to end", () -> adminThreads() == 0);
    }

    // ---- requests and replies -----------------------------------------------------------------------------------

    @Test
    void requestsOnOneConnectionAreAnsweredInOrderOneAtATime() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client first = connect();
        first.send("{\"command\":\"version\"}\n{\"command\":\"ping\"}\n{\"command\":\"config\"}\n");
        Pending version = next();
        assertEquals(AdminCommand.VERSION, version.request().command());

        // another connection's round trip: the server has read what there is, and still waits for the master
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean());
        assertEquals(List.of(AdminCommand.VERSION, AdminCommand.PING), seen,
                "the first connection's second request went to the master before its first was answered");

        version.reply().complete(new AdminReply.VersionInfo("1.2.3", "17"));
        assertEquals("1.2.3", first.reply().path("version").asText());
        assertEquals(true, first.reply().path("pong").asBoolean());
        Pending config = next();
        assertEquals(AdminCommand.CONFIG, config.request().command());
        config.reply().complete(new AdminReply.ConfigShown(JSON.createObjectNode().put("workers", 7)));
        assertEquals(7, first.reply().path("config").path("workers").asInt());
    }

    @Test
    void aFailureInHandlingOneConnectionClosesItAndTheAdminThreadServesTheOthers() throws Exception {
        versionThrows = true;
        start(AdminServer.Timeouts.DEFAULT);
        Client failing = connect();
        Client other = connect();

        JsonNode reply = failing.request("{\"command\":\"version\"}");

        assertEquals("internal", reply.path("error").path("code").asText(), reply.toString());
        log.expect(Log.Level.ERROR, "a bug in handling version");
        assertEquals(true, other.request("{\"command\":\"ping\"}").path("pong").asBoolean(), "the others lost it");
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean());
    }

    @Test
    void invalidRequestsAreAnsweredWithoutTheMasterAndTheConnectionGoesOn() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client client = connect();

        assertEquals("bad_json", client.request("{\"command\":").path("error").path("code").asText());
        assertEquals("unknown_command", client.request("{\"command\":\"nope\"}").path("error").path("code").asText());
        client.send("\n   \n"); // blank lines are skipped
        assertEquals(true, client.request("{\"command\":\"ping\"}").path("pong").asBoolean());
        assertEquals(List.of(AdminCommand.PING), seen);
    }

    @Test
    void aLineOfExactly64KiBIsALineAndOneByteMoreClosesTheConnection() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client client = connect();
        String ping = "{\"command\":\"ping\"}";
        client.send(ping + " ".repeat(64 * 1024 - ping.length()) + "\n");
        assertEquals(true, client.reply().path("pong").asBoolean());

        client.send("{\"command\":\"ping\"}" + " ".repeat(64 * 1024)); // no newline yet: the server stops reading

        JsonNode refused = client.reply();
        assertEquals("line_too_long", refused.path("error").path("code").asText());
        assertTrue(client.closedWithin(DEADLINE), "the connection stays open");
        assertEquals(List.of(AdminCommand.PING), seen);
    }

    @Test
    void aLongLineWithItsNewlineIsRefusedToo() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client client = connect();

        client.send("{\"command\":\"ping\"}" + " ".repeat(70 * 1024) + "\n{\"command\":\"ping\"}\n");

        assertEquals("line_too_long", client.reply().path("error").path("code").asText());
        assertTrue(client.closedWithin(DEADLINE));
        assertEquals(List.of(), seen, "nothing after the long line was read");
    }

    // ---- timeouts -----------------------------------------------------------------------------------------------

    @Test
    void aConnectionThatTricklesBytesWithoutARequestIsClosedAfterTheIdleTimeout() throws Exception {
        Duration idle = Duration.ofMillis(600);
        start(new AdminServer.Timeouts(idle.toNanos(), TimeUnit.MINUTES.toNanos(10), TimeUnit.SECONDS.toNanos(30)));
        Client client = connect();
        long opened = System.nanoTime();

        client.send("{");
        JsonNode closing = null;
        while (closing == null && !client.endOfStream() && System.nanoTime() - opened < DEADLINE.toNanos()) {
            // a byte every 100 ms, as a client that means to keep its connection by trickling would send
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            closing = client.replyIfThere();
            if (closing == null) {
                client.sendIfOpen(" ");
            }
        }
        long after = System.nanoTime() - opened;

        assertNotNull(closing, "not closed with a reply within " + DEADLINE);
        assertEquals("idle", closing.path("error").path("code").asText(), closing.toString());
        assertTrue(client.closedWithin(DEADLINE));
        assertTrue(after >= idle.toNanos(), "closed after " + TimeUnit.NANOSECONDS.toMillis(after) + " ms");
        assertEquals(List.of(), seen);
    }

    @Test
    void idlenessCountsFromTheLastCompletedRequest() throws Exception {
        Duration idle = Duration.ofMillis(800);
        start(new AdminServer.Timeouts(idle.toNanos(), TimeUnit.MINUTES.toNanos(10), TimeUnit.SECONDS.toNanos(30)));
        Client client = connect();
        long opened = System.nanoTime();

        // a request every 200 ms for twice the idle timeout: never idle for long, so never closed meanwhile
        long lastRequest;
        while (true) {
            assertEquals(true, client.request("{\"command\":\"ping\"}").path("pong").asBoolean());
            lastRequest = System.nanoTime();
            if (lastRequest - opened >= 2 * idle.toNanos()) {
                break;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200)); // the client's pace
        }

        assertEquals("idle", client.reply().path("error").path("code").asText());
        assertTrue(System.nanoTime() - lastRequest >= idle.toNanos() / 2, "closed too early after the last request");
        assertTrue(client.closedWithin(DEADLINE));
    }

    @Test
    void aConnectionIsClosedAtTheEndOfItsLifetimeHoweverBusy() throws Exception {
        Duration lifetime = Duration.ofMillis(700);
        start(new AdminServer.Timeouts(TimeUnit.SECONDS.toNanos(10), lifetime.toNanos(),
                TimeUnit.SECONDS.toNanos(30)));
        Client client = connect();
        long opened = System.nanoTime();

        JsonNode reply;
        do {
            client.sendIfOpen("{\"command\":\"ping\"}\n");
            reply = client.reply();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // the client's pace
        } while (reply != null && reply.path("ok").asBoolean() && System.nanoTime() - opened < DEADLINE.toNanos());

        assertNotNull(reply, "closed without a word");
        assertEquals("idle", reply.path("error").path("code").asText(), reply.toString());
        assertTrue(reply.path("error").path("message").asText().startsWith("connection open for"), reply.toString());
        assertTrue(System.nanoTime() - opened >= lifetime.toNanos());
    }

    @Test
    void aFailedReplyFromTheMasterIsAnsweredAtOnceAsInternal() throws Exception {
        start(AdminServer.Timeouts.DEFAULT); // 30 s for the master's reply: far longer than this test may take
        Client client = connect();
        client.send("{\"command\":\"status\"}\n");
        long asked = System.nanoTime();

        next().reply().completeExceptionally(new IllegalStateException("the status report broke"));

        JsonNode reply = client.reply();
        assertEquals("internal", reply.path("error").path("code").asText(), reply.toString());
        assertTrue(reply.path("error").path("message").asText().contains("the status report broke"), reply.toString());
        assertTrue(System.nanoTime() - asked < DEADLINE.toNanos());
        log.expect(Log.Level.ERROR, "admin: the master could not answer");
        assertEquals(true, client.request("{\"command\":\"ping\"}").path("pong").asBoolean(), "the connection goes on");
    }

    @Test
    void aMasterThatNeverAnswersGetsInternalAfterTheReplyTimeoutAndItsLateReplyIsDropped() throws Exception {
        Duration replyTimeout = Duration.ofMillis(500);
        start(new AdminServer.Timeouts(TimeUnit.SECONDS.toNanos(10), TimeUnit.MINUTES.toNanos(10),
                replyTimeout.toNanos()));
        Client client = connect();
        client.send("{\"command\":\"status\"}\n");
        long asked = System.nanoTime();
        Pending status = next();

        JsonNode reply = client.reply();
        long waited = System.nanoTime() - asked;

        assertEquals("internal", reply.path("error").path("code").asText(), reply.toString());
        assertEquals("the master did not answer in time", reply.path("error").path("message").asText());
        assertTrue(waited >= replyTimeout.toNanos(), "answered after " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms");

        status.reply().complete(new AdminReply.VersionInfo("late", "17")); // the master wakes up after all
        assertEquals(true, client.request("{\"command\":\"ping\"}").path("pong").asBoolean(),
                "the late reply reached the client");
    }

    // ---- floods -------------------------------------------------------------------------------------------------

    @Test
    void atThePerUserCapANewConnectionEvictsTheLongestIdleOneWithBusy() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        List<Client> flood = new ArrayList<>();
        for (int i = 0; i < AdminServer.MAX_CONNECTIONS_PER_USER; i++) {
            flood.add(connect());
        }
        // every one of them accepted: the last one answers
        assertEquals(true, flood.get(flood.size() - 1).request("{\"command\":\"ping\"}").path("pong").asBoolean());

        // A connection is evicted only after a second of idleness; until then a newcomer is turned away, busy.
        Client newcomer;
        int turnedAway = 0;
        while (true) {
            newcomer = connect();
            newcomer.sendIfOpen("{\"command\":\"ping\"}\n"); // a turned-away one is closed at once
            JsonNode reply = newcomer.reply();
            if (reply != null && reply.path("pong").asBoolean()) {
                break;
            }
            assertNotNull(reply, "turned away without a word");
            assertEquals("busy", reply.path("error").path("code").asText(), reply.toString());
            assertTrue(newcomer.closedWithin(DEADLINE));
            turnedAway++;
            assertTrue(turnedAway < 200, "never let in");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // the client's retry interval
        }

        JsonNode evicted = flood.get(0).reply();
        assertEquals("busy", evicted.path("error").path("code").asText(), evicted.toString());
        assertTrue(evicted.path("error").path("message").asText().contains("to make room"), evicted.toString());
        assertTrue(flood.get(0).closedWithin(DEADLINE));
        assertEquals(true, flood.get(1).request("{\"command\":\"ping\"}").path("pong").asBoolean(),
                "only the longest idle one was closed");
        assertEquals(1, adminThreads(), "one thread for " + (flood.size() + 1) + " connections");
        log.expect(Log.Level.WARN, "connections turned away or closed for room");
    }

    @Test
    void oneThreadServesEveryConnection() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        List<Client> many = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            many.add(connect());
        }
        for (Client client : many) {
            client.send("{\"command\":\"ping\"}\n");
        }
        for (Client client : many) {
            assertEquals(true, client.reply().path("pong").asBoolean());
        }
        assertEquals(1, adminThreads());
    }

    @Test
    void closingTheServerClosesItsConnectionsAndRemovesTheSocket() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client client = connect();
        assertEquals(true, client.request("{\"command\":\"ping\"}").path("pong").asBoolean());

        server.close();

        assertTrue(client.closedWithin(DEADLINE));
        assertNull(client.reply(), "closed without a word: the master is exiting");
        assertFalse(Files.exists(socket));
        server = null;
    }

    // ---- an upgrade's hand-over ---------------------------------------------------------------------------------

    @Test
    void pausedForAHandOverItAnswersWhatIsInProgressKeepsNewcomersQueuedAndLeavesTheUpgradeToTheExec()
            throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client upgrading = connect();
        upgrading.send("{\"command\":\"upgrade\"}\n");
        Pending upgrade = next();
        Client inProgress = connect();
        inProgress.send("{\"command\":\"version\"}\n");
        Pending version = next();
        Client answered = connect();
        assertEquals(true, answered.request("{\"command\":\"ping\"}").path("pong").asBoolean());

        CompletableFuture<Void> settled = server.pauseForHandOver();
        Client newcomer = connect(); // the backlog takes it; nobody accepts it now
        newcomer.send("{\"command\":\"ping\"}\n");

        assertFalse(settled.isDone(), "a request is in progress");
        version.reply().complete(new AdminReply.VersionInfo("1.2.3", "17"));
        assertEquals("1.2.3", inProgress.reply().path("version").asText());
        settled.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        JsonNode told = answered.reply();
        assertEquals("upgrading", told.path("error").path("code").asText(), told.toString());
        assertTrue(answered.closedWithin(DEADLINE), "an answered connection is closed before the exec");
        assertTrue(inProgress.closedWithin(DEADLINE));
        assertNull(upgrading.replyIfThere(), "the upgrade's own connection is left to the exec");
        assertFalse(upgrading.endOfStream());
        assertNull(newcomer.replyIfThere());
        assertEquals(List.of(AdminCommand.UPGRADE, AdminCommand.VERSION, AdminCommand.PING), seen,
                "nothing accepted after the pause reached the master");

        // The exec failed: the old master goes on, and answers what waited meanwhile.
        server.resumeAfterHandOver();
        assertEquals(true, newcomer.reply().path("pong").asBoolean());
        upgrade.reply().complete(new AdminException(AdminException.UPGRADE_FAILED, "exec failed").toReply());
        assertEquals("upgrade_failed", upgrading.reply().path("error").path("code").asText());
    }

    @Test
    void aConnectionWhoseFirstRequestIsStillOnItsWayIsWaitedForAndAnswered() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Client silent = connect();
        // The backlog is first in, first out: once a later connection is answered, the silent one was accepted.
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean());

        CompletableFuture<Void> settled = server.pauseForHandOver();
        silent.send("{\"command\":\"ping\"}\n");

        assertEquals(true, silent.reply().path("pong").asBoolean(), "its first request is answered");
        settled.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertTrue(silent.closedWithin(DEADLINE));
        server.resumeAfterHandOver();
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean());
    }

    @Test
    void aHandedOverListenerIsServedWithTheConnectionsWaitingInItsBacklog() throws Exception {
        socket = parent.resolve("admin").resolve("herd.sock");
        Files.createDirectories(socket.getParent(), java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------")));
        java.nio.channels.ServerSocketChannel handed = java.nio.channels.ServerSocketChannel.open(
                StandardProtocolFamily.UNIX);
        handed.bind(UnixDomainSocketAddress.of(socket), 16);
        Client waiting = connect();
        waiting.send("{\"command\":\"ping\"}\n");

        server = AdminServer.takeOver(handed, socket, Optional.empty(), AdminPaths.effectiveUid(),
                (request, reply) -> reply.complete(new AdminReply.Pong()));

        assertEquals(true, waiting.reply().path("pong").asBoolean());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)));
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean());
    }

    @Test
    void aMovedSocketsOldListenerIsServedWithWhatWaitedInItUntilItIsRetiredThenItsFileIsGone() throws Exception {
        start(AdminServer.Timeouts.DEFAULT);
        Path oldSocket = parent.resolve("admin").resolve("old.sock");
        java.nio.channels.ServerSocketChannel old = java.nio.channels.ServerSocketChannel.open(
                StandardProtocolFamily.UNIX);
        old.bind(UnixDomainSocketAddress.of(oldSocket), 16);
        Client waiting = new Client(oldSocket);
        clients.add(waiting);
        waiting.send("{\"command\":\"ping\"}\n");

        server.alsoServe(old, oldSocket);

        assertEquals(true, waiting.reply().path("pong").asBoolean(), "what waited in it");
        Client later = new Client(oldSocket);
        clients.add(later);
        assertEquals(true, later.request("{\"command\":\"ping\"}").path("pong").asBoolean(), "served until retired");

        server.retireOldSocket(oldSocket);

        assertFalse(Files.exists(oldSocket, java.nio.file.LinkOption.NOFOLLOW_LINKS), "removed at once");
        await("the old listener to be closed", () -> !old.isOpen());
        assertEquals(true, connect().request("{\"command\":\"ping\"}").path("pong").asBoolean(), "the new path");
    }

    // ---- fixture ------------------------------------------------------------------------------------------------

    private void start(AdminServer.Timeouts timeouts) throws IOException {
        socket = parent.resolve("admin").resolve("herd.sock");
        server = AdminServer.open(socket, Optional.empty(), AdminPaths.effectiveUid(), (request, reply) -> {
            seen.add(request.command());
            if (request.command() == AdminCommand.VERSION && versionThrows) {
                throw new IllegalStateException("a bug in handling version");
            }
            if (request.command() == AdminCommand.PING) {
                reply.complete(new AdminReply.Pong());
            } else {
                pending.add(new Pending(request, reply));
            }
        }, timeouts);
    }

    private Pending next() throws InterruptedException {
        Pending next = pending.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(next, "no request reached the master");
        return next;
    }

    private Client connect() throws IOException {
        Client client = new Client(socket);
        clients.add(client);
        return client;
    }

    private static long adminThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("herd-admin") && thread.isAlive()).count();
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the polling interval
        }
    }

    /** A client on a non-blocking channel, so that every read has a deadline and a test cannot hang. */
    private static final class Client implements AutoCloseable {
        private final SocketChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private boolean endOfStream;

        Client(Path socket) throws IOException {
            channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            channel.connect(UnixDomainSocketAddress.of(socket));
            channel.configureBlocking(false);
        }

        void send(String text) throws IOException {
            ByteBuffer out = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) {
                    assertTrue(System.nanoTime() - deadline < 0, "the server does not read");
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
        }

        boolean endOfStream() {
            return endOfStream;
        }

        /** Sends unless the server has closed the connection; returns whether it could. */
        boolean sendIfOpen(String text) {
            try {
                send(text);
                return true;
            } catch (IOException closed) {
                return false;
            }
        }

        /** Sends one request line and returns its reply (null if the server closed the connection instead). */
        JsonNode request(String json) throws IOException {
            send(json + "\n");
            return reply();
        }

        /** The next reply line; null once the server closed the connection; fails at the deadline. */
        JsonNode reply() throws IOException {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (true) {
                JsonNode reply = replyIfThere();
                if (reply != null || endOfStream) {
                    return reply;
                }
                assertTrue(System.nanoTime() - deadline < 0, "no reply within " + DEADLINE);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1)); // the polling interval
            }
        }

        /** A whole reply line if one has arrived, else null at once. */
        JsonNode replyIfThere() throws IOException {
            while (true) {
                if (buffer.position() > 0) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        byte b = buffer.get();
                        if (b == '\n') {
                            buffer.compact();
                            JsonNode reply = JSON.readTree(line.toString(StandardCharsets.UTF_8));
                            line.reset();
                            return reply;
                        }
                        line.write(b);
                    }
                    buffer.clear();
                }
                int count;
                try {
                    count = channel.read(buffer);
                } catch (IOException reset) {
                    count = -1;
                }
                if (count < 0) {
                    endOfStream = true;
                    return null;
                }
                if (count == 0) {
                    return null;
                }
            }
        }

        /** Whether the server closes the connection (after any replies still unread) before the deadline. */
        boolean closedWithin(Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!endOfStream) {
                if (replyIfThere() == null && !endOfStream) {
                    if (System.nanoTime() - deadline > 0) {
                        return false;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                }
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
