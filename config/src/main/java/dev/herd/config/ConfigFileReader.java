package dev.herd.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads a config file (format in {@link ConfigLoader}) into a {@link ConfigBuilder}. It walks the JSON with
 * Jackson's streaming parser rather than binding it to a class, because only the parser knows the line of each
 * key, and every error must name its line. Each key's value is read as a small tree and checked with the same
 * {@link ConfigValues} rules the command line uses.
 */
final class ConfigFileReader {

    // Jackson's defaults are strict JSON: no comments, no single quotes, no trailing commas. Duplicate keys are
    // found in the objects walked here (with both lines) and in values read as trees (worker.env).
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).build();
    private static final Pattern DUPLICATE_IN_TREE = Pattern.compile("^Duplicate field '(.*)' for `ObjectNode`.*",
            Pattern.DOTALL);
    // Long values (a whole object where a number belongs) are cut so that the message stays readable.
    private static final int MAX_SHOWN_VALUE = 60;
    private static final Pattern JACKSON_LOCATION = Pattern.compile("\\[Source: .*?; line: (\\d+), column: \\d+]");

    /** Reads the value at the parser's current token, for a key first seen on {@code line}. */
    private interface FieldReader {
        void read(String key, int line) throws IOException, ConfigException;
    }

    private final Path file;
    private final JsonParser parser;
    private final ConfigBuilder builder;
    // The line of every key read, by path ("worker.command"), to place errors about two keys.
    private final Map<String, Integer> keyLines = new HashMap<>();

    private ConfigFileReader(Path file, JsonParser parser, ConfigBuilder builder) {
        this.file = file;
        this.parser = parser;
        this.builder = builder;
    }

    static void readInto(Path file, ConfigBuilder builder) throws ConfigException {
        readInto(file, readBytes(file), builder);
    }

    /** {@code json} read from {@code file} earlier; errors name the file. */
    static void readInto(Path file, byte[] json, ConfigBuilder builder) throws ConfigException {
        if (json.length > ConfigLoader.MAX_FILE_BYTES) {
            throw ConfigException.inFile(file, 0, "larger than " + (ConfigLoader.MAX_FILE_BYTES >> 20)
                    + " MiB: not a config file");
        }
        checkUtf8(file, json);
        try (JsonParser parser = MAPPER.createParser(json)) {
            ConfigFileReader reader = new ConfigFileReader(file, parser, builder);
            try {
                reader.readDocument();
                reader.checkKeyRules();
            } catch (JsonProcessingException e) {
                // A broken limit (nesting depth, say) carries no location of its own: the parser's is where it broke.
                JsonLocation location = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
                throw ConfigException.inFile(file, location == null ? 0 : location.getLineNr(),
                        "malformed JSON: " + shortReason(e));
            }
        } catch (IOException e) {
            throw ConfigException.cannotRead(file, e); // cannot happen when parsing from memory
        }
    }

    /**
     * Reads at most {@link ConfigLoader#MAX_FILE_BYTES} and says so beyond: a config file is a few kilobytes, and
     * a path that names something else (a log, {@code /dev/zero}) must not fill the master's memory. The file may be
     * a FIFO or a pipe ({@code -c <(generate-config)}): it is read to its end, and a running master does that beside
     * its loop, with a time limit (see the supervisor's Reloader).
     */
    private static byte[] readBytes(Path file) throws ConfigException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] json = in.readNBytes(ConfigLoader.MAX_FILE_BYTES + 1);
            if (json.length > ConfigLoader.MAX_FILE_BYTES) {
                throw ConfigException.inFile(file, 0, "larger than " + (ConfigLoader.MAX_FILE_BYTES >> 20)
                        + " MiB: not a config file");
            }
            return json;
        } catch (IOException e) {
            throw ConfigException.cannotRead(file, e);
        }
    }

    /**
     * JSON files are UTF-8 (RFC 8259). Jackson's parser decodes some byte sequences that are not UTF-8 (overlong
     * forms such as C0 AF for '/', encoded surrogates) instead of refusing them; the JDK's decoder refuses them all.
     */
    private static void checkUtf8(Path file, byte[] json) throws ConfigException {
        java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(json);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(4096);
        var decoder = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        while (true) {
            java.nio.charset.CoderResult result = decoder.decode(in, out.clear(), true);
            if (result.isError()) {
                int line = 1;
                for (int i = 0; i < in.position(); i++) {
                    line += json[i] == '\n' ? 1 : 0;
                }
                throw ConfigException.inFile(file, line, "malformed JSON: not UTF-8 (byte 0x"
                        + Integer.toHexString(json[in.position()] & 0xff) + " at offset " + in.position() + ")");
            }
            if (result.isUnderflow()) {
                return;
            }
        }
    }

    /** Jackson's own message on one line, with its "[Source: ...; line: 3, column: 7]" shortened to "line 3". */
    private static String shortReason(JsonProcessingException e) {
        String reason = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        return JACKSON_LOCATION.matcher(reason).replaceAll("line $1").replaceAll("\\s+", " ").trim();
    }

    private void readDocument() throws IOException, ConfigException {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw error(0, "the file is empty; expected a JSON object");
        }
        if (first != JsonToken.START_OBJECT) {
            throw error(tokenLine(), "the top level is " + describe(first) + "; expected a JSON object");
        }
        readFields("", this::readTopLevelField);
        if (parser.nextToken() != null) {
            throw error(tokenLine(), "unexpected content after the top-level object");
        }
    }

    /**
     * A key of the top-level object: a row of {@link ConfigKeys}, or the {@code worker} object, whose keys are
     * rows too ({@code worker.env}).
     */
    private void readTopLevelField(String key, int line) throws IOException, ConfigException {
        if (key.equals("worker")) {
            requireObject("worker", line);
            readFields("worker", (workerKey, keyLine) -> readValue("worker", workerKey, keyLine));
        } else {
            readValue("", key, line);
        }
    }

    private void readValue(String objectPath, String field, int line) throws IOException, ConfigException {
        String path = objectPath.isEmpty() ? field : objectPath + "." + field;
        Optional<ConfigKey<?>> key = ConfigKeys.named(path);
        if (key.isEmpty()) {
            throw unknownKey(field, objectPath, ConfigKeys.fieldNames(objectPath), line);
        }
        JsonNode value;
        try {
            value = readValue();
        } catch (MismatchedInputException e) {
            java.util.regex.Matcher duplicate = DUPLICATE_IN_TREE.matcher(e.getOriginalMessage());
            if (!duplicate.matches()) {
                throw e;
            }
            throw error(e.getLocation() == null ? line : e.getLocation().getLineNr(), "duplicate key "
                    + quote(duplicate.group(1)) + " in " + quote(path));
        }
        try {
            builder.put(key.get(), key.get().type().fromJson(path, value));
        } catch (ValueType.Problem problem) {
            throw error(line, quote(problem.path()) + ": " + shown(problem.value()) + " " + problem.problem());
        }
    }

    /**
     * Checks the rules between keys (see {@link KeyConflictException}) on the file's values alone, placing a
     * broken rule at the line of the key it is about and naming the line of the other key when it is in the file.
     */
    private void checkKeyRules() throws ConfigException {
        try {
            builder.assemble();
        } catch (KeyConflictException e) {
            Integer line = keyLines.get(e.key());
            Integer otherLine = keyLines.get(e.otherKey());
            if (line == null) {
                throw error(otherLine == null ? 0 : otherLine, e.getMessage());
            }
            throw error(line, e.getMessage() + (otherLine == null ? "" : " (set on line " + otherLine + ")"));
        }
    }

    /**
     * Reads the fields of the object whose START_OBJECT is the current token, up to its END_OBJECT, handing
     * each value to {@code reader}. Rejects a key seen before in the same object.
     */
    private void readFields(String objectPath, FieldReader reader) throws IOException, ConfigException {
        Map<String, Integer> firstLines = new HashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            int line = tokenLine();
            Integer firstLine = firstLines.putIfAbsent(key, line);
            if (firstLine != null) {
                throw error(line, "duplicate key " + quote(key) + inObject(objectPath)
                        + " (first set on line " + firstLine + ")");
            }
            keyLines.put(objectPath.isEmpty() ? key : objectPath + "." + key, line);
            parser.nextToken();
            reader.read(key, line);
        }
    }

    private void requireObject(String path, int line) throws IOException, ConfigException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw error(line, quote(path) + ": " + shown(readValue()) + " is not an object");
        }
    }

    /** The value at the current token as a tree; the parser is left on the value's last token. */
    private JsonNode readValue() throws IOException {
        JsonNode node = MAPPER.readTree(parser);
        return node == null ? NullNode.getInstance() : node;
    }

    private ConfigException unknownKey(String key, String objectPath, List<String> knownKeys, int line) {
        return error(line, "unknown key " + quote(key) + inObject(objectPath)
                + " (known keys: " + String.join(", ", knownKeys) + ")");
    }

    private ConfigException error(int line, String problem) {
        return ConfigException.inFile(file, line, problem);
    }

    private int tokenLine() {
        return parser.currentTokenLocation().getLineNr();
    }

    private static String inObject(String objectPath) {
        return objectPath.isEmpty() ? "" : " in " + quote(objectPath);
    }

    /** A key or key path as it would appear in JSON, escaped, so that odd characters cannot break the line. */
    private static String quote(String text) {
        return TextNode.valueOf(text).toString();
    }

    private static String shown(JsonNode value) {
        String json = value.toString();
        return json.length() <= MAX_SHOWN_VALUE ? json : json.substring(0, MAX_SHOWN_VALUE) + "...";
    }

    private static String describe(JsonToken token) {
        return switch (token) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> token.toString();
        };
    }
}
