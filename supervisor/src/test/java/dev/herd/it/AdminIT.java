package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin channel and the CLI that speaks it, end to end: real master, real socket, real CLI processes. */
class AdminIT {

    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    @Test
    void theCliDrivesEveryCommand() throws Exception {
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 2, \"gracefulTimeout\": \"5s\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            assertEquals("pong\n", admin.cli("ping").stdout());

            Cli.Result table = admin.cli("status");
            assertEquals(0, table.exitCode(), table.stderr());
            assertTrue(table.stdout().contains("master pid " + herd.pid()), table.stdout());
            for (Map.Entry<Integer, Long> w : workers.entrySet()) {
                assertTrue(table.stdout().lines().anyMatch(l -> l.matches(w.getKey() + "\\s+" + w.getValue()
                        + "\\s+ready\\s+.*")), table.stdout());
            }
            JsonNode status = AdminSocketClient.JSON.readTree(admin.cli("status", "--json").stdout());
            assertEquals(herd.pid(), status.path("pid").asLong());
            assertEquals(2, status.path("desiredWorkers").asInt());
            assertEquals(workers.get(1).longValue(), status.path("workers").get(0).path("pid").asLong());
            assertEquals(config.toString(), status.path("configFile").asText());

            assertEquals(0, admin.cli("scale", "3").exitCode());
            herd.awaitWorkersAccepting(3, START);
            assertEquals(0, admin.cli("scale", "-2").exitCode());
            Poll.until(START, "one worker left", () -> herd.workers().size() == 1);

            long before = herd.workers().get(1);
            assertEquals(0, admin.cli("restart", "1").exitCode());
            Poll.until(START, "slot 1 restarted", () -> {
                Long now = herd.workers().get(1);
                return now != null && now != before;
            });
            Cli.Result noSlot = admin.cli("restart", "7");
            assertEquals(1, noSlot.exitCode());
            assertTrue(noSlot.stderr().contains("no_such_slot"), noSlot.stderr());

            JsonNode effective = new AdminSocketClient(admin.socket()).request("{\"command\":\"config\"}");
            assertEquals("5s", effective.path("config").path("gracefulTimeout").asText());

            Files.writeString(config, "{\"workers\": 2, \"worker\": {\"jvmOptions\": [\"-Dherd.test.reloaded=yes\"]}}");
            assertEquals(0, admin.cli("reload").exitCode());
            Poll.until(START, "two workers started with the new JVM option", () -> {
                Map<Integer, Long> now = herd.workers();
                return now.size() == 2 && now.values().stream()
                        .allMatch(pid -> ProcFs.cmdline(pid).contains("-Dherd.test.reloaded=yes"));
            });

            Files.writeString(config, "{\"workers\": \"lots\"}");
            Map<Integer, Long> beforeBadReload = herd.workers();
            Cli.Result bad = admin.cli("reload");
            assertEquals(1, bad.exitCode());
            assertTrue(bad.stderr().contains("\"workers\": \"lots\" is not a whole number"), bad.stderr());
            assertEquals(beforeBadReload, herd.workers(), "an invalid config changes nothing");

            Cli.Result stop = admin.cli("stop", "--timeout", "3s");
            assertEquals(0, stop.exitCode(), stop.stderr());
            assertEquals("stopped\n", stop.stdout());
            assertEquals(0, herd.awaitExit(Duration.ofSeconds(5)));
            assertFalse(Files.exists(admin.socket()), "the socket file is removed at exit");
        }
    }

    @Test
    void statusCountsEachWorkersOpenAndServedConnections() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            int port = herd.port();
            herd.awaitWorkersAccepting(1, START);
            try (EchoClient a = new EchoClient(port); EchoClient b = new EchoClient(port);
                 EchoClient c = new EchoClient(port)) {
                for (EchoClient client : List.of(a, b, c)) {
                    assertEquals("War and Peace", client.exchange("War and Peace"));
                }
                JsonNode worker = workerStatus();
                assertEquals(3, worker.path("connectionsOpen").asInt(), worker.toString());
                assertEquals(3, worker.path("connectionsServed").asInt(), worker.toString());
            }
            Poll.until(START, "connections closed in status", () -> workerStatus().path("connectionsOpen").asInt() == 0);
            assertEquals(3, workerStatus().path("connectionsServed").asInt());
        }
    }

    private JsonNode workerStatus() {
        try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
            return client.request("{\"command\":\"status\"}").path("workers").get(0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aReloadWhoseWorkersCannotStartStopsAtTheFirstAndEveryOldWorkerKeepsServing() throws Exception {
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 3}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            int port = herd.port();
            Map<Integer, Long> before = herd.awaitWorkersAccepting(3, START);
            Files.writeString(config, "{\"workers\": 3, \"worker\": {\"jvmOptions\": [\"-XX:+NoSuchHerdOption\"]}}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(1, reload.exitCode(), reload.stdout());
            assertTrue(reload.stderr().contains("worker-1's replacement") && reload.stderr().contains("exit 1")
                    && reload.stderr().contains("(reload_failed)"), reload.stderr());
            herd.awaitLine("rolling restart stopped after 0 replaced: .*; 3 slots keep their workers", START);
            // The replacement starts next to the old worker, so even slot 1 keeps serving with its old one.
            Poll.until(START, "only the old workers left", () -> herd.workers().equals(before));
            assertEquals("War and Peace", EchoClient.roundTrip(port, "War and Peace"), "still serving");
        }
    }

    @Test
    void noMasterMeansExitThree() {
        Cli.Result result = admin.cli("status");
        assertEquals(3, result.exitCode());
        assertEquals("herd: no herd master is running at " + admin.socket() + " (no such file)",
                result.stderr().strip());
    }

    @Test
    void theSocketIsOwnerOnlyAndAnotherUserIsRefused() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            herd.awaitWorkersAccepting(1, START);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.socket())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.socket().getParent())));
            // Open the file modes so the peer check itself is what refuses user nobody.
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(admin.socket().getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(admin.socket(), PosixFilePermissions.fromString("rw-rw-rw-"));
            String client = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('" + admin.socket() + "');"
                    + " s.sendall(b'{\"command\":\"stop\"}\\n'); print(s.makefile().readline().strip())";
            Cli.Result asNobody = Cli.run(Duration.ofSeconds(30), "setpriv", "--reuid=nobody", "--regid=nogroup",
                    "--clear-groups", "/usr/bin/python3", "-c", client);
            JsonNode reply = AdminSocketClient.JSON.readTree(asNobody.stdout());
            assertFalse(reply.path("ok").asBoolean(true), asNobody.stdout() + asNobody.stderr());
            assertEquals("forbidden", reply.path("error").path("code").asText());
            assertTrue(herd.hasLine("admin: refused a connection from user nobody"), herd.output());
            assertTrue(herd.process().isAlive(), "the refused stop did nothing");
            assertEquals("pong\n", admin.cli("ping").stdout());
        }
    }

    @Test
    void anAdminGroupOpensTheSocketToItsMembers() throws Exception {
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"adminGroup\": \"nogroup\", \"workers\": 1}");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            herd.awaitWorkersAccepting(1, START);
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.socket())));
            assertEquals("nogroup", Files.readAttributes(admin.socket(), java.nio.file.attribute.PosixFileAttributes.class)
                    .group().getName());
            String client = "import socket; s = socket.socket(socket.AF_UNIX); s.connect('" + admin.socket() + "');"
                    + " s.sendall(b'{\"command\":\"ping\"}\\n'); print(s.makefile().readline().strip())";
            Cli.Result asNobody = Cli.run(Duration.ofSeconds(30), "setpriv", "--reuid=nobody", "--regid=nogroup",
                    "--clear-groups", "/usr/bin/python3", "-c", client);
            assertEquals("{\"ok\":true,\"pong\":true}", asNobody.stdout().strip(), asNobody.stderr());
        }
    }

    @Test
    void aThousandBadLinesHurtNothingAndLeakNoDescriptor() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            herd.awaitWorkersAccepting(1, START);
            int descriptorsBefore = ProcFs.descriptors(herd.pid()).size();
            Random random = new Random(42);
            List<String> samples = List.of("{", "[]", "42", "null", "\"text\"", "{\"command\":7}",
                    "{\"command\":\"nope\"}", "{\"command\":\"scale\"}", "{\"command\":\"scale\",\"workers\":-1}",
                    "{\"command\":\"scale\",\"workers\":2,\"delta\":1}", "{\"command\":\"ping\",\"x\":1}",
                    "{\"command\":\"stop\",\"timeout\":\"soon\"}", "{\"command\":\"restart\",\"slot\":\"one\"}");
            try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
                for (int i = 0; i < 1000; i++) {
                    String line = i % 3 == 0 ? randomBytes(random) : samples.get(random.nextInt(samples.size()));
                    JsonNode reply = client.request(line);
                    assertFalse(reply.path("ok").asBoolean(true), "line " + i + " '" + line + "': " + reply);
                    assertFalse(reply.path("error").path("code").asText().isEmpty());
                }
                assertTrue(client.request("{\"command\":\"ping\"}").path("pong").asBoolean(), "still usable");
            }
            try (AdminSocketClient tooLong = new AdminSocketClient(admin.socket())) {
                tooLong.send("{\"command\":\"" + "x".repeat(70 * 1024));
                assertEquals("line_too_long", tooLong.readReply().path("error").path("code").asText());
                assertNull(tooLong.readReply(), "closed after a line over 64 KiB");
            }
            Poll.until(START, "descriptor count back to " + descriptorsBefore,
                    () -> ProcFs.descriptors(herd.pid()).size() == descriptorsBefore);
            assertEquals(1, herd.workers().size(), "workers untouched");
        }
    }

    @Test
    void twoHundredConcurrentClientsAreAllServedAndACrashIsStillRepaired() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "2")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            ExecutorService pool = Executors.newFixedThreadPool(200);
            try {
                List<Future<JsonNode>> replies = new ArrayList<>();
                for (int i = 0; i < 200; i++) {
                    replies.add(pool.submit(() -> {
                        try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
                            client.request("{\"command\":\"status\"}");
                            return client.request("{\"command\":\"ping\"}");
                        }
                    }));
                }
                ProcessHandle.of(workers.get(1)).orElseThrow().destroyForcibly(); // a crash in the middle
                for (Future<JsonNode> reply : replies) {
                    assertTrue(reply.get(60, TimeUnit.SECONDS).path("pong").asBoolean());
                }
                Poll.until(Duration.ofSeconds(5), "slot 1 replaced during the admin storm", () -> {
                    Long now = herd.workers().get(1);
                    return now != null && !now.equals(workers.get(1));
                });
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneRefusesASecondMaster() throws Exception {
        Files.createDirectories(admin.socket().getParent());
        ServerSocketChannel leftover = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        leftover.bind(UnixDomainSocketAddress.of(admin.socket()));
        leftover.close(); // the file stays: a stale socket, as after a master was SIGKILLed
        assertTrue(Files.exists(admin.socket()));
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            herd.awaitWorkersAccepting(1, START);
            assertTrue(herd.hasLine("removing stale admin socket"), herd.output());
            try (HerdProcess second = admin.startHerd("--workers", "1")) {
                assertEquals(1, second.awaitExit(START));
                assertEquals("herd: another herd master is already running at admin socket " + admin.socket(),
                        second.lines().get(second.lines().size() - 1));
            }
            assertEquals("pong\n", admin.cli("ping").stdout(), "the first master is unharmed");
        }
    }

    @Test
    void aRegularFileAtTheSocketPathIsNotDeleted() throws Exception {
        Files.createDirectories(admin.socket().getParent());
        Files.writeString(admin.socket(), "precious");
        try (HerdProcess herd = admin.startHerd("--workers", "1")) {
            assertEquals(1, herd.awaitExit(START));
            assertTrue(herd.output().contains("exists and is not a socket"), herd.output());
            assertEquals("precious", Files.readString(admin.socket()));
        }
    }

    @Test
    void signalsScaleAndReload() {
        try (HerdProcess herd = admin.startHerd("--workers", "2")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            herd.signal("TTIN");
            herd.awaitWorkersAccepting(3, START);
            herd.signal("TTOU");
            Poll.until(START, "back to two workers", () -> herd.workers().size() == 2);
            herd.signal("HUP");
            Poll.until(START, "both workers replaced by the reload", () -> {
                Map<Integer, Long> now = herd.workers();
                return now.size() == 2 && !now.get(1).equals(workers.get(1)) && !now.get(2).equals(workers.get(2));
            });
            assertTrue(herd.process().isAlive());
        }
    }

    private static String randomBytes(Random random) {
        StringBuilder line = new StringBuilder();
        int length = 1 + random.nextInt(200);
        for (int i = 0; i < length; i++) {
            char c = (char) (32 + random.nextInt(95));
            line.append(c);
        }
        return line.toString();
    }
}
