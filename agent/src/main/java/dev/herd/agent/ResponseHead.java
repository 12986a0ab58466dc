package dev.herd.agent;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Reads the bytes an app is about to write on a connection as the head of an HTTP/1.x response, and makes the head
 * say {@code Connection: close}. Only a whole, well-formed head at the very start of the bytes counts: a status line
 * {@code HTTP/1.0} or {@code HTTP/1.1} with a three-digit status, header lines that are {@code name: value}, and the
 * empty line that ends them, all within {@link #MAX_HEAD_BYTES}. Anything else (a head split over writes, TLS
 * records, HTTP/2 frames, a body) is {@link Kind#NOT_A_HEAD}: left alone.
 */
final class ResponseHead {

    /** What the bytes are. */
    enum Kind {
        /** Not a whole HTTP/1.x response head: the bytes are written as they are. */
        NOT_A_HEAD,
        /** A 1xx response: the final response follows it ({@code 101}: the connection changes protocol). */
        INTERIM,
        /** A final response that says {@code Connection: close} already. */
        CLOSES,
        /** A final response that keeps the connection: {@link #rewritten()} says close instead. */
        KEEPS_ALIVE
    }

    /** Longer heads are left alone (a server's own limit on a response head is 8 to 64 KiB). */
    static final int MAX_HEAD_BYTES = 16 * 1024;

    private static final byte[] CONNECTION_CLOSE = "Connection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Kind kind;
    private final int status;
    private final int length;
    private final byte[] rewritten;

    private ResponseHead(Kind kind, int status, int length, byte[] rewritten) {
        this.kind = kind;
        this.status = status;
        this.length = length;
        this.rewritten = rewritten;
    }

    private static final ResponseHead NONE = new ResponseHead(Kind.NOT_A_HEAD, 0, 0, null);

    Kind kind() {
        return kind;
    }

    /** The status code; 0 when {@link Kind#NOT_A_HEAD}. */
    int status() {
        return status;
    }

    /** The head's length in the bytes read, its empty line included. */
    int length() {
        return length;
    }

    /** The head with its Connection and Keep-Alive fields replaced by {@code Connection: close}. */
    byte[] rewritten() {
        return rewritten;
    }

    /** Reads the bytes from the buffer's position to its limit; the buffer itself is not changed. */
    static ResponseHead of(ByteBuffer bytes) {
        int available = Math.min(bytes.remaining(), MAX_HEAD_BYTES);
        byte[] copy = new byte[available];
        bytes.get(bytes.position(), copy, 0, available);
        return of(copy, 0, available);
    }

    static ResponseHead of(byte[] bytes, int offset, int length) {
        int end = Math.min(length, MAX_HEAD_BYTES);
        String text = new String(bytes, offset, end, StandardCharsets.ISO_8859_1);
        if (!(text.startsWith("HTTP/1.1 ") || text.startsWith("HTTP/1.0 ")) || text.length() < 13
                || !isDigits(text, 9, 12) || (text.charAt(12) != ' ' && text.charAt(12) != '\r')) {
            return NONE;
        }
        int headEnd = text.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            return NONE; // not whole in this write: no boundary to inject at
        }
        int status = Integer.parseInt(text.substring(9, 12));
        String[] lines = text.substring(0, headEnd).split("\r\n", -1);
        StringBuilder kept = new StringBuilder(headEnd + CONNECTION_CLOSE.length).append(lines[0]).append("\r\n");
        boolean closes = false;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            int colon = line.indexOf(':');
            if (colon <= 0 || !isToken(line, colon) || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
                return NONE; // not a header field: these bytes are not a response head
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            if (name.equals("connection")) {
                closes |= hasCloseToken(line.substring(colon + 1));
            } else if (!name.equals("keep-alive")) {
                kept.append(line).append("\r\n");
            }
        }
        int headLength = headEnd + 4;
        if (status < 200) {
            return new ResponseHead(Kind.INTERIM, status, headLength, null);
        }
        if (closes) {
            return new ResponseHead(Kind.CLOSES, status, headLength, null);
        }
        byte[] start = kept.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] rewritten = new byte[start.length + CONNECTION_CLOSE.length];
        System.arraycopy(start, 0, rewritten, 0, start.length);
        System.arraycopy(CONNECTION_CLOSE, 0, rewritten, start.length, CONNECTION_CLOSE.length);
        return new ResponseHead(Kind.KEEPS_ALIVE, status, headLength, rewritten);
    }

    private static boolean hasCloseToken(String value) {
        for (String token : value.split(",")) {
            if (token.strip().equalsIgnoreCase("close")) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDigits(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Whether the field name before the colon is an RFC 9110 token. */
    private static boolean isToken(String line, int colon) {
        for (int i = 0; i < colon; i++) {
            char c = line.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
