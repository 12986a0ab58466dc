package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the new herd of {@code herd upgrade} checks is what it runs: the config file as the upgrade read it once (a
 * file edited between the check and the exec must not start a master on a configuration nobody checked, which
 * could only fail after the exec, with every worker), and a hand-over it could not read is refused by the check.
 * The master is started through a symlink to {@code bin/herd}, which it re-runs by that path; the test replaces the
 * link by a script that acts only in the exec (it has the hand-over), not in the check.
 */
class UpgradeConfigIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration UPGRADE = Duration.ofSeconds(180);
    private static final String GOOD = "{\"workers\": 2, \"gracefulTimeout\": \"10s\"}";

    @TempDir
    Path dir;

    private AdminFixture admin;
    private LinkedLauncher launcher;
    private Path config;

    @BeforeEach
    void linkTheLauncher() throws IOException {
        admin = new AdminFixture(dir);
        launcher = new LinkedLauncher(dir);
        config = Files.writeString(dir.resolve("herd.json"), GOOD);
    }

    @Test
    void aConfigFileBrokenBetweenTheCheckAndTheExecIsNotWhatTheNewMasterRuns() throws Exception {
        try (HerdProcess herd = startThroughTheLink()) {
            Set<Long> old = admin.awaitReady(2, START);
            long master = herd.pid();
            try (EchoLoad clients = new EchoLoad(herd.port(), 2)) {
                clients.awaitServed(20, START);
                breakTheConfigInTheExec();

                Cli.Result upgrade = upgrade();

                assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
                assertTrue(Files.readString(config).contains("many"), "the script broke the file in the exec");
                assertEquals(master, admin.status().path("pid").asLong(), "the same master");
                assertEquals("done", admin.status().path("upgrade").path("phase").asText());
                Set<Long> now = admin.awaitReady(2, START);
                old.forEach(pid -> assertTrue(ProcFs.exited(pid), "old worker " + pid + " left behind"));
                clients.awaitServed(20, START);

                // The file is what it is: a reload reads it, and refuses it with its line.
                Cli.Result reload = admin.cli("reload");
                assertEquals(1, reload.exitCode(), reload.stdout() + reload.stderr());
                assertTrue(reload.stderr().contains("herd.json:1"), reload.stderr());
                assertEquals(now, admin.awaitReady(2, START), "the workers keep serving");
                clients.close();
                assertEquals(0, clients.failed(), clients.toString());
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    @Test
    void aConfigFileThatIsNotARegularFileRefusesTheUpgradeAndTheWorkersKeepServing() throws Exception {
        try (HerdProcess herd = startThroughTheLink()) {
            Set<Long> old = admin.awaitReady(2, START);
            Files.delete(config);
            Cli.Result mkfifo = Cli.run(START, "mkfifo", config.toString());
            assertEquals(0, mkfifo.exitCode(), mkfifo.stderr());

            Cli.Result upgrade = upgrade();

            assertEquals(1, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr());
            assertTrue(upgrade.stderr().contains("is not a regular file") && upgrade.stderr().contains(
                    "(upgrade_failed)"), upgrade.stderr());
            assertEquals(0, admin.status().path("upgrade").path("count").asInt(), "no exec");
            assertEquals(old, admin.awaitReady(2, START), "the same workers serve");
            assertEquals(EchoLoad.TITLE, EchoClient.roundTrip(herd.port(), EchoLoad.TITLE));
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    @Test
    void aHerdThatCannotReadTheRunningMastersHandOverFailsTheCheck() {
        Cli.Result check = Cli.runIn(dir, Map.of("HERD_UPGRADE_HANDOVER_FORMAT", "999"), START,
                HerdProcess.LAUNCHER.toString(), "run", "-c", config.toString(), "--check");

        assertEquals(78, check.exitCode(), check.stdout() + check.stderr());
        assertTrue(check.stderr().contains("hands over in format 999"), check.stderr());
    }

    private HerdProcess startThroughTheLink() {
        return HerdProcess.start(new ProcessBuilder(launcher.path().toString(), "run", "-c", config.toString(),
                "--listen", "127.0.0.1:0", "--admin-socket", admin.socket().toString()).redirectErrorStream(true));
    }

    /** Replaces the link by a script that, in the exec only (it has a hand-over), breaks the config file first. */
    private void breakTheConfigInTheExec() throws IOException {
        launcher.runInTheExec("    printf '{\"workers\": \"many\"}' >'" + config + "'\n");
    }

    private Cli.Result upgrade() {
        return Cli.run(UPGRADE, HerdProcess.LAUNCHER.toString(), "upgrade", "--admin-socket",
                admin.socket().toString());
    }
}
