package dev.herd.supervisor.master;

import dev.herd.config.ConfigException;
import dev.herd.config.ConfigKey;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.spawn.SharedSocket;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The one reload path, for SIGHUP and {@code herd reload} alike: re-read the config file (with the command-line
 * flags still applied), refuse it whole if it is invalid or changes a key that the key table says a running master
 * cannot change; then bind the new listening socket if it asks for a new address and move the pid and log files
 * (either failing undoes the other and refuses the reload: nothing changes), apply it to new workers, and replace every running worker in a
 * rolling restart. If that restart fails, workers started afterwards get the previous configuration again. A
 * reload that arrives while one with the same configuration is rolling out joins it: fifty SIGHUPs replace each
 * worker once. Used on the master thread only.
 */
final class Reloader {

    /** A reload's start: why it was refused, or the rolling restart that applies it. */
    record Started(Optional<String> refusal, CompletableFuture<RestartDriver.Outcome> outcome,
                   Optional<String> configFile) {
    }

    private final MasterLoop loop;
    private final ConfigReloader source;
    private final SharedSocket socket;
    private final Workers workers;
    private final ProcessFiles files;
    private HerdConfig config;

    /** Where the configuration for the workers started from now on goes. */
    interface Workers {
        /** Whether workers can be started as {@code next} asks (its worker.user, say); throws if not. */
        void check(HerdConfig next) throws ConfigException;

        void setConfig(HerdConfig next);
    }

    Reloader(MasterLoop loop, HerdConfig config, ConfigReloader source, SharedSocket socket, Workers workers,
             ProcessFiles files) {
        this.loop = loop;
        this.config = config;
        this.source = source;
        this.socket = socket;
        this.workers = workers;
        this.files = files;
    }

    /** The configuration new workers are started with. */
    HerdConfig config() {
        return config;
    }

    Started reload() {
        Optional<String> file = config.source().map(Object::toString);
        if (config.source().isEmpty()) {
            if (loop.restarts.isReload()) {
                // The same configuration as the reload in progress, which replaces every worker started before it.
                Log.info("reload: no config file and a reload in progress; joining it");
                return new Started(Optional.empty(), loop.restarts.join(), file);
            }
            Log.info("reload: no config file; restarting every worker with the same configuration");
            return new Started(Optional.empty(), restartAll(), file);
        }
        HerdConfig next;
        try {
            next = source.reload();
            workers.check(next);
        } catch (ConfigException | IllegalArgumentException e) {
            return refused(e.getMessage(), file);
        }
        List<String> fixed = keysNeedingARestart(config, next);
        if (!fixed.isEmpty()) {
            return refused("changing " + String.join(", ", fixed) + " needs a restart of herd itself", file);
        }
        if (loop.restarts.isReload() && next.equals(config)) {
            Log.info("reload: %s is what the reload in progress applies; joining it", next.source().get());
            return new Started(Optional.empty(), loop.restarts.join(), file);
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
                socket.rebind(next.listen(), next.backlog());
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
        apply(next, "reload");
        Log.info("reload: applied %s; replacing workers one after another", next.source().get());
        boolean moved = moving;
        loop.restarts.whenDone(outcome -> {
            if (moved) {
                socket.moveDone(outcome.failure().isEmpty());
            }
            // A reload whose replacement failed must not leave its config behind for the next crash replacement
            // to pick up: go back to what the old workers run (unless another reload came since).
            if (outcome.failure().isPresent() && config == next && !loop.stopping()) {
                Log.warn("reload failed: workers started from now on use the previous configuration again");
                apply(previous, "reload rolled back");
            }
        });
        return new Started(Optional.empty(), restartAll(), file);
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

    /** Every slot that holds a worker now: those workers carry the old configuration. */
    private CompletableFuture<RestartDriver.Outcome> restartAll() {
        List<Integer> slots = loop.pool.slots().values().stream().filter(slot -> !slot.isEmpty())
                .map(Slot::number).toList();
        return loop.restart(slots, RestartReason.RELOAD);
    }

    private void apply(HerdConfig next, String reason) {
        config = next;
        Log.useJson(next.logsJson());
        workers.setConfig(next);
        loop.setPolicy(SupervisionPolicy.from(next));
        loop.scaleTo(next.workers(), reason);
        loop.setDesiredSpares(next.spareWorkers());
    }

    private static Started refused(String error, Optional<String> file) {
        Log.error("reload: %s; keeping the running configuration", error);
        return new Started(Optional.of(error), CompletableFuture.completedFuture(null), file);
    }
}
