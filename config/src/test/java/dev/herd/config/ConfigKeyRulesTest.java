package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules between keys, as the config file reports them: at the key's line, naming the other key's line. */
class ConfigKeyRulesTest {

    @TempDir
    Path dir;

    private Path write(String... lines) throws IOException {
        return Files.writeString(dir.resolve("herd.json"), String.join("\n", lines) + "\n");
    }

    private String errorFor(Path file) {
        return assertThrows(ConfigException.class, () -> ConfigLoader.load(file)).getMessage();
    }

    @Test
    void jitterNeedsMaxRequests() throws Exception {
        Path file = write("{", "  \"maxRequestsJitter\": 10", "}");

        assertEquals(file + ":2: \"maxRequestsJitter\" needs \"maxRequests\" above 0", errorFor(file));
    }

    @Test
    void jitterNeedsMaxRequestsAboveZeroNamingItsLine() throws Exception {
        Path file = write("{", "  \"maxRequests\": 0,", "  \"maxRequestsJitter\": 10", "}");

        assertEquals(file + ":3: \"maxRequestsJitter\" needs \"maxRequests\" above 0 (set on line 2)", errorFor(file));
    }

    @Test
    void zeroJitterWithoutMaxRequestsIsFine() throws Exception {
        assertEquals(0, ConfigLoader.load(write("{\"maxRequestsJitter\": 0}")).maxRequestsJitter());
    }

    @Test
    void appCannotBeSetWithAMainClassEvenToTheDefault() throws Exception {
        Path file = write("{", "  \"app\": \"echo\",", "  \"worker\": {", "    \"mainClass\": \"a.B\"", "  }", "}");

        assertEquals(file + ":2: \"app\" cannot be used with \"worker.mainClass\" (set on line 4)", errorFor(file));
    }

    @Test
    void appCannotBeSetWithACommand() throws Exception {
        Path file = write("{", "  \"worker\": {\"command\": [\"./server\"]},", "  \"app\": \"http\"", "}");

        assertEquals(file + ":3: \"app\" cannot be used with \"worker.command\" (set on line 2)", errorFor(file));
    }

    @Test
    void commandCannotBeUsedWithTheJvmKeys() throws Exception {
        for (String other : List.of("\"mainClass\": \"a.B\"", "\"jvmOptions\": [\"-Xmx8m\"]",
                "\"classpath\": [\"a.jar\"]", "\"args\": [\"-v\"]")) {
            Path file = write("{\"worker\": {", "  " + other + ",", "  \"command\": [\"./server\"]", "}}");
            String key = other.substring(1, other.indexOf('"', 1));

            assertEquals(file + ":3: \"worker.command\" cannot be used with \"worker." + key + "\" (set on line 2)",
                    errorFor(file));
        }
    }

    @Test
    void anEmptyJvmOptionsListDoesNotCountAsSet() throws Exception {
        Path file = write("{\"worker\": {\"jvmOptions\": [], \"command\": [\"./server\"]}}");

        assertEquals(List.of("./server"), ConfigLoader.load(file).worker().command());
    }

    @Test
    void classpathAndArgsNeedAMainClass() throws Exception {
        Path classpath = write("{\"worker\": {", "  \"classpath\": [\"a.jar\"]", "}}");
        assertEquals(classpath + ":2: \"worker.classpath\" needs \"worker.mainClass\"", errorFor(classpath));

        Path args = write("{\"worker\": {", "", "  \"args\": [\"-v\"]", "}}");
        assertEquals(args + ":3: \"worker.args\" needs \"worker.mainClass\" or \"worker.jar\"", errorFor(args));
    }

    @Test
    void flagsThatBreakARuleOfTheFileAreReportedByBuild() throws Exception {
        Path file = write("{\"maxRequests\": 100, \"maxRequestsJitter\": 10, \"worker\": {\"mainClass\": \"a.B\"}}");

        assertEquals("\"maxRequestsJitter\" needs \"maxRequests\" above 0", assertThrows(ConfigException.class,
                () -> ConfigBuilder.fromFile(file).set(ConfigKeys.MAX_REQUESTS, 0).build()).getMessage());
        assertEquals("\"app\" cannot be used with \"worker.mainClass\"", assertThrows(ConfigException.class,
                () -> ConfigBuilder.fromFile(file).set(ConfigKeys.APP, "echo").build()).getMessage());
    }
}
