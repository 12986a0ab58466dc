package dev.herd.it.apps;

import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An app that knows nothing of herd, with a plain {@link ServerSocket}: it binds its port (8080, or the first
 * argument), and answers each connection with one line naming its pid. With a second argument {@code twice} it
 * then binds the same port a second time, which fails outside herd too ("Address already in use"); with a port
 * number there, it also listens on that port (as an admin port would), accepting nothing on it.
 */
public final class ServerSocketApp {

    private ServerSocketApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        try (ServerSocket server = new ServerSocket(port)) {
            if (args.length > 1 && args[1].equals("twice")) {
                new ServerSocket(port).close();
            } else if (args.length > 1) {
                ServerSocket admin = new ServerSocket(Integer.parseInt(args[1]));
                System.out.println("admin port " + admin.getLocalPort());
            }
            System.out.println("serving on port " + port);
            while (true) {
                try (Socket client = server.accept(); OutputStream out = client.getOutputStream()) {
                    out.write(("hello from " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
    }
}
