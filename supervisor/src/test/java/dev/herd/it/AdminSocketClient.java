package dev.herd.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A raw admin-protocol client for tests: sends any bytes, reads reply lines. */
final class AdminSocketClient implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    private final SocketChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(65536).flip();

    AdminSocketClient(Path socket) throws IOException {
        channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
    }

    void send(String text) throws IOException {
        sendBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Any bytes, valid UTF-8 or not. */
    void sendBytes(byte[] bytes) throws IOException {
        ByteBuffer out = ByteBuffer.wrap(bytes);
        while (out.hasRemaining()) {
            channel.write(out);
        }
    }

    /** The next reply line, or null once the master closed the connection. */
    JsonNode readReply() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (!buffer.hasRemaining()) {
                buffer.clear();
                if (channel.read(buffer) < 0) {
                    return null;
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

    JsonNode request(String json) throws IOException {
        send(json + "\n");
        return readReply();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
