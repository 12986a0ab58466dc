package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * /metrics under clients that misbehave (issue 19, item 5): connections that send half a request and then a byte
 * now and then must not keep scrapes from being answered, and scrapes their clients abort with a reset must not
 * fill herd's log with the HTTP server's stack traces.
 */
class MetricsAbuseIT {

    private static final Duration START = Duration.ofSeconds(60);
    /** More than the server's threads: each would hold one for as long as it keeps dribbling. */
    private static final int SLOW_CLIENTS = 6;

    @TempDir
    Path dir;

    @Test
    void slowAndAbortedClientsLeaveScrapesAnsweredAndTheLogQuiet() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("--workers", "1", "--metrics-listen", "127.0.0.1:0")) {
            int port = Integer.parseInt(herd.awaitLine("metrics on http://127.0.0.1:(\\d+)/metrics", START).group(1));
            assertTrue(scrape(port).isPresent(), "a scrape before any abuse");

            List<Socket> slow = new ArrayList<>();
            Thread dribbler = null;
            try {
                for (int i = 0; i < SLOW_CLIENTS; i++) {
                    Socket client = new Socket();
                    client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    client.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "
                            .getBytes(StandardCharsets.US_ASCII));
                    slow.add(client);
                }
                // A byte a second per connection, for longer than the poll below waits: a server that waits for
                // the header to end would never answer in time.
                dribbler = new Thread(() -> dribble(slow, Duration.ofSeconds(45)), "dribbler");
                dribbler.setDaemon(true);
                dribbler.start();
                Poll.until(Duration.ofSeconds(30), "a scrape answered beside " + SLOW_CLIENTS
                        + " dribbling clients:\n" + herd.output(), () -> scrape(port).isPresent());
            } finally {
                if (dribbler != null) {
                    dribbler.interrupt();
                }
                for (Socket client : slow) {
                    client.close();
                }
            }

            for (int i = 0; i < 200; i++) {
                try (Socket client = new Socket()) {
                    client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    client.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
                            .getBytes(StandardCharsets.US_ASCII));
                    client.setSoLinger(true, 0); // close() sends a reset, as an aborted scrape does
                }
            }
            assertTrue(Poll.until(START, "a scrape after 200 aborted ones", () -> scrape(port)).contains("herd_up 1"));
            List<String> noise = herd.lines().stream()
                    .filter(line -> line.contains("SEVERE") || line.startsWith("\tat ") || line.startsWith("java."))
                    .toList();
            assertEquals(List.of(), noise, "lines not in herd's format:\n" + herd.output());
            long told = herd.lines().stream().filter(line -> line.contains("metrics server:")).count();
            assertTrue(told <= 2, told + " lines about the metrics server:\n" + herd.output());
        }
    }

    /** One whole answer to {@code GET /metrics}, read within 3 s, or empty (SlowLogReaderIT scrapes with it too). */
    static Optional<String> scrape(int port) {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 3000);
            client.setSoTimeout(3000);
            OutputStream out = client.getOutputStream();
            out.write("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return answer.startsWith("HTTP/1.1 200") ? Optional.of(answer) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static void dribble(List<Socket> clients, Duration atMost) {
        long end = System.nanoTime() + atMost.toNanos();
        while (System.nanoTime() < end && !Thread.currentThread().isInterrupted()) {
            for (Socket client : clients) {
                try {
                    client.getOutputStream().write('x');
                } catch (IOException e) {
                    // the server closed it: what the fix does
                }
            }
            try {
                Thread.sleep(1000); // the dribble's own pace, not a synchronisation
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
