package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the built-in http app serves, as the README describes it: paths, methods, codes, and request bodies. */
class HttpAppIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** One response: status line, headers (lower-case names), body. */
    private record Response(String status, Map<String, String> headers, String body) {
    }

    @Test
    void answersEachPathAndMethodWithItsCodeAndKeepsTheConnectionAfterALargeBody() throws Exception {
        // An admin socket of its own: closing SIGKILLs the master, which would leave a stale default socket behind.
        try (HerdProcess herd = new AdminFixture(dir).startHerd("--workers", "1", "--app", "http")) {
            herd.awaitWorkersAccepting(1, START);
            int port = herd.port();
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream());

                // 10 MB sent along with a GET: read and dropped, answered, and the connection stays usable.
                send(out, "GET", "/", 10_000_000);
                Response large = read(in);
                assertEquals("HTTP/1.1 200 OK", large.status());
                assertTrue(large.body().startsWith("hello from herd worker-1"), large.body());
                assertTrue(!"close".equals(large.headers().get("connection")), large.headers().toString());

                send(out, "HEAD", "/", 0);
                Response head = read(in, false);
                assertEquals("HTTP/1.1 200 OK", head.status());
                send(out, "GET", "/delay?ms=50", 0);
                assertEquals("HTTP/1.1 200 OK", read(in).status());
                send(out, "POST", "/", 5);
                assertEquals("HTTP/1.1 405 Method Not Allowed", read(in).status());
                send(out, "GET", "/nope", 0);
                assertEquals("HTTP/1.1 404 Not Found", read(in).status());

                // Longer than the app reads: 413, and the connection closes.
                send(out, "GET", "/", 0, 17L << 20);
                Response tooLarge = read(in);
                assertEquals("HTTP/1.1 413 Payload Too Large", tooLarge.status());
                assertEquals("close", tooLarge.headers().get("connection"));
            }
        }
    }

    private static void send(OutputStream out, String method, String path, long bodyBytes) throws IOException {
        send(out, method, path, bodyBytes, bodyBytes);
    }

    /** Declares {@code declared} bytes of body and sends {@code sent} of them (fewer when the server refuses). */
    private static void send(OutputStream out, String method, String path, long sent, long declared)
            throws IOException {
        String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (declared > 0 ? "Content-Length: " + declared + "\r\n" : "") + "\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        byte[] chunk = new byte[64 * 1024];
        for (long left = sent; left > 0; left -= chunk.length) {
            out.write(chunk, 0, (int) Math.min(chunk.length, left));
        }
        out.flush();
    }

    private static Response read(InputStream in) throws IOException {
        return read(in, true);
    }

    private static Response read(InputStream in, boolean hasBody) throws IOException {
        String status = line(in);
        Map<String, String> headers = new LinkedHashMap<>();
        for (String header; !(header = line(in)).isEmpty(); ) {
            int colon = header.indexOf(':');
            headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
        }
        int length = hasBody ? Integer.parseInt(headers.getOrDefault("content-length", "0")) : 0;
        return new Response(status, headers, new String(in.readNBytes(length), StandardCharsets.UTF_8));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("connection closed in a response: '" + line + "'");
            }
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }
}
