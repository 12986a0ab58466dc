package dev.herd.supervisor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The command lines that scripts and probes run most, answered without picocli: {@code herd status} and
 * {@code herd ping}, with {@code --json} or {@code --ready} (status) and {@code --admin-socket PATH} (before or after
 * the name, or as {@code --admin-socket=PATH}). picocli builds its model of a command by reflection, in the
 * interpreter of a JVM that has just started: about a third of the CPU time of {@code herd status}
 * (docs/benchmarks.md). Anything else, a repeated flag, an unknown one, {@code --help}, goes to picocli, so its
 * messages and exit codes stay the only ones; what runs here is the same subcommand object picocli would have run.
 */
final class PlainRequest {

    private static final String SOCKET_FLAG = "--admin-socket";

    private final String name;
    private final Path socket;
    private final boolean json;
    private final boolean ready;

    private PlainRequest(String name, Path socket, boolean json, boolean ready) {
        this.name = name;
        this.socket = socket;
        this.json = json;
        this.ready = ready;
    }

    /** The request, if the command line is one of those above, else empty (then picocli parses it). */
    static Optional<PlainRequest> parse(String[] args) {
        List<String> words = List.of(args);
        int at = 0;
        Path before = null;
        Path after = null;
        if (words.size() >= 2 && words.get(0).equals(SOCKET_FLAG)) {
            before = path(words.get(1));
            at = 2;
        } else if (!words.isEmpty() && words.get(0).startsWith(SOCKET_FLAG + "=")) {
            before = path(words.get(0).substring(SOCKET_FLAG.length() + 1));
            at = 1;
        }
        if (at > 0 && before == null || at >= words.size()) {
            return Optional.empty();
        }
        String name = words.get(at++);
        if (!name.equals("status") && !name.equals("ping")) {
            return Optional.empty();
        }
        boolean json = false;
        boolean ready = false;
        while (at < words.size()) {
            String word = words.get(at++);
            if (word.equals("--json") && name.equals("status") && !json) {
                json = true;
            } else if (word.equals("--ready") && name.equals("status") && !ready) {
                ready = true;
            } else if (word.equals(SOCKET_FLAG) && after == null && at < words.size()) {
                after = path(words.get(at++));
            } else if (word.startsWith(SOCKET_FLAG + "=") && after == null) {
                after = path(word.substring(SOCKET_FLAG.length() + 1));
            } else {
                return Optional.empty();
            }
            if (word.startsWith(SOCKET_FLAG) && after == null) {
                return Optional.empty();
            }
        }
        // The flag after the name wins over the one before it, as AdminSocketOption has it.
        return Optional.of(new PlainRequest(name, after != null ? after : before, json, ready));
    }

    /** A flag value picocli would take as a path; null for one it might treat otherwise. */
    private static Path path(String value) {
        // picocli reads "@file" as a file of arguments, and a value like an option as an error.
        if (value.isEmpty() || value.startsWith("-") || value.startsWith("@")) {
            return null;
        }
        try {
            return Path.of(value);
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** Sends the request and prints the reply as the subcommand does; the exit code as HerdCli's. */
    int run() {
        AdminCommandBase command = name.equals("status") ? new AdminCommands.Status(json, ready)
                : new AdminCommands.Ping();
        try {
            return command.callWithSocket(socket);
        } catch (IOException | RuntimeException e) {
            return HerdCli.reportFailure(e, new PrintWriter(System.err, true));
        }
    }

    String name() {
        return name;
    }

    Optional<Path> socket() {
        return Optional.ofNullable(socket);
    }

    boolean json() {
        return json;
    }

    boolean ready() {
        return ready;
    }
}
