package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4's promises, end to end with real processes: readiness over NOTIFY_SOCKET, rolling reloads that never
 * refuse a client, a reload whose replacement never gets ready, hang detection, recycling, and a worker that is
 * not a JVM but speaks sd_notify.
 */
class ZeroDowntimeIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final String TITLE = "War and Peace";

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
    void aReloadWithANewWorkerCountAndJvmOptionTakesEffectWithoutFailingAClient() throws Exception {
        Path config = writeConfig("{\"workers\": 2, \"gracefulTimeout\": \"10s\","
                + " \"worker\": {\"jvmOptions\": [\"-Dherd.it.generation=1\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            admin.awaitReady(2, START);
            try (EchoLoad clients = new EchoLoad(herd.port(), 1)) {
                Poll.until(START, "clients served before the reload", () -> clients.served() >= 20);
                writeConfig("{\"workers\": 3, \"gracefulTimeout\": \"10s\","
                        + " \"worker\": {\"jvmOptions\": [\"-Dherd.it.generation=2\"]}}");
                int servedBefore = clients.served();

                Cli.Result reload = admin.cli("reload");

                assertEquals(0, reload.exitCode(), reload.stderr() + herd.output());
                assertTrue(reload.stdout().contains("reloaded"), reload.stdout());
                Set<Long> ready = admin.awaitReady(3, START);
                for (long pid : ready) {
                    assertTrue(ProcFs.cmdline(pid).contains("-Dherd.it.generation=2"), ProcFs.cmdline(pid));
                }
                int servedAfter = clients.served();
                assertTrue(servedAfter > servedBefore, "no client was served during the reload");
                Poll.until(START, "a few more clients", () -> clients.served() >= servedAfter + 20);
                clients.close();
                assertEquals(0, clients.failed(), "failed connections: " + clients);
            }
        }
    }

    @Test
    void anInvalidConfigOnReloadIsReportedAndTheOldWorkersKeepServing() throws Exception {
        Path config = writeConfig("{\"workers\": 2}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> before = admin.awaitReady(2, START);
            writeConfig("{\"workers\": \"many\"}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(1, reload.exitCode());
            assertTrue(reload.stderr().contains("herd.json:1") && reload.stderr().contains("(reload_failed)"),
                    reload.stderr());
            assertEquals(1, reload.stderr().strip().lines().count(), reload.stderr());
            assertEquals(before, admin.awaitReady(2, START));
            assertEquals(TITLE, EchoClient.roundTrip(herd.port(), TITLE));
            assertTrue(herd.hasLine("reload: .*keeping the running configuration"), herd.output());
        }
    }

    @Test
    void aReplacementThatNeverSendsReadyFailsTheReloadAndTheOldWorkersKeepServing() throws Exception {
        Path config = writeConfig("{\"workers\": 2, \"readyTimeout\": \"3s\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> before = admin.awaitReady(2, START);
            // A worker that takes the socket but never says READY=1.
            writeConfig("{\"workers\": 2, \"readyTimeout\": \"3s\", \"worker\": {\"command\":"
                    + " [\"/usr/bin/python3\", \"-c\", \"import time; time.sleep(600)\"]}}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(1, reload.exitCode(), reload.stdout());
            assertTrue(reload.stderr().contains("not ready within 3s") && reload.stderr().contains("reload_failed"),
                    reload.stderr());
            assertEquals(before, admin.awaitReady(2, START), "the old workers are the ones serving");
            assertEquals(TITLE, EchoClient.roundTrip(herd.port(), TITLE));
            // The failed reload's config is not left for the next replacement: a killed worker comes back as echo.
            long victim = before.iterator().next();
            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(victim));
            Set<Long> after = Poll.until(START, "a replacement", () -> {
                Set<Long> ready = admin.awaitReady(2, START);
                return ready.contains(victim) ? java.util.Optional.empty() : java.util.Optional.of(ready);
            });
            after.forEach(pid -> assertTrue(ProcFs.cmdline(pid).contains("WorkerMain"), ProcFs.cmdline(pid)));
        }
    }

    @Test
    void aStoppedWorkerIsKilledAsHungAfterTheHeartbeatTimeoutAndReplaced() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1", "--heartbeat-timeout", "2s")) {
            long stopped = admin.awaitReady(1, START).iterator().next();

            ProcFs.stopAndWait(stopped, Duration.ofSeconds(10));

            herd.awaitLine("worker-1 \\(pid " + stopped + ", ready\\) is hung", START);
            Set<Long> replaced = Poll.until(START, "a replacement", () -> {
                Set<Long> ready = admin.awaitReady(1, START);
                return ready.contains(stopped) ? java.util.Optional.empty() : java.util.Optional.of(ready);
            });
            assertTrue(ProcFs.exited(stopped), "the hung worker was not reaped");
            assertEquals(1, replaced.size());
            assertEquals(TITLE, EchoClient.roundTrip(herd.port(), TITLE));
            assertTrue(herd.hasLine("worker-1 \\(pid " + stopped + "\\) exited: signal 9 \\(KILL\\), hung: no heartbeat"),
                    herd.output());
        }
    }

    @Test
    void maxRequestsRecyclesWorkersWithoutFailingAConnection() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "2", "--max-requests", "15")) {
            Set<Long> first = admin.awaitReady(2, START);
            int port = herd.port();
            for (int i = 0; i < 120; i++) {
                assertEquals(TITLE, EchoClient.roundTrip(port, TITLE), "connection " + i);
            }
            herd.awaitLine("has served \\d+ \\(its limit is 15\\); replacing it", START);
            Poll.until(START, "recycled workers", () -> !first.containsAll(AdminFixture.readyPids(admin.status())));
            for (JsonNode worker : admin.status().path("workers")) {
                assertEquals(0, worker.path("restarts").asInt(), "a recycle is no crash: " + worker);
            }
        }
    }

    @Test
    void aNonJavaWorkerThatSpeaksSdNotifyBecomesReadyAndServes() throws Exception {
        Path script = HerdProcess.HOME.resolve("supervisor/src/test/resources/echo_worker.py");
        Path config = writeConfig("{\"workers\": 1, \"heartbeatTimeout\": \"0\", \"worker\": {\"command\": "
                + "[\"/usr/bin/python3\", \"" + script + "\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            long pid = admin.awaitReady(1, START).iterator().next();

            assertTrue(ProcFs.cmdline(pid).contains("echo_worker.py"), ProcFs.cmdline(pid));
            assertEquals("python echo", admin.status().path("workers").get(0).path("status").asText());
            assertEquals(TITLE, EchoClient.roundTrip(herd.port(), TITLE));
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertTrue(herd.hasLine("worker-1 \\(pid " + pid + "\\) exited: exit 0"), herd.output());
        }
    }

    @Test
    void scalingUpAnswersOnceTheNewWorkersAreReady() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            admin.awaitReady(1, START);

            Cli.Result probe = admin.cli("status", "--ready");
            assertEquals(0, probe.exitCode(), probe.stderr());
            assertEquals("1/1 worker ready, 0 restarts\n", probe.stdout());

            Cli.Result scale = admin.cli("scale", "3");

            assertEquals(0, scale.exitCode(), scale.stderr());
            assertTrue(scale.stdout().contains("(3 ready)"), scale.stdout());
            assertEquals(3, admin.status().path("readyWorkers").asInt());

            Cli.Result down = admin.cli("scale", "1");
            assertEquals(0, down.exitCode(), down.stderr());
            assertEquals(1, admin.status().path("workers").size(), "the surplus slots are gone when scale answers");
            Map<Integer, Long> workers = herd.workers();
            assertEquals(Set.of(1), workers.keySet());
        }
    }

    @Test
    void aReloadThatChangesTheListenAddressMovesTheWorkersToANewSocket() throws Exception {
        Path config = writeConfig("{\"listen\": \"127.0.0.1:0\", \"workers\": 2}");
        try (HerdProcess herd = HerdProcess.start(List.of("run", "-c", config.toString(),
                "--admin-socket", admin.socket().toString()), Map.of())) {
            admin.awaitReady(2, START);
            int oldPort = herd.port();
            int newPort = freePort();
            writeConfig("{\"listen\": \"127.0.0.1:" + newPort + "\", \"workers\": 2}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(0, reload.exitCode(), reload.stderr());
            assertEquals("127.0.0.1:" + newPort, admin.status().path("listen").asText());
            assertEquals(TITLE, EchoClient.roundTrip(newPort, TITLE));
            // Once the old workers have drained, nothing holds the old socket any more.
            Poll.until(START, "the old port to refuse connections", () -> {
                try {
                    EchoClient.roundTrip(oldPort, TITLE);
                    return false;
                } catch (IOException refused) {
                    return true;
                }
            });
        }
    }

    @Test
    void aReloadToAnAddressInUseIsRefusedAndNothingChanges() throws Exception {
        try (java.net.ServerSocket occupied = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Path config = writeConfig("{\"listen\": \"127.0.0.1:0\", \"workers\": 1}");
            try (HerdProcess herd = HerdProcess.start(List.of("run", "-c", config.toString(),
                    "--admin-socket", admin.socket().toString()), Map.of())) {
                Set<Long> before = admin.awaitReady(1, START);
                writeConfig("{\"listen\": \"127.0.0.1:" + occupied.getLocalPort() + "\", \"workers\": 1}");

                Cli.Result reload = admin.cli("reload");

                assertEquals(1, reload.exitCode());
                assertTrue(reload.stderr().contains("cannot listen on 127.0.0.1:" + occupied.getLocalPort()),
                        reload.stderr());
                assertEquals(before, admin.awaitReady(1, START));
                assertEquals(TITLE, EchoClient.roundTrip(herd.port(), TITLE));
            }
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }

    @Test
    void theReadinessProbeFailsWhileAWorkerIsNotReady() throws Exception {
        Path config = writeConfig("{\"workers\": 1, \"worker\": {\"command\":"
                + " [\"/usr/bin/python3\", \"-c\", \"import time; time.sleep(600)\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("started worker-1", START);

            Cli.Result probe = admin.cli("status", "--ready");

            assertEquals(1, probe.exitCode(), probe.stderr());
            assertEquals("0/1 worker ready, 0 restarts\n", probe.stdout());
            assertEquals("starting", admin.status().path("workers").get(0).path("state").asText());
        }
    }

    @Test
    void aSlotThatKeepsCrashingShowsBackoffWhileTheMasterKeepsRunning() throws Exception {
        Path config = writeConfig("{\"workers\": 1, \"flappingCrashes\": 2, \"flappingWindow\": \"60s\","
                + " \"worker\": {\"command\": [\"/bin/false\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitLine("worker-1 is flapping: 3 crashes within 1m", START);

            JsonNode slot = admin.status().path("workers").get(0);

            assertEquals("backoff", slot.path("state").asText(), slot.toString());
            assertTrue(slot.path("crashesInWindow").asInt() >= 3, slot.toString());
            assertEquals(0, admin.cli("ping").exitCode(), "the master keeps running");
            Cli.Result probe = admin.cli("status", "--ready");
            assertEquals(1, probe.exitCode());
        }
    }
}
