package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command lines answered without picocli mean what picocli makes of them; every other goes to picocli. */
class PlainRequestTest {

    @Test
    void takesWhatPicocliTakesTheSameWay() {
        String[][] lines = {
            {"status"}, {"ping"}, {"status", "--json"}, {"status", "--ready"}, {"status", "--ready", "--json"},
            {"status", "--admin-socket", "/run/a.sock"}, {"--admin-socket", "/run/a.sock", "status"},
            {"--admin-socket=/run/a.sock", "status", "--json"}, {"status", "--admin-socket=/run/b.sock"},
            {"--admin-socket", "/run/a.sock", "status", "--admin-socket", "/run/b.sock"},
            {"ping", "--admin-socket", "relative.sock"},
        };
        for (String[] line : lines) {
            PlainRequest plain = PlainRequest.parse(line).orElseThrow(() -> new AssertionError(Arrays.toString(line)));
            CommandLine.ParseResult parsed = HerdCli.commandLine(plain.name()).parseArgs(line);
            CommandLine.ParseResult subcommand = parsed.subcommand();
            assertEquals(subcommand.commandSpec().name(), plain.name(), Arrays.toString(line));
            Path socket = subcommand.matchedOptionValue("--admin-socket",
                    parsed.<Path>matchedOptionValue("--admin-socket", null));
            assertEquals(Optional.ofNullable(socket), plain.socket(), Arrays.toString(line));
            assertEquals(subcommand.matchedOptionValue("--json", false), plain.json(), Arrays.toString(line));
            assertEquals(subcommand.matchedOptionValue("--ready", false), plain.ready(), Arrays.toString(line));
        }
    }

    @Test
    void leavesEverythingElseToPicocli() {
        String[][] lines = {
            {}, {"run"}, {"scale", "3"}, {"status", "--help"}, {"--help"}, {"--version"}, {"status", "-h"},
            {"status", "--json", "--json"}, {"status", "--admin-socket"}, {"status", "--admin-socket", "--json"},
            {"status", "--admin-socket", "a", "--admin-socket", "b"}, {"--admin-socket", "a"},
            {"--admin-socket", "--admin-socket", "status"}, {"status", "--admin-socket="}, {"ping", "--json"},
            {"status", "extra"}, {"stauts"}, {"@args"}, {"status", "--admin-socket", "@file"}, {"status", "--jsonx"},
        };
        for (String[] line : lines) {
            assertTrue(PlainRequest.parse(line).isEmpty(), Arrays.toString(line));
        }
    }
}
