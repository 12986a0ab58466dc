package dev.herd.supervisor.master;

import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.status.StatusSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code herd upgrade}: the master re-executes itself into the herd installed now, keeping its pid (systemd's
 * MAINPID, PID 1 of a container, a shell's job), its workers (its children still) and its listening socket. First
 * the new install checks the configuration as it is now in a child process ({@code herd run --check}, beside the
 * loop); only if that exits 0 does the loop write the {@link HandOver} and exec. The new master adopts the old
 * workers and replaces them slot by slot, each replacement ready before its old worker drains (see
 * {@link #replacing}). One upgrade at a time. Used on the master thread, except the check, which runs beside it.
 */
final class Upgrader {

    /** The longest the new install's check may take (a cold JVM on a loaded machine takes seconds). */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(60);
    /** What of the check's output is kept: its last line says why it failed. */
    private static final int CHECK_OUTPUT_BYTES = 64 * 1024;
    /** How long the queued log lines get to be written before the exec, which runs no shutdown hook. */
    private static final long LOG_DRAIN_MILLIS = 500;
    /** Variables the new master must not read again: systemd's sockets are handed over as the shared socket. */
    private static final List<String> NOT_PASSED = List.of("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
            HandOver.VARIABLE, ConfigSnapshot.VARIABLE, HandOver.CHECK_FORMAT_VARIABLE);

    /** Where an upgrade stands, as {@code status} shows it. */
    enum Phase {
        /** None since this master started. */
        NONE,
        /** The new install checks the configuration. */
        CHECKING,
        /** The new master replaces the old workers. */
        REPLACING,
        /** The last upgrade replaced every old worker. */
        DONE,
        /** The last upgrade was refused or stopped early: see {@link #lastFailure}. */
        FAILED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What an upgrade needs of the master: whether it may begin, and the hand-over as things are now. */
    interface Master {
        /** Whether the master stops, or a stop waits in its queue (the exec would lose it). */
        boolean stopping();

        /** Work an upgrade must not interrupt (a rolling restart, a reload, a class-data training run), if any. */
        Optional<String> busyWith();

        /** The config file the master runs with (read again by the upgrade), if it has one. */
        Optional<Path> configFile();

        /** The hand-over of this master's socket, lifeline and workers, numbered {@code upgrades}. */
        HandOver handOver(int upgrades);

        /** Just before the exec: tells the service manager that upgrade {@code upgrade} begins (RELOADING=1). */
        void handingOver(int upgrade);

        /** The exec failed after {@link #handingOver}: the service manager hears that this master goes on. */
        void handOverFailed();
    }

    /**
     * The admin socket's part (AdminServer's {@code pauseForHandOver}): before the exec it stops accepting, so that
     * clients wait in its backlog for the new master, and settles what is in progress; if the exec does not
     * happen, it accepts again.
     */
    interface AdminPause {
        /** An admin socket with nothing to settle (a test's). */
        AdminPause NONE = new AdminPause() {
            @Override
            public CompletableFuture<Void> pause() {
                return CompletableFuture.completedFuture(null);
            }

            @Override
            public void resume() {
            }
        };

        CompletableFuture<Void> pause();

        void resume();
    }

    private final Os os;
    private final Master master;
    private final AdminPause admin;
    private final MasterCommand.Source command;
    private final Map<String, String> environment;
    private final Supplier<Optional<ListenAddress>> listening;
    private final Consumer<Runnable> besideTheLoop;
    private final Consumer<Runnable> toLoop;
    private final int upgrades;
    private Phase phase;
    private Optional<String> lastFailure = Optional.empty();

    /**
     * @param admin         the admin socket, paused just before the exec
     * @param command       how to start the herd installed now (see {@link MasterCommand#current})
     * @param environment   the master's environment at its start
     * @param listening     the listen address the master holds now, as configured (empty: systemd's socket),
     *                      for the check: a new one in use refuses the upgrade
     * @param upgrades      how many upgrades this process went through (0, or the hand-over's count)
     * @param besideTheLoop runs the check on a thread of its own
     * @param toLoop        runs its outcome on the master thread
     */
    Upgrader(Os os, Master master, AdminPause admin, MasterCommand.Source command, Map<String, String> environment,
             Supplier<Optional<ListenAddress>> listening, int upgrades, Consumer<Runnable> besideTheLoop,
             Consumer<Runnable> toLoop) {
        this.os = os;
        this.master = master;
        this.admin = admin;
        this.command = command;
        this.environment = Map.copyOf(environment);
        this.listening = listening;
        this.upgrades = upgrades;
        this.besideTheLoop = besideTheLoop;
        this.toLoop = toLoop;
        this.phase = Phase.NONE;
    }

    /** Why a command that changes the pool must wait, while an upgrade is under way. */
    Optional<String> inProgress() {
        return switch (phase) {
            case CHECKING -> Optional.of("an upgrade is in progress: the new herd checks the configuration");
            case REPLACING -> Optional.of("an upgrade is in progress: the new workers replace the old ones");
            case NONE, DONE, FAILED -> Optional.empty();
        };
    }

    /** What {@code status} shows of upgrades: how many this process went through, and how the last one stands. */
    StatusSnapshot.Upgrade view() {
        return new StatusSnapshot.Upgrade(upgrades, phase.label(), lastFailure);
    }

    /**
     * Begins an upgrade. The reply completes with an error if it is refused or fails before the hand-over; once
     * the exec succeeds this process runs the new master, and the connection closes without a reply: the client
     * then asks the new master's {@code status} (same pid, {@code upgrade.count} one more).
     */
    CompletableFuture<AdminReply> upgrade() throws AdminException {
        if (inProgress().isPresent()) {
            throw new AdminException(AdminException.UPGRADING, inProgress().get());
        }
        Optional<String> busy = master.busyWith();
        if (busy.isPresent()) {
            throw new AdminException(AdminException.UPGRADE_FAILED, "not now: " + busy.get());
        }
        MasterCommand next;
        try {
            next = command.find();
        } catch (IOException e) {
            throw new AdminException(AdminException.UPGRADE_FAILED, e.getMessage());
        }
        phase = Phase.CHECKING;
        Log.info("upgrade: checking the herd installed now: %s", String.join(" ", next.check()));
        CompletableFuture<AdminReply> reply = new CompletableFuture<>();
        Map<String, String> checkEnvironment = nextEnvironment();
        listening.get().ifPresent(address -> checkEnvironment.put(HandOver.CHECK_LISTEN_VARIABLE,
                address.toString()));
        // The new herd must read the hand-over this one writes, or it could only fail after the exec.
        checkEnvironment.put(HandOver.CHECK_FORMAT_VARIABLE, Integer.toString(HandOver.FORMAT));
        Optional<Path> configFile = master.configFile();
        besideTheLoop.accept(() -> {
            Optional<String> refusal;
            OptionalInt snapshot = OptionalInt.empty();
            try {
                if (configFile.isPresent()) {
                    snapshot = OptionalInt.of(ConfigSnapshot.take(os, configFile.get()));
                }
                refusal = check(next.check(), checkEnvironment, snapshot);
            } catch (IOException e) { // an OsException among them: the memory file
                refusal = Optional.of(e.getMessage());
            } catch (RuntimeException e) {
                // The outcome must come back whatever happens: until it does, the master refuses every change.
                refusal = Optional.of("checking the new herd failed: " + e);
            }
            Optional<String> outcome = refusal;
            OptionalInt checked = snapshot;
            toLoop.accept(() -> checked(next, checked, outcome, reply));
        });
        return reply;
    }

    /**
     * On the loop: the check's outcome. Unless it failed or the master began to stop meanwhile, the admin socket
     * pauses (the loop goes on answering what is in progress), then {@link #handOver} runs on the loop.
     */
    private void checked(MasterCommand command, OptionalInt snapshot, Optional<String> refusal,
                         CompletableFuture<AdminReply> reply) {
        Optional<String> why = refusal.or(() -> master.stopping() ? Optional.of("the master is stopping")
                : Optional.empty());
        if (why.isPresent()) {
            snapshot.ifPresent(this::closeQuietly);
            fail(why.get(), reply);
            return;
        }
        admin.pause().thenRun(() -> toLoop.accept(() -> handOver(command, snapshot, reply)));
    }

    /** On the loop, the admin socket paused: writes the hand-over and execs, unless the master began to stop. */
    private void handOver(MasterCommand command, OptionalInt snapshot, CompletableFuture<AdminReply> reply) {
        if (master.stopping()) {
            snapshot.ifPresent(this::closeQuietly);
            admin.resume();
            fail("the master is stopping", reply);
            return;
        }
        HandOver handOver;
        int memoryFile;
        try {
            handOver = master.handOver(upgrades + 1);
            memoryFile = os.memoryFile("herd-handover", handOver.toJson());
        } catch (OsException | RuntimeException e) {
            snapshot.ifPresent(this::closeQuietly);
            admin.resume();
            fail("writing the hand-over: " + e.getMessage(), reply);
            return;
        }
        Map<String, String> next = nextEnvironment();
        next.put(HandOver.VARIABLE, Integer.toString(memoryFile));
        List<Integer> keep = new ArrayList<>(handOver.descriptors());
        keep.add(memoryFile);
        snapshot.ifPresent(fd -> {
            next.put(ConfigSnapshot.VARIABLE, Integer.toString(fd));
            keep.add(fd);
        });
        Log.info("upgrade %d: the new herd checked the configuration; handing over %d %s and the socket",
                upgrades + 1, handOver.workers().size(), handOver.workers().size() == 1 ? "worker" : "workers");
        // A bounded wait on the log's reader, once per upgrade: lines lost at the exec would hide what happened.
        Log.drain(LOG_DRAIN_MILLIS);
        if (master.stopping()) { // a SIGTERM during the drain: the exec would lose it
            closeQuietly(memoryFile);
            snapshot.ifPresent(this::closeQuietly);
            fail("the master is stopping", reply);
            return;
        }
        master.handingOver(upgrades + 1); // last: its watchdog ping starts the new program's time to start
        try {
            os.execKeeping(command.argv(), next, keep); // returns only by throwing
        } catch (OsException e) {
            closeQuietly(memoryFile);
            snapshot.ifPresent(this::closeQuietly);
            admin.resume();
            fail("exec of the new herd failed: " + e.getMessage(), reply);
            master.handOverFailed();
        }
    }

    /**
     * In the master an upgrade exec'ed into: the rolling restart that replaces the adopted workers has begun;
     * its outcome ends the upgrade.
     */
    void replacing(CompletableFuture<RestartDriver.Outcome> outcome) {
        phase = Phase.REPLACING;
        outcome.thenAccept(o -> {
            if (o.failure().isPresent()) {
                lastFailure = Optional.of("replacing the old workers: " + o.failure().get());
                phase = Phase.FAILED;
                Log.error("upgrade %d: %s; the old workers of the remaining slots keep serving", upgrades,
                        lastFailure.get());
            } else {
                phase = Phase.DONE;
                Log.info("upgrade %d done: %d old %s replaced", upgrades, o.replaced(),
                        o.replaced() == 1 ? "worker" : "workers");
            }
        });
    }

    private void fail(String why, CompletableFuture<AdminReply> reply) {
        phase = Phase.FAILED;
        lastFailure = Optional.of(why);
        Log.error("upgrade refused: %s; the running master goes on", why);
        reply.complete(new AdminException(AdminException.UPGRADE_FAILED, why).toReply());
    }

    /** The environment of the new install: this master's own at its start, less what was meant for it alone. */
    private Map<String, String> nextEnvironment() {
        Map<String, String> next = new HashMap<>(environment);
        NOT_PASSED.forEach(next::remove);
        return next;
    }

    /**
     * Runs {@code herd run ... --check} of the new install; empty if it exits 0, else why not (its last line of
     * output, or that it did not end in time). Beside the loop: a cold JVM takes a second or more.
     */
    static Optional<String> check(List<String> argv, Map<String, String> environment, OptionalInt snapshot) {
        // The config file as read for this upgrade is the check's stdin (see ConfigSnapshot): what it checks is
        // what the new master will run.
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(snapshot.isPresent()
                        ? ConfigSnapshot.path(snapshot.getAsInt()).toFile() : new java.io.File("/dev/null")));
        builder.environment().clear();
        builder.environment().putAll(environment);
        if (snapshot.isPresent()) {
            builder.environment().put(ConfigSnapshot.VARIABLE, "0");
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return Optional.of("cannot start " + argv.get(0) + ": " + e.getMessage());
        }
        // The output is read to its end on this thread: a check that hangs is killed at its deadline, which ends it.
        java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
        CompletableFuture.delayedExecutor(CHECK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            if (process.isAlive()) {
                timedOut.set(true);
                process.destroyForcibly();
            }
        });
        try {
            String output = readBounded(process.getInputStream());
            int exit = process.waitFor();
            if (timedOut.get()) {
                return Optional.of("the new herd's check did not end within " + CHECK_TIMEOUT.toSeconds() + " s");
            }
            if (exit == 0) {
                return Optional.empty();
            }
            String last = output.strip().lines().reduce((first, second) -> second).orElse("(no output)");
            return Optional.of("the new herd's check exited " + exit + ": " + last);
        } catch (IOException e) {
            process.destroyForcibly();
            return Optional.of("reading the new herd's check: " + e.getMessage());
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while the new herd checked the configuration");
        }
    }

    /** The output until end of file, its last {@link #CHECK_OUTPUT_BYTES} or so kept. */
    private static String readBounded(InputStream in) throws IOException {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int count; (count = in.read(buffer)) >= 0; ) {
            if (kept.size() + count > CHECK_OUTPUT_BYTES) {
                byte[] tail = kept.toByteArray();
                kept.reset();
                kept.write(tail, tail.length / 2, tail.length - tail.length / 2);
            }
            kept.write(buffer, 0, count);
        }
        return kept.toString(StandardCharsets.UTF_8);
    }

    private void closeQuietly(int fd) {
        try {
            os.close(fd);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }
}
