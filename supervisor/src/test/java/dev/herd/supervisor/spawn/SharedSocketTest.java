package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigException;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The master's listening socket across a reload that moves it, with real sockets on 127.0.0.1. */
class SharedSocketTest {

    private static final ListenAddress ANY_PORT = new ListenAddress("127.0.0.1", 0);
    private final PosixOs os = new PosixOs();

    /** A failed move is logged as a warning on purpose here. */
    @RegisterExtension
    final LogCapture log = new LogCapture();

    @Test
    void aSuccessfulMoveClosesTheOldSocketAndKeepsTheNewOne() throws Exception {
        try (SharedSocket socket = SharedSocket.bind(os, ANY_PORT, 16)) {
            int oldPort = socket.address().port();
            int oldFd = socket.fd();
            socket.rebind(new ListenAddress("127.0.0.1", freePort()), 16);
            int newPort = socket.address().port();
            assertNotEquals(oldFd, socket.fd());
            assertTrue(accepts(oldPort), "the old socket stays open while the workers move");

            socket.moveDone(true);

            assertTrue(!accepts(oldPort), "the old socket is closed once the move is done");
            assertTrue(accepts(newPort));
        }
    }

    @Test
    void aFailedMoveMakesTheOldSocketCurrentAgainAndClosesTheNewOne() throws Exception {
        try (SharedSocket socket = SharedSocket.bind(os, ANY_PORT, 16)) {
            ListenAddress old = socket.address();
            int oldFd = socket.fd();
            socket.rebind(new ListenAddress("127.0.0.1", freePort()), 16);
            int newPort = socket.address().port();

            socket.moveDone(false);

            assertEquals(old, socket.address());
            assertEquals(oldFd, socket.fd());
            assertTrue(accepts(old.port()));
            assertTrue(!accepts(newPort), "the new socket is closed");
            assertTrue(!socket.differsFrom(ANY_PORT, 16), "the configured address is the old one again");
            log.expect(Log.Level.WARN, "the move to 127.0.0.1:" + newPort + " failed");
        }
    }

    @Test
    void aRebindWhoseSecondStepFailsLeavesTheSocketAsItWasAndALaterMoveSucceeds() throws Exception {
        AtomicBoolean failNextLocalAddress = new AtomicBoolean();
        Os failing = (Os) Proxy.newProxyInstance(Os.class.getClassLoader(), new Class<?>[] {Os.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("localAddress") && failNextLocalAddress.getAndSet(false)) {
                        throw new OsException("getsockname", 9, "Bad file descriptor");
                    }
                    try {
                        return method.invoke(os, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        try (SharedSocket socket = SharedSocket.bind(failing, ANY_PORT, 16)) {
            ListenAddress old = socket.address();
            int oldFd = socket.fd();
            int unusedPort = freePort();
            failNextLocalAddress.set(true);

            OsException failed = assertThrows(OsException.class,
                    () -> socket.rebind(new ListenAddress("127.0.0.1", unusedPort), 16));

            assertEquals("getsockname: Bad file descriptor", failed.getMessage());
            assertEquals(old, socket.address());
            assertEquals(oldFd, socket.fd());
            assertTrue(!socket.differsFrom(ANY_PORT, 16), "still configured for the old address");
            assertTrue(accepts(old.port()));
            assertTrue(!accepts(unusedPort), "the socket bound for the failed move is closed");

            ListenAddress next = new ListenAddress("127.0.0.1", freePort());
            socket.rebind(next, 16); // once refused with "the move ... is still going on"
            socket.moveDone(true);
            assertEquals(next, socket.address());
            assertTrue(accepts(next.port()));
            assertTrue(!accepts(old.port()));
        }
    }

    @Test
    void aNewBacklogAloneKeepsTheSameSocket() throws Exception {
        try (SharedSocket socket = SharedSocket.bind(os, ANY_PORT, 16)) {
            int fd = socket.fd();
            assertTrue(socket.differsFrom(ANY_PORT, 64));

            socket.rebind(ANY_PORT, 64);

            assertEquals(fd, socket.fd());
            assertTrue(!socket.differsFrom(ANY_PORT, 64));
            assertTrue(accepts(socket.address().port()));
        }
    }

    @Test
    void aSecondMoveWhileOneIsGoingOnIsRefused() throws Exception {
        try (SharedSocket socket = SharedSocket.bind(os, ANY_PORT, 16)) {
            socket.rebind(new ListenAddress("127.0.0.1", freePort()), 16);

            ConfigException refused = assertThrows(ConfigException.class,
                    () -> socket.rebind(new ListenAddress("127.0.0.1", freePort()), 16));

            assertTrue(refused.getMessage().contains("still going on"), refused.getMessage());
        }
    }

    private static boolean accepts(int port) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
