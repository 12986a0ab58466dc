package dev.herd.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A test client for the echo app: one connection, exchanges of a title and its echo. */
final class EchoClient implements AutoCloseable {

    private final Socket socket = new Socket();

    EchoClient(int port) throws IOException {
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(5000);
    }

    String exchange(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
        return new String(socket.getInputStream().readNBytes(bytes.length), StandardCharsets.UTF_8);
    }

    /** Reads once: -1 means the server closed the connection. */
    int read() throws IOException {
        InputStream in = socket.getInputStream();
        return in.read();
    }

    static String roundTrip(int port, String text) throws IOException {
        try (EchoClient client = new EchoClient(port)) {
            return client.exchange(text);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
