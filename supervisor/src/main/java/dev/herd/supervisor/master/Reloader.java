package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.ConfigKey;
import dev.herd.config.ConfigKeys;
import dev.herd.config.Durations;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.spawn.SharedSocket;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one reload path, for SIGHUP and {@code herd reload} alike, in two halves. Beside the loop, on a thread of
 * its own (a reload's calls can take seconds: a config file on a slow disk or a FIFO, worker.user in a name service
 * that does not answer, listen's host name in DNS): re-read the config file (with the command-line flags still
 * applied) and look up every name in it. Back on the loop, with nothing left to look up: refuse it whole if it is
 * invalid or changes a key that the key table says a running master cannot change; then bind the new listening
 * socket if it asks for a new address and move the pid and log files (either failing undoes the other and refuses
 * the reload: nothing changes), apply it to new workers, and replace every running worker in a rolling restart.
 * If that restart fails, workers started afterwards get the previous configuration again. A reload that arrives
 * while one with the same configuration is rolling out joins it: fifty SIGHUPs replace each worker once.
 *
 * <p>One read runs at a time; reloads asked for meanwhile share the read after it. A read that takes longer than
 * {@link #PREPARE_TIMEOUT} is given up on and its reloads refused; until its thread returns, every reload is
 * refused at once (so a FIFO that no one writes holds one thread, not one per SIGHUP). Used on the master thread
 * only, except {@link #prepare}.
 */
final class Reloader {

    /**
     * How long a reload may take to read its file and look up its names before it is refused: less than the 10 s
     * that {@code herd reload --no-wait} waits for a reply, so that the operator reads why.
     */
    static final Duration PREPARE_TIMEOUT = Duration.ofSeconds(8);

    /** A reload's start: why it was refused, or the rolling restart that applies it. */
    record Started(Optional<String> refusal, CompletableFuture<RestartDriver.Outcome> outcome,
                   Optional<String> configFile) {
    }

    /** What a reload needs of the master's loop, and nothing more. */
    interface Master {
        long now();

        /** Whether the master's stop has begun: a reload that ends then is refused. */
        boolean stopping();

        /** Makes {@code policy}, this many workers and this many spares what the master keeps from now on. */
        void want(SupervisionPolicy policy, int workers, int spares, String reason);

        /** A rolling restart of every slot that holds a worker now: those workers carry the old configuration. */
        CompletableFuture<RestartDriver.Outcome> restartAll(RestartReason reason);

        /** The outcome of the reload's rolling restart in progress, joined; empty when no reload restarts now. */
        Optional<CompletableFuture<RestartDriver.Outcome>> joinReloadInProgress();

        /** Runs {@code action} on the loop's thread when the rolling restart in progress ends. */
        void whenRestartDone(Consumer<RestartDriver.Outcome> action);

        /**
         * The class data of the configuration new workers start with, trained now unless it exists: completes on
         * the loop with empty once it exists, or with why there is none (see WorkerSpawner#classDataFirst).
         */
        default CompletableFuture<Optional<String>> classDataFirst() {
            return CompletableFuture.completedFuture(Optional.of("worker.classData is off"));
        }
    }

    /** Where the configuration for the workers started from now on goes. */
    interface Workers {
        /**
         * Looks up what workers started as {@code next} asks need (its worker.user, say), beside the loop, and
         * returns the step, run on the loop, that makes new workers use it; throws if they cannot be started so.
         */
        Runnable prepare(HerdConfig next) throws ConfigException;
    }

    /**
     * What the thread beside the loop found: the configuration with its names looked up (listen's address when it
     * is a new one, or why its host does not resolve).
     */
    private record Prepared(HerdConfig config, Runnable applyToWorkers, Optional<InetAddress> listenAddress,
                            Optional<String> listenProblem) {
    }

    /** One read beside the loop and the reloads that wait for it. */
    private record Read(List<CompletableFuture<Started>> waiters, long deadlineNanos) {
    }

    private final Master master;
    private final ConfigReloader source;
    private final SharedSocket socket;
    private final Workers workers;
    private final ProcessFiles files;
    private final Consumer<Runnable> beside;
    private final Consumer<Runnable> toLoop;
    private HerdConfig config;
    /** Makes workers started from now on use {@link #config} again (after a failed reload). */
    private Runnable applyConfigToWorkers;
    private Read reading;
    /** Reloads asked for while {@link #reading}: they share the read after it, which sees the file as it is then. */
    private final List<CompletableFuture<Started>> waitingForNextRead = new ArrayList<>();
    /** The reloads asked with --train-first whose read has not been applied yet. */
    private final Set<CompletableFuture<Started>> trainingFirst = new HashSet<>();
    /** A read given up on whose thread has not returned yet. */
    private Read abandoned;

    /**
     * @param beside runs a reload's slow half on a thread of its own
     * @param toLoop hands what that half found back to the loop's thread (an event on its queue)
     */
    Reloader(Master master, HerdConfig config, Runnable applyConfigToWorkers,
             ConfigReloader source, SharedSocket socket, Workers workers, ProcessFiles files,
             Consumer<Runnable> beside, Consumer<Runnable> toLoop) {
        this.master = master;
        this.config = config;
        this.applyConfigToWorkers = applyConfigToWorkers;
        this.source = source;
        this.socket = socket;
        this.workers = workers;
        this.files = files;
        this.beside = beside;
        this.toLoop = toLoop;
    }

    /** The configuration new workers are started with. */
    /** Whether a reload is reading its configuration file beside the loop (it has not been applied yet). */
    boolean reading() {
        return reading != null;
    }

    HerdConfig config() {
        return config;
    }

    /** Starts a reload; the future completes on the loop's thread once it is refused or under way. */
    CompletableFuture<Started> reload() {
        return reload(false);
    }

    /**
     * Starts a reload; with {@code trainFirst}, the new configuration's class data is trained (unless it exists)
     * before its rolling restart, so that every new worker starts with it. The future completes on the loop's
     * thread once the reload is refused or under way (its training included).
     */
    CompletableFuture<Started> reload(boolean trainFirst) {
        Optional<String> file = config.source().map(Object::toString);
        if (config.source().isEmpty()) {
            Optional<CompletableFuture<RestartDriver.Outcome>> joined = master.joinReloadInProgress();
            if (joined.isPresent()) {
                // The same configuration as the reload in progress, which replaces every worker started before it.
                Log.info("reload: no config file and a reload in progress; joining it");
                return CompletableFuture.completedFuture(new Started(Optional.empty(), joined.get(), file));
            }
            Log.info("reload: no config file; restarting every worker with the same configuration");
            return CompletableFuture.completedFuture(new Started(Optional.empty(),
                    trainFirst ? trainThen(this::restartAll) : restartAll(), file));
        }
        if (abandoned != null) {
            return CompletableFuture.completedFuture(refused("the reload given up on is still reading " + file.get()
                    + " or looking up its names (a FIFO that no one writes? a name service that does not answer?)",
                    file));
        }
        CompletableFuture<Started> started = new CompletableFuture<>();
        if (trainFirst) {
            trainingFirst.add(started);
        }
        if (reading == null) {
            startReading(List.of(started));
        } else {
            waitingForNextRead.add(started);
        }
        return started;
    }

    /**
     * Gives up on a read that has taken longer than {@link #PREPARE_TIMEOUT}: its reloads, and those waiting for
     * the next read, are refused. Called on every turn of the loop.
     */
    void giveUpOnSlowReads(long now) {
        if (reading == null || now - reading.deadlineNanos() < 0) {
            return;
        }
        Optional<String> file = config.source().map(Object::toString);
        Started refusal = refused("reading " + file.orElse("the config file") + " and looking up its names took "
                + "longer than " + Durations.format(PREPARE_TIMEOUT) + " (a FIFO that no one writes? a name service "
                + "that does not answer?)", file);
        reading.waiters().forEach(waiter -> waiter.complete(refusal));
        waitingForNextRead.forEach(waiter -> waiter.complete(refusal));
        waitingForNextRead.clear();
        abandoned = reading;
        reading = null;
    }

    private void startReading(List<CompletableFuture<Started>> waiters) {
        Read read = new Read(List.copyOf(waiters), master.now() + PREPARE_TIMEOUT.toNanos());
        reading = read;
        // Read here, on the loop: only a new address needs its host looked up (and never systemd's socket).
        Optional<ListenAddress> listening = socket.fromSystemd() ? Optional.empty() : Optional.of(socket.configured());
        beside.accept(() -> {
            Prepared prepared;
            String failure;
            try {
                prepared = prepare(listening);
                failure = null;
            } catch (ConfigException | IllegalArgumentException e) {
                prepared = null;
                failure = e.getMessage();
            } catch (RuntimeException e) {
                prepared = null;
                failure = e.toString();
            }
            Prepared found = prepared;
            String problem = failure;
            toLoop.accept(() -> readDone(read, Optional.ofNullable(found), Optional.ofNullable(problem)));
        });
    }

    /**
     * The slow half, on the thread beside the loop: it reads the file and looks names up, and touches nothing of
     * the loop's. One runs at a time (getpwnam(3) is not reentrant): see {@link #abandoned}.
     */
    private Prepared prepare(Optional<ListenAddress> listening) throws ConfigException {
        HerdConfig next = source.reload();
        Runnable applyToWorkers = workers.prepare(next);
        if (listening.isEmpty() || listening.get().equals(next.listen())) {
            return new Prepared(next, applyToWorkers, Optional.empty(), Optional.empty());
        }
        try {
            return new Prepared(next, applyToWorkers, Optional.of(SharedSocket.resolve(next.listen())),
                    Optional.empty());
        } catch (ConfigException e) {
            return new Prepared(next, applyToWorkers, Optional.empty(), Optional.of(e.getMessage()));
        }
    }

    /** On the loop: a read is done; its reloads are refused or applied, and the next read starts if one is due. */
    private void readDone(Read read, Optional<Prepared> prepared, Optional<String> failure) {
        if (read == abandoned) {
            abandoned = null;
            Log.info("reload: the read given up on has ended; what it found is dropped");
            return;
        }
        if (read != reading) {
            return;
        }
        reading = null;
        Optional<String> file = config.source().map(Object::toString);
        // Reloads sharing one read share its restart: it trains first if any of them asked to.
        boolean trainFirst = read.waiters().stream().map(trainingFirst::remove).reduce(false, Boolean::logicalOr);
        Started started = master.stopping() ? refused("the master is stopping", file)
                : failure.isPresent() ? refused(failure.get(), file)
                : apply(prepared.orElseThrow(), file, trainFirst);
        read.waiters().forEach(waiter -> waiter.complete(started));
        if (!waitingForNextRead.isEmpty()) {
            List<CompletableFuture<Started>> next = List.copyOf(waitingForNextRead);
            waitingForNextRead.clear();
            startReading(next);
        }
    }

    /** The loop's half: decide on the configuration found, and apply it whole or not at all. */
    private Started apply(Prepared prepared, Optional<String> file, boolean trainFirst) {
        HerdConfig next = prepared.config();
        List<String> fixed = keysNeedingARestart(config, next);
        if (!fixed.isEmpty()) {
            return refused("changing " + String.join(", ", fixed) + " needs a restart of herd itself", file);
        }
        Optional<CompletableFuture<RestartDriver.Outcome>> joined =
                next.equals(config) ? master.joinReloadInProgress() : Optional.empty();
        if (joined.isPresent()) {
            Log.info("reload: %s is what the reload in progress applies; joining it", next.source().get());
            return new Started(Optional.empty(), joined.get(), file);
        }
        // Validated; now the steps that can still fail, each undone if a later one does: a refused reload
        // changes nothing (not the socket, not the pid file, not the log).
        boolean moving = false;
        boolean rebound = false;
        ListenAddress old = socket.address();
        if (socket.fromSystemd()) {
            if (socket.differsFrom(next.listen(), next.backlog())) {
                Log.info("reload: listen and backlog are herd.socket's (ListenStream=, Backlog=), not the file's");
            }
        } else if (socket.differsFrom(next.listen(), next.backlog())) {
            try {
                if (prepared.listenProblem().isPresent()) {
                    throw new ConfigException(prepared.listenProblem().get());
                }
                socket.rebind(next.listen(), prepared.listenAddress().orElse(null), next.backlog());
            } catch (ConfigException | OsException e) {
                return refused("cannot listen on " + next.listen() + ": " + e.getMessage(), file);
            }
            rebound = true;
            moving = !old.equals(socket.address());
        }
        try {
            files.apply(next.logFile(), next.pidFile());
        } catch (java.io.IOException e) {
            if (rebound) {
                socket.undoRebind();
            }
            return refused(e.getMessage(), file);
        }
        if (rebound) {
            socket.keepRebind();
        }
        if (moving) {
            Log.info("reload: listening on %s; workers move over from %s one by one", socket.address(), old);
        }
        HerdConfig previous = config;
        Runnable applyPrevious = applyConfigToWorkers;
        apply(next, prepared.applyToWorkers(), "reload");
        Log.info("reload: applied %s; replacing workers one after another", next.source().get());
        boolean moved = moving;
        Supplier<CompletableFuture<RestartDriver.Outcome>> roll = () -> {
            master.whenRestartDone(outcome -> {
                if (moved) {
                    socket.moveDone(outcome.failure().isEmpty());
                }
                // A reload whose replacement failed must not leave its config behind for the next crash
                // replacement to pick up: go back to what the old workers run (unless another reload came since).
                if (outcome.failure().isPresent() && config == next && !master.stopping()) {
                    Log.warn("reload failed: workers started from now on use the previous configuration again");
                    apply(previous, applyPrevious, "reload rolled back");
                }
            });
            return restartAll();
        };
        return new Started(Optional.empty(), trainFirst ? trainThen(roll) : roll.get(), file);
    }

    /**
     * {@code --train-first}: the rolling restart once the class data of the configuration now applied exists, or
     * will not come (then it goes on without, and says why).
     */
    private CompletableFuture<RestartDriver.Outcome> trainThen(Supplier<CompletableFuture<RestartDriver.Outcome>>
                                                                   roll) {
        Log.info("reload: training the class data before replacing workers (--train-first)");
        return master.classDataFirst().thenCompose(none -> {
            if (none.isPresent()) {
                Log.warn("reload: no class data to start the new workers with (%s); replacing them without",
                        none.get());
            } else {
                Log.info("reload: class data ready; replacing workers one after another");
            }
            return roll.get();
        });
    }

    /**
     * The keys whose value {@code next} changes although the key table says a running master cannot take it
     * ({@link ConfigKey.OnReload#NEEDS_RESTART}), by name: such a reload is refused, never half applied.
     */
    static List<String> keysNeedingARestart(HerdConfig current, HerdConfig next) {
        return ConfigKeys.ALL.stream()
                .filter(key -> key.onReload() == ConfigKey.OnReload.NEEDS_RESTART)
                .filter(key -> !Objects.equals(current.get(key), next.get(key)))
                .map(ConfigKey::name).toList();
    }

    private CompletableFuture<RestartDriver.Outcome> restartAll() {
        return master.restartAll(RestartReason.RELOAD);
    }

    private void apply(HerdConfig next, Runnable applyToWorkers, String reason) {
        config = next;
        applyConfigToWorkers = applyToWorkers;
        Log.useJson(next.logsJson());
        applyToWorkers.run();
        master.want(SupervisionPolicy.from(next), next.workers(), next.spareWorkers(), reason);
    }

    private static Started refused(String error, Optional<String> file) {
        Log.error("reload: %s; keeping the running configuration", error);
        return new Started(Optional.of(error), CompletableFuture.completedFuture(null), file);
    }
}
