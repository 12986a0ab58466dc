package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigValuesTest {

    @Test
    void acceptsWorkersAtBothEndsOfTheRange() {
        assertEquals(1, ConfigValues.parseWorkers("1"));
        assertEquals(1024, ConfigValues.parseWorkers("1024"));
        assertEquals(1024, ConfigValues.checkWorkers(1024));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "1025", "-1", "four", "4.0", "", " 4", "+4", "99999999999", "4294967297"})
    void rejectsWorkersOutsideTheRangeNamingTheValue(String raw) {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigValues.parseWorkers(raw));
        assertEquals("'" + raw + "' is not a whole number from 1 to 1024", e.getMessage());
    }

    @Test
    void checkWorkersNamesTheValue() {
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigValues.checkWorkers(0));
        assertEquals("'0' is not a whole number from 1 to 1024", e.getMessage());
        assertEquals("0", e.value());
        assertEquals("is not a whole number from 1 to 1024", e.problem());
    }

    @Test
    void backlogRangeIsOneTo65535() {
        assertEquals(65535, ConfigValues.parseBacklog("65535"));
        assertEquals(1, ConfigValues.checkBacklog(1));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigValues.parseBacklog("65536"));
        assertEquals("'65536' is not a whole number from 1 to 65535", e.getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkBacklog(0));
    }

    @Test
    void appMustBeKnownAndTheMessageListsTheKnownApps() {
        assertEquals(List.of("echo", "http"), ConfigValues.APPS);
        assertEquals("echo", ConfigValues.parseApp("echo"));
        assertEquals("http", ConfigValues.parseApp("http"));
        InvalidValueException e = assertThrows(InvalidValueException.class, () -> ConfigValues.parseApp("ftp"));
        assertEquals("'ftp' is not a known app (known apps: echo, http)", e.getMessage());
    }

    @Test
    void gracefulTimeoutUsesTheDurationSyntax() {
        assertEquals(Duration.ofSeconds(30), ConfigValues.parseGracefulTimeout("30s"));
        InvalidValueException e =
                assertThrows(InvalidValueException.class, () -> ConfigValues.parseGracefulTimeout("30"));
        assertEquals("'30' is not a duration (use e.g. 500ms, 30s, 2m)", e.getMessage());
        assertThrows(InvalidValueException.class, () -> ConfigValues.checkGracefulTimeout(Duration.ofMillis(-1)));
    }

    @Test
    void listenUsesListenAddressParse() {
        assertEquals(new ListenAddress("0.0.0.0", 80), ConfigValues.parseListen("0.0.0.0:80"));
        assertThrows(InvalidValueException.class, () -> ConfigValues.parseListen("0.0.0.0"));
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
}
