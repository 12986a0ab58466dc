package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The core promises of herd run, checked on real processes, sockets and signals. */
class CoreIT {

    private static final Duration START = Duration.ofSeconds(60); // the first run may build the jars

    @Test
    void workersAreChildrenLeadingGroupsOfTheirOwnAndHoldOnlyTheSharedSocketAndTheirPipes() {
        try (HerdProcess herd = HerdProcess.run("--workers", "3")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(3, START);
            assertEquals(Set.of(1, 2, 3), workers.keySet());
            long master = herd.pid();
            assertEquals(master, ProcFs.processGroup(master), "the master leads its own process group");
            Set<String> masterObjects = ProcFs.socketsAndPipes(master);
            for (long worker : workers.values()) {
                assertEquals(master, ProcFs.parent(worker));
                // A group of its own: what the worker starts can be signalled with it, also after it died.
                assertEquals(worker, ProcFs.processGroup(worker), "worker " + worker + " leads its own group");
                Map<Integer, String> fds = ProcFs.descriptors(worker);
                assertTrue(fds.get(0).startsWith("socket:"), "fd 0 is a socket: " + fds);
                assertTrue(masterObjects.contains(fds.get(0)), "fd 0 is the master's listening socket");
                assertTrue(fds.get(3).startsWith("pipe:") && masterObjects.contains(fds.get(3)), "fd 3: lifeline");
                assertTrue(fds.get(2).startsWith("pipe:"), "fd 2 is the output pipe: " + fds);
                assertTrue(fds.get(4).startsWith("pipe:"), "fd 4 is the notify pipe: " + fds);
                Set<String> allowed = Set.of(fds.get(0), fds.get(1), fds.get(2), fds.get(3), fds.get(4));
                Set<String> leaked = new HashSet<>(ProcFs.socketsAndPipes(worker));
                leaked.retainAll(masterObjects);
                leaked.removeAll(allowed);
                assertEquals(Set.of(), leaked, "master descriptors leaked into worker " + worker + ": " + fds);
            }
        }
    }

    @Test
    void fiftyConcurrentClientsAreEchoedAndServedByAtLeastTwoWorkers() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "3")) {
            int port = herd.port();
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(3, START);
            int clients = 50;
            CountDownLatch allConnected = new CountDownLatch(clients);
            CountDownLatch release = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<String>> echoes = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    String title = "title " + i + " of War and Peace";
                    echoes.add(pool.submit(() -> {
                        try (EchoClient client = new EchoClient(port)) {
                            String first = client.exchange(title);
                            allConnected.countDown();
                            release.await(30, TimeUnit.SECONDS); // hold the connection open while we look
                            return first + "|" + client.exchange(title);
                        }
                    }));
                }
                assertTrue(allConnected.await(30, TimeUnit.SECONDS), "all clients connected and echoed once");
                Set<String> connections = Connections.established(port);
                int servingWorkers = 0;
                for (long worker : workers.values()) {
                    Set<String> held = new HashSet<>(ProcFs.socketsAndPipes(worker));
                    held.retainAll(connections);
                    servingWorkers += held.isEmpty() ? 0 : 1;
                }
                release.countDown();
                for (int i = 0; i < clients; i++) {
                    String title = "title " + i + " of War and Peace";
                    assertEquals(title + "|" + title, echoes.get(i).get(30, TimeUnit.SECONDS));
                }
                assertTrue(servingWorkers >= 2, "connections spread over workers, got " + servingWorkers);
            } finally {
                release.countDown();
                pool.shutdownNow();
            }
        }
    }

    @Test
    void herdClientRoundTripsTheThreeBookTitles() {
        try (HerdProcess herd = HerdProcess.run("--workers", "1")) {
            int port = herd.port();
            herd.awaitWorkersAccepting(1, START);
            Cli.Result result = Cli.herd("client", "--port", Integer.toString(port));
            assertEquals(0, result.exitCode(), result.stderr());
            assertEquals("War and Peace\nPride and Prejudice\nThe Sound and the Fury\n", result.stdout());
        }
    }

    @Test
    void herdClientExitsOneWhenNothingListens() throws IOException {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Cli.Result result = Cli.herd("client", "--port", Integer.toString(port));
        assertEquals(1, result.exitCode());
        assertTrue(result.stderr().contains("Connection refused"), result.stderr());
        assertEquals(1, result.stderr().strip().lines().count(), "one line: " + result.stderr());
    }

    @Test
    void sigtermStopsEverythingWithinTwoSecondsLeavingNoZombieAndAFreePort() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "3")) {
            int port = herd.port();
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(3, START);
            ZombieWatch zombies = ZombieWatch.start(herd.pid());
            long signalledAt = System.nanoTime();
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(Duration.ofSeconds(5)));
            long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalledAt);
            zombies.stop();
            assertTrue(stopMillis < 2000, "stopped in " + stopMillis + " ms");
            for (long worker : workers.values()) {
                assertTrue(ProcFs.state(worker).isEmpty(), "worker " + worker + " reaped, not a zombie");
            }
            assertEquals(List.of(), zombies.lingering(), "zombies seen that were not reaped at once");
            assertTrue(herd.hasLine("master\\[\\d+\\] SIGTERM: stopping 3 workers"), herd.output());
            for (int slot = 1; slot <= 3; slot++) {
                assertTrue(herd.hasLine("worker-" + slot + " \\(pid \\d+\\) exited: exit 0"), herd.output());
            }
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
    }

    @Test
    void sigintStopsLikeSigterm() {
        try (HerdProcess herd = HerdProcess.run("--workers", "2")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            herd.signal("INT");
            assertEquals(0, herd.awaitExit(Duration.ofSeconds(5)));
            workers.values().forEach(w -> assertTrue(ProcFs.state(w).isEmpty(), "worker " + w + " reaped"));
        }
    }

    @Test
    void anIdleConnectionIsClosedAndDoesNotDelayTheStop() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "1", "--graceful-timeout", "20s")) {
            int port = herd.port();
            herd.awaitWorkersAccepting(1, START);
            try (EchoClient idle = new EchoClient(port)) {
                assertEquals("Pride and Prejudice", idle.exchange("Pride and Prejudice"));
                herd.signal("TERM");
                assertEquals(-1, idle.read(), "the worker closed the idle connection");
                assertEquals(0, herd.awaitExit(Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    void aKilledWorkerIsReplacedInTheSameSlotAndServesWithinTwoSeconds() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "2")) {
            int port = herd.port();
            Map<Integer, Long> before = herd.awaitWorkersAccepting(2, START);
            long victim = before.get(2);
            long killedAt = System.nanoTime();
            ProcessHandle.of(victim).orElseThrow().destroyForcibly();
            Map<Integer, Long> after = Poll.until(Duration.ofSeconds(2), "a new accepting worker in slot 2", () -> {
                Map<Integer, Long> now = herd.workers();
                Long replacement = now.get(2);
                boolean accepting = replacement != null && replacement != victim
                        && herd.hasLine("worker-2\\[" + replacement + "\\] accepting");
                return accepting ? java.util.Optional.of(now) : java.util.Optional.empty();
            });
            assertEquals("War and Peace", EchoClient.roundTrip(port, "War and Peace"));
            assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(2), "replaced within 2 s");
            assertEquals(before.get(1), after.get(1), "slot 1 untouched");
            assertNotEquals(victim, after.get(2));
            assertTrue(herd.hasLine("worker-2 \\(pid " + victim + "\\) died after \\d+ ms: signal 9 \\(KILL\\)"),
                    herd.output());
        }
    }

    @Test
    void killingTheMasterMakesEveryWorkerExitWithinThreeSeconds() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "3")) {
            int port = herd.port();
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(3, START);
            long killedAt = System.nanoTime();
            herd.process().destroyForcibly();
            Poll.until(Duration.ofSeconds(3), "every orphaned worker to exit",
                    () -> workers.values().stream().allMatch(ProcFs::exited));
            herd.awaitExit(Duration.ofSeconds(3)); // the master's own descriptors close when it is fully gone
            Poll.until(Duration.ofSeconds(3), "port " + port + " free again", () -> canBind(port));
            assertTrue(System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(3), "all gone within 3 s");
        }
    }

    @Test
    void aWorkerThatCannotStartBacksOffAndTheMasterKeepsRunning() throws Exception {
        java.nio.file.Path config = java.nio.file.Files.createTempFile("herd-bad-jvm", ".json");
        java.nio.file.Files.writeString(config, "{\"worker\": {\"jvmOptions\": [\"-XX:+NoSuchHerdOption\"]}}");
        try (HerdProcess herd = HerdProcess.run("-c", config.toString(), "--workers", "1")) {
            herd.awaitLine("worker-1 \\(pid \\d+\\) cannot boot: Unrecognized VM option 'NoSuchHerdOption' "
                    + "\\(exit 1 after \\d+ ms\\); retrying in 400 ms \\(4 failures in a row\\)", START);
            assertTrue(herd.hasLine("Unrecognized VM option 'NoSuchHerdOption'"), "the JVM's own error relayed");
            assertTrue(herd.process().isAlive(), "the master never exits because a worker died");
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(Duration.ofSeconds(5)));
        } finally {
            java.nio.file.Files.deleteIfExists(config);
        }
    }

    @Test
    void theLauncherExecsSoThePidSeenIsTheMasters() {
        try (HerdProcess herd = HerdProcess.run("--workers", "1")) {
            herd.awaitLine("master\\[" + herd.pid() + "\\] listening on", START);
            String argv = ProcFs.cmdline(herd.pid());
            assertTrue(argv.contains(" dev.herd.supervisor.cli.HerdCli run "), "the JVM itself, no shell in between: "
                    + argv);
        }
    }

    @Test
    void theMasterMapsTheClassDataArchiveAndItsWorkersDoNot() throws IOException {
        try (HerdProcess herd = HerdProcess.run("--workers", "1")) {
            long worker = herd.awaitWorkersAccepting(1, START).get(1);
            assertEquals(1, classDataArchives(herd.pid()).size(), "the master maps bin/herd's archive");
            assertEquals(List.of(), classDataArchives(worker), "a worker does not (it would cost it 10 MB)");
        }
    }

    private static List<String> classDataArchives(long pid) throws IOException {
        return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/" + pid + "/maps")).stream()
                .filter(line -> line.matches(".*/class-data/herd-\\d+-\\d+\\.(jsa|aot)$"))
                .map(line -> line.substring(line.indexOf('/'))).distinct().toList();
    }

    private static boolean canBind(int port) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Samples the master's children for zombies while a test stops it. */
    static final class ZombieWatch {
        private final Map<Long, Long> firstSeenNanos = new ConcurrentHashMap<>();
        private final Set<Long> lingering = ConcurrentHashMap.newKeySet();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        private ZombieWatch(long master) {
            thread = new Thread(() -> {
                while (running.get()) {
                    long now = System.nanoTime();
                    for (long pid : ProcFs.children(master)) {
                        if (ProcFs.state(pid).filter("Z"::equals).isPresent()) {
                            long first = firstSeenNanos.computeIfAbsent(pid, p -> now);
                            // A child is a zombie from its exit until waitpid: the master reaps on SIGCHLD, so
                            // one that stays a zombie for 500 ms was not reaped.
                            if (now - first > TimeUnit.MILLISECONDS.toNanos(500)) {
                                lingering.add(pid);
                            }
                        }
                    }
                    Poll.pause();
                }
            }, "zombie-watch");
            thread.setDaemon(true);
        }

        static ZombieWatch start(long master) {
            ZombieWatch watch = new ZombieWatch(master);
            watch.thread.start();
            return watch;
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(5000);
        }

        List<Long> lingering() {
            return List.copyOf(lingering);
        }
    }
}
