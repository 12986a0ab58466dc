package dev.herd.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * How the values of one kind of configuration key are written and checked: parsed from a command-line flag's text
 * ({@link #fromText}) or a config file's JSON ({@link #fromJson}), checked when set by code ({@link #check}), and
 * written back ({@link #toJson}, {@link #format}). Each parse checks the value once, with the rules of
 * {@link ConfigValues}; a bad value is an {@link InvalidValueException} naming it.
 *
 * @param <T> the value's Java type
 */
public abstract class ValueType<T> {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final String label;

    ValueType(String label) {
        this.label = label;
    }

    /** The placeholder in help texts: {@code N}, {@code DURATION}, {@code HOST:PORT}. */
    public String label() {
        return label;
    }

    /** Parses and checks a flag's text. */
    public abstract T fromText(String text);

    /**
     * Parses and checks a config file's value at {@code path} (for elements: {@code worker.args[2]}).
     *
     * @throws Problem naming what is wrong with the JSON value
     */
    abstract T fromJson(String path, JsonNode node) throws Problem;

    /** Checks a value set by code; returns it unchanged. */
    public abstract T check(T value);

    public abstract JsonNode toJson(T value);

    /** The value as the docs and {@code herd config} show it. */
    public abstract String format(T value);

    /** A config file value that is wrong: at {@code path}, the JSON {@code value}, and what is wrong with it. */
    static final class Problem extends Exception {
        private final String path;
        private final JsonNode value;
        private final String problem;

        Problem(String path, JsonNode value, String problem) {
            super(path + ": " + value + " " + problem);
            this.path = path;
            this.value = value;
            this.problem = problem;
        }

        String path() {
            return path;
        }

        JsonNode value() {
            return value;
        }

        String problem() {
            return problem;
        }
    }

    // ---- the kinds --------------------------------------------------------------------------------------------

    /** A value written as a JSON string, parsed by {@code parse} (which checks it) and shown by {@code format}. */
    static <T> ValueType<T> text(String label, Function<String, T> parse, Function<T, String> format,
                                 UnaryOperator<T> check) {
        return new ValueType<>(label) {
            @Override
            public T fromText(String text) {
                return parse.apply(text);
            }

            @Override
            T fromJson(String path, JsonNode node) throws Problem {
                if (!node.isTextual()) {
                    throw new Problem(path, node, "is not a string");
                }
                try {
                    return parse.apply(node.textValue());
                } catch (InvalidValueException e) {
                    throw new Problem(path, node, e.problem());
                }
            }

            @Override
            public T check(T value) {
                return check.apply(value);
            }

            @Override
            public JsonNode toJson(T value) {
                return TextNode.valueOf(format.apply(value));
            }

            @Override
            public String format(T value) {
                return format.apply(value);
            }
        };
    }

    /**
     * A whole number within {@code [min, max]}, written as a JSON number. The JSON text goes through the same parser
     * as a flag, so a string, a fraction or an out-of-range number all get one message:
     * {@code "four" is not a whole number from 1 to 1024}.
     */
    static ValueType<Integer> wholeNumber(int min, int max) {
        Function<String, Integer> parse = text -> ConfigValues.parseWholeNumber(text, min, max);
        return new ValueType<>("N") {
            @Override
            public Integer fromText(String text) {
                return parse.apply(text);
            }

            @Override
            Integer fromJson(String path, JsonNode node) throws Problem {
                try {
                    return parse.apply(node.toString());
                } catch (InvalidValueException e) {
                    throw new Problem(path, node, e.problem());
                }
            }

            @Override
            public Integer check(Integer value) {
                return ConfigValues.checkRange(value, min, max);
            }

            @Override
            public JsonNode toJson(Integer value) {
                return JSON.numberNode(value);
            }

            @Override
            public String format(Integer value) {
                return value.toString();
            }
        };
    }

    static ValueType<Boolean> bool() {
        return new ValueType<>("true|false") {
            @Override
            public Boolean fromText(String text) {
                if (!text.equals("true") && !text.equals("false")) {
                    throw new InvalidValueException(text, "is not true or false");
                }
                return Boolean.valueOf(text);
            }

            @Override
            Boolean fromJson(String path, JsonNode node) throws Problem {
                if (!node.isBoolean()) {
                    throw new Problem(path, node, "is not true or false");
                }
                return node.booleanValue();
            }

            @Override
            public Boolean check(Boolean value) {
                return value;
            }

            @Override
            public JsonNode toJson(Boolean value) {
                return JSON.booleanNode(value);
            }

            @Override
            public String format(Boolean value) {
                return value.toString();
            }
        };
    }

    /** A value that may be absent (no default): {@code null} in JSON output, "none" in the docs. */
    static <T> ValueType<Optional<T>> optional(ValueType<T> present) {
        return new ValueType<>(present.label()) {
            @Override
            public Optional<T> fromText(String text) {
                return Optional.of(present.fromText(text));
            }

            @Override
            Optional<T> fromJson(String path, JsonNode node) throws Problem {
                return Optional.of(present.fromJson(path, node));
            }

            @Override
            public Optional<T> check(Optional<T> value) {
                value.ifPresent(present::check);
                return value;
            }

            @Override
            public JsonNode toJson(Optional<T> value) {
                return value.map(present::toJson).orElse(JSON.nullNode());
            }

            @Override
            public String format(Optional<T> value) {
                return value.map(present::format).orElse("none");
            }
        };
    }

    /**
     * A JSON array of strings, each checked by {@code element}; {@code first}, if given, checks the first one
     * instead (a command's executable) and makes an empty list an error.
     */
    static ValueType<List<String>> stringList(UnaryOperator<String> element, Optional<UnaryOperator<String>> first) {
        return new ValueType<>("[STRING...]") {
            @Override
            public List<String> fromText(String text) {
                throw new UnsupportedOperationException("a list has no flag");
            }

            @Override
            List<String> fromJson(String path, JsonNode node) throws Problem {
                if (!node.isArray()) {
                    throw new Problem(path, node, "is not an array of strings");
                }
                if (node.isEmpty() && first.isPresent()) {
                    throw new Problem(path, node, "is not a command: it is empty (give the executable first)");
                }
                List<String> strings = new ArrayList<>();
                for (int i = 0; i < node.size(); i++) {
                    JsonNode item = node.get(i);
                    String itemPath = path + "[" + i + "]";
                    if (!item.isTextual()) {
                        throw new Problem(itemPath, item, "is not a string");
                    }
                    try {
                        strings.add((i == 0 ? first.orElse(element) : element).apply(item.textValue()));
                    } catch (InvalidValueException e) {
                        throw new Problem(itemPath, item, e.problem());
                    }
                }
                return List.copyOf(strings);
            }

            @Override
            public List<String> check(List<String> value) {
                if (value.isEmpty() && first.isPresent()) {
                    return value; // an empty command means "no command": the key is unset
                }
                for (int i = 0; i < value.size(); i++) {
                    (i == 0 ? first.orElse(element) : element).apply(value.get(i));
                }
                return List.copyOf(value);
            }

            @Override
            public JsonNode toJson(List<String> value) {
                var array = JSON.arrayNode();
                value.forEach(array::add);
                return array;
            }

            @Override
            public String format(List<String> value) {
                return value.isEmpty() ? "[]" : toJson(value).toString();
            }
        };
    }

    /** A JSON object of environment variables: names and values checked by ConfigValues. */
    static ValueType<Map<String, String>> environment() {
        return new ValueType<>("{NAME: VALUE}") {
            @Override
            public Map<String, String> fromText(String text) {
                throw new UnsupportedOperationException("a map has no flag");
            }

            @Override
            Map<String, String> fromJson(String path, JsonNode node) throws Problem {
                if (!node.isObject()) {
                    throw new Problem(path, node, "is not an object");
                }
                Map<String, String> env = new LinkedHashMap<>();
                for (var fields = node.properties().iterator(); fields.hasNext(); ) {
                    var field = fields.next();
                    try {
                        ConfigValues.checkEnvName(field.getKey());
                    } catch (InvalidValueException e) {
                        throw new Problem(path, TextNode.valueOf(field.getKey()), e.problem());
                    }
                    String itemPath = path + "." + field.getKey();
                    if (!field.getValue().isTextual()) {
                        throw new Problem(itemPath, field.getValue(), "is not a string");
                    }
                    try {
                        env.put(field.getKey(), ConfigValues.checkEnvValue(field.getValue().textValue()));
                    } catch (InvalidValueException e) {
                        throw new Problem(itemPath, field.getValue(), e.problem());
                    }
                }
                return Map.copyOf(env);
            }

            @Override
            public Map<String, String> check(Map<String, String> value) {
                value.keySet().forEach(ConfigValues::checkEnvName);
                value.values().forEach(ConfigValues::checkEnvValue);
                return Map.copyOf(value);
            }

            @Override
            public JsonNode toJson(Map<String, String> value) {
                ObjectNode object = JSON.objectNode();
                new java.util.TreeMap<>(value).forEach(object::put);
                return object;
            }

            @Override
            public String format(Map<String, String> value) {
                return toJson(value).toString();
            }
        };
    }
}
