package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real AF_UNIX datagram sockets: a receiver bound the way a master or systemd binds, and SdNotify sending to it. */
class SdNotifyTest {

    @TempDir
    Path directory;

    @Test
    void sendsDatagramsToAFilesystemPath() throws IOException {
        String path = directory.resolve("notify.sock").toString();
        try (UnixDatagramChannel receiver = receiverOn(new UnixSocketAddress(path));
             SdNotify notify = SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", path), "NOTIFY_SOCKET").orElseThrow()) {
            notify.send("READY=1\nSTATUS=accepting");
            notify.send("WATCHDOG=1");
            assertEquals("READY=1\nSTATUS=accepting", receive(receiver));
            assertEquals("WATCHDOG=1", receive(receiver));
        }
    }

    @Test
    void sendsDatagramsToAnAbstractName() throws IOException {
        String name = "herd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        // Bound with a leading NUL: the kernel's abstract namespace, no file is created.
        try (UnixDatagramChannel receiver = receiverOn(new UnixSocketAddress("\0" + name));
             SdNotify notify = SdNotify.open("@" + name)) {
            notify.send("STOPPING=1");
            assertEquals("STOPPING=1", receive(receiver));
        }
        assertTrue(directory.toFile().list().length == 0);
    }

    @Test
    void anAbstractNameIsNotTheSameAsAPathOfThatName() throws IOException {
        String name = "herd-test-distinct-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagramChannel receiver = receiverOn(new UnixSocketAddress("\0" + name));
             SdNotify notify = SdNotify.open(directory.resolve(name).toString())) {
            IOException failure = assertThrows(IOException.class, () -> notify.send("READY=1"));
            assertTrue(failure.getMessage().contains(name), failure.getMessage());
        }
    }

    @Test
    void sendingWithoutAReceiverFailsWithTheSocketsName() throws IOException {
        String path = directory.resolve("gone.sock").toString();
        try (SdNotify notify = SdNotify.open(path)) {
            IOException failure = assertThrows(IOException.class, () -> notify.send("READY=1"));
            assertTrue(failure.getMessage().startsWith("notify socket " + path + ": "), failure.getMessage());
        }
    }

    @Test
    void anUnsetOrEmptyVariableMeansNoNotifications() throws IOException {
        assertEquals(Optional.empty(), SdNotify.fromEnvironment(Map.of(), "NOTIFY_SOCKET"));
        assertEquals(Optional.empty(), SdNotify.fromEnvironment(Map.of("NOTIFY_SOCKET", ""), "NOTIFY_SOCKET"));
    }

    @Test
    void rejectsRelativePathsAndABareAt() {
        assertThrows(IllegalArgumentException.class, () -> SdNotify.address("notify.sock"));
        assertThrows(IllegalArgumentException.class, () -> SdNotify.address("@"));
    }

    private static UnixDatagramChannel receiverOn(UnixSocketAddress address) throws IOException {
        UnixDatagramChannel receiver = UnixDatagramChannel.open();
        receiver.bind(address);
        return receiver;
    }

    /** Blocking receive: the datagram was sent before, so it is already queued on the receiver. */
    private static String receive(UnixDatagramChannel receiver) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(4096);
        receiver.receive(buffer);
        buffer.flip();
        return StandardCharsets.UTF_8.decode(buffer).toString();
    }
}
