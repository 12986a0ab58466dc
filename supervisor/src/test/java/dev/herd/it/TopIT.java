package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herd top} end to end: on a real terminal (tmux) against a real master, and piped.
 */
class TopIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration SCREEN = Duration.ofSeconds(30);
    private static final Pattern POOL_RATE = Pattern.compile("([0-9.]+) req/s");
    private static final Pattern ROW =
            Pattern.compile("\\s*(\\d+)\\s+(\\d+|-)\\s+(starting|ready|stopping|backoff)\\b.*");

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    @Test
    void onATerminalItShowsThePoolFollowsTrafficFitsANarrowScreenAndQuitsOnQ() throws Exception {
        Path exit = dir.resolve("top.exit");
        Path stderr = dir.resolve("top.err");
        Path sttyBefore = dir.resolve("stty.before");
        Path sttyAfter = dir.resolve("stty.after");
        try (HerdProcess herd = admin.startHerd("--workers", "2");
             Tmux tmux = new Tmux(dir)) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            int port = herd.port();
            tmux.newSession("top", 120, 30, "stty -g > " + sttyBefore + "; " + HerdProcess.LAUNCHER + " top"
                    + " --admin-socket " + admin.socket() + " 2> " + stderr + "; echo $? > " + exit + "; stty -g > "
                    + sttyAfter);

            String first = awaitScreen(tmux, "top", "the header and one row per worker", screen ->
                    screen.contains("master pid " + herd.pid()) && screen.contains("workers 2/2 ready")
                            && workers.values().stream().allMatch(pid -> row(screen, pid).isPresent()));
            for (Map.Entry<Integer, Long> worker : workers.entrySet()) {
                assertTrue(row(first, worker.getValue()).orElseThrow().matches("\\s*" + worker.getKey() + "\\s+"
                        + worker.getValue() + "\\s+ready\\s.*"), first);
            }

            // Echo traffic until every worker has shown a request rate above zero, and the pool too.
            Set<Long> served = new HashSet<>();
            String busy = awaitScreen(tmux, "top", "a request rate above zero for each worker and the pool", () -> {
                for (int i = 0; i < 20; i++) {
                    echo(port);
                }
                String screen = tmux.capture("top");
                for (long pid : workers.values()) {
                    if (cell(screen, pid, "REQ/S").filter(rate -> !rate.equals("-") && Double.parseDouble(rate) > 0)
                            .isPresent()) {
                        served.add(pid);
                    }
                }
                Matcher pool = POOL_RATE.matcher(screen);
                boolean poolBusy = pool.find() && Double.parseDouble(pool.group(1)) > 0;
                return served.containsAll(workers.values()) && poolBusy ? Optional.of(screen) : Optional.empty();
            });
            System.out.println("herd top, 120 columns:\n" + busy);

            tmux.resize("top", 60, 30);
            String narrow = awaitScreen(tmux, "top", "the 60-column layout", screen ->
                    screen.lines().anyMatch(line -> line.startsWith("SLOT")) && !screen.contains("UPTIME"));
            System.out.println("herd top, 60 columns:\n" + narrow);
            List<String> lines = narrow.lines().toList();
            int header = lines.indexOf(lines.stream().filter(line -> line.startsWith("SLOT")).findFirst()
                    .orElseThrow());
            assertEquals(List.of("SLOT", "PID", "STATE", "CPU%", "RSS", "REQ/S", "RESTARTS"),
                    Arrays.asList(lines.get(header).trim().split(" +")), narrow);
            for (String line : lines) {
                assertTrue(line.length() <= 60, "longer than the terminal: '" + line + "'\n" + narrow);
            }
            // Nothing wrapped: below the table's header, only whole rows (a wrapped one would leave its tail on
            // the next line), one for each worker.
            List<String> rows = lines.subList(header + 1, lines.size()).stream().filter(l -> !l.isBlank()).toList();
            assertEquals(2, rows.size(), narrow);
            rows.forEach(row -> assertTrue(ROW.matcher(row).matches(), "not a row: '" + row + "'\n" + narrow));
            assertTrue(workers.values().stream().allMatch(pid -> row(narrow, pid).isPresent()), narrow);

            tmux.sendKeys("top", "q");
            Poll.until(SCREEN, "herd top to exit and the tmux session to end", () -> !tmux.hasSession("top"));
            assertEquals("0", Files.readString(exit).trim(), "exit code; stderr: " + Files.readString(stderr));
            assertEquals("", Files.readString(stderr));
            assertEquals(Files.readString(sttyBefore), Files.readString(sttyAfter), "terminal settings restored");

            // --once on the terminal: one snapshot that fits its width, then exit 0 (cat keeps the pane to read).
            tmux.newSession("once", 50, 30, HerdProcess.LAUNCHER + " top --once --interval 200ms --admin-socket "
                    + admin.socket() + "; echo exit=$?; cat");
            String once = awaitScreen(tmux, "once", "herd top --once to exit", screen -> screen.contains("exit="));
            assertTrue(once.contains("exit=0"), once);
            assertTrue(once.contains("master pid " + herd.pid()), once);
            assertTrue(workers.values().stream().allMatch(pid -> row(once, pid).isPresent()), once);
            assertTrue(once.lines().allMatch(line -> line.length() <= 50), once);
            assertFalse(once.contains("RESTARTS"), "RESTARTS does not fit 50 columns:\n" + once);
        }
    }

    @Test
    void withoutATerminalItPrintsOneSnapshotWithRatesAndExits() {
        try (HerdProcess herd = admin.startHerd("--workers", "2")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            Cli.Result top = admin.cli("top", "--interval", "300ms");
            assertEquals(0, top.exitCode(), top.stderr());
            String out = top.stdout();
            assertTrue(out.startsWith("herd top - "), out);
            assertTrue(out.contains("master pid " + herd.pid()), out);
            assertFalse(out.contains("\u001b"), "no terminal escape sequences: " + out);
            assertTrue(out.lines().anyMatch(line -> line.startsWith("SLOT") && line.contains("LAST RESTART")), out);
            for (long pid : workers.values()) {
                // Two samples an interval apart: the rates are there.
                assertTrue(cell(out, pid, "CPU%").filter(cpu -> cpu.matches("[0-9]+\\.[0-9]")).isPresent(), out);
                assertTrue(cell(out, pid, "REQ/S").filter(rate -> rate.matches("[0-9]+\\.[0-9]")).isPresent(), out);
            }

            // The other commands do not load JLine: only top does.
            Cli.Result status = Cli.run(Duration.ofSeconds(60), "env", "HERD_JAVA_OPTS=-Xlog:class+load=info",
                    HerdProcess.LAUNCHER.toString(), "status", "--admin-socket", admin.socket().toString());
            assertEquals(0, status.exitCode(), status.stderr());
            assertTrue(status.stdout().contains("dev.herd.supervisor.cli.StatusTable"), "class loading was logged");
            // herd's JLine, not the JDK's own copy (jdk.internal.org.jline, which JDK 25's console may load).
            List<String> jline = status.stdout().lines().filter(line -> line.contains("] org.jline.")
                    || line.contains("dev.herd.supervisor.cli.Top")).toList();
            assertEquals(List.of(), jline, "herd status loaded herd top's classes or JLine");
        }
        Cli.Result none = Cli.herd("top", "--admin-socket", dir.resolve("none/herd.sock").toString());
        assertEquals(3, none.exitCode(), none.stderr());
        assertTrue(none.stderr().startsWith("herd: no herd master is running at "), none.stderr());
    }

    private static String awaitScreen(Tmux tmux, String session, String what, Predicate<String> ready) {
        return awaitScreen(tmux, session, what, () -> Optional.of(tmux.capture(session)).filter(ready));
    }

    /** Polls {@code probe} until it returns a screen; at the deadline, the failure shows the screen then. */
    private static String awaitScreen(Tmux tmux, String session, String what, Supplier<Optional<String>> probe) {
        try {
            return Poll.until(SCREEN, what, probe);
        } catch (AssertionError timedOut) {
            throw new AssertionError(timedOut.getMessage() + "; the screen:\n" + tmux.capture(session), timedOut);
        }
    }

    /** The table row of the worker with {@code pid}. */
    private static Optional<String> row(String screen, long pid) {
        return screen.lines().filter(line -> {
            Matcher row = ROW.matcher(line);
            return row.matches() && row.group(2).equals(Long.toString(pid));
        }).findFirst();
    }

    /** The cell in the column titled {@code title} of the worker with {@code pid}. */
    private static Optional<String> cell(String screen, long pid, String title) {
        Optional<String> header = screen.lines().filter(line -> line.startsWith("SLOT")).findFirst();
        Optional<String> row = row(screen, pid);
        if (header.isEmpty() || row.isEmpty()) {
            return Optional.empty();
        }
        // Every cell but the last column's is one word ("-" when empty), so columns count the same in both.
        List<String> titles = Arrays.asList(header.get().replace("LAST RESTART", "LAST_RESTART").trim().split(" +"));
        String[] cells = row.get().trim().split(" +");
        int column = titles.indexOf(title);
        return column >= 0 && column < cells.length ? Optional.of(cells[column]) : Optional.empty();
    }

    private static void echo(int port) {
        try {
            assertEquals("War and Peace", EchoClient.roundTrip(port, "War and Peace"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
