package dev.herd.supervisor.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The alert rules in deploy/prometheus pass promtool's own checks and their unit tests (an alert per outage, with
 * job and instance kept), and docs/operations.md shows them as they are. Without promtool (Debian's prometheus
 * package) the promtool part is skipped on a developer's machine; CI installs it, and there it must run.
 */
class AlertRulesTest {

    private static final Path HOME = Path.of(System.getProperty("herd.home", "..")).toAbsolutePath().normalize();
    private static final Path RULES = HOME.resolve("deploy/prometheus");

    @Test
    void theRulesPassPromtoolsCheckAndTheirUnitTests() throws Exception {
        Path promtool = Path.of("/usr/bin/promtool");
        boolean ci = "true".equals(System.getenv("CI"));
        if (!ci) {
            Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed (apt-get install prometheus)");
        }
        assertEquals("", promtool(promtool, "check", "rules", "herd-alerts.yml"));
        assertEquals("", promtool(promtool, "test", "rules", "herd-alerts.test.yml"));
    }

    @Test
    void theOperationsGuideShowsTheRulesFileAsItIs() throws IOException {
        String guide = Files.readString(HOME.resolve("docs/operations.md"));
        String rules = Files.readString(RULES.resolve("herd-alerts.yml"));
        assertTrue(guide.contains("```yaml\n" + rules + "```\n"), "docs/operations.md's alert rules differ from "
                + RULES.resolve("herd-alerts.yml"));
    }

    /** Runs promtool in the rules' directory; returns "" when it exits 0, else what it printed. */
    private static String promtool(Path promtool, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(promtool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(RULES.toFile()).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
            return process.exitValue() == 0 ? "" : String.join(" ", args) + " (exit " + process.exitValue() + "):\n"
                    + output;
        } finally {
            process.destroyForcibly();
        }
    }
}
