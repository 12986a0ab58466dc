package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        return Files.writeString(dir.resolve("herd.json"), String.join("\n", lines) + "\n");
    }

    /** Loads a file that must be rejected and returns the message. */
    private String errorFor(Path file) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).getMessage();
    }

    @Test
    void acceptsEveryKey() throws Exception {
        Path file = write(
                "{",
                "  \"listen\": \"[::1]:8080\",",
                "  \"workers\": 3,",
                "  \"adminSocket\": \"/run/herd/admin.sock\",",
                "  \"gracefulTimeout\": \"1500ms\",",
                "  \"backlog\": 128,",
                "  \"readyTimeout\": \"2m\",",
                "  \"heartbeatTimeout\": \"0\",",
                "  \"maxRequests\": 10000,",
                "  \"maxRequestsJitter\": 500,",
                "  \"flappingCrashes\": 10,",
                "  \"flappingWindow\": \"5m\",",
                "  \"logFile\": \"/var/log/herd.log\",",
                "  \"pidFile\": \"run/herd.pid\",",
                "  \"worker\": {",
                "    \"jvmOptions\": [\"-Xmx64m\", \"-Dfoo=bar baz\"],",
                "    \"env\": {\"APP_MODE\": \"prod\", \"_X1\": \"\"},",
                "    \"mainClass\": \"com.example.Main\",",
                "    \"classpath\": [\"lib/app.jar\", \"lib/*\"],",
                "    \"args\": [\"--mode\", \"\"]",
                "  }",
                "}");

        HerdConfig config = ConfigLoader.load(file);

        assertEquals(new ListenAddress("::1", 8080), config.listen());
        assertEquals(3, config.workers());
        assertEquals("echo", config.app());
        assertEquals(Optional.of(Path.of("/run/herd/admin.sock")), config.adminSocket());
        assertEquals(Duration.ofMillis(1500), config.gracefulTimeout());
        assertEquals(128, config.backlog());
        assertEquals(List.of("-Xmx64m", "-Dfoo=bar baz"), config.worker().jvmOptions());
        assertEquals(Map.of("APP_MODE", "prod", "_X1", ""), config.worker().env());
        assertEquals(Duration.ofMinutes(2), config.readyTimeout());
        assertEquals(Duration.ZERO, config.heartbeatTimeout());
        assertEquals(10000, config.maxRequests());
        assertEquals(500, config.maxRequestsJitter());
        assertEquals(10, config.flappingCrashes());
        assertEquals(Duration.ofMinutes(5), config.flappingWindow());
        assertEquals(Optional.of(Path.of("/var/log/herd.log")), config.logFile());
        assertEquals(Optional.of(Path.of("run/herd.pid")), config.pidFile());
        assertEquals(Optional.of("com.example.Main"), config.worker().mainClass());
        assertEquals(List.of("lib/app.jar", "lib/*"), config.worker().classpath());
        assertEquals(List.of("--mode", ""), config.worker().args());
        assertEquals(List.of(), config.worker().command());
        assertEquals(WorkerSpec.Kind.MAIN_CLASS, config.worker().kind());
        assertEquals("echo", config.app());
        assertEquals(Optional.of(file), config.source());
    }

    @Test
    void acceptsAnAppForTheBuiltInWorker() throws Exception {
        HerdConfig config = ConfigLoader.load(write("{\"app\": \"http\", \"worker\": {\"jvmOptions\": [\"-Xmx8m\"]}}"));

        assertEquals("http", config.app());
        assertEquals(WorkerSpec.Kind.BUILT_IN_APP, config.worker().kind());
    }

    @Test
    void acceptsACommandWorker() throws Exception {
        Path file = write("{\"worker\": {\"command\": [\"/usr/bin/server\", \"-v\", \"\"], \"env\": {\"A\": \"1\"}}}");

        HerdConfig config = ConfigLoader.load(file);

        assertEquals(List.of("/usr/bin/server", "-v", ""), config.worker().command());
        assertEquals(Map.of("A", "1"), config.worker().env());
        assertEquals(WorkerSpec.Kind.COMMAND, config.worker().kind());
    }

    @Test
    void anEmptyObjectGivesTheDefaultsWithTheFileAsSource() throws Exception {
        Path file = write("{}");

        HerdConfig config = ConfigLoader.load(file);

        HerdConfig defaults = ConfigLoader.defaults();
        assertEquals(defaults.listen(), config.listen());
        assertEquals(defaults.workers(), config.workers());
        assertEquals(defaults.gracefulTimeout(), config.gracefulTimeout());
        assertEquals(defaults.backlog(), config.backlog());
        assertEquals(defaults.worker(), config.worker());
        assertEquals(defaults.readyTimeout(), config.readyTimeout());
        assertEquals(defaults.heartbeatTimeout(), config.heartbeatTimeout());
        assertEquals(defaults.maxRequests(), config.maxRequests());
        assertEquals(defaults.maxRequestsJitter(), config.maxRequestsJitter());
        assertEquals(defaults.flappingCrashes(), config.flappingCrashes());
        assertEquals(defaults.flappingWindow(), config.flappingWindow());
        assertEquals(defaults.logFile(), config.logFile());
        assertEquals(defaults.pidFile(), config.pidFile());
        assertEquals(Optional.of(file), config.source());
    }

    @Test
    void keysLeftOutKeepTheirDefaults() throws Exception {
        HerdConfig config = ConfigLoader.load(write("{\"workers\": 2, \"worker\": {\"env\": {\"A\": \"1\"}}}"));

        assertEquals(2, config.workers());
        assertEquals(ConfigKeys.LISTEN.defaultValue(), config.listen());
        assertEquals(List.of(), config.worker().jvmOptions());
        assertEquals(Map.of("A", "1"), config.worker().env());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "workers         | -1          | is not a whole number from 1 to 1024",
            "workers         | 0           | is not a whole number from 1 to 1024",
            "workers         | 1025        | is not a whole number from 1 to 1024",
            "workers         | \"four\"    | is not a whole number from 1 to 1024",
            "workers         | \"4\"       | is not a whole number from 1 to 1024",
            "workers         | 4.5         | is not a whole number from 1 to 1024",
            "workers         | 99999999999 | is not a whole number from 1 to 1024",
            "workers         | null        | is not a whole number from 1 to 1024",
            "backlog         | 0           | is not a whole number from 1 to 65535",
            "backlog         | 65536       | is not a whole number from 1 to 65535",
            "backlog         | true        | is not a whole number from 1 to 65535",
            "app             | \"ftp\"     | is not a known app (known apps: echo, http)",
            "app             | 1           | is not a string",
            "listen          | \"host\"    | is not a listen address: expected HOST:PORT, as in 127.0.0.1:9876",
            "listen          | \"::1:80\"  | is not a listen address: an IPv6 host must be in brackets, as in [::1]:9876",
            "listen          | 9876        | is not a string",
            "adminSocket     | \"\"        | is not a socket path: it is empty",
            "adminSocket     | [\"/a\"]    | is not a string",
            "gracefulTimeout | \"30x\"     | is not a duration (use e.g. 500ms, 30s, 2m)",
            "gracefulTimeout | \"-1s\"     | is not a duration (use e.g. 500ms, 30s, 2m)",
            "gracefulTimeout | 30          | is not a string",
            "readyTimeout    | \"0\"       | is not a duration from 1ms to 1h",
            "readyTimeout    | \"61m\"     | is not a duration from 1ms to 1h",
            "readyTimeout    | \"1 m\"     | is not a duration (use e.g. 500ms, 30s, 2m)",
            "readyTimeout    | 60          | is not a string",
            "heartbeatTimeout | \"2h\"     | is not a duration from 0 (off) to 1h",
            "heartbeatTimeout | \"off\"    | is not a duration (use e.g. 500ms, 30s, 2m)",
            "heartbeatTimeout | 0          | is not a string",
            "maxRequests     | -1          | is not a whole number from 0 to 2147483647",
            "maxRequests     | 2147483648  | is not a whole number from 0 to 2147483647",
            "maxRequests     | false       | is not a whole number from 0 to 2147483647",
            "maxRequests     | \"1000\"    | is not a whole number from 0 to 2147483647",
            "maxRequestsJitter | -5        | is not a whole number from 0 to 2147483647",
            "maxRequestsJitter | 0.5       | is not a whole number from 0 to 2147483647",
            "flappingCrashes | 0           | is not a whole number from 1 to 1000",
            "flappingCrashes | 1001        | is not a whole number from 1 to 1000",
            "flappingWindow  | \"0s\"      | is not a duration from 1ms to 24h",
            "flappingWindow  | \"1d\"      | is not a duration (use e.g. 500ms, 30s, 2m)",
            "logFile         | \"\"        | is not a file path: it is empty",
            "logFile         | \"logs/\"   | is not a file path: it ends in '/'",
            "logFile         | \"logs/..\" | is not a file path: it names a directory",
            "logFile         | true        | is not a string",
            "pidFile         | \"/run/\"   | is not a file path: it ends in '/'",
            "pidFile         | null        | is not a string",
            "worker          | []          | is not an object"})
    void aBadValueIsReportedWithFileLineKeyAndValue(String key, String json, String problem) throws Exception {
        Path file = write(
                "{",
                "",
                "  \"" + key + "\": " + json,
                "}");

        assertEquals(file + ":3: \"" + key + "\": " + json + " " + problem, errorFor(file));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "\"jvmOptions\": \"-Xmx1m\"    | \"worker.jvmOptions\": \"-Xmx1m\" is not an array of strings",
            "\"jvmOptions\": [\"-a\", 7]   | \"worker.jvmOptions[1]\": 7 is not a string",
            "\"jvmOptions\": [\"\"]        | \"worker.jvmOptions[0]\": \"\" is not a JVM option: it is empty",
            "\"env\": [\"A=1\"]            | \"worker.env\": [\"A=1\"] is not an object",
            "\"env\": {\"1A\": \"x\"}      | \"worker.env\": \"1A\" is not an environment variable name",
            "\"env\": {\"A-B\": \"x\"}     | \"worker.env\": \"A-B\" is not an environment variable name",
            "\"env\": {\"A\": 1}           | \"worker.env.A\": 1 is not a string",
            "\"mainClass\": \"a/Main\"     | \"worker.mainClass\": \"a/Main\" is not a Java class name (as in",
            "\"mainClass\": [\"a.B\"]      | \"worker.mainClass\": [\"a.B\"] is not a string",
            "\"classpath\": \"a.jar\"      | \"worker.classpath\": \"a.jar\" is not an array of strings",
            "\"classpath\": [\"a:b\"]      | \"worker.classpath[0]\": \"a:b\" is not a classpath entry: it contains",
            "\"classpath\": [\"a\", \"\"]  | \"worker.classpath[1]\": \"\" is not a classpath entry: it is empty",
            "\"args\": \"-v\"              | \"worker.args\": \"-v\" is not an array of strings",
            "\"args\": [1]                 | \"worker.args[0]\": 1 is not a string",
            "\"command\": \"./s -v\"       | \"worker.command\": \"./s -v\" is not an array of strings",
            "\"command\": []               | \"worker.command\": [] is not a command: it is empty",
            "\"command\": [\"srv\"]        | \"worker.command[0]\": \"srv\" is not an executable path: it has no '/'",
            "\"command\": [\"./s\", null]  | \"worker.command[1]\": null is not a string",
            "\"jvmOpts\": []               | unknown key \"jvmOpts\" in \"worker\" (known keys: jvmOptions, env,"})
    void aBadWorkerValueIsReportedWithItsLine(String field, String expected) throws Exception {
        Path file = write(
                "{",
                "  \"worker\": {",
                "",
                "    " + field,
                "  }",
                "}");

        String message = errorFor(file);

        assertTrue(message.startsWith(file + ":4: " + expected), message);
    }

    @Test
    void anUnknownTopLevelKeyListsTheKnownKeys() throws Exception {
        Path file = write("{", "  \"workers\": 2,", "", "", "", "", "  \"wokers\": 4", "}");

        assertEquals(file + ":7: unknown key \"wokers\" (known keys: listen, workers, spareWorkers, app, adminSocket, adminGroup,"
                + " gracefulTimeout, backlog, readyTimeout, heartbeatTimeout, hangDiagnostics, maxRequests, maxRequestsJitter,"
                + " maxWorkerMemory, flappingCrashes, flappingWindow, logFile, logFormat, pidFile, metricsListen, readyMinimum, classDataDirectory, worker)",
                errorFor(file));
    }

    @Test
    void anUnknownWorkerKeyListsTheKnownWorkerKeys() throws Exception {
        Path file = write("{\"worker\": {\"main\": \"a.B\"}}");

        assertEquals(file + ":1: unknown key \"main\" in \"worker\" (known keys: jvmOptions, env, passEnv, user,"
                + " group, mainClass, jar, classpath, args, java, command, appPort, classData)", errorFor(file));
    }

    @Test
    void aDuplicateKeyNamesBothLines() throws Exception {
        Path file = write("{", "  \"workers\": 2,", "  \"backlog\": 5,", "  \"workers\": 3", "}");

        assertEquals(file + ":4: duplicate key \"workers\" (first set on line 2)", errorFor(file));
    }

    @Test
    void aDuplicateEnvironmentVariableIsAnError() throws Exception {
        Path file = write("{\"worker\": {\"env\": {", "\"A\": \"1\",", "\"A\": \"2\"}}}");

        assertEquals(file + ":3: duplicate key \"A\" in \"worker.env\"", errorFor(file));
    }

    @Test
    void malformedJsonReportsTheLineAndJacksonsReason() throws Exception {
        Path file = write("{", "  \"workers\": 2", "  \"backlog\": 5", "}");

        String message = errorFor(file);

        assertTrue(message.startsWith(file + ":3: malformed JSON: Unexpected character"), message);
        assertEquals(1, message.lines().count(), message);
    }

    @Test
    void jacksonsLocationTextIsShortenedToALineNumber() throws Exception {
        Path file = write("{", "  \"worker\": {\"jvmOptions\": [\"-a\"", "}");

        String message = errorFor(file);

        assertTrue(message.startsWith(file + ":3: malformed JSON: "), message);
        assertTrue(message.contains("line 2") && !message.contains("Source"), message);
    }

    @Test
    void commentsAreNotAllowed() throws Exception {
        Path file = write("{", "  // four workers", "  \"workers\": 4", "}");

        assertTrue(errorFor(file).startsWith(file + ":2: malformed JSON: "));
    }

    @Test
    void trailingCommasAreNotAllowed() throws Exception {
        Path file = write("{", "  \"workers\": 4,", "}");

        assertTrue(errorFor(file).startsWith(file + ":3: malformed JSON: "));
    }

    @Test
    void theTopLevelMustBeAnObject() throws Exception {
        Path file = write("", "[{\"workers\": 4}]");

        assertEquals(file + ":2: the top level is an array; expected a JSON object", errorFor(file));
    }

    @Test
    void anEmptyFileIsAnError() throws Exception {
        Path file = write("  ");

        assertEquals(file + ": the file is empty; expected a JSON object", errorFor(file));
    }

    @Test
    void contentAfterTheObjectIsAnError() throws Exception {
        Path file = write("{\"workers\": 4}", "{\"workers\": 5}");

        assertEquals(file + ":2: unexpected content after the top-level object", errorFor(file));
    }

    @Test
    void garbageAfterTheObjectIsAnError() throws Exception {
        Path file = write("{\"workers\": 4}", "", "x");

        assertTrue(errorFor(file).startsWith(file + ":3: malformed JSON: "));
    }

    @Test
    void aMissingFileSaysSo() {
        Path file = dir.resolve("absent.json");

        assertEquals("cannot read " + file + ": No such file or directory", errorFor(file));
    }

    @Test
    void aFileLargerThanAnyConfigIsRefusedWithoutReadingItAll() throws Exception {
        Path file = write("{\"workers\": 4, \"worker\": {\"env\": {\"BIG\": \""
                + "x".repeat(ConfigLoader.MAX_FILE_BYTES) + "\"}}}");

        assertEquals(file + ": larger than 1 MiB: not a config file", errorFor(file));
    }

    @Test
    void anEndlessDeviceIsRefusedWithoutReadingItAll() {
        Path zero = Path.of("/dev/zero");

        assertEquals("/dev/zero: larger than 1 MiB: not a config file", errorFor(zero));
    }

    @Test
    void aDirectoryCannotBeRead() {
        String message = errorFor(dir);

        assertTrue(message.startsWith("cannot read " + dir + ": "), message);
    }

    @Test
    void longValuesAreCutInTheMessage() throws Exception {
        Path file = write("{\"workers\": \"" + "x".repeat(500) + "\"}");

        String message = errorFor(file);

        assertTrue(message.contains("\"workers\": \"xxx") && message.contains("... is not a whole number"), message);
        assertTrue(message.length() < 200, message);
    }
}
