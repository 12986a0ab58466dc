package dev.herd.config;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A configuration as the JSON object of the admin channel's {@code config} reply: every key of {@link ConfigKeys}
 * (the {@code worker.*} keys inside a {@code worker} object, as in the file), and the file it came from.
 */
public final class ConfigJson {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private ConfigJson() {
    }

    public static ObjectNode render(HerdConfig config) {
        ObjectNode node = JSON.objectNode();
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            ObjectNode object = key.objectPath().isEmpty() ? node : node.with(key.objectPath());
            object.set(key.fieldName(), json(config, key));
        }
        node.put("configFile", config.source().map(Object::toString).orElse(null));
        return node;
    }

    private static <T> com.fasterxml.jackson.databind.JsonNode json(HerdConfig config, ConfigKey<T> key) {
        return key.type().toJson(config.get(key));
    }
}
