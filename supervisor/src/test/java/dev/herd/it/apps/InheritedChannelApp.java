package dev.herd.it.apps;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * An app that knows nothing of herd and serves as an inetd-style server does (Jetty's {@code inheritChannel}): on
 * the listening socket {@code System.inheritedChannel()} gives it (fd 0), or, where there is none, on its port (8080,
 * or the first argument), which it binds. It answers each HTTP/1.1 request ({@code GET /hello}) on a keep-alive
 * connection with its pid, a thread per connection, plain JDK. It closes its server channel from a shutdown hook and
 * says so, as a careful app does.
 */
public final class InheritedChannelApp {

    private InheritedChannelApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        Channel inherited = System.inheritedChannel();
        ServerSocketChannel server = inherited instanceof ServerSocketChannel listening ? listening
                : ServerSocketChannel.open().bind(new InetSocketAddress(port));
        System.out.println(inherited == null ? "serving on port " + port : "serving on the inherited channel");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
                System.out.println("stopped: the server channel is closed");
            } catch (IOException e) {
                System.out.println("stopped: cannot close the server channel: " + e);
            }
        }));
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (ClosedChannelException stopping) {
                return; // the stop closed it
            }
            Thread connection = new Thread(() -> serve(client), "connection");
            connection.setDaemon(true);
            connection.start();
        }
    }

    /** Answers each request head on the connection until the client closes it. */
    private static void serve(SocketChannel client) {
        byte[] body = ("hello from " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] response = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length
                + "\r\n\r\n" + new String(body, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        ByteBuffer in = ByteBuffer.allocate(8192);
        StringBuilder received = new StringBuilder();
        try (client) {
            while (client.read(in.clear()) > 0 && received.length() < in.capacity()) { // a request head at most
                received.append(new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1));
                for (int end; (end = received.indexOf("\r\n\r\n")) >= 0; ) {
                    received.delete(0, end + 4);
                    ByteBuffer out = ByteBuffer.wrap(response);
                    while (out.hasRemaining()) {
                        client.write(out);
                    }
                }
            }
        } catch (IOException e) {
            System.out.println("connection ended: " + e.getMessage());
        }
    }
}
