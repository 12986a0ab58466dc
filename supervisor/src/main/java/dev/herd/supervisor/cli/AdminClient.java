package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.supervisor.admin.AdminPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The CLI's side of the admin channel: one connection, one JSON line out, one JSON line back per request. Before
 * it talks, it makes sure it talks to a real master: the socket's directory must be one nobody else controls
 * ({@link AdminPaths#checkBeforeConnecting}), and the process at the other end (SO_PEERCRED) must run as that
 * directory's owner or as root. A reply that does not come within its timeout (a stopped master) is an error.
 */
final class AdminClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REPLY_BYTES = 64 * 1024 * 1024;

    /** No master answers at the socket path: the CLI exits {@link ExitCodes#NOT_RUNNING}. */
    static final class NotRunningException extends IOException {
        NotRunningException(Path path, String reason) {
            super("no herd master is running at " + path + " (" + reason + ")");
        }

        NotRunningException(String message) {
            super(message);
        }
    }

    /** The master closed the connection without a reply: after {@code upgrade}, its exec did (see Upgrade). */
    static final class ClosedWithoutReplyException extends IOException {
        ClosedWithoutReplyException() {
            super("the master closed the connection without a reply");
        }
    }

    private final Path path;
    private final SocketChannel channel;
    private final Selector selector;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192).flip();

    private AdminClient(Path path, SocketChannel channel, Selector selector) {
        this.path = path;
        this.channel = channel;
        this.selector = selector;
    }

    static AdminClient connect(AdminPaths.Location location) throws IOException {
        Path path = location.path();
        try {
            Files.readAttributes(path, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new NotRunningException(path, "no such file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException("cannot use admin socket " + path + ": permission denied (only the master's user,"
                    + " root and its adminGroup may)");
        }
        long owner = AdminPaths.checkBeforeConnecting(location);
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            checkPeer(channel, path, owner);
            channel.configureBlocking(false);
            Selector selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new AdminClient(path, channel, selector);
        } catch (java.net.ConnectException | java.nio.file.NoSuchFileException e) {
            channel.close();
            throw new NotRunningException(path, e.getMessage() == null ? "connection refused" : e.getMessage());
        } catch (IOException e) {
            // Permission denied and the like: a master may well be running, we just may not talk to it.
            channel.close();
            throw e.getMessage() != null && e.getMessage().startsWith("refusing")
                    ? e : new IOException("cannot connect to admin socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** The master must run as the owner of the socket's directory, or as root: not as whoever planted a socket. */
    private static void checkPeer(SocketChannel channel, Path path, long directoryOwner) throws IOException {
        UnixDomainPrincipal peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        var lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        // Principals compare by uid; looked up by number, a name that exists or not does not matter.
        UserPrincipal owner = Files.getOwner(path.toAbsolutePath().getParent(), LinkOption.NOFOLLOW_LINKS);
        boolean trusted = peer.user().equals(owner) || peer.user().equals(lookup.lookupPrincipalByName("0"));
        if (!trusted) {
            throw new IOException("refusing admin socket " + path + ": the process behind it runs as "
                    + peer.user().getName() + ", not as the directory's owner (uid " + directoryOwner + ") or root");
        }
    }

    /**
     * Sends a request and returns the reply.
     *
     * @param timeout how long to wait for the reply; empty: as long as it takes (a lasting command's work)
     */
    JsonNode request(ObjectNode request, Optional<Duration> timeout) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        IOException writeFailed = null;
        try {
            while (out.hasRemaining()) {
                channel.write(out); // one short line: the socket buffer takes it whole
            }
        } catch (IOException e) {
            // A master at its connection cap answers busy and closes before it reads anything: the write then
            // fails (EPIPE), but its reply is already here to be read.
            writeFailed = e;
        }
        long deadline = System.nanoTime() + (writeFailed != null ? TimeUnit.SECONDS.toNanos(1)
                : timeout.map(Duration::toNanos).orElse(Long.MAX_VALUE / 2));
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            while (buffer.hasRemaining()) {
                byte b = buffer.get();
                if (b == '\n') {
                    return JSON.readTree(line.toByteArray());
                }
                if (line.size() >= MAX_REPLY_BYTES) {
                    throw new IOException("the reply from " + path + " is longer than " + MAX_REPLY_BYTES + " bytes");
                }
                line.write(b);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 && writeFailed != null) {
                throw writeFailed;
            }
            if (left <= 0) {
                throw new IOException("the master at " + path + " did not answer within "
                        + timeout.orElseThrow().toSeconds() + " s (is it stopped or overloaded?)");
            }
            selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            selector.selectedKeys().clear();
            buffer.clear();
            int count = channel.read(buffer);
            buffer.flip();
            if (count < 0) {
                throw writeFailed != null ? writeFailed : new ClosedWithoutReplyException();
            }
        }
    }

    static ObjectNode command(String name) {
        return JSON.createObjectNode().put("command", name);
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
