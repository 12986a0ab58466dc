package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one line on stderr naming the problem and the value, a documented exit code, no process left. */
class ErrorsIT {

    @Test
    void aPortInUseFailsWithExitOneAndLeavesNoProcess() throws Exception {
        try (ServerSocket occupied = new ServerSocket()) {
            occupied.bind(new InetSocketAddress("127.0.0.1", 0));
            String address = "127.0.0.1:" + occupied.getLocalPort();
            try (HerdProcess herd = HerdProcess.start(java.util.List.of("run", "--listen", address), java.util.Map.of())) {
                assertEquals(1, herd.awaitExit(java.time.Duration.ofSeconds(60)));
                assertEquals("herd: bind(" + address + "): Address already in use", lastLine(herd));
                assertEquals(0, herd.process().toHandle().descendants().count(), "no stray process");
                assertTrue(herd.workers().isEmpty());
            }
        }
    }

    @Test
    void aBadFlagValueIsAUsageError() {
        Cli.Result result = Cli.herd("run", "--workers", "many");
        assertEquals(2, result.exitCode());
        assertEquals("herd run: Invalid value for option '--workers': 'many' is not a whole number from 1 to 1024"
                + " (see 'herd run --help')", result.stderr().strip());
    }

    @Test
    void anUnknownFlagIsAUsageError() {
        Cli.Result result = Cli.herd("run", "--wrokers", "2");
        assertEquals(2, result.exitCode());
        assertTrue(result.stderr().strip().startsWith("herd run: Unknown option") && result.stderr().contains("'--wrokers'"), result.stderr());
        assertEquals(1, result.stderr().strip().lines().count());
    }

    @Test
    void anUnresolvableHostIsAConfigurationError() {
        Cli.Result result = Cli.herd("run", "--listen", "no-such-host.invalid:9876");
        assertEquals(78, result.exitCode());
        assertEquals("herd: configuration error: cannot resolve host 'no-such-host.invalid' of listen address "
                + "no-such-host.invalid:9876", result.stderr().strip());
    }

    @Test
    void aBadConfigFileNamesFileLineKeyAndValue(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\n  \"listen\": \"127.0.0.1:0\",\n  \"workers\": -3\n}\n");
        Cli.Result result = Cli.herd("run", "-c", config.toString());
        assertEquals(78, result.exitCode());
        assertEquals("herd: configuration error: " + config + ":3: \"workers\": -3 is not a whole number from 1 to 1024",
                result.stderr().strip());
    }

    @Test
    void noSubcommandIsAUsageError() {
        Cli.Result result = Cli.herd();
        assertEquals(2, result.exitCode());
        assertTrue(result.stderr().contains("a subcommand is required"), result.stderr());
    }

    private static String lastLine(HerdProcess herd) {
        java.util.List<String> lines = herd.lines();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
}
