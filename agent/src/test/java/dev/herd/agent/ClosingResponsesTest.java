package dev.herd.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketImpl;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The drain's rewriting of response heads, on real connections of the JDK's classes: the events are given to
 * {@link ClosingResponses} as the woven JDK code gives them, and its own writes go through the (unwoven) JDK methods.
 * What the client reads is what the app's client would read.
 */
class ClosingResponsesTest {

    private static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
    private static final String CLOSING_HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n";

    private ServerSocketChannel server;
    private Socket client;
    private SocketChannel accepted;
    private ClosingResponses closing;

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        client = new Socket(InetAddress.getLoopbackAddress(), port);
        client.setSoTimeout(10_000);
        accepted = server.accept();
        accepted.configureBlocking(false); // as Netty's, Jetty's and Tomcat's connections are
        closing = new ClosingResponses(JdkSockets.resolve(), port, System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
    }

    @AfterEach
    void close() throws IOException {
        client.close();
        accepted.close();
        server.close();
    }

    @Test
    void aGatheringWriteAfterARequestGetsConnectionCloseAndCountsTheAppsBytes() throws IOException {
        requestRead(accepted);
        ByteBuffer head = bytes(HEAD);
        ByteBuffer body = bytes("hello");
        Object written = closing.apply(Hook.WRITE, new Object[] {accepted, new ByteBuffer[] {head, body}, 0, 2});
        assertEquals((long) HEAD.length() + 5, written);
        assertEquals(0, head.remaining() + body.remaining());
        assertEquals(CLOSING_HEAD + "hello", read(CLOSING_HEAD.length() + 5));
    }

    @Test
    void aSingleBufferWriteGetsItTooAndTheBodyWrittenAfterIsLeftAlone() throws IOException {
        requestRead(accepted);
        ByteBuffer head = bytes(HEAD);
        assertEquals(HEAD.length(), closing.apply(Hook.WRITE, new Object[] {accepted, head}));
        // The body, written on its own, happens to start like a response: no read came between, so it is a body.
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes("HTTP/1.1 200 OK\r\n\r\n")}));
        assertEquals(CLOSING_HEAD, read(CLOSING_HEAD.length()));
    }

    @Test
    void withoutARequestReadSinceTheDrainBeganNothingIsRewritten() {
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes(HEAD)}));
        closing.apply(Hook.READ_END, new Object[] {accepted, false, false}); // a read that brought nothing
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes(HEAD)}));
    }

    @Test
    void anInterimResponseWaitsForTheFinalOneAndAnUpgradeEndsIt() throws IOException {
        requestRead(accepted);
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes("HTTP/1.1 100 Continue\r\n\r\n")}));
        assertEquals(HEAD.length(), closing.apply(Hook.WRITE, new Object[] {accepted, bytes(HEAD)}));
        requestRead(accepted);
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes("HTTP/1.1 101 Switching\r\n\r\n")}));
        requestRead(accepted);
        assertNull(closing.apply(Hook.WRITE, new Object[] {accepted, bytes(HEAD)}));
    }

    @Test
    void theAppsOwnConnectionsAreLeftAlone() throws IOException {
        try (SocketChannel outgoing = SocketChannel.open(server.getLocalAddress())) {
            requestRead(outgoing);
            assertNull(closing.apply(Hook.WRITE, new Object[] {outgoing, bytes(HEAD)}));
            server.accept().close();
        }
    }

    @Test
    void aJavaNetSocketsWriteIsRewrittenToo() throws Exception {
        try (ServerSocket classic = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            ClosingResponses onClassic = new ClosingResponses(JdkSockets.resolve(), classic.getLocalPort(),
                    System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            try (Socket outgoing = new Socket(InetAddress.getLoopbackAddress(), classic.getLocalPort());
                 Socket connection = classic.accept()) {
                outgoing.setSoTimeout(10_000);
                Object impl = impl(connection);
                onClassic.apply(Hook.READ_END, new Object[] {impl, true});
                byte[] response = (HEAD + "hello").getBytes(StandardCharsets.ISO_8859_1);
                assertEquals(Boolean.TRUE, onClassic.apply(Hook.WRITE, new Object[] {impl, response, 0,
                        response.length}));
                assertEquals(CLOSING_HEAD + "hello", new String(outgoing.getInputStream()
                        .readNBytes(CLOSING_HEAD.length() + 5), StandardCharsets.ISO_8859_1));
            }
        }
    }

    private void requestRead(SocketChannel connection) {
        closing.apply(Hook.READ_END, new Object[] {connection, false, true});
    }

    private String read(int length) throws IOException {
        InputStream in = client.getInputStream();
        return new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    private static ByteBuffer bytes(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The NioSocketImpl behind a java.net.Socket. */
    private static Object impl(Socket socket) throws ReflectiveOperationException {
        Field impl = Socket.class.getDeclaredField("impl");
        impl.setAccessible(true);
        Object value = impl.get(socket);
        assertEquals(JdkSockets.SOCKET_IMPL_CLASS, value.getClass().getName());
        return (SocketImpl) value;
    }
}
