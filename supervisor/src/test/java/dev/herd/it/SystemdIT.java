package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What herd does for systemd and for init systems without it: a socket passed by socket activation, journald's
 * line format, a log file reopened on SIGUSR1, a pid file. Real processes: the real systemd-socket-activate, a
 * Python socket holder standing in for systemd across a restart, real signals.
 */
class SystemdIT {

    private static final Duration START = Duration.ofSeconds(60); // the first run may build the jars
    private static final Path SOCKET_ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");
    private static final String TITLE = "War and Peace";

    @TempDir
    Path dir;

    @Test
    void socketFromSystemdSocketActivateIsAdoptedAndTheClientThatTriggeredTheStartIsServed() throws Exception {
        assumeTrue(Files.isExecutable(SOCKET_ACTIVATE), "needs systemd-socket-activate (Debian package systemd)");
        int port = freePort();
        // The file names another address: with a socket from systemd, herd uses the socket.
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"listen\": \"127.0.0.1:" + freePort() + "\", \"workers\": 2}");
        // systemd-socket-activate passes the command only LISTEN_* and the -E variables: JAVA_HOME explicitly,
        // so that the run on JDK 25 tests JDK 25.
        ProcessBuilder activator = new ProcessBuilder(SOCKET_ACTIVATE.toString(), "-l", "127.0.0.1:" + port,
                "-E", "JAVA_HOME=" + System.getProperty("java.home"),
                HerdProcess.LAUNCHER.toString(), "run", "-c", config.toString(), "--admin-socket", adminSocket())
                .redirectErrorStream(true);
        try (HerdProcess herd = HerdProcess.start(activator)) {
            herd.awaitLine("Listening on 127.0.0.1:" + port, START);
            // systemd-socket-activate starts herd at the first connection; the client waits in the backlog of
            // the socket until a worker accepts it, just as during a restart under herd.socket.
            try (Socket client = connect(port)) {
                send(client, TITLE);
                assertEquals(TITLE, receive(client, TITLE.length()));
            }
            long master = herd.pid(); // the activator execs the launcher, which execs the JVM: one pid
            herd.awaitLine("master\\[" + master + "\\] listening on 127\\.0\\.0\\.1:" + port
                    + " \\(socket from systemd; ", START);
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
            for (long worker : workers.values()) {
                assertFalse(ProcFs.environment(worker).containsKey("LISTEN_FDS"), "LISTEN_* stay with the master");
                assertTrue(ProcFs.descriptors(worker).get(0).startsWith("socket:"));
            }
            // The address is systemd's: a reload that changes the file's keeps serving on the socket instead of
            // moving or refusing.
            Files.writeString(config, "{\"listen\": \"127.0.0.1:" + freePort() + "\", \"workers\": 2}");
            Cli.Result reload = Cli.herd("reload", "--admin-socket", adminSocket());
            assertEquals(0, reload.exitCode(), reload.stderr());
            assertTrue(herd.hasLine("listen and backlog are herd.socket's"), herd.output());
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
        }
    }

    @Test
    void aClientConnectingWhileTheServiceRestartsIsServedNotRefused() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "needs python3");
        // The holder plays systemd's part for herd.socket: it owns the listening socket and starts a master with
        // it (LISTEN_FDS/LISTEN_PID), stops it, and starts the next one, the socket open all the while.
        ProcessBuilder holder = new ProcessBuilder("/usr/bin/python3",
                HerdProcess.HOME.resolve("supervisor/src/test/resources/socket-holder.py").toString(),
                HerdProcess.LAUNCHER.toString(), "run", "--workers", "1", "--admin-socket", adminSocket())
                .redirectErrorStream(true);
        try (HerdProcess herd = HerdProcess.start(holder);
             OutputStream commands = herd.process().getOutputStream()) {
            int port = Integer.parseInt(herd.awaitLine("holder: port (\\d+)", START).group(1));
            command(commands, "start");
            String first = herd.awaitLine("holder: started (\\d+)", START).group(1);
            herd.awaitLine("worker-1\\[\\d+\\] accepting \\(app echo, master " + first + "\\)", START);
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));

            command(commands, "stop");
            herd.awaitLine("holder: " + first + " exited with status 0", START);
            // No master runs now. The connection is still accepted by the kernel into the socket's backlog.
            try (Socket client = connect(port)) {
                send(client, TITLE);
                command(commands, "start");
                String second = herd.awaitLine("holder: started (?!" + first + "\\b)(\\d+)", START).group(1);
                assertEquals(TITLE, receive(client, TITLE.length()), "served by the next master, " + second);
                herd.awaitLine("master\\[" + second + "\\] listening on 127\\.0\\.0\\.1:" + port
                        + " \\(socket from systemd; ", START);
                command(commands, "stop");
                herd.awaitLine("holder: " + second + " exited with status 0", START);
            }
        }
    }

    @Test
    void withJournalStreamOnStderrLinesCarryThePriorityAndNoTimestamp() throws Exception {
        Path stderr = dir.resolve("stderr");
        Files.createFile(stderr);
        Map<String, Object> id = Files.readAttributes(stderr, "unix:dev,ino");
        ProcessBuilder builder = new ProcessBuilder(HerdProcess.LAUNCHER.toString(), "run", "--listen",
                "127.0.0.1:0", "--workers", "1", "--admin-socket", adminSocket(), "--graceful-timeout", "5s")
                .redirectError(stderr.toFile());
        builder.environment().put("JOURNAL_STREAM", id.get("dev") + ":" + id.get("ino"));
        try (HerdProcess herd = HerdProcess.start(builder)) {
            long master = herd.pid();
            String accepting = awaitLineIn(stderr, "^<6>worker-1\\[\\d+\\] accepting \\(app echo");
            String listening = awaitLineIn(stderr, "^<6>master\\[" + master + "\\] listening on 127\\.0\\.0\\.1:");
            int port = Integer.parseInt(listening.replaceAll(".* listening on 127\\.0\\.0\\.1:(\\d+) .*", "$1"));
            assertEquals(TITLE, EchoClient.roundTrip(port, TITLE));
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            List<String> lines = Files.readAllLines(stderr);
            assertTrue(lines.contains("<6>master[" + master + "] stopped"), String.join("\n", lines));
            assertTrue(lines.stream().anyMatch(l -> l.matches("<6>worker-1\\[\\d+\\] drained \\(SIGTERM\\).*")),
                    String.join("\n", lines));
            for (String line : lines) {
                assertTrue(line.matches("<[3467]>(master|worker-1)\\[\\d+\\] .*"), "journal format: " + line);
            }
            assertTrue(accepting.startsWith("<6>"));
        }
    }

    @Test
    void sigusr1ReopensTheLogFileAfterLogrotateMovedIt() throws Exception {
        Path log = dir.resolve("herd.log");
        Path rotated = dir.resolve("herd.log.1");
        try (HerdProcess herd = HerdProcess.run("--workers", "1", "--admin-socket", adminSocket(),
                "--log-file", log.toString())) {
            awaitLineIn(log, "worker-1\\[\\d+\\] accepting");
            assertEquals("", herd.output(), "nothing on stderr: every line goes to the file");
            Files.move(log, rotated);
            herd.signal("USR1");
            awaitLineIn(log, "master\\[" + herd.pid() + "\\] reopened log file " + log);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            String fresh = Files.readString(log);
            assertTrue(fresh.contains("master[" + herd.pid() + "] stopped"), fresh);
            assertTrue(fresh.matches("(?s).*worker-1\\[\\d+\\] drained.*"), "relayed worker lines too: " + fresh);
            String old = Files.readString(rotated);
            assertTrue(old.contains(" listening on ") && !old.contains("reopened") && !old.contains("stopped"), old);
        }
    }

    @Test
    void pidFileHoldsTheMastersPidWhileItRunsAndIsRemovedAtExit() throws Exception {
        Path pidFile = dir.resolve("run/herd.pid");
        Files.createDirectories(pidFile.getParent());
        try (HerdProcess herd = HerdProcess.run("--workers", "1", "--admin-socket", adminSocket(),
                "--pid-file", pidFile.toString())) {
            herd.awaitWorkersAccepting(1, START);
            assertEquals(herd.pid() + "\n", Files.readString(pidFile));
            try (var files = Files.list(pidFile.getParent())) {
                assertEquals(List.of(pidFile), files.toList(), "no temporary file left beside it");
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertFalse(Files.exists(pidFile));
        }
    }

    @Test
    void pidFileInAMissingDirectoryFailsTheStartWithTheDirectoryNamed() {
        Path pidFile = dir.resolve("missing/herd.pid");
        try (HerdProcess herd = HerdProcess.run("--workers", "1", "--admin-socket", adminSocket(),
                "--pid-file", pidFile.toString())) {
            assertEquals(1, herd.awaitExit(START));
            assertTrue(herd.hasLine("^herd: pid file " + pidFile + ": directory " + pidFile.getParent()
                    + " does not exist$"), herd.output());
            assertFalse(herd.hasLine("started worker"), herd.output());
        }
    }

    private String adminSocket() {
        return dir.resolve("admin/herd.sock").toString();
    }

    private static String awaitLineIn(Path file, String regex) {
        java.util.regex.Pattern pattern = java.util.regex.Pattern.compile(regex);
        return Poll.until(START, "a line matching /" + regex + "/ in " + file, () -> {
            try {
                return Files.readAllLines(file).stream().filter(l -> pattern.matcher(l).find()).findFirst();
            } catch (IOException e) {
                return Optional.empty(); // not created yet, or just moved away
            }
        });
    }

    private static void command(OutputStream holder, String command) throws IOException {
        holder.write((command + "\n").getBytes(StandardCharsets.US_ASCII));
        holder.flush();
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    /** A connection with a read timeout long enough for a master to start (JVMs on a busy machine). */
    private static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout((int) START.toMillis());
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
    }

    private static String receive(Socket socket, int length) throws IOException {
        return new String(socket.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
    }
}
