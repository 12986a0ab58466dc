package dev.herd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.herd.agent.ResponseHead.Kind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Which bytes the drain takes for a response head, and what it writes instead. */
class ResponseHeadTest {

    @Test
    void aKeepAliveHeadGetsConnectionCloseInPlaceOfItsConnectionFields() {
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nconnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n";
        ResponseHead read = ResponseHead.of(buffer(head + "hello"));
        assertEquals(Kind.KEEPS_ALIVE, read.kind());
        assertEquals(head.length(), read.length());
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", text(read.rewritten()));
    }

    @Test
    void aHeadWithoutConnectionFieldGetsOne() {
        ResponseHead read = ResponseHead.of(buffer("HTTP/1.1 404 \r\ncontent-length: 0\r\n\r\n"));
        assertEquals(Kind.KEEPS_ALIVE, read.kind());
        assertEquals("HTTP/1.1 404 \r\ncontent-length: 0\r\nConnection: close\r\n\r\n", text(read.rewritten()));
    }

    @Test
    void theBufferIsNotMoved() {
        ByteBuffer bytes = buffer("xxHTTP/1.0 200 OK\r\n\r\n");
        bytes.position(2);
        assertEquals(Kind.KEEPS_ALIVE, ResponseHead.of(bytes).kind());
        assertEquals(2, bytes.position());
    }

    @Test
    void closingAndInterimHeadsAreLeftAlone() {
        assertEquals(Kind.CLOSES, ResponseHead.of(buffer("HTTP/1.1 200 OK\r\nConnection: Upgrade, close\r\n\r\n"))
                .kind());
        ResponseHead switching = ResponseHead.of(buffer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"));
        assertEquals(Kind.INTERIM, switching.kind());
        assertEquals(101, switching.status());
        assertNull(switching.rewritten());
    }

    @Test
    void whatIsNotAWholeWellFormedHeadIsNotAHead() {
        for (String bytes : new String[] {
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",          // the head goes on in the next write
                "HTTP/2 200\r\n\r\n",
                "HTTP/1.1 2xx OK\r\n\r\n",
                "HTTP/1.1 200 OK\r\nnot a field\r\n\r\n",             // a body that starts like a status line
                "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",
                "\u0016\u0003\u0003\u0000\u0010",                       // a TLS record
                "\u0000\u0000\u0012\u0004\u0000\u0000\u0000\u0000\u0000", // an HTTP/2 SETTINGS frame
                ""}) {
            assertEquals(Kind.NOT_A_HEAD, ResponseHead.of(buffer(bytes)).kind(), bytes);
        }
        byte[] huge = ("HTTP/1.1 200 OK\r\nX: " + "a".repeat(ResponseHead.MAX_HEAD_BYTES) + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertEquals(Kind.NOT_A_HEAD, ResponseHead.of(huge, 0, huge.length).kind());
    }

    private static ByteBuffer buffer(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }
}
