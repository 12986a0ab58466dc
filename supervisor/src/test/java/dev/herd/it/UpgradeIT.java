package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
            AdminPinger pinger = new AdminPinger(admin.socket());

            KeepAliveLoad load;
            try {
                load = KeepAliveLoad.throughReloads(port, "/", 1, () -> {
                    Cli.Result upgrade = upgrade();
                    assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
                    upgradeOutput[0] = upgrade.stdout();
                }, UPGRADE, warm -> { });
            } finally {
                pinger.close();
            }

            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            // A ping every 20 ms through the exec: the old master's listener, handed over, kept them queued.
            assertEquals(0, pinger.failed(), pinger + "\n" + herd.output());
            assertTrue(pinger.answered() > 0, pinger.toString());
            System.out.println("admin pings through the upgrade: " + pinger);
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

    @Test
    void anUpgradeMovesTheAdminSocketAndTheMetricsListenerAndTheLoadGoesOnWithoutAFailedRequest() throws Exception {
        Path pidFile = dir.resolve("herd.pid");
        Path oldSocket = admin.socket();
        Path newSocket = dir.resolve("moved/herd.sock");
        int oldMetrics = Connections.freePort();
        int newMetrics = Connections.freePort();
        String common = "\"workers\": 2, \"app\": \"http\", \"gracefulTimeout\": \"10s\", \"pidFile\": \""
                + pidFile + "\"";
        Path config = writeConfig("{" + common + ", \"adminSocket\": \"" + oldSocket + "\", \"metricsListen\": "
                + "\"127.0.0.1:" + oldMetrics + "\"}");
        try (HerdProcess herd = HerdProcess.run("-c", config.toString())) {
            Set<Long> old = admin.awaitReady(2, START);
            long master = herd.pid();
            assertEquals(200, metricsStatus(oldMetrics));
            writeConfig("{" + common + ", \"adminSocket\": \"" + newSocket + "\", \"metricsListen\": \"127.0.0.1:"
                    + newMetrics + "\"}");

            KeepAliveLoad load = KeepAliveLoad.throughReloads(herd.port(), "/", 1, () -> {
                // The client asks the old path, which answers until the upgrade has ended and names the new one.
                Cli.Result upgrade = upgrade();
                assertEquals(0, upgrade.exitCode(), upgrade.stdout() + upgrade.stderr() + herd.output());
                assertTrue(upgrade.stdout().contains("upgraded: herd "), upgrade.stdout());
            }, UPGRADE, warm -> { });

            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            assertFalse(Files.exists(oldSocket, LinkOption.NOFOLLOW_LINKS), "the old admin socket is removed");
            JsonNode status = statusAt(newSocket);
            assertEquals(master, status.path("pid").asLong(), "the same master process");
            assertEquals(1, status.path("upgrade").path("count").asInt(), status.toString());
            assertEquals("done", status.path("upgrade").path("phase").asText(), status.toString());
            assertEquals(newSocket.toString(), status.path("adminSocket").asText());
            assertEquals(Long.toString(master), Files.readString(pidFile).strip());
            assertEquals(200, metricsStatus(newMetrics), "the metrics at the new address");
            assertThrows(java.net.ConnectException.class, () -> metricsStatus(oldMetrics), "nothing at the old one");
            assertTrue(herd.hasLine("upgrade: the admin socket moves from " + java.util.regex.Pattern.quote(
                    oldSocket.toString()) + " to "), herd.output());
            Set<Long> now = AdminFixture.readyPids(status);
            // "done" means every old worker was told to drain; it exits, and is reaped, a moment later.
            assertTrue(java.util.Collections.disjoint(old, now), "old " + old + ", now " + now);
            Poll.until(START, "the master's children to be its new workers: no old one, no zombie", () ->
                    Set.copyOf(ProcFs.children(master)).equals(Set.copyOf(now)));

            Cli.Result stop = Cli.herd("stop", "--admin-socket", newSocket.toString());
            assertEquals(0, stop.exitCode(), stop.stderr());
            assertEquals(0, herd.awaitExit(START), herd.output());
            now.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master"));
            assertFalse(Files.exists(newSocket, LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(pidFile));
        }
    }

    @Test
    void anUpgradeToANewListenAddressServesTheOldOneUntilTheNewWorkersAreReadyThenClosesIt() throws Exception {
        int oldPort = Connections.freePort();
        int newPort = Connections.freePort();
        Path config = writeConfig("{\"listen\": \"127.0.0.1:" + oldPort + "\", \"workers\": 2, "
                + "\"gracefulTimeout\": \"10s\"}");
        try (HerdProcess herd = HerdProcess.start(List.of("run", "-c", config.toString(), "--admin-socket",
                admin.socket().toString()), Map.of())) {
            Set<Long> old = admin.awaitReady(2, START);
            long master = herd.pid();
            writeConfig("{\"listen\": \"127.0.0.1:" + newPort + "\", \"workers\": 2, \"gracefulTimeout\": \"10s\"}");
            CompletableFuture<Cli.Result> upgrade;
            EchoLoad clients = new EchoLoad(oldPort, 2);
            try {
                clients.awaitServed(20, START);
                upgrade = CompletableFuture.supplyAsync(this::upgrade);
                Poll.until(UPGRADE, "the upgraded master listening on the new port", () -> admin.tryStatus()
                        .filter(status -> status.path("upgrade").path("count").asInt() == 1
                                && status.path("listen").asText().equals("127.0.0.1:" + newPort)).isPresent());
                clients.awaitServed(20, START); // the old workers still serve the old port
            } finally {
                clients.close();
            }
            assertEquals(0, clients.failed(), clients.toString());

            Cli.Result result = upgrade.get(UPGRADE.toSeconds(), TimeUnit.SECONDS);
            assertEquals(0, result.exitCode(), result.stdout() + result.stderr() + herd.output());
            assertEquals("127.0.0.1:" + newPort, admin.status().path("listen").asText());
            assertEquals(EchoLoad.TITLE, EchoClient.roundTrip(newPort, EchoLoad.TITLE));
            Poll.until(START, "the old port to refuse connections", () -> {
                try {
                    EchoClient.roundTrip(oldPort, EchoLoad.TITLE);
                    return false;
                } catch (IOException refused) {
                    return true;
                }
            });
            assertTrue(herd.hasLine("upgrade: listening on 127\\.0\\.0\\.1:" + newPort + "; the workers move over "
                    + "from 127\\.0\\.0\\.1:" + oldPort), herd.output());
            Set<Long> now = admin.awaitReady(2, START);
            // "done" means every old worker was told to drain; it exits, and is reaped, a moment later.
            assertTrue(java.util.Collections.disjoint(old, now), "old " + old + ", now " + now);
            Poll.until(START, "the master's children to be its new workers: no old one, no zombie", () ->
                    Set.copyOf(ProcFs.children(master)).equals(Set.copyOf(now)));

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            now.forEach(pid -> assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master"));
        }
    }

    @Test
    void anUpgradeToAListenAddressInUseIsRefusedBeforeTheExecAndTheOldMasterGoesOnServing() throws Exception {
        Path config = writeConfig("{\"listen\": \"127.0.0.1:0\", \"workers\": 1}");
        try (java.net.ServerSocket occupied = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             HerdProcess herd = HerdProcess.start(List.of("run", "-c", config.toString(), "--admin-socket",
                     admin.socket().toString()), Map.of())) {
            Set<Long> old = admin.awaitReady(1, START);
            writeConfig("{\"listen\": \"127.0.0.1:" + occupied.getLocalPort() + "\", \"workers\": 1}");

            Cli.Result refused = upgrade();

            assertEquals(1, refused.exitCode(), refused.stdout() + refused.stderr());
            assertTrue(refused.stderr().contains("listen 127.0.0.1:" + occupied.getLocalPort() + " is in use")
                    && refused.stderr().contains("(upgrade_failed)"), refused.stderr());
            assertEquals(0, admin.status().path("upgrade").path("count").asInt(), "no exec");
            assertEquals(old, admin.awaitReady(1, START), "the old worker keeps serving");
            assertEquals(EchoLoad.TITLE, EchoClient.roundTrip(herd.port(), EchoLoad.TITLE));
            assertTrue(herd.hasLine("ERROR .*upgrade refused: the new herd's check exited 78"), herd.output());
        }
    }

    /** The status reply from the admin socket at {@code socket}. */
    private static JsonNode statusAt(Path socket) throws IOException {
        try (AdminSocketClient client = new AdminSocketClient(socket)) {
            return client.request("{\"command\":\"status\"}");
        }
    }

    /** The HTTP status of GET /metrics on 127.0.0.1:port. */
    private static int metricsStatus(int port) throws IOException, InterruptedException {
        return HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
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
