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
        /** Its NOTIFY_SOCKET. */
        private final Path path;
        private final List<String> messages = new CopyOnWriteArrayList<>();
        /** When each of {@link #messages} came in (System.nanoTime), in the same order. */
        private final List<Long> receivedNanos = new CopyOnWriteArrayList<>();
        private volatile boolean closed;
        private final Thread reader;

        FakeSystemd(Path path) throws IOException {
            this.path = path;
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
                        receivedNanos.add(System.nanoTime());
                        messages.add(StandardCharsets.UTF_8.decode(buffer).toString());
                    }
                }
            }, "fake-systemd");
            reader.start();
        }

        /** Everything but the watchdog's pings and timeouts and plain status updates: the state changes. */
        List<String> stateChanges() {
            return messages.stream().filter(m -> !m.equals("WATCHDOG=1") && !m.startsWith("STATUS=")
                    && !m.startsWith("WATCHDOG_USEC=")).toList();
        }

        /** The messages from the first one that starts with {@code prefix} on (empty if none did). */
        List<String> from(String prefix) {
            List<String> all = List.copyOf(messages);
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).startsWith(prefix)) {
                    return all.subList(i, all.size());
                }
            }
            return List.of();
        }

        /** Milliseconds from the first watchdog ping after the message starting with {@code prefix} to the next. */
        long pingGapAfterMillis(String prefix) {
            int marker = -1;
            long ping = -1;
            for (int i = 0; i < messages.size(); i++) {
                if (marker < 0 && messages.get(i).startsWith(prefix)) {
                    marker = i;
                } else if (marker >= 0 && messages.get(i).equals("WATCHDOG=1")) {
                    if (ping >= 0) {
                        return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(receivedNanos.get(i) - ping);
                    }
                    ping = receivedNanos.get(i);
                }
            }
            return -1;
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

    /** {@code herd run} with 2 workers, as systemd would start it: NOTIFY_SOCKET and WATCHDOG_USEC set. */
    private static HerdProcess startUnder(FakeSystemd systemd, String watchdogMicros, Path adminSocket) {
        return HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--workers", "2", "--admin-socket",
                adminSocket.toString()), Map.of("NOTIFY_SOCKET", systemd.path.toString(), "WATCHDOG_USEC",
                watchdogMicros));
    }

    @Test
    void theMasterTellsSystemdReadyReloadingReadyStoppingAndPingsTheWatchdog() throws Exception {
        Path adminSocket = dir.resolve("run/herd.sock");
        try (FakeSystemd systemd = new FakeSystemd(dir.resolve("notify.sock"));
             HerdProcess herd = startUnder(systemd, "1000000", adminSocket)) {
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

    /**
     * {@code herd upgrade} re-executes the master in the same process: systemd sees a reload of the same main pid
     * (RELOADING=1 before the exec, READY=1 once the new master has replaced the old workers, no READY=1 between),
     * and the watchdog is pinged just before the exec and again by the new program.
     */
    @Test
    void toSystemdAnUpgradeIsAReloadOfTheSamePidAndTheWatchdogIsPingedAcrossTheExec() throws Exception {
        Path adminSocket = dir.resolve("run/herd.sock");
        try (FakeSystemd systemd = new FakeSystemd(dir.resolve("notify.sock"));
             HerdProcess herd = startUnder(systemd, "10000000", adminSocket)) {
            Poll.until(START, "READY=1", () -> !systemd.stateChanges().isEmpty());

            long beforeUpgrade = System.nanoTime() / 1000;
            Cli.Result upgrade = Cli.run(START.multipliedBy(2), HerdProcess.LAUNCHER.toString(), "upgrade",
                    "--admin-socket", adminSocket.toString());
            long afterUpgrade = System.nanoTime() / 1000;
            assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
            Poll.until(START, "READY=1 after the upgrade", () -> systemd.stateChanges().size() >= 3);

            List<String> changes = systemd.stateChanges();
            assertEquals(3, changes.size(), changes.toString());
            assertEquals("READY=1\nSTATUS=2/2 workers ready, 0 restarts", changes.get(0));
            String reloading = changes.get(1);
            assertTrue(reloading.startsWith("RELOADING=1\nMONOTONIC_USEC="), reloading);
            long monotonic = Long.parseLong(reloading.substring(reloading.lastIndexOf('=') + 1));
            assertTrue(monotonic >= beforeUpgrade && monotonic <= afterUpgrade, reloading);
            assertEquals("READY=1\nSTATUS=2/2 workers ready, 0 restarts", changes.get(2));

            List<String> fromExec = systemd.from("RELOADING=1");
            assertEquals(List.of("STATUS=upgrade 1: the new herd starts in this process (pid " + herd.pid() + ")",
                    "WATCHDOG_USEC=60000000", "WATCHDOG=1"), fromExec.subList(1, 4),
                    "a ping just before the exec, with a minute for the new program's start: " + fromExec);
            List<String> afterExec = fromExec.subList(4, fromExec.size());
            int ping = afterExec.indexOf("WATCHDOG=1");
            assertTrue(ping >= 0 && ping < afterExec.indexOf(changes.get(2)),
                    "the new program pings before the upgrade ends: " + fromExec);
            assertEquals("WATCHDOG_USEC=10000000", afterExec.get(ping + 1), "and puts the unit's timeout back");
            System.out.printf("from the watchdog ping before the exec to the new program's first: %d ms%n",
                    systemd.pingGapAfterMillis("RELOADING=1"));

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            List<String> all = systemd.stateChanges();
            assertEquals(List.of("STOPPING=1"), all.subList(3, all.size()));
        }
    }
}
