package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.log.ControlCharacters;
import java.time.Duration;
import java.time.Instant;

/** Renders a status reply as the table {@code herd status} prints. */
final class StatusTable {

    private static final String ROW = "%-5s %-8s %-9s %-7s %-7s %-7s %-6s %-8s %-7s %-9s %-22s %s%n";

    private StatusTable() {
    }

    static String render(JsonNode status) {
        StringBuilder out = new StringBuilder();
        Instant now = Instant.parse(status.path("startedAt").asText()).plusSeconds(status.path("uptimeSeconds")
                .asLong());
        out.append(line("herd %s, master pid %d, up %s, listening on %s%n",
                status.path("version").asText(), status.path("pid").asInt(),
                age(Duration.ofSeconds(status.path("uptimeSeconds").asLong())), status.path("listen").asText()));
        JsonNode queue = status.path("listenQueue");
        out.append(line("config %s, %d %s wanted%s%s%n",
                status.path("configFile").isNull() ? "(none)" : status.path("configFile").asText(),
                status.path("desiredWorkers").asInt(), status.path("desiredWorkers").asInt() == 1 ? "worker"
                        : "workers",
                queue.isObject() ? ", listen queue " + queue.path("waiting").asLong() + "/"
                        + queue.path("limit").asLong() : "",
                status.path("stopping").asBoolean() ? ", STOPPING" : ""));
        out.append(ControlCharacters.escape(status.path("summary").asText())).append(System.lineSeparator());
        out.append(line("%n" + ROW, "SLOT", "PID", "STATE", "UPTIME", "READY", "WATCHED", "OPEN", "SERVED",
                "RSS", "RESTARTS", "LAST RESTART", "STATUS"));
        for (JsonNode worker : status.path("workers")) {
            out.append(line(ROW,
                    slotLabel(worker),
                    worker.path("pid").isNull() ? "-" : worker.path("pid").asText(),
                    worker.path("state").asText(),
                    worker.path("startedAt").isTextual()
                            ? age(Duration.between(Instant.parse(worker.path("startedAt").asText()), now)) : "-",
                    worker.path("readyAfterMs").isNumber() ? worker.path("readyAfterMs").asLong() + "ms" : "-",
                    worker.path("pid").isNull() ? "-" : worker.path("watched").asBoolean() ? "yes" : "no",
                    worker.path("connectionsOpen").asLong(),
                    worker.path("connectionsServed").asLong(),
                    worker.path("residentBytes").isNumber() ? megabytes(worker.path("residentBytes").asLong()) : "-",
                    worker.path("restarts").asInt(),
                    lastRestart(worker, now),
                    statusText(worker)));
        }
        // No trailing blanks: a row whose STATUS is empty ends at its last column.
        return out.toString().lines().map(String::stripTrailing)
                .collect(java.util.stream.Collectors.joining(System.lineSeparator()));
    }

    /**
     * {@code String.format} with every text argument escaped first ({@link ControlCharacters}): a worker's STATUS=
     * text, its first error line, whatever the master sent, must not drive the operator's terminal.
     */
    private static String line(String format, Object... args) {
        Object[] safe = args.clone();
        for (int i = 0; i < safe.length; i++) {
            if (safe[i] instanceof String text) {
                safe[i] = ControlCharacters.escape(text);
            }
        }
        return String.format(format, safe);
    }

    /** The slot's number; "spare" for slot 0, the bench of hot spares. */
    static String slotLabel(JsonNode worker) {
        return worker.path("slot").asInt() == 0 ? "spare" : worker.path("slot").asText();
    }

    /** The slot's last restart reason and how long ago: "crash 3m ago". */
    private static String lastRestart(JsonNode worker, Instant now) {
        if (!worker.path("lastRestartReason").isTextual()) {
            return "-";
        }
        String when = worker.path("lastRestartAt").isTextual()
                ? " " + age(Duration.between(Instant.parse(worker.path("lastRestartAt").asText()), now)) + " ago" : "";
        return worker.path("lastRestartReason").asText() + when;
    }

    /** The worker's STATUS= text; for a worker the master killed, why. */
    private static String statusText(JsonNode worker) {
        if (worker.path("killed").isTextual()) {
            return "SIGKILL sent: " + worker.path("killed").asText();
        }
        String text = worker.path("status").asText("");
        if (text.isEmpty() && worker.path("lastBootError").isTextual()
                && worker.path("lastRestartReason").asText().equals("boot_failure")) {
            return "cannot boot: " + worker.path("lastBootError").asText();
        }
        if (text.isEmpty() && worker.path("lastExit").isTextual()) {
            return "last exit: " + worker.path("lastExit").asText();
        }
        return text;
    }

    static String age(Duration duration) {
        long seconds = Math.max(0, duration.toSeconds());
        return seconds < 120 ? seconds + "s" : seconds < 7200 ? seconds / 60 + "m" : seconds < 172800
                ? seconds / 3600 + "h" : seconds / 86400 + "d";
    }

    static String megabytes(long bytes) {
        return (bytes + 512 * 1024) / (1024 * 1024) + "M";
    }
}
