package dev.herd.supervisor.master;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.ConfigException;
import dev.herd.config.Durations;
import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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
    private final WorkerStatsFiles stats;
    private final ConfigReloader reloader;
    private HerdConfig config;

    /** Facts about this master that never change while it runs. */
    record MasterInfo(int pid, String version, Instant startedAt, long startedAtNanos, String listen, int port) {
    }

    AdminExecutor(MasterInfo info, HerdConfig config, ConfigReloader reloader, WorkerLauncher launcher,
                  WorkerStatsFiles stats) {
        this.stats = stats;
        this.info = info;
        this.config = config;
        this.reloader = reloader;
        this.launcher = launcher;
    }

    void execute(MasterEvent.AdminRequest request, MasterLoop loop) {
        ObjectNode reply;
        try {
            reply = run(request.command(), loop);
        } catch (AdminException e) {
            reply = e.toReply();
        } catch (RuntimeException e) {
            // A bug in a command must not take the master down: log it, answer it, keep supervising.
            Log.error("admin command %s failed: %s", request.command(), e);
            reply = new AdminException(AdminException.INTERNAL, e.toString()).toReply();
        }
        request.reply().complete(reply);
    }

    private ObjectNode run(AdminCommand command, MasterLoop loop) throws AdminException {
        ObjectNode ok = JSON.objectNode().put("ok", true);
        if (command instanceof AdminCommand.Ping) {
            return ok.put("pong", true);
        } else if (command instanceof AdminCommand.Version) {
            return ok.put("version", info.version()).put("java", Runtime.version().toString());
        } else if (command instanceof AdminCommand.Status) {
            return status(ok, loop);
        } else if (command instanceof AdminCommand.Config) {
            ok.set("config", configJson(config));
            return ok;
        }
        if (loop.stopping()) {
            throw new AdminException(AdminException.STOPPING, "the master is stopping");
        }
        if (command instanceof AdminCommand.Scale scale) {
            int previous = loop.desiredWorkers();
            int target = loop.scaleTo(scale.workers().orElseGet(() -> previous + scale.delta().orElseThrow()),
                    "admin scale");
            return ok.put("previous", previous).put("workers", target);
        } else if (command instanceof AdminCommand.Restart restart) {
            List<Integer> slots = restartSlots(restart.slot(), loop);
            loop.restart(slots);
            ok.putArray("restarting").addAll(slots.stream().map(JSON::numberNode).toList());
            return ok;
        } else if (command instanceof AdminCommand.Reload) {
            Optional<String> error = reload(loop);
            if (error.isPresent()) {
                throw new AdminException(AdminException.RELOAD_FAILED, error.get());
            }
            return ok.put("workers", loop.desiredWorkers());
        } else if (command instanceof AdminCommand.Stop stop) {
            Duration timeout = stop.timeout().orElse(config.gracefulTimeout());
            loop.beginStop("admin stop", timeout);
            return ok.put("stopping", true).put("gracefulTimeout", Durations.format(timeout));
        }
        throw new AdminException(AdminException.UNKNOWN_COMMAND, "unhandled command " + command);
    }

    /**
     * Re-reads the config file and applies it: worker count, graceful timeout, and (through a rolling restart of
     * every slot) worker options. An invalid file changes nothing. Returns the error, if any.
     */
    Optional<String> reload(MasterLoop loop) {
        if (config.source().isEmpty()) {
            Log.info("reload: no config file; restarting every worker with the same configuration");
            loop.restart(allSlots(loop));
            return Optional.empty();
        }
        HerdConfig next;
        try {
            next = reloader.reload();
        } catch (ConfigException | IllegalArgumentException e) {
            Log.error("reload: %s; keeping the running configuration", e.getMessage());
            return Optional.of(e.getMessage());
        }
        Optional<String> fixed = changedFixedSetting(config, next);
        if (fixed.isPresent()) {
            String error = "changing " + fixed.get() + " needs a restart of herd itself";
            Log.error("reload: %s; keeping the running configuration", error);
            return Optional.of(error);
        }
        // Only workers running now carry the old configuration; slots a scale-up adds start with the new one.
        List<Integer> oldWorkers = loop.slots().values().stream()
                .filter(slot -> slot.worker().isPresent()).map(Slot::number).toList();
        config = next;
        launcher.setConfig(next);
        loop.setGracefulTimeout(next.gracefulTimeout());
        loop.scaleTo(next.workers(), "reload");
        loop.restart(oldWorkers);
        Log.info("reload: applied %s; restarting workers one after another", next.source().get());
        return Optional.empty();
    }

    /** The settings a running master cannot change: its socket, and the admin socket's place and group. */
    private static Optional<String> changedFixedSetting(HerdConfig running, HerdConfig next) {
        if (!next.listen().equals(running.listen())) {
            return Optional.of("listen (" + running.listen() + " to " + next.listen() + ")");
        }
        if (next.backlog() != running.backlog()) {
            return Optional.of("backlog");
        }
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

    private ObjectNode status(ObjectNode reply, MasterLoop loop) {
        long now = loop.now();
        Instant wallNow = Instant.now();
        reply.put("pid", info.pid())
                .put("version", info.version())
                .put("startedAt", info.startedAt().truncatedTo(ChronoUnit.MILLIS).toString())
                .put("uptimeSeconds", TimeUnit.NANOSECONDS.toSeconds(now - info.startedAtNanos()))
                .put("listen", info.listen())
                .put("configFile", config.source().map(Object::toString).orElse(null))
                .put("desiredWorkers", loop.desiredWorkers())
                .put("stopping", loop.stopping());
        ArrayNode workers = reply.putArray("workers");
        for (Slot slot : loop.slots().values()) {
            ObjectNode row = workers.addObject().put("slot", slot.number());
            Optional<WorkerHandle> worker = slot.worker();
            if (worker.isPresent()) {
                WorkerHandle w = worker.get();
                row.put("pid", w.pid())
                        .put("state", w.state().label())
                        .put("startedAt", wallNow.minusNanos(now - w.startedAtNanos()).truncatedTo(ChronoUnit.MILLIS).toString());
                Optional<WorkerStatsFiles.Counters> counters = stats.read(slot.number());
                row.put("connectionsOpen", counters.map(WorkerStatsFiles.Counters::open).orElse(0L))
                        .put("connectionsServed", counters.map(WorkerStatsFiles.Counters::served).orElse(0L));
            } else {
                row.putNull("pid").put("state", slot.restartNotBeforeNanos() - now > 0 ? "backoff" : "starting")
                        .putNull("startedAt").put("connectionsOpen", 0).put("connectionsServed", 0);
            }
            row.put("restarts", slot.restarts())
                    .put("lastExit", slot.lastExit().map(Object::toString).orElse(null));
        }
        return reply;
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
        ObjectNode worker = node.putObject("worker");
        config.worker().jvmOptions().forEach(worker.putArray("jvmOptions")::add);
        ObjectNode env = worker.putObject("env");
        config.worker().env().forEach(env::put);
        return node;
    }
}
