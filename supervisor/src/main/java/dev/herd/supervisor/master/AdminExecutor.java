package dev.herd.supervisor.master;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.ConfigException;
import dev.herd.config.Durations;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.config.WorkerSpec;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.os.OsException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Carries out admin commands on the master thread, against the loop's state, and builds their replies. Every
 * reply has {@code "ok": true} and the command's result, or {@code "ok": false} and an error object.
 */
final class AdminExecutor {

    /** Only the node factory: an ObjectMapper's class initialisation would add ~100 ms to every master start. */
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final MasterInfo info;
    private final WorkerLauncher launcher;
    private final WorkerFiles files;
    private final SharedSocket socket;
    private final ConfigReloader reloader;
    private HerdConfig config;

    /** Facts about this master that never change while it runs. */
    record MasterInfo(int pid, String version, Instant startedAt, long startedAtNanos) {
    }

    AdminExecutor(MasterInfo info, HerdConfig config, ConfigReloader reloader, WorkerLauncher launcher,
                  WorkerFiles files, SharedSocket socket) {
        this.files = files;
        this.socket = socket;
        this.info = info;
        this.config = config;
        this.reloader = reloader;
        this.launcher = launcher;
    }

    void execute(MasterEvent.AdminRequest request, MasterLoop loop) {
        CompletableFuture<ObjectNode> reply;
        try {
            reply = run(request.command(), loop);
        } catch (AdminException e) {
            reply = CompletableFuture.completedFuture(e.toReply());
        } catch (RuntimeException e) {
            // A bug in a command must not take the master down: log it, answer it, keep supervising.
            Log.error("admin command %s failed: %s", request.command(), e);
            reply = CompletableFuture.completedFuture(
                    new AdminException(AdminException.INTERNAL, e.toString()).toReply());
        }
        reply.thenAccept(request.reply()::complete);
    }

    private CompletableFuture<ObjectNode> run(AdminCommand command, MasterLoop loop) throws AdminException {
        ObjectNode ok = JSON.objectNode().put("ok", true);
        if (command instanceof AdminCommand.Ping) {
            return done(ok.put("pong", true));
        } else if (command instanceof AdminCommand.Version) {
            return done(ok.put("version", info.version()).put("java", Runtime.version().toString()));
        } else if (command instanceof AdminCommand.Status) {
            return done(status(ok, loop));
        } else if (command instanceof AdminCommand.Config) {
            ok.set("config", configJson(config));
            return done(ok);
        }
        if (loop.stopping()) {
            throw new AdminException(AdminException.STOPPING, "the master is stopping");
        }
        if (command instanceof AdminCommand.Scale scale) {
            int previous = loop.desiredWorkers();
            int target = loop.scaleTo(scale.workers().orElseGet(() -> previous + scale.delta().orElseThrow()),
                    "admin scale");
            ok.put("previous", previous).put("workers", target);
            if (!scale.waitForCompletion()) {
                return done(ok);
            }
            SupervisionPolicy policy = loop.policy();
            return loop.awaitCapacity(policy.readyTimeout().plus(policy.gracefulTimeout()).plusSeconds(5))
                    .thenApply(missing -> missing
                            .map(what -> new AdminException(AdminException.NOT_READY, "scaled to " + target
                                    + " workers, but after the ready and graceful timeouts " + what).toReply())
                            .orElse(ok.put("ready", loop.readyWorkers())));
        } else if (command instanceof AdminCommand.Restart restart) {
            List<Integer> slots = restartSlots(restart.slot(), loop);
            ok.putArray("restarting").addAll(slots.stream().map(JSON::numberNode).toList());
            CompletableFuture<RollingRestart.Outcome> outcome = loop.restart(slots, false);
            return restart.waitForCompletion() ? outcome.thenApply(o -> replyTo(o, ok, AdminException.RESTART_FAILED))
                    : done(ok);
        } else if (command instanceof AdminCommand.Reload reload) {
            Reloaded reloaded = reloadConfig(loop);
            if (reloaded.error().isPresent()) {
                throw new AdminException(AdminException.RELOAD_FAILED, reloaded.error().get());
            }
            ok.put("workers", loop.desiredWorkers());
            return reload.waitForCompletion()
                    ? reloaded.outcome().thenApply(o -> replyTo(o, ok, AdminException.RELOAD_FAILED)) : done(ok);
        } else if (command instanceof AdminCommand.Stop stop) {
            Duration timeout = stop.timeout().orElse(config.gracefulTimeout());
            loop.beginStop("admin stop", timeout);
            return done(ok.put("stopping", true).put("gracefulTimeout", Durations.format(timeout)));
        }
        throw new AdminException(AdminException.UNKNOWN_COMMAND, "unhandled command " + command);
    }

    private static CompletableFuture<ObjectNode> done(ObjectNode reply) {
        return CompletableFuture.completedFuture(reply);
    }

    private static ObjectNode replyTo(RollingRestart.Outcome outcome, ObjectNode ok, String failureCode) {
        if (outcome.failure().isPresent()) {
            ObjectNode error = new AdminException(failureCode, outcome.failure().get()).toReply();
            return error.put("replaced", outcome.replaced());
        }
        return ok.put("replaced", outcome.replaced());
    }

    /** A reload's result: why the new config was refused, or the rolling restart that applies it. */
    record Reloaded(Optional<String> error, CompletableFuture<RollingRestart.Outcome> outcome) {
    }

    private static Reloaded refused(String error) {
        Log.error("reload: %s; keeping the running configuration", error);
        return new Reloaded(Optional.of(error), CompletableFuture.completedFuture(null));
    }

    /** SIGHUP's reload: the error, if the new configuration was refused; the restart's end is only logged. */
    Optional<String> reload(MasterLoop loop) {
        return reloadConfig(loop).error();
    }

    /**
     * Re-reads the config file and applies it: worker count, timeouts, and (through a rolling restart of every
     * slot) worker options. An invalid file changes nothing.
     */
    private Reloaded reloadConfig(MasterLoop loop) {
        if (config.source().isEmpty()) {
            Log.info("reload: no config file; restarting every worker with the same configuration");
            return new Reloaded(Optional.empty(), loop.restart(allSlots(loop), true));
        }
        HerdConfig next;
        try {
            next = reloader.reload();
        } catch (ConfigException | IllegalArgumentException e) {
            return refused(e.getMessage());
        }
        Optional<String> fixed = changedFixedSetting(config, next);
        if (fixed.isPresent()) {
            return refused("changing " + fixed.get() + " needs a restart of herd itself");
        }
        if (socket.fromSystemd()) {
            if (socket.differsFrom(next.listen(), next.backlog())) {
                Log.info("reload: listen and backlog are herd.socket's (ListenStream=, Backlog=), not the file's");
            }
        } else if (socket.differsFrom(next.listen(), next.backlog())) {
            ListenAddress old = socket.address();
            try {
                socket.rebind(next.listen(), next.backlog());
            } catch (ConfigException | OsException e) {
                return refused("cannot listen on " + next.listen() + ": " + e.getMessage());
            }
            Log.info("reload: listening on %s; workers move over from %s one by one", socket.address(), old);
        }
        // Every worker running now carries the old configuration; slots a scale-up adds start with the new one.
        List<Integer> oldWorkers = loop.slots().values().stream()
                .filter(slot -> !slot.isEmpty()).map(Slot::number).toList();
        HerdConfig previous = config;
        apply(next, loop, "reload");
        Log.info("reload: applied %s; replacing workers one after another", next.source().get());
        CompletableFuture<RollingRestart.Outcome> outcome = loop.restart(oldWorkers, true);
        outcome.thenAccept(result -> {
            socket.moveDone(result.failure().isEmpty());
            // A reload whose replacement failed must not leave its config behind for the next crash
            // replacement to pick up: go back to what the old workers run (unless another reload came since).
            if (result.failure().isPresent() && config == next && !loop.stopping()) {
                Log.warn("reload failed: workers started from now on use the previous configuration again");
                apply(previous, loop, "reload rolled back");
            }
        });
        return new Reloaded(Optional.empty(), outcome);
    }

    private void apply(HerdConfig next, MasterLoop loop, String reason) {
        config = next;
        SupervisionPolicy policy = SupervisionPolicy.from(next);
        launcher.setConfig(next, policy.heartbeatTimeout());
        loop.setPolicy(policy);
        loop.scaleTo(next.workers(), reason);
    }

    /** The settings a running master cannot change: the admin socket's place and group. */
    private static Optional<String> changedFixedSetting(HerdConfig running, HerdConfig next) {
        if (!next.adminSocket().equals(running.adminSocket()) || !next.adminGroup().equals(running.adminGroup())) {
            return Optional.of("adminSocket or adminGroup");
        }
        return Optional.empty();
    }

    private static List<Integer> allSlots(MasterLoop loop) {
        List<Integer> slots = new ArrayList<>();
        for (int slot = 1; slot <= loop.desiredWorkers(); slot++) {
            slots.add(slot);
        }
        return slots;
    }

    private static List<Integer> restartSlots(Optional<Integer> slot, MasterLoop loop) throws AdminException {
        if (slot.isEmpty()) {
            return allSlots(loop);
        }
        if (slot.get() > loop.desiredWorkers()) {
            throw new AdminException(AdminException.NO_SUCH_SLOT,
                    "no slot " + slot.get() + " (slots are 1.." + loop.desiredWorkers() + ")");
        }
        return List.of(slot.get());
    }

    /**
     * One row per worker process (a slot has two during its rolling restart, plus any still draining), and one
     * row for a slot with no process (waiting to start, or backing off after crashes).
     */
    private ObjectNode status(ObjectNode reply, MasterLoop loop) {
        long now = loop.now();
        Instant wallNow = Instant.now();
        reply.put("pid", info.pid())
                .put("version", info.version())
                .put("startedAt", info.startedAt().truncatedTo(ChronoUnit.MILLIS).toString())
                .put("uptimeSeconds", TimeUnit.NANOSECONDS.toSeconds(now - info.startedAtNanos()))
                .put("listen", socket.address().toString())
                .put("configFile", config.source().map(Object::toString).orElse(null))
                .put("desiredWorkers", loop.desiredWorkers())
                .put("readyWorkers", loop.readyWorkers())
                .put("summary", loop.statusLine())
                .put("stopping", loop.stopping());
        ArrayNode workers = reply.putArray("workers");
        for (Slot slot : loop.slots().values()) {
            boolean backoff = loop.flapping(slot) || slot.restartNotBeforeNanos() - now > 0;
            if (slot.isEmpty()) {
                ObjectNode row = workers.addObject().put("slot", slot.number());
                row.putNull("pid").put("state", backoff ? "backoff" : "starting").putNull("startedAt")
                        .putNull("readyAfterMs").put("connectionsOpen", 0).put("connectionsServed", 0);
                slotFields(row, slot, loop);
            }
            for (WorkerHandle w : slot.workers()) {
                ObjectNode row = workers.addObject().put("slot", slot.number());
                // A flapping slot's worker shows backoff until it is ready: it is the one that keeps dying.
                String state = backoff && w.state() == WorkerState.STARTING ? "backoff" : w.state().label();
                row.put("pid", w.pid())
                        .put("state", state)
                        .put("startedAt", wallNow.minusNanos(now - w.startedAtNanos())
                                .truncatedTo(ChronoUnit.MILLIS).toString());
                w.readyAfterNanos().ifPresentOrElse(
                        nanos -> row.put("readyAfterMs", TimeUnit.NANOSECONDS.toMillis(nanos)),
                        () -> row.putNull("readyAfterMs"));
                Optional<WorkerFiles.Counters> counters = files.read(w.serial());
                row.put("connectionsOpen", counters.map(WorkerFiles.Counters::open).orElse(0L))
                        .put("connectionsServed", Math.max(w.reportedServed(),
                                counters.map(WorkerFiles.Counters::served).orElse(0L)));
                if (w.servedLimit() > 0) {
                    row.put("servedLimit", w.servedLimit());
                }
                if (w.state() == WorkerState.READY) {
                    row.put("lastHeartbeatMsAgo", TimeUnit.NANOSECONDS.toMillis(now - w.lastHeartbeatNanos()));
                }
                w.statusText().ifPresent(text -> row.put("status", text));
                slotFields(row, slot, loop);
            }
        }
        return reply;
    }

    private static void slotFields(ObjectNode row, Slot slot, MasterLoop loop) {
        row.put("restarts", slot.restarts())
                .put("crashesInWindow", slot.crashesWithin(loop.now(), loop.policy().flappingWindow().toNanos()))
                .put("lastExit", slot.lastExit().map(Object::toString).orElse(null));
    }

    private static ObjectNode configJson(HerdConfig config) {
        ObjectNode node = JSON.objectNode()
                .put("listen", config.listen().toString())
                .put("workers", config.workers())
                .put("app", config.app())
                .put("adminSocket", config.adminSocket().map(Object::toString).orElse(null))
                .put("adminGroup", config.adminGroup().orElse(null))
                .put("gracefulTimeout", Durations.format(config.gracefulTimeout()))
                .put("backlog", config.backlog())
                .put("configFile", config.source().map(Object::toString).orElse(null));
        node.put("readyTimeout", Durations.format(config.readyTimeout()))
                .put("heartbeatTimeout", Durations.format(config.heartbeatTimeout()))
                .put("maxRequests", config.maxRequests())
                .put("maxRequestsJitter", config.maxRequestsJitter())
                .put("flappingCrashes", config.flappingCrashes())
                .put("flappingWindow", Durations.format(config.flappingWindow()))
                .put("logFile", config.logFile().map(Object::toString).orElse(null))
                .put("pidFile", config.pidFile().map(Object::toString).orElse(null));
        WorkerSpec spec = config.worker();
        ObjectNode worker = node.putObject("worker");
        spec.jvmOptions().forEach(worker.putArray("jvmOptions")::add);
        ObjectNode env = worker.putObject("env");
        spec.env().forEach(env::put);
        worker.put("mainClass", spec.mainClass().orElse(null));
        spec.classpath().forEach(worker.putArray("classpath")::add);
        spec.args().forEach(worker.putArray("args")::add);
        spec.command().forEach(worker.putArray("command")::add);
        return node;
    }
}
