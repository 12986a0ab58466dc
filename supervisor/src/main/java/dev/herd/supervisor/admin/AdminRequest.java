package dev.herd.supervisor.admin;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.herd.config.Durations;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A valid admin request: a command from the {@link AdminCommand} table and its arguments, each checked against
 * the command's row. {@link #parse} is strict: one JSON object per line, no duplicate keys, nothing after the
 * object, no unknown fields, every value of its argument's type and within its limits. Anything else is an
 * {@link AdminException} whose code and message become the error reply.
 */
public record AdminRequest(AdminCommand command, Map<String, Object> arguments) {

    public AdminRequest {
        arguments = Map.copyOf(arguments);
    }

    /** A request with no arguments, as SIGHUP's reload makes one. */
    public static AdminRequest of(AdminCommand command) {
        return new AdminRequest(command, Map.of());
    }

    /** Strict JSON, created on the first request: an ObjectMapper costs a master's start ~100 ms otherwise. */
    private static final class Json {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .build();

        static {
            // A request is a flat object; deep nesting can only be an attack on the parser's stack.
            MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).build());
        }
    }

    /** Parses one request line (without its newline), as UTF-8: malformed UTF-8 is malformed JSON. */
    public static AdminRequest parse(byte[] line) throws AdminException {
        checkUtf8(line);
        JsonNode request;
        try {
            request = Json.MAPPER.readTree(line);
        } catch (JacksonException e) {
            throw new AdminException(AdminException.BAD_JSON, "malformed JSON: " + oneLine(e.getOriginalMessage()));
        } catch (java.io.IOException e) {
            throw new AdminException(AdminException.BAD_JSON, "malformed JSON: " + e.getMessage());
        }
        return parse(request);
    }

    /**
     * Jackson's parser refuses most malformed UTF-8 but decodes overlong forms ("p" C1 A9 "ng" as "ping") instead;
     * the JDK's decoder refuses every byte sequence that is not UTF-8.
     */
    private static void checkUtf8(byte[] line) throws AdminException {
        try {
            java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(line));
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new AdminException(AdminException.BAD_JSON, "malformed JSON: the line is not UTF-8");
        }
    }

    static AdminRequest parse(JsonNode request) throws AdminException {
        if (request == null || !request.isObject()) {
            throw new AdminException(AdminException.NOT_AN_OBJECT, "a request is a JSON object, got "
                    + (request == null ? "nothing" : request.getNodeType().name().toLowerCase()));
        }
        JsonNode name = request.get("command");
        if (name == null || !name.isTextual()) {
            throw new AdminException(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required");
        }
        AdminCommand command = AdminCommand.named(name.asText()).orElseThrow(() -> new AdminException(
                AdminException.UNKNOWN_COMMAND, "unknown command " + quoted(name.asText(), 40) + " (known: "
                + AdminCommand.names() + ")"));
        Map<String, Object> arguments = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> fields = request.properties().iterator(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            if (field.getKey().equals("command")) {
                continue;
            }
            AdminCommand.Argument argument = command.arguments().stream()
                    .filter(a -> a.name().equals(field.getKey())).findFirst()
                    .orElseThrow(() -> new AdminException(AdminException.BAD_ARGUMENT, "unknown field "
                            + quoted(field.getKey(), 40) + " for " + command.wireName() + argumentList(command)));
            arguments.put(argument.name(), value(argument, field.getValue()));
        }
        if (!command.exactlyOneOf().isEmpty()
                && command.exactlyOneOf().stream().filter(arguments::containsKey).count() != 1) {
            throw new AdminException(AdminException.BAD_ARGUMENT, command.wireName() + " takes exactly one of "
                    + String.join(" or ", command.exactlyOneOf().stream().map(n -> "\"" + n + "\"").toList()));
        }
        return new AdminRequest(command, arguments);
    }

    private static Object value(AdminCommand.Argument argument, JsonNode value) throws AdminException {
        String shown = "\"" + argument.name() + "\": " + shown(value);
        switch (argument.type()) {
            case WHOLE_NUMBER -> {
                if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < argument.min()
                        || value.asLong() > argument.max()) {
                    throw new AdminException(AdminException.BAD_ARGUMENT, shown + " is not a whole number from "
                            + argument.min() + " to " + argument.max());
                }
                return value.intValue();
            }
            case DURATION -> {
                Duration duration;
                try {
                    if (!value.isTextual()) {
                        throw new IllegalArgumentException("is not a string such as \"10s\"");
                    }
                    duration = Durations.parse(value.asText());
                } catch (IllegalArgumentException e) {
                    throw new AdminException(AdminException.BAD_ARGUMENT, shown + " is not a duration (use e.g. "
                            + "500ms, 30s, 2m)");
                }
                if (duration.compareTo(argument.maxDuration()) > 0) {
                    throw new AdminException(AdminException.BAD_ARGUMENT, shown + " is longer than "
                            + Durations.format(argument.maxDuration()));
                }
                return duration;
            }
            case BOOLEAN -> {
                if (!value.isBoolean()) {
                    throw new AdminException(AdminException.BAD_ARGUMENT, shown + " is not true or false");
                }
                return value.asBoolean();
            }
            default -> throw new IllegalStateException("argument type " + argument.type());
        }
    }

    public Optional<Integer> wholeNumber(String name) {
        return Optional.ofNullable((Integer) arguments.get(name));
    }

    public Optional<Duration> duration(String name) {
        return Optional.ofNullable((Duration) arguments.get(name));
    }

    /** A boolean argument; false when not given. */
    public boolean flag(String name) {
        return Boolean.TRUE.equals(arguments.get(name));
    }

    /** For a lasting command: reply when the work is done (the default), not at once. */
    public boolean waitForCompletion() {
        return command.lasting() && !Boolean.FALSE.equals(arguments.get(AdminCommand.WAIT.name()));
    }

    private static String argumentList(AdminCommand command) {
        return command.arguments().isEmpty() ? " (it takes none)" : " (it takes "
                + String.join(", ", command.arguments().stream().map(AdminCommand.Argument::name).toList()) + ")";
    }

    /** A value as the client wrote it, cut so that a hostile request cannot make a long log or reply line. */
    private static String shown(JsonNode value) {
        String json = value.toString();
        return json.length() <= 40 ? json : json.substring(0, 40) + "...";
    }

    private static String quoted(String text, int max) {
        String cut = text.length() <= max ? text : text.substring(0, max) + "...";
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(cut).toString();
    }

    private static String oneLine(String message) {
        String text = message == null ? "unreadable" : message.replaceAll("\\s+", " ").trim();
        return text.length() <= 200 ? text : text.substring(0, 200) + "...";
    }
}
