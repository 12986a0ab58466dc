package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Signals in the exec window of {@code herd upgrade}: from the execve until the new master has installed its
 * handlers, the process runs the launcher (a shell) and then a JVM that is starting. The master is started through
 * a symlink to {@code bin/herd} (which it then re-runs by that path, as after an install switched by a symlink);
 * before the upgrade the symlink is replaced by a shell script that holds the process in the window, as long as the
 * test wants, and then execs {@code bin/herd}. There the test sends its signals: deterministically inside the window.
 */
class UpgradeSignalsIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration UPGRADE = Duration.ofSeconds(180);
    /** Bits of /proc/PID/status's SigIgn: signal N is bit N - 1. */
    private static final Map<String, Integer> NUMBERS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "USR1", 10,
            "TERM", 15, "TTIN", 21, "TTOU", 22);

    @TempDir
    Path dir;

    private AdminFixture admin;
    private LinkedLauncher launcher;

    @BeforeEach
    void linkTheLauncher() throws IOException {
        admin = new AdminFixture(dir);
        launcher = new LinkedLauncher(dir);
    }

    @Test
    void hupUsr1QuitTtinAndTtouInTheExecWindowAreIgnoredAndTheUpgradeGoesOn() throws Exception {
        try (HerdProcess herd = startThroughTheLink()) {
            Set<Long> old = admin.awaitReady(2, START);
            long master = herd.pid();
            holdTheExecInTheWindow();

            CompletableFuture<Cli.Result> upgrade = CompletableFuture.supplyAsync(this::upgrade);
            Map<String, String> window = awaitTheWindow();

            long ignored = Long.parseUnsignedLong(window.get("SigIgn"), 16);
            for (String signal : List.of("HUP", "USR1", "QUIT", "TTIN", "TTOU")) {
                assertTrue(isSet(ignored, signal), "SIG" + signal + " ignored across the exec: " + window);
            }
            for (String signal : List.of("TERM", "INT")) {
                assertFalse(isSet(ignored, signal), "SIG" + signal + " keeps its default action: " + window);
            }
            for (String signal : List.of("HUP", "USR1", "QUIT", "TTIN", "TTOU")) {
                herd.signal(signal);
            }
            String state = ProcFs.state(master).orElse("gone");
            assertFalse(Set.of("T", "t", "Z", "X", "gone").contains(state),
                    "the process in the window neither ended nor stopped: " + state);
            Files.createFile(dir.resolve("go"));

            Cli.Result done = upgrade.get();
            assertEquals(0, done.exitCode(), done.stdout() + done.stderr() + herd.output());
            assertEquals(master, admin.status().path("pid").asLong(), "the same master");
            assertEquals("done", admin.status().path("upgrade").path("phase").asText());
            Set<Long> now = admin.awaitReady(2, START);
            old.forEach(pid -> assertTrue(ProcFs.exited(pid), "old worker " + pid + " left behind"));
            assertEquals(Set.copyOf(now), Set.copyOf(ProcFs.children(master)), "no zombie, nothing else");
            assertEquals(2, admin.status().path("desiredWorkers").asInt(), "TTIN and TTOU changed nothing");
            long ignoredNow = Long.parseUnsignedLong(status(master).get("SigIgn"), 16);
            for (String signal : List.of("HUP", "USR1", "QUIT", "TTIN", "TTOU")) {
                assertFalse(isSet(ignoredNow, signal), "the new master handles SIG" + signal + " again");
            }

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            now.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master"));
        }
    }

    @Test
    void aSigtermInTheExecWindowEndsTheProcessAndTheWorkersFollowThroughTheirLifeline() throws Exception {
        try (HerdProcess herd = startThroughTheLink()) {
            Set<Long> workers = admin.awaitReady(2, START);
            holdTheExecInTheWindow();

            CompletableFuture<Cli.Result> upgrade = CompletableFuture.supplyAsync(this::upgrade);
            awaitTheWindow();
            herd.signal("TERM");

            assertEquals(128 + 15, herd.awaitExit(START), "ended by SIGTERM's default action: " + herd.output());
            Poll.until(START, "the workers to exit once their lifeline is gone",
                    () -> workers.stream().allMatch(ProcFs::exited));
            Cli.Result done = upgrade.get();
            assertEquals(1, done.exitCode(), done.stdout() + done.stderr());
            assertTrue(done.stderr().contains("exited during the upgrade"), done.stderr());
        }
    }

    private HerdProcess startThroughTheLink() {
        return HerdProcess.start(new ProcessBuilder(launcher.path().toString(), "run", "--listen", "127.0.0.1:0",
                "--workers", "2", "--admin-socket", admin.socket().toString()).redirectErrorStream(true));
    }

    /**
     * Replaces the link the master will re-run by a script that, run with a hand-over (the exec, not the check),
     * writes its signal dispositions and waits for the file {@code go} (at most two minutes) before it execs herd.
     */
    private void holdTheExecInTheWindow() throws IOException {
        launcher.runInTheExec("    grep '^SigIgn' /proc/$$/status >'" + dir.resolve("window.tmp") + "'\n"
                + "    mv '" + dir.resolve("window.tmp") + "' '" + dir.resolve("window") + "'\n"
                + "    tries=0\n"
                + "    while [ ! -e '" + dir.resolve("go") + "' ] && [ $tries -lt 1200 ]; do\n"
                + "        sleep 0.1; tries=$((tries + 1))\n"
                + "    done\n");
    }

    /** The dispositions the script found: the exec has happened, and the process waits in the window. */
    private Map<String, String> awaitTheWindow() {
        Path window = dir.resolve("window");
        return Poll.until(UPGRADE, "the exec into the waiting launcher", () -> {
            if (!Files.exists(window)) {
                return java.util.Optional.empty();
            }
            try {
                return java.util.Optional.of(fields(Files.readAllLines(window)));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    private Cli.Result upgrade() {
        return Cli.run(UPGRADE, HerdProcess.LAUNCHER.toString(), "upgrade", "--admin-socket",
                admin.socket().toString());
    }

    private static boolean isSet(long mask, String signal) {
        return (mask >> (NUMBERS.get(signal) - 1) & 1) == 1;
    }

    private static Map<String, String> status(long pid) throws IOException {
        return fields(Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")));
    }

    private static Map<String, String> fields(List<String> lines) {
        return lines.stream().filter(line -> line.contains(":")).collect(Collectors.toMap(
                line -> line.substring(0, line.indexOf(':')), line -> line.substring(line.indexOf(':') + 1).strip(),
                (first, second) -> first));
    }
}
