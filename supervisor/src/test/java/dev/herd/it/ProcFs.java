package dev.herd.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Reads what the tests check about processes straight from /proc: state, parent, group, descriptors, sockets. */
final class ProcFs {

    private ProcFs() {
    }

    /** The fields of /proc/PID/stat after the command name; empty once the process is gone. */
    private static Optional<String[]> stat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return Optional.of(stat.substring(stat.lastIndexOf(')') + 2).split(" "));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty(); // raced with the process's exit
        }
    }

    /** The one-letter state (R, S, Z, ...) or empty if there is no such process. */
    static Optional<String> state(long pid) {
        return stat(pid).map(fields -> fields[0]);
    }

    /**
     * "nice policy" of each thread of the process (/proc/PID/task/TID/stat: nice is field 19, the scheduling policy
     * field 41), by thread id; empty once the process is gone.
     */
    static Map<Long, String> threadsNiceAndPolicy(long pid) {
        Map<Long, String> threads = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                threads.put(Long.parseLong(task.getFileName().toString()), fields[19 - 3] + " " + fields[41 - 3]);
            }
        } catch (IOException | UncheckedIOException e) {
            return Map.of(); // gone, or a thread gone meanwhile
        }
        return threads;
    }

    /** Whether the process is gone or has at least exited (a zombie of some other parent). */
    static boolean exited(long pid) {
        return state(pid).map(s -> s.equals("Z") || s.equals("X")).orElse(true);
    }

    /**
     * Sends SIGSTOP and waits until every thread of the process is stopped (state T). kill(2) returns before the
     * threads stop: a thread blocked in accept() that the signal wakes checks the accept queue before it checks for
     * signals, so a connection made in that window is still accepted (seen in CI on a loaded machine).
     */
    static void stopAndWait(long pid, java.time.Duration timeout) {
        Cli.Result kill = Cli.run(java.time.Duration.ofSeconds(10), "kill", "-STOP", Long.toString(pid));
        if (kill.exitCode() != 0) {
            throw new AssertionError("kill -STOP " + pid + ": " + kill.stderr());
        }
        Poll.until(timeout, "every thread of " + pid + " stopped", () -> allThreadsStopped(pid));
    }

    private static boolean allThreadsStopped(long pid) {
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return threads.allMatch(thread -> {
                try {
                    String stat = Files.readString(thread.resolve("stat"));
                    char state = stat.charAt(stat.lastIndexOf(')') + 2);
                    return state == 'T' || state == 't';
                } catch (IOException threadGone) {
                    return true; // a thread that ended is not accepting
                }
            });
        } catch (IOException | UncheckedIOException gone) {
            throw new AssertionError("process " + pid + " is gone");
        }
    }

    static long parent(long pid) {
        return stat(pid).map(fields -> Long.parseLong(fields[1])).orElse(-1L);
    }

    static long processGroup(long pid) {
        return stat(pid).map(fields -> Long.parseLong(fields[2])).orElse(-1L);
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")),
                    StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** A process's children, zombies included (/proc/PID/task/TID/children of each thread); empty once it is gone. */
    static List<Long> children(long pid) {
        List<Long> children = new java.util.ArrayList<>();
        try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            threads.forEach(thread -> {
                try {
                    String list = Files.readString(thread.resolve("children")).strip();
                    for (String child : list.isEmpty() ? new String[0] : list.split(" ")) {
                        children.add(Long.parseLong(child));
                    }
                } catch (IOException threadGone) {
                    // ended while listing
                }
            });
        } catch (IOException | UncheckedIOException gone) {
            return List.of();
        }
        return children;
    }

    /** A process's environment at exec time (/proc/PID/environ); empty if it is gone. */
    static Map<String, String> environment(long pid) {
        Map<String, String> variables = new java.util.HashMap<>();
        try {
            for (String entry : new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
                    StandardCharsets.UTF_8).split("\0")) {
                int equals = entry.indexOf('=');
                if (equals > 0) {
                    variables.put(entry.substring(0, equals), entry.substring(equals + 1));
                }
            }
        } catch (IOException e) {
            // gone: no variables
        }
        return variables;
    }

    /** fd number to link target ("socket:[123]", "pipe:[456]", "/path"). */
    static Map<Integer, String> descriptors(long pid) {
        Map<Integer, String> fds = new TreeMap<>();
        try (Stream<Path> entries = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            entries.forEach(link -> {
                try {
                    fds.put(Integer.parseInt(link.getFileName().toString()), Files.readSymbolicLink(link).toString());
                } catch (IOException e) {
                    // closed while listing: not there
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return fds;
    }

    /** The kernel objects (sockets and pipes) among a process's descriptors, e.g. "socket:[123]". */
    static Set<String> socketsAndPipes(long pid) {
        Set<String> objects = new HashSet<>();
        for (String target : descriptors(pid).values()) {
            if (target.startsWith("socket:") || target.startsWith("pipe:")) {
                objects.add(target);
            }
        }
        return objects;
    }
}
