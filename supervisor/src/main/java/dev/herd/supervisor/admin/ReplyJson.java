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
        return reply.accept(WIRE_FORM);
    }

    /** Each kind of reply's object; {@link AdminReply.Visitor} makes a new kind fail to compile until it has one. */
    private static final AdminReply.Visitor<ObjectNode> WIRE_FORM = new AdminReply.Visitor<>() {
        @Override
        public ObjectNode failed(AdminReply.Failed failed) {
            ObjectNode error = JSON.objectNode().put("ok", false);
            error.putObject("error").put("code", failed.code()).put("message", failed.message());
            failed.replaced().ifPresent(replaced -> error.put("replaced", replaced));
            return error;
        }

        @Override
        public ObjectNode pong(AdminReply.Pong pong) {
            return ok().put("pong", true);
        }

        @Override
        public ObjectNode versionInfo(AdminReply.VersionInfo version) {
            return ok().put("version", version.version()).put("java", version.java());
        }

        @Override
        public ObjectNode status(AdminReply.Status status) {
            ObjectNode ok = ok();
            ReplyJson.status(ok, status.snapshot());
            return ok;
        }

        @Override
        public ObjectNode configShown(AdminReply.ConfigShown config) {
            ObjectNode ok = ok();
            ok.set("config", config.config());
            return ok;
        }

        @Override
        public ObjectNode scaled(AdminReply.Scaled scaled) {
            ObjectNode ok = ok().put("previous", scaled.previous()).put("workers", scaled.workers());
            put(ok, "ready", scaled.ready());
            return ok;
        }

        @Override
        public ObjectNode restarted(AdminReply.Restarted restarted) {
            ObjectNode ok = ok();
            restarted.slots().forEach(ok.putArray("restarting")::add);
            put(ok, "replaced", restarted.replaced());
            return ok;
        }

        @Override
        public ObjectNode reloaded(AdminReply.Reloaded reloaded) {
            ObjectNode ok = ok().put("workers", reloaded.workers())
                    .put("configFile", reloaded.configFile().orElse(null));
            put(ok, "replaced", reloaded.replaced());
            return ok;
        }

        @Override
        public ObjectNode stopping(AdminReply.Stopping stopping) {
            return ok().put("stopping", true).put("gracefulTimeout", Durations.format(stopping.gracefulTimeout()))
                    .put("pid", stopping.pid());
        }

        private ObjectNode ok() {
            return JSON.objectNode().put("ok", true);
        }
    };

    private static void status(ObjectNode reply, StatusSnapshot status) {
        reply.put("pid", status.pid())
                .put("version", status.version())
                .put("startedAt", instant(status.startedAt()))
                .put("uptimeSeconds", status.uptimeMillis() / 1000)
                .put("listen", status.listen())
                .put("configFile", status.configFile().orElse(null));
        status.adminSocket().ifPresent(path -> reply.put("adminSocket", path));
        reply.put("desiredWorkers", status.desiredWorkers())
                .put("readyWorkers", status.readyWorkers())
                .put("summary", status.summary())
                .put("stopping", status.stopping());
        reply.putObject("upgrade").put("count", status.upgrade().count()).put("phase", status.upgrade().phase())
                .put("lastFailure", status.upgrade().lastFailure().orElse(null));
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
