package dev.herd.supervisor.master;

import dev.herd.config.ConfigJson;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.metrics.PoolReading;
import java.util.Map;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

/**
 * Carries out admin requests on the master thread. The dispatch is a switch over {@link AdminCommand} with no
 * default, so a command added to the table does not compile until it is handled here. A lasting command's reply
 * completes when its work is done (or at once, without "wait").
 */
final class CommandExecutor {

    /** What the commands need of the master's state, and nothing more: see {@link MasterLoop#forCommands()}. */
    interface Master {
        MasterInfo info();

        long now();

        /** The rules in force (a reload may change them). */
        SupervisionPolicy policy();

        /** Whether the master's stop has begun: only read-only commands are carried out then. */
        boolean stopping();

        int desiredWorkers();

        /** Wanted slots with a ready worker. */
        int readyWorkers();

        /** Sets the wanted worker count, kept within 1..1024; returns the count now wanted. */
        int scaleTo(int workers, String reason);

        /**
         * Completes with empty once {@code workers} are ready and no slot above them is left, or with what is
         * missing at {@code deadlineNanos} or when something else changes the wanted count (see
         * {@link CapacityWaits}).
         */
        CompletableFuture<Optional<String>> awaitCapacity(int workers, long deadlineNanos);

        /** A rolling restart of {@code slots}; completes when the whole restart ends. */
        CompletableFuture<RestartDriver.Outcome> restart(List<Integer> slots, RestartReason reason);

        /** Begins the graceful stop: every worker drains and is killed after {@code timeout}. */
        void beginStop(String reason, Duration timeout);

        /** How many workers were replaced or stopped for each reason since the master started. */
        Map<RestartReason, Long> restartCounts();
    }

    private final Master master;
    private final Reloader reloader;
    private final StatusReport status;
    private final Upgrader upgrader;

    CommandExecutor(Master master, Reloader reloader, StatusReport status, Upgrader upgrader) {
        this.master = master;
        this.reloader = reloader;
        this.status = status;
        this.upgrader = upgrader;
    }

    /** Completes {@code reply} now or when the work is done; an error of any kind becomes an error reply. */
    void execute(AdminRequest request, CompletableFuture<AdminReply> reply) {
        CompletableFuture<AdminReply> result;
        try {
            result = run(request);
        } catch (AdminException e) {
            result = CompletableFuture.completedFuture(e.toReply());
        } catch (RuntimeException e) {
            // A bug in a command must not take the master down: log it, answer it, keep supervising.
            Log.error("admin command %s failed: %s", request.command().wireName(), e);
            result = CompletableFuture.completedFuture(internal(e));
        }
        result.whenComplete((answer, failure) -> reply.complete(failure == null ? answer : internal(failure)));
    }

    /** A metrics scrape's reading: the status, and the restarts by reason (every reason, zeros included). */
    PoolReading reading() {
        Map<String, Long> restarts = new java.util.LinkedHashMap<>();
        Map<RestartReason, Long> counted = master.restartCounts();
        for (RestartReason reason : RestartReason.values()) {
            restarts.put(reason.label(), counted.getOrDefault(reason, 0L));
        }
        return new PoolReading(status.take(), restarts, reloader.config().readyMinimum());
    }

    /** SIGHUP: the same reload as {@code herd reload}; its end is only logged. */
    void reloadOnSignal() {
        if (upgrader.inProgress().isPresent()) {
            Log.error("SIGHUP: reload refused: %s", upgrader.inProgress().get());
            return;
        }
        reloader.reload().thenAccept(started -> started.refusal().ifPresent(error ->
                Log.error("SIGHUP: reload refused: %s", error)));
    }

    /** On every turn: a reload whose file or names take too long to come is refused (see {@link Reloader}). */
    void actOnDeadlines(long now) {
        reloader.giveUpOnSlowReads(now);
    }

    private CompletableFuture<AdminReply> run(AdminRequest request) throws AdminException {
        AdminCommand command = request.command();
        if (master.stopping() && !command.readOnly()) {
            throw new AdminException(AdminException.STOPPING, "the master is stopping");
        }
        // A stop goes through: it ends an upgrade as it ends a reload (the check's outcome then finds it stopping).
        if (upgrader.inProgress().isPresent() && !command.readOnly() && command != AdminCommand.STOP) {
            throw new AdminException(AdminException.UPGRADING, upgrader.inProgress().get());
        }
        return switch (command) {
            case PING -> done(new AdminReply.Pong());
            case VERSION -> done(new AdminReply.VersionInfo(master.info().version(), Runtime.version().toString()));
            case STATUS -> done(new AdminReply.Status(status.take()));
            case CONFIG -> done(new AdminReply.ConfigShown(ConfigJson.render(reloader.config())));
            case SCALE -> scale(request);
            case RESTART -> restart(request);
            case RELOAD -> reload(request);
            case STOP -> stop(request);
            case UPGRADE -> upgrader.upgrade();
        };
    }

    private CompletableFuture<AdminReply> scale(AdminRequest request) {
        int previous = master.desiredWorkers();
        int target = master.scaleTo(request.wholeNumber("workers")
                .orElseGet(() -> previous + request.wholeNumber("delta").orElseThrow()), "admin scale");
        if (!request.waitForCompletion()) {
            return done(new AdminReply.Scaled(previous, target, OptionalInt.empty()));
        }
        SupervisionPolicy policy = master.policy();
        Duration limit = policy.readyTimeout().plus(policy.gracefulTimeout()).plusSeconds(5);
        return master.awaitCapacity(target, master.now() + limit.toNanos()).thenApply(missing -> missing
                .<AdminReply>map(what -> new AdminException(AdminException.NOT_READY, "scaled to " + target
                        + " workers, but " + what).toReply())
                .orElseGet(() -> new AdminReply.Scaled(previous, target, OptionalInt.of(master.readyWorkers()))));
    }

    private CompletableFuture<AdminReply> restart(AdminRequest request) throws AdminException {
        int desired = master.desiredWorkers();
        List<Integer> slots;
        if (request.wholeNumber("slot").isPresent()) {
            int slot = request.wholeNumber("slot").get();
            if (slot > desired) {
                throw new AdminException(AdminException.NO_SUCH_SLOT, "no slot " + slot + " (slots are 1.." + desired
                        + ")");
            }
            slots = List.of(slot);
        } else {
            slots = IntStream.rangeClosed(1, desired).boxed().toList();
        }
        CompletableFuture<RestartDriver.Outcome> outcome = master.restart(slots, RestartReason.RESTART);
        if (!request.waitForCompletion()) {
            return done(new AdminReply.Restarted(slots, OptionalInt.empty()));
        }
        return outcome.thenApply(o -> o.failure().<AdminReply>map(failure -> new AdminReply.Failed(
                        AdminException.RESTART_FAILED, failure, OptionalInt.of(o.replaced())))
                .orElseGet(() -> new AdminReply.Restarted(slots, OptionalInt.of(o.replaced()))));
    }

    /** The reply completes on the loop's thread, once the reload's file is read and its names are looked up. */
    private CompletableFuture<AdminReply> reload(AdminRequest request) {
        return reloader.reload(request.flag("trainFirst")).thenCompose(started -> reloadStarted(request, started));
    }

    private CompletableFuture<AdminReply> reloadStarted(AdminRequest request, Reloader.Started started) {
        if (started.refusal().isPresent()) {
            return done(new AdminException(AdminException.RELOAD_FAILED, started.refusal().get()).toReply());
        }
        int workers = master.desiredWorkers();
        if (!request.waitForCompletion()) {
            return done(new AdminReply.Reloaded(workers, started.configFile(), OptionalInt.empty()));
        }
        return started.outcome().thenApply(o -> o.failure().<AdminReply>map(failure -> new AdminReply.Failed(
                        AdminException.RELOAD_FAILED, failure, OptionalInt.of(o.replaced())))
                .orElseGet(() -> new AdminReply.Reloaded(workers, started.configFile(),
                        OptionalInt.of(o.replaced()))));
    }

    private CompletableFuture<AdminReply> stop(AdminRequest request) {
        Duration timeout = request.duration("timeout").orElse(master.policy().gracefulTimeout());
        master.beginStop("admin stop", timeout);
        return done(new AdminReply.Stopping(timeout, master.info().pid()));
    }

    private static CompletableFuture<AdminReply> done(AdminReply reply) {
        return CompletableFuture.completedFuture(reply);
    }

    private static AdminReply internal(Throwable failure) {
        return new AdminException(AdminException.INTERNAL, failure.toString()).toReply();
    }
}
