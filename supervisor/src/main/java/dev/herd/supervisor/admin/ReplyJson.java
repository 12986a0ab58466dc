package dev.herd.supervisor.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.config.Durations;
import dev.herd.supervisor.status.StatusSnapshot;
import dev.herd.supervisor.status.WorkerRow;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Writes {@link AdminReply} records as the reply objects of docs/admin-protocol.md. */
public final class ReplyJson {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ReplyJson() {
    }

    public static ObjectNode toJson(AdminReply reply) {
        if (reply instanceof AdminReply.Failed failed) {
            ObjectNode error = JSON.objectNode().put("ok", false);
            error.putObject("error").put("code", failed.code()).put("message", failed.message());
            failed.replaced().ifPresent(replaced -> error.put("replaced", replaced));
            return error;
        }
        ObjectNode ok = JSON.objectNode().put("ok", true);
        if (reply instanceof AdminReply.Pong) {
            ok.put("pong", true);
        } else if (reply instanceof AdminReply.VersionInfo version) {
            ok.put("version", version.version()).put("java", version.java());
        } else if (reply instanceof AdminReply.Status status) {
            status(ok, status.snapshot());
        } else if (reply instanceof AdminReply.ConfigShown config) {
            ok.set("config", config.config());
        } else if (reply instanceof AdminReply.Scaled scaled) {
            ok.put("previous", scaled.previous()).put("workers", scaled.workers());
            put(ok, "ready", scaled.ready());
        } else if (reply instanceof AdminReply.Restarted restarted) {
            restarted.slots().forEach(ok.putArray("restarting")::add);
            put(ok, "replaced", restarted.replaced());
        } else if (reply instanceof AdminReply.Reloaded reloaded) {
            ok.put("workers", reloaded.workers()).put("configFile", reloaded.configFile().orElse(null));
            put(ok, "replaced", reloaded.replaced());
        } else if (reply instanceof AdminReply.Stopping stopping) {
            ok.put("stopping", true).put("gracefulTimeout", Durations.format(stopping.gracefulTimeout()))
                    .put("pid", stopping.pid());
        } else {
            // AdminReply is sealed and every case is listed above; ReplyJsonTest writes one of each.
            throw new IllegalStateException("no JSON form for " + reply);
        }
        return ok;
    }

    private static void status(ObjectNode reply, StatusSnapshot status) {
        reply.put("pid", status.pid())
                .put("version", status.version())
                .put("startedAt", instant(status.startedAt()))
                .put("uptimeSeconds", status.uptimeMillis() / 1000)
                .put("listen", status.listen())
                .put("configFile", status.configFile().orElse(null))
                .put("desiredWorkers", status.desiredWorkers())
                .put("readyWorkers", status.readyWorkers())
                .put("summary", status.summary())
                .put("stopping", status.stopping());
        status.listenQueue().ifPresentOrElse(queue -> reply.putObject("listenQueue")
                .put("waiting", queue.waiting()).put("limit", queue.limit()), () -> reply.putNull("listenQueue"));
        ArrayNode workers = reply.putArray("workers");
        for (WorkerRow row : status.workers()) {
            ObjectNode worker = workers.addObject()
                    .put("slot", row.slot());
            put(worker, "pid", row.pid());
            worker.put("state", row.state())
                    .put("startedAt", row.startedAt().map(ReplyJson::instant).orElse(null));
            put(worker, "readyAfterMs", row.readyAfterMillis());
            worker.put("watched", row.watched());
            row.lastHeartbeatMillisAgo().ifPresent(ago -> worker.put("lastHeartbeatMsAgo", ago));
            worker.put("connectionsOpen", row.connectionsOpen())
                    .put("connectionsServed", row.connectionsServed());
            row.servedLimit().ifPresent(limit -> worker.put("servedLimit", limit));
            row.statusText().ifPresent(text -> worker.put("status", text));
            row.killedBecause().ifPresent(why -> worker.put("killed", why));
            put(worker, "residentBytes", row.residentBytes());
            put(worker, "cpuMs", row.cpuMillis());
            row.classData().ifPresent(kind -> worker.put("classData", kind));
            worker.put("restarts", row.restarts())
                    .put("crashesInWindow", row.crashesInWindow())
                    .put("lastExit", row.lastExit().orElse(null))
                    .put("lastRestartReason", row.lastRestartReason().orElse(null))
                    .put("lastRestartAt", row.lastRestartAt().map(ReplyJson::instant).orElse(null));
            row.lastBootError().ifPresent(why -> worker.put("lastBootError", why));
        }
    }

    private static String instant(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    private static void put(ObjectNode node, String field, OptionalInt value) {
        value.ifPresentOrElse(v -> node.put(field, v), () -> node.putNull(field));
    }

    private static void put(ObjectNode node, String field, OptionalLong value) {
        value.ifPresentOrElse(v -> node.put(field, v), () -> node.putNull(field));
    }

    private static void put(ObjectNode node, String field, Optional<Integer> value) {
        value.ifPresentOrElse(v -> node.put(field, v), () -> node.putNull(field));
    }
}
