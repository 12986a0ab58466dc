package dev.herd.it.apps;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * An app that knows nothing of herd, written as the JDK documents {@code com.sun.net.httpserver.HttpServer}: it
 * binds its port (8080, or the first argument) and answers {@code GET /hello} with its pid. Under herd with
 * {@code worker.appPort} it serves on herd's socket, unchanged. It stops its server from a shutdown hook, as a
 * careful app does, giving exchanges in progress a second.
 */
public final class JdkHttpServerApp {

    private JdkHttpServerApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 8080;
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/hello", exchange -> {
            byte[] body = ("hello from " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        System.out.println("serving on port " + port);
    }
}
