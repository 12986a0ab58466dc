package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** Renders a status reply as the table {@code herd status} prints. */
final class StatusTable {

    private StatusTable() {
    }

    static String render(JsonNode status) {
        StringBuilder out = new StringBuilder();
        out.append(String.format("herd %s, master pid %d, up %s, listening on %s%n",
                status.path("version").asText(), status.path("pid").asInt(),
                uptime(status.path("uptimeSeconds").asLong()), status.path("listen").asText()));
        out.append(String.format("config %s, %d workers wanted%s%n",
                status.path("configFile").isNull() ? "(none)" : status.path("configFile").asText(),
                status.path("desiredWorkers").asInt(), status.path("stopping").asBoolean() ? ", STOPPING" : ""));
        out.append(status.path("summary").asText()).append(System.lineSeparator());
        out.append(String.format("%n%-5s %-8s %-9s %-25s %-8s %-9s %-6s %-8s %s%n",
                "SLOT", "PID", "STATE", "STARTED", "READY", "RESTARTS", "OPEN", "SERVED", "LAST EXIT"));
        for (JsonNode worker : status.path("workers")) {
            out.append(String.format("%-5d %-8s %-9s %-25s %-8s %-9d %-6d %-8d %s%n",
                    worker.path("slot").asInt(),
                    worker.path("pid").isNull() ? "-" : worker.path("pid").asText(),
                    worker.path("state").asText(),
                    worker.path("startedAt").isNull() ? "-" : worker.path("startedAt").asText(),
                    worker.path("readyAfterMs").isNumber() ? worker.path("readyAfterMs").asLong() + "ms" : "-",
                    worker.path("restarts").asInt(),
                    worker.path("connectionsOpen").asLong(),
                    worker.path("connectionsServed").asLong(),
                    worker.path("lastExit").isNull() ? "-" : worker.path("lastExit").asText()));
        }
        return out.toString().stripTrailing();
    }

    private static String uptime(long seconds) {
        return seconds < 120 ? seconds + "s" : seconds < 7200 ? seconds / 60 + "m" : seconds / 3600 + "h";
    }
}
