package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** Renders the {@code config} reply as {@code herd config} prints it: one key per line, worker keys by path. */
final class ConfigTable {

    private ConfigTable() {
    }

    static String render(JsonNode config) {
        StringBuilder out = new StringBuilder(String.format("%-20s %s%n", "KEY", "VALUE"));
        append(out, "", config);
        return out.toString().stripTrailing();
    }

    private static void append(StringBuilder out, String prefix, JsonNode object) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = object.properties().iterator(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("worker") && field.getValue().isObject()) {
                append(out, "worker.", field.getValue());
                continue;
            }
            JsonNode value = field.getValue();
            out.append(String.format("%-20s %s%n", prefix + field.getKey(), value.isNull() ? "-"
                    : value.isTextual() ? value.asText() : value.toString()));
        }
    }
}
