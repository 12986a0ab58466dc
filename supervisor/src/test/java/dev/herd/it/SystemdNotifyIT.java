package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master as a Type=notify service: this test stands in for systemd with a real Unix datagram socket as
 * NOTIFY_SOCKET and checks what herd says there through start, reload, watchdog and stop.
 */
class SystemdNotifyIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    /** The datagrams systemd would read, in order. */
    private static final class FakeSystemd implements AutoCloseable {
        private final UnixDatagramChannel channel = UnixDatagramChannel.open();
        private final List<String> messages = new CopyOnWriteArrayList<>();
        private volatile boolean closed;
        private final Thread reader;

        FakeSystemd(Path path) throws IOException {
            channel.bind(new UnixSocketAddress(path.toFile()));
            channel.setOption(UnixSocketOptions.SO_RCVTIMEO, 200);
            reader = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (!closed) {
                    buffer.clear();
                    try {
                        channel.receive(buffer);
                    } catch (IOException timeout) {
                        continue;
                    }
                    buffer.flip();
                    if (buffer.hasRemaining()) {
                        messages.add(StandardCharsets.UTF_8.decode(buffer).toString());
                    }
                }
            }, "fake-systemd");
            reader.start();
        }

        /** Everything but watchdog pings and plain status updates: the state changes systemd acts on. */
        List<String> stateChanges() {
            return messages.stream().filter(m -> !m.equals("WATCHDOG=1") && !m.startsWith("STATUS=")).toList();
        }

        long watchdogPings() {
            return messages.stream().filter(m -> m.equals("WATCHDOG=1")).count();
        }

        @Override
        public void close() throws Exception {
            closed = true;
            reader.join(5000);
            channel.close();
        }
    }

    @Test
    void theMasterTellsSystemdReadyReloadingReadyStoppingAndPingsTheWatchdog() throws Exception {
        Path notifySocket = dir.resolve("notify.sock");
        Path adminSocket = dir.resolve("run/herd.sock");
        try (FakeSystemd systemd = new FakeSystemd(notifySocket);
             HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--workers", "2",
                     "--admin-socket", adminSocket.toString()),
                     Map.of("NOTIFY_SOCKET", notifySocket.toString(), "WATCHDOG_USEC", "1000000"))) {
            Poll.until(START, "READY=1", () -> !systemd.stateChanges().isEmpty());
            assertEquals(List.of("READY=1\nSTATUS=2/2 workers ready, 0 restarts"), systemd.stateChanges());

            long beforeReload = System.nanoTime() / 1000;
            Cli.Result reload = Cli.herd("reload", "--admin-socket", adminSocket.toString());
            long afterReload = System.nanoTime() / 1000;
            assertEquals(0, reload.exitCode(), reload.stderr());
            Poll.until(START, "READY=1 after the reload", () -> systemd.stateChanges().size() >= 3);
            List<String> changes = systemd.stateChanges();
            String reloading = changes.get(1);
            assertTrue(reloading.startsWith("RELOADING=1\nMONOTONIC_USEC="), reloading);
            // The same clock as CLOCK_MONOTONIC, which systemd compares it with.
            long monotonic = Long.parseLong(reloading.substring(reloading.lastIndexOf('=') + 1));
            assertTrue(monotonic >= beforeReload && monotonic <= afterReload, reloading);
            assertEquals("READY=1\nSTATUS=2/2 workers ready, 0 restarts", changes.get(2));

            long pings = systemd.watchdogPings();
            Poll.until(START, "two more watchdog pings", () -> systemd.watchdogPings() >= pings + 2);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            List<String> all = systemd.stateChanges();
            assertEquals("STOPPING=1", all.get(all.size() - 1));
            assertEquals(4, all.size(), all.toString());
        }
    }
}
