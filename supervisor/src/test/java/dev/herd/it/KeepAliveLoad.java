package dev.herd.it;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * HTTP/1.1 keep-alive clients, as wrk runs them: each thread keeps one connection and sends {@code GET path} on it
 * again and again, reconnecting only when a response said {@code Connection: close}. Anything else that ends an
 * exchange early (a refused connect, a reset, the connection closing before a whole response) is an error; a
 * status other than 2xx is counted apart. Bounded by the caller's {@link #close()}.
 */
final class KeepAliveLoad implements AutoCloseable {

    private final int port;
    private final String path;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong responses = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong non2xx = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicReference<String> firstProblem = new AtomicReference<>();
    /** Errors by kind ({@link #kindOf}): how a failed exchange ended, for the summary. */
    private final Map<String, AtomicLong> errorKinds = new ConcurrentSkipListMap<>();
    private final Set<String> bodies = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new ArrayList<>();

    KeepAliveLoad(int port, String path, int connections) {
        this.port = port;
        this.path = path;
        for (int i = 0; i < connections; i++) {
            Thread thread = new Thread(this::run, "keep-alive-" + i);
            thread.start();
            threads.add(thread);
        }
    }

    /**
     * Four keep-alive connections on {@code port} through {@code reloads} rolling reloads run one after the other:
     * 200 responses before them ({@code whenWarm} then sees the load), 200 after, then the load stops. Returns the
     * stopped load for the caller's assertions (errors, non-2xx, bodies).
     */
    static KeepAliveLoad throughReloads(int port, String path, int reloads, Runnable reload, Duration timeout,
                                        Consumer<KeepAliveLoad> whenWarm) {
        return throughReloads(new KeepAliveLoad(port, path, 4), reloads, reload, timeout, whenWarm);
    }

    /** {@link #throughReloads} with a load of the caller's. */
    static KeepAliveLoad throughReloads(KeepAliveLoad load, int reloads, Runnable reload, Duration timeout,
                                        Consumer<KeepAliveLoad> whenWarm) {
        try {
            Poll.until(timeout, "responses before the reloads", () -> load.responses() >= 200);
            whenWarm.accept(load);
            for (int i = 0; i < reloads; i++) {
                reload.run();
            }
            long afterReloads = load.responses();
            Poll.until(timeout, "responses after the reloads", () -> load.responses() >= afterReloads + 200);
        } finally {
            load.close();
        }
        return load;
    }

    long responses() {
        return responses.get();
    }

    long errors() {
        return errors.get();
    }

    long non2xx() {
        return non2xx.get();
    }

    long reconnects() {
        return reconnects.get();
    }

    /** The distinct response bodies seen (they name the worker that answered). */
    Set<String> bodies() {
        return Set.copyOf(bodies);
    }

    String summary() {
        return String.format(Locale.ROOT,
                "%d responses, %d errors%s, %d non-2xx, %d reconnects (Connection: close)%s",
                responses(), errors(), errorKinds.isEmpty() ? "" : " " + errorKinds, non2xx(), reconnects(),
                firstProblem.get() == null ? "" : "; first problem: " + firstProblem.get());
    }

    private void run() {
        while (running.get()) {
            Connection connection = new Connection();
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                connection.connected(socket);
                socket.setSoTimeout(30_000);
                exchangeUntilClosed(socket, connection);
            } catch (IOException e) {
                if (running.get()) {
                    errorKinds.computeIfAbsent(kindOf(e, connection), kind -> new AtomicLong()).incrementAndGet();
                    problem(errors, e + " (" + connection + ")");
                }
            }
        }
    }

    /**
     * How an exchange failed, for the summary: a reset or an end of file, before any byte of the response or within
     * it, on a new connection or on one reused after a response (a keep-alive connection the server closed while the
     * next request was on its way), or a refused connect.
     */
    private static String kindOf(IOException e, Connection connection) {
        if (connection.phase.equals("connecting")) {
            return "connect failed";
        }
        String how = e instanceof java.net.SocketException && String.valueOf(e.getMessage()).contains("reset")
                ? "reset" : e instanceof java.net.SocketTimeoutException ? "timeout" : "closed";
        String when = connection.responseStarted ? "within a response" : "before the response";
        String on = connection.responses == 0 ? "on a new connection" : "on a reused connection";
        return how + " " + when + " " + on;
    }

    /** What a failure report says of its connection: where it stood, how old, what it had been served, by whom. */
    private static final class Connection {
        private final long startNanos = System.nanoTime();
        private String local = "not connected";
        private String phase = "connecting";
        private int responses;
        private String lastBody = "none";
        /** Whether a byte of the response in progress has come. */
        private boolean responseStarted;
        private long lastResponseNanos;

        void connected(Socket socket) {
            local = "local port " + socket.getLocalPort();
        }

        @Override
        public String toString() {
            long now = System.nanoTime();
            return String.format(Locale.ROOT, "%s, %s, %d responses on it over %d ms, the last %s ms ago: %s", local,
                    phase, responses, (now - startNanos) / 1_000_000,
                    responses == 0 ? "-" : Long.toString((now - lastResponseNanos) / 1_000_000), lastBody.strip());
        }
    }

    /** Returns when the server said Connection: close or the load stopped; throws on anything else. */
    private void exchangeUntilClosed(Socket socket, Connection connection) throws IOException {
        OutputStream out = socket.getOutputStream();
        InputStream in = new BufferedInputStream(socket.getInputStream());
        byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n"
                + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        while (running.get()) {
            connection.phase = "writing a request";
            connection.responseStarted = false;
            out.write(request);
            out.flush();
            connection.phase = "reading a response";
            int first = in.read();
            if (first < 0) {
                throw new IOException("connection closed before a whole response (read: '')");
            }
            connection.responseStarted = true;
            String status = (char) first + readLine(in);
            int length = -1;
            boolean close = false;
            for (String header; !(header = readLine(in)).isEmpty(); ) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Integer.parseInt(lower.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            if (length < 0) {
                throw new IOException("response without Content-Length: " + status);
            }
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new IOException("connection closed in the body of: " + status);
            }
            responses.incrementAndGet();
            connection.responses++;
            connection.lastResponseNanos = System.nanoTime();
            connection.lastBody = new String(body, StandardCharsets.UTF_8) + (close ? " (Connection: close)" : "");
            if (status.startsWith("HTTP/1.1 2")) {
                bodies.add(new String(body, StandardCharsets.UTF_8));
            } else {
                problem(non2xx, status);
            }
            if (close) {
                reconnects.incrementAndGet();
                return;
            }
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed before a whole response (read: '" + line + "')");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private void problem(AtomicLong counter, String what) {
        counter.incrementAndGet();
        firstProblem.compareAndSet(null, System.currentTimeMillis() + " ms: " + what);
    }

    @Override
    public void close() {
        running.set(false);
        try {
            for (Thread thread : threads) {
                thread.join(60_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the load", e);
        }
    }
}
