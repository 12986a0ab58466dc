package dev.herd.it;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tmux server of the test's own, to run a command on a real terminal and read its screen: its socket is in the
 * test's directory (no other tmux server is touched) and it reads no configuration file. {@link #close()} kills
 * that server and every process seen in its panes that still runs what it ran then.
 */
final class Tmux implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(20);

    private final Path socket;
    private final List<String> sessions = new ArrayList<>();
    private final Map<Long, String> seenProcesses = new HashMap<>();

    Tmux(Path dir) {
        this.socket = dir.resolve("tmux.sock");
    }

    /** A detached session of {@code width} x {@code height} running {@code shellCommand} (with sh -c). */
    void newSession(String name, int width, int height, String shellCommand) {
        run("new-session", "-d", "-s", name, "-x", Integer.toString(width), "-y", Integer.toString(height),
                shellCommand);
        sessions.add(name);
    }

    /** The screen as it is, one line per row (tmux leaves out trailing blanks). */
    String capture(String name) {
        return run("capture-pane", "-p", "-t", name).stdout();
    }

    void resize(String name, int width, int height) {
        run("resize-window", "-t", name, "-x", Integer.toString(width), "-y", Integer.toString(height));
    }

    void sendKeys(String name, String... keys) {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", name));
        args.addAll(List.of(keys));
        run(args.toArray(String[]::new));
    }

    boolean hasSession(String name) {
        return tmux("has-session", "-t", name).exitCode() == 0;
    }

    /** The pane's process and its descendants, with their command lines. */
    private void remember(String name) {
        Cli.Result pane = tmux("display-message", "-p", "-t", name, "#{pane_pid}");
        if (pane.exitCode() != 0 || pane.stdout().isBlank()) {
            return; // the session has ended
        }
        long pid = Long.parseLong(pane.stdout().trim());
        ProcessHandle.of(pid).ifPresent(process -> {
            seenProcesses.putIfAbsent(pid, ProcFs.cmdline(pid));
            process.descendants().forEach(child -> seenProcesses.putIfAbsent(child.pid(), ProcFs.cmdline(child.pid())));
        });
    }

    private Cli.Result run(String... args) {
        Cli.Result result = tmux(args);
        if (result.exitCode() != 0) {
            throw new AssertionError("tmux " + String.join(" ", args) + " exited " + result.exitCode() + ": "
                    + result.stderr());
        }
        return result;
    }

    private Cli.Result tmux(String... args) {
        List<String> command = new ArrayList<>(List.of("tmux", "-S", socket.toString(), "-f", "/dev/null"));
        command.addAll(List.of(args));
        return Cli.run(COMMAND_TIMEOUT, command.toArray(String[]::new));
    }

    @Override
    public void close() {
        sessions.forEach(this::remember);
        tmux("kill-server"); // fails harmlessly when the last session has ended and the server with it
        seenProcesses.forEach((pid, cmdline) -> {
            if (!ProcFs.exited(pid) && ProcFs.cmdline(pid).equals(cmdline)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        });
        Poll.until(Duration.ofSeconds(10), "every process of the tmux panes to exit",
                () -> seenProcesses.keySet().stream().allMatch(ProcFs::exited));
    }
}
