package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.supervisor.admin.AdminPaths;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TopSource} against a stand-in for the master's admin server that closes connections the ways the master
 * does: after an {@code idle} error line (idle for 10 s, or open for 10 minutes), or just so.
 */
class TopSourceTest {

    private static final String STATUS = TopFixtures.read("top-status-1.json").toString();
    private static final String IDLE =
            "{\"ok\":false,\"error\":{\"code\":\"idle\",\"message\":\"no request for 10 s; closing\"}}";

    @TempDir
    Path dir;

    /** What the stand-in does after answering the first request on a connection. */
    private enum AfterFirstReply { KEEP_OPEN, IDLE_LINE_AND_CLOSE, CLOSE }

    /** Serves one connection at a time; each connection's behaviour is taken from a list, in order. */
    private final class FakeMaster implements AutoCloseable {
        final Path socket = dir.resolve("run/herd.sock");
        final ServerSocketChannel server;
        final List<String> requests = new CopyOnWriteArrayList<>();
        final BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
        final Thread thread;

        FakeMaster(List<AfterFirstReply> connections, List<String> firstReplies) throws IOException {
            Files.createDirectory(dir.resolve("run"), PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
            thread = new Thread(() -> serve(connections, firstReplies), "fake-master");
            thread.setDaemon(true);
            thread.start();
        }

        private void serve(List<AfterFirstReply> connections, List<String> firstReplies) {
            for (int i = 0; i < connections.size(); i++) {
                try (SocketChannel channel = server.accept()) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel),
                            StandardCharsets.UTF_8));
                    OutputStream out = Channels.newOutputStream(channel);
                    boolean first = true;
                    for (String line; (line = in.readLine()) != null; ) {
                        requests.add(line);
                        out.write(((first ? firstReplies.get(i) : STATUS) + "\n").getBytes(StandardCharsets.UTF_8));
                        if (first && connections.get(i) != AfterFirstReply.KEEP_OPEN) {
                            if (connections.get(i) == AfterFirstReply.IDLE_LINE_AND_CLOSE) {
                                out.write((IDLE + "\n").getBytes(StandardCharsets.UTF_8));
                            }
                            break;
                        }
                        first = false;
                    }
                } catch (IOException e) {
                    if (server.isOpen()) {
                        throw new UncheckedIOException(e);
                    }
                    return;
                }
                closed.add(i);
            }
        }

        AdminPaths.Location location() {
            return new AdminPaths.Location(socket, false);
        }

        /** Waits until the stand-in has closed connection {@code index}. */
        void awaitClosed(int index) throws InterruptedException {
            Integer done = closed.poll(10, TimeUnit.SECONDS);
            assertEquals(index, done, "connection " + index + " closed by the stand-in");
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    @Test
    void oneConnectionServesEverySample() throws Exception {
        try (FakeMaster master = new FakeMaster(List.of(AfterFirstReply.KEEP_OPEN), List.of(STATUS));
             TopSource source = TopSource.connect(master.location())) {
            for (int i = 0; i < 3; i++) {
                assertEquals(31787, source.sample().status().path("pid").asInt());
            }
            assertEquals(List.of("{\"command\":\"status\"}", "{\"command\":\"status\"}", "{\"command\":\"status\"}"),
                    master.requests);
        }
    }

    @Test
    void aConnectionTheMasterClosedAsIdleIsReplacedWithoutAnError() throws Exception {
        try (FakeMaster master = new FakeMaster(
                List.of(AfterFirstReply.IDLE_LINE_AND_CLOSE, AfterFirstReply.KEEP_OPEN), List.of(STATUS, STATUS));
             TopSource source = TopSource.connect(master.location())) {
            source.sample();
            master.awaitClosed(0);
            TopSample second = source.sample(); // reads the idle line first, then asks again on a new connection
            assertEquals(31787, second.status().path("pid").asInt());
            assertEquals(2, master.requests.size());
        }
    }

    @Test
    void aConnectionClosedWithoutAWordIsReplacedToo() throws Exception {
        try (FakeMaster master = new FakeMaster(List.of(AfterFirstReply.CLOSE, AfterFirstReply.KEEP_OPEN),
                List.of(STATUS, STATUS));
             TopSource source = TopSource.connect(master.location())) {
            source.sample();
            master.awaitClosed(0);
            assertEquals(31787, source.sample().status().path("pid").asInt());
        }
    }

    @Test
    void anErrorOnAFreshConnectionIsReportedAndTheNextSampleConnectsAnew() throws Exception {
        String internal =
                "{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"the master could not answer\"}}";
        try (FakeMaster master = new FakeMaster(List.of(AfterFirstReply.CLOSE, AfterFirstReply.CLOSE,
                AfterFirstReply.KEEP_OPEN), List.of(STATUS, internal, STATUS));
             TopSource source = TopSource.connect(master.location())) {
            source.sample();
            master.awaitClosed(0);
            // The first connection is found closed; the second, fresh one answers with an error: no third try.
            IOException error = assertThrows(IOException.class, source::sample);
            assertEquals("the master could not answer (internal)", error.getMessage());
            master.awaitClosed(1);
            assertEquals(31787, source.sample().status().path("pid").asInt());
            assertEquals(3, master.requests.size());
        }
    }

    @Test
    void noMasterIsReportedAsNotRunning() {
        AdminPaths.Location nowhere = new AdminPaths.Location(dir.resolve("herd.sock"), false);
        IOException error = assertThrows(AdminClient.NotRunningException.class, () -> TopSource.connect(nowhere));
        assertTrue(error.getMessage().contains("no herd master is running"), error.getMessage());
    }
}
