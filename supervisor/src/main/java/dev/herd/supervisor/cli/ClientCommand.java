package dev.herd.supervisor.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herd client}: the original socket example's client. For each title it writes the bytes (no newline),
 * reads back exactly as many and prints the echo; any difference or connection failure exits 1.
 */
@Command(name = "client", mixinStandardHelpOptions = true,
        description = "Send titles to an echo server and print each echo (the original socket example's client).")
final class ClientCommand implements Callable<Integer> {

    static final List<String> BOOK_TITLES = List.of("War and Peace", "Pride and Prejudice", "The Sound and the Fury");
    private static final int TIMEOUT_MILLIS = 5000;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "127.0.0.1", description = "default ${DEFAULT-VALUE}")
    private String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "9876", description = "default ${DEFAULT-VALUE}")
    private int port;

    @Parameters(paramLabel = "TITLE", arity = "0..*",
            description = "what to send (default: the three book titles of the original example)")
    private List<String> titles;

    @Override
    public Integer call() throws IOException {
        List<String> toSend = titles == null || titles.isEmpty() ? BOOK_TITLES : titles;
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            for (String title : toSend) {
                byte[] sent = title.getBytes(StandardCharsets.UTF_8);
                out.write(sent);
                out.flush();
                byte[] echo = in.readNBytes(sent.length);
                if (!Arrays.equals(sent, echo)) {
                    throw new IOException("echo differs: sent '" + title + "', got '"
                            + new String(echo, StandardCharsets.UTF_8) + "'");
                }
                System.out.println(new String(echo, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IOException("client " + host + ":" + port + ": " + e.getMessage(), e);
        }
        return ExitCodes.OK;
    }
}
