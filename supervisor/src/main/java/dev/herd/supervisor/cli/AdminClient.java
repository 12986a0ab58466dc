package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** The CLI's side of the admin channel: one connection, one JSON line out, one JSON line back per request. */
final class AdminClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** No master answers at the socket path: the CLI exits {@link ExitCodes#NOT_RUNNING}. */
    static final class NotRunningException extends IOException {
        NotRunningException(Path path, String reason) {
            super("no herd master is running at " + path + " (" + reason + ")");
        }
    }

    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(8192).flip();

    private AdminClient(SocketChannel channel) {
        this.channel = channel;
    }

    static AdminClient connect(Path path) throws IOException {
        if (!java.nio.file.Files.exists(path)) {
            throw new NotRunningException(path, "no such file");
        }
        SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            channel.connect(UnixDomainSocketAddress.of(path));
            return new AdminClient(channel);
        } catch (java.net.ConnectException | java.nio.file.NoSuchFileException e) {
            channel.close();
            throw new NotRunningException(path, e.getMessage() == null ? "connection refused" : e.getMessage());
        } catch (IOException e) {
            // Permission denied and the like: a master may well be running, we just may not talk to it.
            channel.close();
            throw new IOException("cannot connect to admin socket " + path + ": " + e.getMessage(), e);
        }
    }

    JsonNode request(ObjectNode request) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            channel.write(out);
        }
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (!buffer.hasRemaining()) {
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    throw new IOException("the master closed the connection without a reply");
                }
                buffer.flip();
            }
            byte b = buffer.get();
            if (b == '\n') {
                return JSON.readTree(line.toString(StandardCharsets.UTF_8));
            }
            line.write(b);
        }
    }

    static ObjectNode command(String name) {
        return JSON.createObjectNode().put("command", name);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
