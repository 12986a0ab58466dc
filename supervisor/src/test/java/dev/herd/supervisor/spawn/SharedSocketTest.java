package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigException;
import dev.herd.config.ListenAddress;
import dev.herd.supervisor.os.PosixOs;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/** The master's listening socket across a reload that moves it, with real sockets on 127.0.0.1. */
class SharedSocketTest {

    private static final ListenAddress ANY_PORT = new ListenAddress("127.0.0.1", 0);
    private final PosixOs os = new PosixOs();

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
