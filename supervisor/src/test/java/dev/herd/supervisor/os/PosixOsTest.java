package dev.herd.supervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real system calls behind {@link Os}: Unix datagrams (paths and abstract names), poll on pipes, the accept
 * queue of a listening socket, spawning with a descriptor map, and reaping. Every descriptor a test opens is
 * closed and every child it starts is reaped.
 */
class PosixOsTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    private final PosixOs os = new PosixOs();
    private final List<Integer> opened = new ArrayList<>();
    private final List<Integer> children = new ArrayList<>();

    @TempDir
    Path directory;

    @AfterEach
    void closeAndReap() throws OsException {
        for (int pid : children) {
            if (os.reap(pid) instanceof ReapResult.Running) {
                os.kill(pid, Signal.KILL);
                awaitExit(pid);
            }
        }
        for (int fd : opened) {
            os.close(fd);
        }
    }

    // ---- the admin socket's hand-over ------------------------------------------------------------------------

    @Test
    void aListeningUnixSocketIsFoundByItsPathAndADup2OntoAChannelsDescriptorMakesTheChannelAcceptFromIt()
            throws Exception {
        Path handedPath = directory.resolve("handed.sock");
        Path ownPath = directory.resolve("own.sock");
        try (java.nio.channels.ServerSocketChannel handed = java.nio.channels.ServerSocketChannel.open(
                java.net.StandardProtocolFamily.UNIX);
             java.nio.channels.ServerSocketChannel own = java.nio.channels.ServerSocketChannel.open(
                     java.net.StandardProtocolFamily.UNIX);
             java.nio.channels.SocketChannel client = java.nio.channels.SocketChannel.open(
                     java.net.StandardProtocolFamily.UNIX)) {
            handed.bind(java.net.UnixDomainSocketAddress.of(handedPath), 4);
            own.bind(java.net.UnixDomainSocketAddress.of(ownPath), 4);
            client.connect(java.net.UnixDomainSocketAddress.of(handedPath)); // a connected socket there: not it

            int handedFd = os.findUnixListener(handedPath).orElseThrow();
            int ownFd = os.findUnixListener(ownPath).orElseThrow();
            assertTrue(handedFd != ownFd);
            assertEquals(Optional.empty(), os.findUnixListener(directory.resolve("none.sock")));

            os.dup2(handedFd, ownFd);
            try (java.nio.channels.SocketChannel waiting = java.nio.channels.SocketChannel.open(
                    java.net.UnixDomainSocketAddress.of(handedPath));
                 java.nio.channels.SocketChannel accepted = own.accept()) {
                assertTrue(accepted.isConnected(), "the channel accepts what connects to the handed socket's path");
            }
        }
    }

    // ---- datagrams ----------------------------------------------------------------------------------------------

    @Test
    void aDatagramSentToAPathArrivesWhole() throws OsException {
        Path path = directory.resolve("notify.sock");
        int receiver = track(os.bindDatagramSocket(path));
        int sender = track(os.openDatagramSocket());
        byte[] buffer = new byte[4096];
        assertEquals(Optional.empty(), os.receiveDatagram(receiver, buffer), "nothing yet, and no blocking");

        os.sendDatagram(sender, path.toString(), "READY=1\nSTATUS=up".getBytes(StandardCharsets.UTF_8));
        os.sendDatagram(sender, path.toString(), "WATCHDOG=1".getBytes(StandardCharsets.UTF_8));

        assertEquals("READY=1\nSTATUS=up", receive(receiver, buffer));
        assertEquals("WATCHDOG=1", receive(receiver, buffer));
        assertEquals(Optional.empty(), os.receiveDatagram(receiver, buffer));
    }

    @Test
    @org.junit.jupiter.api.Timeout(60) // a send that blocks would hang the build, not fail it
    void aReceiverThatDoesNotReadFailsTheSendInsteadOfBlockingIt() throws OsException {
        Path path = directory.resolve("stalled.sock");
        track(os.bindDatagramSocket(path));
        int sender = track(os.openDatagramSocket());
        byte[] message = "WATCHDOG=1".getBytes(StandardCharsets.UTF_8);
        OsException full = null;
        // A Unix datagram receiver queues a few hundred datagrams (net.unix.max_dgram_qlen); the send after that
        // used to block for good.
        for (int i = 0; i < 100_000 && full == null; i++) {
            try {
                os.sendDatagram(sender, path.toString(), message);
            } catch (OsException e) {
                full = e;
            }
        }
        assertTrue(full != null && full.getMessage().contains("sendto"), String.valueOf(full));
    }

    @Test
    void aDatagramSentToAnAbstractNameArrives() throws OsException {
        String name = "@herd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        int receiver = track(os.bindDatagramSocket(Path.of(name)));
        int sender = track(os.openDatagramSocket());

        os.sendDatagram(sender, name, "READY=1".getBytes(StandardCharsets.UTF_8));

        assertEquals("READY=1", receive(receiver, new byte[64]));
    }

    @Test
    void aSocketNameLongerThan107BytesIsRefusedAndOneOf107IsNot() throws OsException {
        int sender = track(os.openDatagramSocket());
        byte[] message = "READY=1".getBytes(StandardCharsets.UTF_8);

        String tooLong = "/" + "x".repeat(107);
        OsException refused = assertThrows(OsException.class, () -> os.sendDatagram(sender, tooLong, message));
        assertTrue(refused.getMessage().contains("longer than the 107 bytes"), refused.getMessage());
        assertThrows(OsException.class, () -> os.bindDatagramSocket(Path.of(tooLong)));
        OsException abstractRefused = assertThrows(OsException.class,
                () -> os.sendDatagram(sender, "@" + "x".repeat(108), message));
        assertTrue(abstractRefused.getMessage().contains("longer than"), abstractRefused.getMessage());

        // 107 bytes fit: the send fails only because nothing is bound there
        OsException missing = assertThrows(OsException.class,
                () -> os.sendDatagram(sender, "/" + "x".repeat(106), message));
        assertTrue(missing.getMessage().startsWith("sendto("), missing.getMessage());
        String unique = "herd-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-";
        String longestAbstract = "@" + unique + "y".repeat(107 - unique.length()); // 107 bytes after the @
        int receiver = track(os.bindDatagramSocket(Path.of(longestAbstract)));
        os.sendDatagram(sender, longestAbstract, message);
        assertEquals("READY=1", receive(receiver, new byte[64]));
    }

    @Test
    void aNameThatIsNeitherAPathNorAbstractIsRefused() throws OsException {
        int sender = track(os.openDatagramSocket());
        OsException refused = assertThrows(OsException.class,
                () -> os.sendDatagram(sender, "relative/notify.sock", new byte[] {1}));
        assertTrue(refused.getMessage().contains("neither an absolute path nor an @abstract name"),
                refused.getMessage());
    }

    // ---- pipes and poll -----------------------------------------------------------------------------------------

    @Test
    void pollReportsAPipeReadableWhenItHasDataAndAtEndOfFile() throws OsException {
        Os.Pipe first = pipe();
        Os.Pipe second = pipe();
        int[] fds = {first.readFd(), second.readFd()};
        boolean[] readable = new boolean[2];

        assertEquals(0, os.pollReadable(fds, readable, 0), "empty pipes");
        assertFalse(readable[0] || readable[1]);

        os.write(second.writeFd(), "hello".getBytes(StandardCharsets.UTF_8));
        assertEquals(1, os.pollReadable(fds, readable, (int) DEADLINE.toMillis()));
        assertEquals(List.of(false, true), List.of(readable[0], readable[1]));
        byte[] buffer = new byte[16];
        assertEquals(5, os.read(second.readFd(), buffer));
        assertEquals("hello", new String(buffer, 0, 5, StandardCharsets.UTF_8));

        closeTracked(first.writeFd()); // end of file: readable, and read gives 0
        assertEquals(1, os.pollReadable(fds, readable, (int) DEADLINE.toMillis()));
        assertTrue(readable[0]);
        assertEquals(0, os.read(first.readFd(), buffer));
    }

    @Test
    void pollWaitsForItsTimeout() throws OsException {
        Os.Pipe pipe = pipe();
        boolean[] readable = new boolean[1];
        long start = System.nanoTime();

        assertEquals(0, os.pollReadable(new int[] {pipe.readFd()}, readable, 50));

        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(45), "returned early");
    }

    // ---- listening sockets --------------------------------------------------------------------------------------

    @Test
    void theListenQueueCountsConnectionsWaitingToBeAcceptedAndTheBacklog() throws Exception {
        int listener = track(os.listenTcp(InetAddress.getLoopbackAddress(), 0, 7));
        InetSocketAddress address = os.localAddress(listener);
        assertEquals(new ListenQueue(0, 7), os.listenQueue(listener));

        List<Socket> waiting = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                Socket client = new Socket();
                waiting.add(client);
                client.connect(address, (int) DEADLINE.toMillis()); // the kernel completes it; nobody accepts
            }
            await("5 connections in the accept queue", () -> queue(listener).waiting() == 5);
            assertEquals(new ListenQueue(5, 7), os.listenQueue(listener));
        } finally {
            for (Socket client : waiting) {
                client.close();
            }
        }
    }

    @Test
    void aListeningSocketIsInspectedAsOne() throws Exception {
        int listener = track(os.listenTcp(InetAddress.getLoopbackAddress(), 0, 4));
        Os.InheritedSocket inspected = os.inspectSocket(listener);
        assertTrue(inspected.socket() && inspected.tcp() && inspected.listening(), inspected.toString());
        assertEquals(Optional.of(os.localAddress(listener)), inspected.address());

        Os.Pipe pipe = pipe();
        assertFalse(os.inspectSocket(pipe.readFd()).socket());
    }

    // ---- processes ----------------------------------------------------------------------------------------------

    @Test
    void spawnPutsEachDescriptorAtItsTargetEvenWhenSourcesAndTargetsCross() throws Exception {
        Os.Pipe a = pipe();
        Os.Pipe b = pipe();
        Os.Pipe sink = pipe(); // the child's stdout, stderr and every other fd it is given
        int low = Math.min(a.writeFd(), b.writeFd());
        int high = Math.max(a.writeFd(), b.writeFd());
        // The child gets one descriptor for every number up to high: at `low` the pipe that is at `high` here, and
        // at `high` the one at `low`. A naive dup2 in target order overwrites `low` before copying it to `high`.
        Integer[] descriptors = new Integer[high + 1];
        Arrays.fill(descriptors, sink.writeFd());
        descriptors[0] = sink.readFd();
        descriptors[low] = high;
        descriptors[high] = low;
        String script = "printf L > /proc/self/fd/" + low + "; printf H > /proc/self/fd/" + high;

        int pid = spawn(List.of("/bin/sh", "-c", script), List.of(descriptors));

        assertEquals(new ExitStatus(0, 0), awaitExit(pid));
        Os.Pipe wasHigh = a.writeFd() == high ? a : b;
        Os.Pipe wasLow = a.writeFd() == low ? a : b;
        assertEquals("L", readAvailable(wasHigh.readFd()), "the child's fd " + low + " is our fd " + high);
        assertEquals("H", readAvailable(wasLow.readFd()), "the child's fd " + high + " is our fd " + low);
    }

    @Test
    void aSourceMeantForAHigherTargetIsNotOverwrittenByTheLowerTargetsCopy() throws Exception {
        Os.Pipe pipe = pipe();
        Os.Pipe sink = pipe();
        int source = pipe.writeFd();
        // the pipe at our fd `source` is the child's fd `source + 1`; the child's fd `source` is the sink
        Integer[] descriptors = new Integer[source + 2];
        Arrays.fill(descriptors, sink.writeFd());
        descriptors[0] = sink.readFd();
        descriptors[source + 1] = source;

        int pid = spawn(List.of("/bin/sh", "-c", "printf ok > /proc/self/fd/" + (source + 1)), List.of(descriptors));

        assertEquals(new ExitStatus(0, 0), awaitExit(pid));
        assertEquals("ok", readAvailable(pipe.readFd()));
        assertEquals("", readAvailable(sink.readFd()), "it reached the sink instead");
    }

    @Test
    void aChildGetsOnlyTheDescriptorsItIsGiven() throws Exception {
        Os.Pipe out = pipe();
        Os.Pipe unrelated = pipe(); // close-on-exec or not, it must not reach the child
        int pid = spawn(List.of("/bin/sh", "-c", "ls /proc/self/fd"),
                List.of(out.readFd(), out.writeFd(), out.writeFd()));

        assertEquals(new ExitStatus(0, 0), awaitExit(pid));
        List<String> fds = List.of(readAvailable(out.readFd()).trim().split("\\s+"));
        assertTrue(fds.stream().allMatch(fd -> Integer.parseInt(fd) <= 3), "the child has " + fds
                + " (0-2, and 3 for ls's own listing), not our fd " + unrelated.readFd());
    }

    @Test
    void reapTellsRunningFromExitedAndThenNotAChild() throws Exception {
        Os.Pipe stdin = pipe();
        Os.Pipe sink = pipe();
        int pid = spawn(List.of("/bin/sh", "-c", "read line; exit 7"),
                List.of(stdin.readFd(), sink.writeFd(), sink.writeFd()));

        assertEquals(new ReapResult.Running(), os.reap(pid));

        os.write(stdin.writeFd(), "go\n".getBytes(StandardCharsets.UTF_8));
        assertEquals(new ExitStatus(7, 0), awaitExit(pid));
        assertTrue(os.reap(pid) instanceof ReapResult.NotAChild, "reaped once, not twice");
        assertTrue(os.reap(1) instanceof ReapResult.NotAChild, "init is nobody's child here");
    }

    @Test
    void aChildKilledByASignalIsReportedSo() throws Exception {
        Os.Pipe stdin = pipe();
        Os.Pipe sink = pipe();
        int pid = spawn(List.of("/bin/sh", "-c", "read line"), List.of(stdin.readFd(), sink.writeFd(),
                sink.writeFd()));

        assertTrue(os.kill(pid, Signal.TERM));

        ExitStatus status = awaitExit(pid);
        assertEquals(Signal.TERM.number(), status.signal());
        assertEquals("signal 15 (TERM)", status.toString());
        assertFalse(os.kill(pid, Signal.TERM), "a reaped pid is gone (ESRCH)");
    }

    @Test
    void aChildLeadsAProcessGroupOfItsOwnThatReachesWhatItStarted() throws Exception {
        Os.Pipe stdin = pipe();
        Os.Pipe sink = pipe();
        // The shell starts a sleep in its group and waits for input: the group holds two processes.
        int pid = spawn(List.of("/bin/sh", "-c", "sleep 600 & read line"), List.of(stdin.readFd(), sink.writeFd(),
                sink.writeFd()));

        Os.ProcessState state = os.processState(pid).orElseThrow();
        assertEquals(pid, state.processGroup(), "the child leads its own group");
        assertEquals(os.processState(os.pid()).orElseThrow().session(), state.session(), "in the master's session");
        assertTrue(os.children().contains(pid), os.children().toString());
        assertTrue(os.processGroupExists(pid));

        assertTrue(os.killProcessGroup(pid, Signal.KILL));
        assertEquals(Signal.KILL.number(), awaitExit(pid).signal());
        await("the group's sleep gone too", () -> {
            try {
                return !os.processGroupExists(pid);
            } catch (OsException e) {
                throw new AssertionError(e);
            }
        });
        assertFalse(os.killProcessGroup(pid, Signal.KILL), "an empty group is ESRCH");
    }

    @Test
    void aBackgroundSpawnRunsAtTheLowestCpuPriorityAndAPlainOneDoesNot() throws Exception {
        Os.Pipe sink = os.pipe();
        List<Integer> descriptors = List.of(track(sink.readFd()), track(sink.writeFd()), sink.writeFd());
        List<String> argv = List.of("/bin/sleep", "600");
        int background = os.spawn(new SpawnRequest(argv.get(0), argv, Map.of(), descriptors, true));
        children.add(background);
        int plain = spawn(argv, descriptors);
        // /proc/PID/stat after the command's ")": state is field 3, nice field 19, policy field 41.
        assertEquals(List.of("19", "5"), niceAndPolicy(background), "nice 19 and SCHED_IDLE (5)");
        assertEquals(niceAndPolicy((int) ProcessHandle.current().pid()), niceAndPolicy(plain), "the test's own");
    }

    private static List<String> niceAndPolicy(int pid) throws Exception {
        String stat = java.nio.file.Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return List.of(fields[19 - 3], fields[41 - 3]);
    }

    @Test
    void aSpawnOfAMissingExecutableFailsWithTheReason() {
        OsException failed = assertThrows(OsException.class, () -> os.spawn(new SpawnRequest("/nonexistent/herd",
                List.of("herd"), Map.of(), List.of(0, 1, 2))));
        assertTrue(failed.getMessage().contains("No such file or directory"), failed.getMessage());
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private int spawn(List<String> argv, List<Integer> descriptors) throws OsException {
        int pid = os.spawn(new SpawnRequest(argv.get(0), argv, Map.of("PATH", "/usr/bin:/bin"), descriptors));
        children.add(pid);
        return pid;
    }

    private ExitStatus awaitExit(int pid) throws OsException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            ReapResult result = os.reap(pid);
            if (result instanceof ReapResult.Exited exited) {
                return exited.status();
            }
            assertTrue(result instanceof ReapResult.Running, result.toString());
            assertTrue(System.nanoTime() - deadline < 0, "pid " + pid + " did not exit within " + DEADLINE);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the waitpid polling interval
        }
    }

    /** What the pipe holds now (the writer has exited, so it is all there). */
    private String readAvailable(int fd) throws OsException {
        boolean[] readable = new boolean[1];
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[4096];
        while (os.pollReadable(new int[] {fd}, readable, 0) > 0) {
            int count = os.read(fd, buffer);
            if (count == 0) {
                break;
            }
            text.append(new String(buffer, 0, count, StandardCharsets.UTF_8));
        }
        return text.toString();
    }

    private String receive(int fd, byte[] buffer) throws OsException {
        boolean[] readable = new boolean[1];
        assertEquals(1, os.pollReadable(new int[] {fd}, readable, (int) DEADLINE.toMillis()), "no datagram");
        int length = os.receiveDatagram(fd, buffer).orElseThrow();
        return new String(buffer, 0, length, StandardCharsets.UTF_8);
    }

    private ListenQueue queue(int fd) {
        try {
            return os.listenQueue(fd);
        } catch (OsException e) {
            throw new AssertionError(e);
        }
    }

    private Os.Pipe pipe() throws OsException {
        Os.Pipe pipe = os.pipe();
        track(pipe.readFd());
        track(pipe.writeFd());
        return pipe;
    }

    private int track(int fd) {
        opened.add(fd);
        return fd;
    }

    private void closeTracked(int fd) throws OsException {
        opened.remove(Integer.valueOf(fd));
        os.close(fd);
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() - deadline < 0, "timed out waiting for " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the polling interval
        }
    }
}
