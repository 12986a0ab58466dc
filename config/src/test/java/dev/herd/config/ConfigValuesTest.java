package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValuesTest {

    @Test
    void acceptsWorkersAtBothEndsOfTheRange() {
        assertEquals(1, ConfigKeys.WORKERS.type().fromText("1"));
        assertEquals(1024, ConfigKeys.WORKERS.type().fromText("1024"));
        assertEquals(1024, ConfigKeys.WORKERS.type().check(1024));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1025", "-1", "four", "4.0", "", " 4", "+4", "99999999999", "4294967297"})
    void rejectsWorkersOutsideTheRangeNamingTheValue(String raw) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigKeys.WORKERS.type().fromText(raw));
        assertEquals("'" + raw + "' is not a whole number from 1 to 1024", e.getMessage());
    }

    @Test
    void checkWorkersNamesTheValue() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigKeys.WORKERS.type().check(0));
        assertEquals("'0' is not a whole number from 1 to 1024", e.getMessage());
        assertEquals("0", e.value());
        assertEquals("is not a whole number from 1 to 1024", e.problem());
    }

    @Test
    void backlogRangeIsOneTo65535() {
        assertEquals(65535, ConfigKeys.BACKLOG.type().fromText("65535"));
        assertEquals(1, ConfigKeys.BACKLOG.type().check(1));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigKeys.BACKLOG.type().fromText("65536"));
        assertEquals("'65536' is not a whole number from 1 to 65535", e.getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigKeys.BACKLOG.type().check(0));
    }

    @Test
    void appMustBeKnownAndTheMessageListsTheKnownApps() {
        assertEquals(List.of("echo", "http"), ConfigValues.APPS);
        assertEquals("echo", ConfigKeys.APP.type().fromText("echo"));
        assertEquals("http", ConfigKeys.APP.type().fromText("http"));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigKeys.APP.type().fromText("ftp"));
        assertEquals("'ftp' is not a known app (known apps: echo, http)", e.getMessage());
    }

    @Test
    void gracefulTimeoutUsesTheDurationSyntax() {
        assertEquals(Duration.ofSeconds(30), ConfigKeys.GRACEFUL_TIMEOUT.type().fromText("30s"));
        InvalidValueException e =
                assertThrows(InvalidValueException.class, () -> ConfigKeys.GRACEFUL_TIMEOUT.type().fromText("30"));
        assertEquals("'30' is not a duration (use e.g. 500ms, 30s, 2m)", e.getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigKeys.GRACEFUL_TIMEOUT.type().check(Duration.ofMillis(-1)));
        // Beyond a day it is a mistake, and 2562048h would overflow every deadline computed from it.
        assertEquals("'2562048h' is not a duration from 0 to 24h", assertThrows(InvalidValueException.class,
                () -> ConfigKeys.GRACEFUL_TIMEOUT.type().fromText("2562048h")).getMessage());
    }

    @Test
    void listenUsesListenAddressParse() {
        assertEquals(new ListenAddress("0.0.0.0", 80), ConfigKeys.LISTEN.type().fromText("0.0.0.0:80"));
        assertThrows(InvalidValueException.class, () -> ConfigKeys.LISTEN.type().fromText("0.0.0.0"));
    }

    @Test
    void adminSocketMustBeNonEmptyAndFitAUnixSocketAddress() {
        assertEquals(Path.of("/run/herd/admin.sock"), ConfigValues.parseAdminSocket("/run/herd/admin.sock"));
        String longest = "/" + "a".repeat(ConfigValues.MAX_SOCKET_PATH_BYTES - 1);
        assertEquals(Path.of(longest), ConfigValues.parseAdminSocket(longest));

        assertEquals("'' is not a socket path: it is empty",
                assertThrows(InvalidValueException.class, () -> ConfigValues.parseAdminSocket("")).getMessage());
        InvalidValueException tooLong =
                assertThrows(InvalidValueException.class, () -> ConfigValues.parseAdminSocket(longest + "a"));
        assertEquals("is not a socket path: it is longer than 107 bytes, the limit for a Unix socket",
                tooLong.problem());
        assertThrows(InvalidValueException.class, () -> ConfigValues.parseAdminSocket("/run/a\0b"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"A", "_", "a_1", "JAVA_HOME", "_X9"})
    void acceptsEnvironmentVariableNames(String name) {
        assertEquals(name, ConfigValues.checkEnvName(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1A", "A-B", "A B", "A=B", "É"})
    void rejectsOtherEnvironmentVariableNames(String name) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigValues.checkEnvName(name));
        assertEquals(name, e.value());
    }

    @Test
    void jvmOptionsMustBeNonEmptyAndFreeOfNul() {
        assertEquals("-Xmx256m", ConfigValues.checkJvmOption("-Xmx256m"));
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkJvmOption(""));
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkJvmOption("-Da=\0"));
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkEnvValue("a\0"));
    }

    @Test
    void readyTimeoutIsMoreThanZeroAndAtMostAnHour() {
        assertEquals(Duration.ofMillis(1), ConfigKeys.READY_TIMEOUT.type().fromText("1ms"));
        assertEquals(Duration.ofHours(1), ConfigKeys.READY_TIMEOUT.type().fromText("60m"));
        assertEquals("'0s' is not a duration from 1ms to 1h",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.READY_TIMEOUT.type().fromText("0s")).getMessage());
        assertEquals("'3600001ms' is not a duration from 1ms to 1h", assertThrows(InvalidValueException.class,
                () -> ConfigKeys.READY_TIMEOUT.type().fromText("3600001ms")).getMessage());
        assertEquals("'60' is not a duration (use e.g. 500ms, 30s, 2m)",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.READY_TIMEOUT.type().fromText("60")).getMessage());
        assertEquals("'PT-1S' is not a whole, non-negative number of milliseconds",
                assertThrows(InvalidValueException.class,
                        () -> ConfigKeys.READY_TIMEOUT.type().check(Duration.ofSeconds(-1))).getMessage());
    }

    @Test
    void heartbeatTimeoutIsZeroForOffOrAtMostAnHour() {
        assertEquals(Duration.ZERO, ConfigKeys.HEARTBEAT_TIMEOUT.type().fromText("0"));
        assertEquals(Duration.ofHours(1), ConfigKeys.HEARTBEAT_TIMEOUT.type().fromText("1h"));
        assertEquals("'2h' is not a duration from 0 (off) to 1h",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.HEARTBEAT_TIMEOUT.type().fromText("2h")).getMessage());
        assertEquals("'1h1ms' is not a duration (use e.g. 500ms, 30s, 2m)", assertThrows(InvalidValueException.class,
                () -> ConfigKeys.HEARTBEAT_TIMEOUT.type().fromText("1h1ms")).getMessage());
        assertEquals(Duration.ZERO, ConfigKeys.HEARTBEAT_TIMEOUT.type().check(Duration.ZERO));
    }

    @Test
    void maxRequestsAndItsJitterAreZeroToTheLargestInt() {
        assertEquals(0, ConfigKeys.MAX_REQUESTS.type().fromText("0"));
        assertEquals(Integer.MAX_VALUE, ConfigKeys.MAX_REQUESTS.type().fromText("2147483647"));
        assertEquals(Integer.MAX_VALUE, ConfigKeys.MAX_REQUESTS_JITTER.type().fromText("2147483647"));
        for (Function<String, Integer> parse : List.<Function<String, Integer>>of(
                ConfigKeys.MAX_REQUESTS.type()::fromText, ConfigKeys.MAX_REQUESTS_JITTER.type()::fromText)) {
            for (String raw : List.of("-1", "2147483648", "1e3", "ten", "")) {
                assertEquals("'" + raw + "' is not a whole number from 0 to 2147483647",
                        assertThrows(InvalidValueException.class, () -> parse.apply(raw)).getMessage());
            }
        }
        assertThrows(InvalidValueException.class, () -> ConfigKeys.MAX_REQUESTS.type().check(-1));
        assertThrows(InvalidValueException.class, () -> ConfigKeys.MAX_REQUESTS_JITTER.type().check(Integer.MIN_VALUE));
    }

    @Test
    void flappingCrashesIsOneTo1000AndItsWindowMoreThanZero() {
        assertEquals(1, ConfigKeys.FLAPPING_CRASHES.type().fromText("1"));
        assertEquals(1000, ConfigKeys.FLAPPING_CRASHES.type().fromText("1000"));
        assertEquals("'0' is not a whole number from 1 to 1000",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.FLAPPING_CRASHES.type().fromText("0")).getMessage());
        assertEquals("'1001' is not a whole number from 1 to 1000",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.FLAPPING_CRASHES.type().check(1001)).getMessage());
        assertEquals(Duration.ofMillis(1), ConfigKeys.FLAPPING_WINDOW.type().fromText("1ms"));
        assertEquals(Duration.ofHours(24), ConfigKeys.FLAPPING_WINDOW.type().fromText("24h"));
        assertEquals("'25h' is not a duration from 1ms to 24h", assertThrows(InvalidValueException.class,
                () -> ConfigKeys.FLAPPING_WINDOW.type().fromText("25h")).getMessage());
        assertEquals("'0ms' is not a duration from 1ms to 24h",
                assertThrows(InvalidValueException.class, () -> ConfigKeys.FLAPPING_WINDOW.type().fromText("0ms")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"herd.log", "/var/log/herd.log", "logs/herd.log", "./herd.pid", "../run/herd.pid",
            "a b", ".hidden"})
    void acceptsFilePaths(String raw) {
        assertEquals(Path.of(raw), ConfigValues.parseFilePath(raw));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``           | it is empty",
            "/var/log/    | it ends in '/'",
            "/            | it ends in '/'",
            ".            | it names a directory",
            "logs/..      | it names a directory",
            "/var/log/.   | it names a directory"})
    void rejectsFilePathsThatAreEmptyOrNameADirectory(String raw, String reason) {
        assertEquals("'" + raw + "' is not a file path: " + reason,
                assertThrows(InvalidValueException.class, () -> ConfigValues.parseFilePath(raw)).getMessage());
    }

    @Test
    void aFilePathCannotContainNul() {
        assertEquals("is not a file path: it contains a NUL character",
                assertThrows(InvalidValueException.class, () -> ConfigValues.parseFilePath("a\0b")).problem());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Main", "com.example.Main", "a.B$Inner", "_x.$y", "com.example1.V2", "été.Ñ"})
    void acceptsJavaClassNames(String name) {
        assertEquals(name, ConfigValues.checkMainClass(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1a.Main", "com..Main", ".Main", "Main.", "com/example/Main", "com.example.Main.class",
            "a b", "a-b.C", "a.1B", "int", "a.new.B"})
    void rejectsOtherClassNames(String name) {
        assertEquals("'" + name + "' is not a Java class name (as in com.example.Main: letters, digits, _ and $,"
                + " joined by dots)",
                assertThrows(InvalidValueException.class, () -> ConfigValues.checkMainClass(name)).getMessage());
    }

    @Test
    void classpathEntriesAreSingleNonEmptyPaths() {
        assertEquals("lib/*", ConfigValues.checkClasspathEntry("lib/*"));
        assertEquals("/opt/app/app.jar", ConfigValues.checkClasspathEntry("/opt/app/app.jar"));
        assertEquals("'' is not a classpath entry: it is empty",
                assertThrows(InvalidValueException.class, () -> ConfigValues.checkClasspathEntry("")).getMessage());
        assertEquals("'a.jar:b.jar' is not a classpath entry: it contains ':' (give one entry per string)",
                assertThrows(InvalidValueException.class,
                        () -> ConfigValues.checkClasspathEntry("a.jar:b.jar")).getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkClasspathEntry("a\0"));
    }

    @Test
    void argumentsMayBeEmptyButNotContainNul() {
        assertEquals("", ConfigValues.checkArgument(""));
        assertEquals("--port=8080", ConfigValues.checkArgument("--port=8080"));
        assertEquals("is not a program argument: it contains a NUL character",
                assertThrows(InvalidValueException.class, () -> ConfigValues.checkArgument("a\0")).problem());
    }

    @Test
    void anExecutableHasASlashAndAJarEndsInDotJar() {
        assertEquals("./server", ConfigValues.checkExecutable("./server"));
        assertEquals("'server' is not an executable path: it has no '/' (PATH is not searched;"
                + " write e.g. /usr/bin/x or ./x)",
                assertThrows(InvalidValueException.class, () -> ConfigValues.checkExecutable("server")).getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkExecutable(""));
        assertEquals("/opt/app/app.jar", ConfigValues.checkJar("/opt/app/app.jar"));
        assertEquals("'/opt/app/' is not a jar path: it must end in .jar",
                assertThrows(InvalidValueException.class, () -> ConfigValues.checkJar("/opt/app/")).getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkJar("a\0.jar"));
    }
}
