package dev.herd.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real herd master started the way a user starts it ({@code bin/herd run ...}), with its stderr collected line
 * by line. {@link #close()} SIGKILLs the master and every process it started, whatever state the test left.
 */
final class HerdProcess implements AutoCloseable {

    static final Path HOME = Path.of(System.getProperty("herd.home", "..")).toAbsolutePath().normalize();
    static final Path LAUNCHER = HOME.resolve("bin/herd");
    private static final Pattern LISTENING = Pattern.compile("listening on \\S+:(\\d+) ");

    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    /** Every descendant seen, with its command line then: close() kills only a pid that still runs the same. */
    private final Map<Long, String> seenDescendants = new java.util.concurrent.ConcurrentHashMap<>();

    private final Thread reader;

    /** The cache directory this master's app class data goes to, removed at close; empty if the test set one. */
    private final Optional<Path> cacheHome;

    private HerdProcess(Process process, boolean read, Optional<Path> cacheHome) {
        this.process = process;
        this.cacheHome = cacheHome;
        this.reader = new Thread(this::collectOutput, "herd-output-" + process.pid());
        reader.setDaemon(true);
        if (read) {
            reader.start();
        }
    }

    /** {@code bin/herd run --listen 127.0.0.1:0 EXTRA...}: a free port chosen by the kernel. */
    static HerdProcess run(String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("run", "--listen", "127.0.0.1:0"));
        args.addAll(List.of(extraArgs));
        return start(args, Map.of());
    }

    static HerdProcess start(List<String> args, Map<String, String> environment) {
        List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment);
        return start(builder);
    }

    /**
     * Any command that starts a herd master, directly or through a wrapper that execs it or keeps it as a child
     * (systemd-socket-activate, a socket holder, an unpacked distribution); its stdout is collected.
     */
    static HerdProcess start(ProcessBuilder builder) {
        return start(builder, true);
    }

    /**
     * A master whose output nobody reads until {@link #startReading()}: its pipe fills and stays full, as with a
     * stalled journald or {@code herd run | less} left at a page.
     */
    static HerdProcess startUnread(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(LAUNCHER.toString());
        command.addAll(args);
        return start(new ProcessBuilder(command).redirectErrorStream(true), false);
    }

    private static HerdProcess start(ProcessBuilder builder, boolean read) {
        try {
            // worker.classData is on by default and keeps its archives in ~/.cache/herd: each master gets a cache
            // of its own, so that no test starts from an archive or an extraction another test left.
            Map<String, String> environment = builder.environment();
            Optional<Path> cacheHome = Optional.empty();
            if (!environment.containsKey("XDG_CACHE_HOME") && !environment.containsKey("CACHE_DIRECTORY")
                    && !environment.containsKey("HERD_CLASS_DATA_DIR")) {
                cacheHome = Optional.of(Files.createTempDirectory("herd-it-cache-"));
                environment.put("XDG_CACHE_HOME", cacheHome.get().toString());
            }
            return new HerdProcess(builder.start(), read, cacheHome);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts reading the output of a master started by {@link #startUnread}. */
    void startReading() {
        if (reader.getState() == Thread.State.NEW) {
            reader.start();
        }
    }

    private void collectOutput() {
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                lines.add(line);
                System.out.println("[herd " + process.pid() + "] " + line);
            }
        } catch (IOException e) {
            lines.add("(output reader failed: " + e + ")");
        }
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    String output() {
        return String.join("\n", lines);
    }

    /** The first output line matching {@code regex}, waiting for it up to {@code timeout}. */
    Matcher awaitLine(String regex, Duration timeout) {
        Pattern pattern = Pattern.compile(regex);
        try {
            return Poll.until(timeout, "a line matching /" + regex + "/", () -> {
                for (String line : lines) {
                    Matcher matcher = pattern.matcher(line);
                    if (matcher.find()) {
                        return Optional.of(matcher);
                    }
                }
                return Optional.empty();
            });
        } catch (AssertionError timedOut) {
            // The output as it is at the deadline, not as it was when the wait began.
            throw new AssertionError(timedOut.getMessage() + " in:\n" + output(), timedOut);
        }
    }

    /** Whether some output line matches {@code regex} now. */
    boolean hasLine(String regex) {
        Pattern pattern = Pattern.compile(regex);
        return lines.stream().anyMatch(line -> pattern.matcher(line).find());
    }

    int port() {
        return Integer.parseInt(awaitLine(LISTENING.pattern(), Duration.ofSeconds(60)).group(1));
    }

    /** The live worker processes (children of the master running WorkerMain), keyed by slot. */
    Map<Integer, Long> workers() {
        Map<Integer, Long> bySlot = new java.util.TreeMap<>();
        Pattern slotFlag = Pattern.compile("-Dherd\\.worker\\.slot=(\\d+)");
        process.toHandle().children().forEach(child -> {
            remember(child.pid());
            if (ProcFs.exited(child.pid())) {
                return;
            }
            Matcher slot = slotFlag.matcher(ProcFs.cmdline(child.pid()));
            if (slot.find()) {
                bySlot.put(Integer.parseInt(slot.group(1)), child.pid());
            }
        });
        return bySlot;
    }

    /** Waits until {@code count} workers run and each has logged that it accepts; returns them by slot. */
    Map<Integer, Long> awaitWorkersAccepting(int count, Duration timeout) {
        return Poll.until(timeout, count + " accepting workers in:\n" + output(), () -> {
            Map<Integer, Long> workers = workers();
            boolean allAccepting = workers.size() == count && workers.entrySet().stream()
                    .allMatch(w -> hasLine("worker-" + w.getKey() + "\\[" + w.getValue() + "\\] accepting"));
            return allAccepting ? Optional.of(workers) : Optional.empty();
        });
    }

    void signal(String signal) {
        Cli.run(Duration.ofSeconds(10), "kill", "-s", signal, Long.toString(pid()));
    }

    /** Waits for the master to exit and returns its exit code. */
    int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError("herd (pid " + pid() + ") still running after " + timeout.toMillis()
                        + " ms; output:\n" + output());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        return process.exitValue();
    }

    private void remember(long pid) {
        if (!ProcFs.exited(pid)) {
            seenDescendants.putIfAbsent(pid, ProcFs.cmdline(pid));
        }
    }

    @Override
    public void close() {
        process.toHandle().descendants().forEach(child -> remember(child.pid()));
        process.destroyForcibly();
        seenDescendants.forEach((pid, cmdline) -> {
            // Only processes this test started: descendants of our master, still running what they ran then.
            if (!ProcFs.exited(pid) && ProcFs.cmdline(pid).equals(cmdline)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        });
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Poll.until(Duration.ofSeconds(10), "every worker of herd " + pid() + " to exit",
                () -> seenDescendants.keySet().stream().allMatch(ProcFs::exited));
        cacheHome.ifPresent(HerdProcess::deleteTree);
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
