package dev.herd.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Reads a config file (format in {@link ConfigLoader}) into a {@link ConfigBuilder}. It walks the JSON with
 * Jackson's streaming parser rather than binding it to a class, because only the parser knows the line of each
 * key, and every error must name its line. Each key's value is read as a small tree and checked with the same
 * {@link ConfigValues} rules the command line uses.
 */
final class ConfigFileReader {

    static final List<String> TOP_LEVEL_KEYS =
            List.of("listen", "workers", "app", "adminSocket", "adminGroup", "gracefulTimeout", "backlog",
                    "readyTimeout", "heartbeatTimeout", "maxRequests", "maxRequestsJitter", "flappingCrashes",
                    "flappingWindow", "logFile", "pidFile", "worker");
    static final List<String> WORKER_KEYS = List.of("jvmOptions", "env", "mainClass", "classpath", "args", "command");

    // Jackson's defaults are strict JSON: no comments, no single quotes, no trailing commas.
    private static final ObjectMapper MAPPER = new ObjectMapper();
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
        byte[] json = readBytes(file);
        try (JsonParser parser = MAPPER.createParser(json)) {
            ConfigFileReader reader = new ConfigFileReader(file, parser, builder);
            reader.readDocument();
            reader.checkKeyRules();
        } catch (JsonProcessingException e) {
            JsonLocation location = e.getLocation();
            throw ConfigException.inFile(file, location == null ? 0 : location.getLineNr(),
                    "malformed JSON: " + shortReason(e));
        } catch (IOException e) {
            throw ConfigException.cannotRead(file, e); // cannot happen when parsing from memory
        }
    }

    private static byte[] readBytes(Path file) throws ConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw ConfigException.cannotRead(file, e);
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

    private void readTopLevelField(String key, int line) throws IOException, ConfigException {
        switch (key) {
            case "listen" -> builder.listen(readString(key, line, ConfigValues::parseListen));
            case "workers" -> builder.workers(readWholeNumber(key, line, ConfigValues::parseWorkers));
            case "app" -> builder.app(readString(key, line, ConfigValues::parseApp));
            case "adminSocket" -> builder.adminSocket(readString(key, line, ConfigValues::parseAdminSocket));
            case "adminGroup" -> builder.adminGroup(readString(key, line, ConfigValues::checkAdminGroup));
            case "gracefulTimeout" ->
                    builder.gracefulTimeout(readString(key, line, ConfigValues::parseGracefulTimeout));
            case "backlog" -> builder.backlog(readWholeNumber(key, line, ConfigValues::parseBacklog));
            case "readyTimeout" -> builder.readyTimeout(readString(key, line, ConfigValues::parseReadyTimeout));
            case "heartbeatTimeout" ->
                    builder.heartbeatTimeout(readString(key, line, ConfigValues::parseHeartbeatTimeout));
            case "maxRequests" -> builder.maxRequests(readWholeNumber(key, line, ConfigValues::parseMaxRequests));
            case "maxRequestsJitter" ->
                    builder.maxRequestsJitter(readWholeNumber(key, line, ConfigValues::parseMaxRequestsJitter));
            case "flappingCrashes" ->
                    builder.flappingCrashes(readWholeNumber(key, line, ConfigValues::parseFlappingCrashes));
            case "flappingWindow" -> builder.flappingWindow(readString(key, line, ConfigValues::parseFlappingWindow));
            case "logFile" -> builder.logFile(readString(key, line, ConfigValues::parseFilePath));
            case "pidFile" -> builder.pidFile(readString(key, line, ConfigValues::parseFilePath));
            case "worker" -> readWorker(line);
            default -> throw unknownKey(key, "", TOP_LEVEL_KEYS, line);
        }
    }

    private void readWorker(int line) throws IOException, ConfigException {
        requireObject("worker", line);
        // readFields rejects duplicate keys, so each part is set at most once; checkKeyRules sees them together.
        readFields("worker", (key, keyLine) -> {
            String path = "worker." + key;
            switch (key) {
                case "jvmOptions" ->
                        builder.workerJvmOptions(readStringList(path, keyLine, ConfigValues::checkJvmOption));
                case "env" -> builder.workerEnv(readEnv(keyLine));
                case "mainClass" -> builder.workerMainClass(readString(path, keyLine, ConfigValues::checkMainClass));
                case "classpath" ->
                        builder.workerClasspath(readStringList(path, keyLine, ConfigValues::checkClasspathEntry));
                case "args" -> builder.workerArgs(readStringList(path, keyLine, ConfigValues::checkArgument));
                case "command" -> builder.workerCommand(readCommand(keyLine));
                default -> throw unknownKey(key, "worker", WORKER_KEYS, keyLine);
            }
        });
    }

    /** Each element is checked with {@code check}, and named by its index in an error. */
    private List<String> readStringList(String path, int line, Function<String, String> check)
            throws IOException, ConfigException {
        JsonNode array = readArray(path, line);
        List<String> strings = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            strings.add(checkString(path + "[" + i + "]", line, array.get(i), check));
        }
        return strings;
    }

    /** Like {@link #readStringList}, but the first element is the executable and there must be one. */
    private List<String> readCommand(int line) throws IOException, ConfigException {
        String path = "worker.command";
        JsonNode array = readArray(path, line);
        if (array.isEmpty()) {
            check(path, line, array, () -> ConfigValues.checkCommand(List.of()));
        }
        List<String> command = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            Function<String, String> check = i == 0 ? ConfigValues::checkExecutable : ConfigValues::checkArgument;
            command.add(checkString(path + "[" + i + "]", line, array.get(i), check));
        }
        return command;
    }

    private JsonNode readArray(String path, int line) throws IOException, ConfigException {
        JsonNode array = readValue();
        if (!array.isArray()) {
            throw error(line, quote(path) + ": " + shown(array) + " is not an array of strings");
        }
        return array;
    }

    private Map<String, String> readEnv(int line) throws IOException, ConfigException {
        String path = "worker.env";
        requireObject(path, line);
        Map<String, String> env = new LinkedHashMap<>();
        readFields(path, (name, nameLine) -> {
            check(path, nameLine, TextNode.valueOf(name), () -> ConfigValues.checkEnvName(name));
            env.put(name, readString(path + "." + name, nameLine, ConfigValues::checkEnvValue));
        });
        return env;
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

    private <T> T readString(String path, int line, Function<String, T> parse) throws IOException, ConfigException {
        return checkString(path, line, readValue(), parse);
    }

    private <T> T checkString(String path, int line, JsonNode node, Function<String, T> parse) throws ConfigException {
        if (!node.isTextual()) {
            throw error(line, quote(path) + ": " + shown(node) + " is not a string");
        }
        return check(path, line, node, () -> parse.apply(node.textValue()));
    }

    /**
     * Checks a number with the command line's text parser, given the value's JSON text: a string, a fraction or
     * an out-of-range number then all get the same message, e.g. {@code "four" is not a whole number from 1 to 1024}.
     */
    private int readWholeNumber(String path, int line, Function<String, Integer> parse)
            throws IOException, ConfigException {
        JsonNode node = readValue();
        return check(path, line, node, () -> parse.apply(node.toString()));
    }

    /** Runs a {@link ConfigValues} check, turning its complaint into an error that shows the JSON value. */
    private <T> T check(String path, int line, JsonNode shownValue, Supplier<T> check)
            throws ConfigException {
        try {
            return check.get();
        } catch (InvalidValueException e) {
            throw error(line, quote(path) + ": " + shown(shownValue) + " " + e.problem());
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
