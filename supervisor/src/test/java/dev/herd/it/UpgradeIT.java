package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21's core, end to end from a shell's point of view: {@code herd upgrade} re-executes the master in place
 * (same pid, same listening socket) while clients keep coming, the upgraded master replaces the old workers and
 * reaps them, and a {@code kill -TERM} afterwards still stops everything; an upgrade whose new herd refuses the
 * configuration leaves the old master serving. The same install is "the herd installed now" here: what these tests
 * prove is the hand-over, not a version change.
 */
class UpgradeIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Duration UPGRADE = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    private Path writeConfig(String json) throws IOException {
        Path config = dir.resolve("herd.json");
        Files.writeString(config, json);
        return config;
    }

    @Test
    void keepAliveHttpLoadGoesThroughAnUpgradeWithoutAFailedRequestAndTheMasterKeepsItsPid() throws Exception {
        Path pidFile = dir.resolve("herd.pid");
        Path config = writeConfig("{\"workers\": 2, \"app\": \"http\", \"gracefulTimeout\": \"10s\","
                + " \"pidFile\": \"" + pidFile + "\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> old = admin.awaitReady(2, START);
            int port = herd.port();
            long master = herd.pid();
            String[] upgradeOutput = new String[1];

            KeepAliveLoad load = KeepAliveLoad.throughReloads(port, "/", 1, () -> {
                Cli.Result upgrade = upgrade();
                assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
                upgradeOutput[0] = upgrade.stdout();
            }, UPGRADE, warm -> { });

            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            assertTrue(upgradeOutput[0].contains("upgraded: herd "), upgradeOutput[0]);
            JsonNode status = admin.status();
            assertEquals(master, status.path("pid").asLong(), "the same master process");
            assertEquals(1, status.path("upgrade").path("count").asInt(), status.toString());
            assertEquals("done", status.path("upgrade").path("phase").asText(), status.toString());
            assertEquals(Long.toString(master), Files.readString(pidFile).strip());
            Set<Long> now = admin.awaitReady(2, START);
            now.forEach(pid -> assertFalse(old.contains(pid), "a worker of the old master still serves: " + pid));
            old.forEach(pid -> assertTrue(ProcFs.exited(pid), "old worker " + pid + " left behind"));
            assertEquals(Set.copyOf(now), Set.copyOf(ProcFs.children(master)),
                    "the master's children are its new workers, no zombie, nothing else");
            assertEquals("0000000000000000", signalMask(master), "no signal blocked in the re-executed master");
            assertTrue(herd.hasLine("listening on 127\\.0\\.0\\.1:" + port + " \\(socket handed over by upgrade 1"),
                    herd.output());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            now.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master"));
            assertFalse(Files.exists(pidFile), "the pid file is removed at exit");
            assertFalse(Files.exists(admin.socket()), "the admin socket is removed at exit");
        }
    }

    @Test
    void aRefusedUpgradeKeepsTheOldMasterServingThenEchoClientsGoThroughAGoodOne() throws Exception {
        Path config = writeConfig("{\"workers\": 2, \"gracefulTimeout\": \"10s\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> old = admin.awaitReady(2, START);
            long master = herd.pid();
            try (EchoLoad clients = new EchoLoad(herd.port(), 2)) {
                clients.awaitServed(20, START);
                writeConfig("{\"workers\": \"many\"}");

                Cli.Result refused = upgrade();

                assertEquals(1, refused.exitCode(), refused.stdout() + refused.stderr());
                assertTrue(refused.stderr().contains("herd.json:1") && refused.stderr().contains("(upgrade_failed)"),
                        refused.stderr());
                assertEquals(1, refused.stderr().strip().lines().count(), refused.stderr());
                assertEquals(old, admin.awaitReady(2, START), "the old workers keep serving");
                assertEquals(0, admin.status().path("upgrade").path("count").asInt());
                clients.awaitServed(20, START);
                assertTrue(herd.hasLine("ERROR .*upgrade refused: the new herd's check exited 78"), herd.output());

                writeConfig("{\"workers\": 2, \"gracefulTimeout\": \"10s\"}");
                Cli.Result upgrade = upgrade();

                assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
                clients.awaitServed(20, START);
                clients.close();
                assertEquals(0, clients.failed(), clients.toString());
            }
            assertEquals(master, admin.status().path("pid").asLong());
            old.forEach(pid -> assertTrue(ProcFs.exited(pid), "old worker " + pid + " left behind"));
            Set<Long> now = admin.awaitReady(2, START);
            assertEquals(Set.copyOf(now), Set.copyOf(ProcFs.children(master)), "no zombie, nothing else");

            Cli.Result stop = admin.cli("stop");
            assertEquals(0, stop.exitCode(), stop.stderr());
            assertEquals(0, herd.awaitExit(START), herd.output());
            now.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master"));
        }
    }

    /** {@code bin/herd upgrade}, which answers once the upgraded master has replaced every worker. */
    private Cli.Result upgrade() {
        return Cli.run(UPGRADE, HerdProcess.LAUNCHER.toString(), "upgrade", "--admin-socket",
                admin.socket().toString());
    }

    /** The blocked signals of the process's main thread (SigBlk of /proc/PID/status), in hex. */
    private static String signalMask(long pid) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
        return lines.stream().filter(line -> line.startsWith("SigBlk:")).findFirst()
                .map(line -> line.substring("SigBlk:".length()).strip()).orElseThrow();
    }
}
