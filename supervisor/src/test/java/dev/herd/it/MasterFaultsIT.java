package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults of the master itself (issue 12): SIGKILL under load, SIGSTOP for 10 s, SIGTERM in the middle of a reload,
 * a second SIGTERM during the graceful stop, and 50 SIGHUPs in a second. Each test prints what it measured as
 * "MEASURED ..." lines.
 */
class MasterFaultsIT {

    private static final Duration START = Duration.ofSeconds(90);
    private static final Pattern STARTED = Pattern.compile("started worker-(\\d+) \\(pid (\\d+)\\)");

    @TempDir
    Path dir;

    private AdminFixture admin;

    @BeforeEach
    void newFixture() {
        admin = new AdminFixture(dir);
    }

    @Test
    void aSigkilledMasterUnderLoadLeavesNoWorkerAfterTwoSecondsAndFreesThePort() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "2")) {
            int port = herd.port();
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            long killedAt;
            try (EchoLoad load = new EchoLoad(port, 8)) {
                load.awaitServed(200, START);
                String beforeKill = load.toString();
                killedAt = System.nanoTime();
                Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(herd.pid()));
                Poll.until(Duration.ofSeconds(2), "every worker gone after the master's SIGKILL",
                        () -> workers.values().stream().allMatch(ProcFs::exited));
                long workersGone = System.nanoTime();
                Poll.until(Duration.ofSeconds(2), "port " + port + " free", () -> canBind(port));
                long portFree = System.nanoTime();
                System.out.printf("MEASURED master SIGKILL under load (8 clients, until the kill: %s): workers gone "
                        + "after %d ms, port free after %d ms%n", beforeKill, millis(workersGone - killedAt),
                        millis(portFree - killedAt));
                assertTrue(portFree - killedAt < TimeUnit.SECONDS.toNanos(2), "gone and free within 2 s");
            }
            assertEquals(137, herd.awaitExit(START));
        }
    }

    @Test
    void aMasterStoppedForTenSecondsLeavesItsWorkersServingAndKillsNoneAsHungWhenItResumes() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "8", "--heartbeat-timeout", "3s")) {
            int port = herd.port();
            Set<Long> workers = admin.awaitReady(8, START);
            try (EchoLoad load = new EchoLoad(port, 2)) {
                load.awaitServed(50, START);
                herd.signal("STOP");
                long stoppedAt = System.nanoTime();
                // The CLI meanwhile: it must give up after its reply timeout, not hang with the master.
                long cliFrom = System.nanoTime();
                Cli.Result status = admin.cli("status");
                long cliTook = System.nanoTime() - cliFrom;
                load.awaitServed(200, START);
                int failedWhileStopped = load.failed();
                holdFor(Duration.ofSeconds(10), stoppedAt); // the fault's length, not a wait for an outcome
                herd.signal("CONT");
                long stoppedFor = System.nanoTime() - stoppedAt;

                assertEquals(1, status.exitCode(), status.toString());
                assertTrue(status.stderr().contains("did not answer within 10 s"), status.stderr());
                assertEquals(0, failedWhileStopped, "clients failed while the master was stopped: " + load);

                JsonNode resumed = Poll.until(START, "status after SIGCONT", admin::tryStatus);
                long resumedUptime = resumed.path("uptimeSeconds").asLong();
                // Past the heartbeat timeout (3 s) after the resume, on the master's own clock.
                JsonNode later = Poll.until(START, "5 s of the master's uptime after SIGCONT", () -> admin.tryStatus()
                        .filter(s -> s.path("uptimeSeconds").asLong() >= resumedUptime + 5));
                System.out.printf("MEASURED master SIGSTOP for %d ms: clients %s; herd status gave up after %d ms "
                        + "(exit %d)%n", millis(stoppedFor), load, millis(cliTook), status.exitCode());
                assertEquals(workers, AdminFixture.readyPids(later),
                        "the same workers, none killed:\n" + herd.output());
                assertFalse(herd.hasLine("is hung"), herd.output());
                assertTrue(herd.hasLine("the master did not run for \\d+ ms"), herd.output());
                assertEquals(0, load.failed(), load.toString());
            }
        }
    }

    @Test
    void aSigtermHalfwayThroughAReloadIsOneCleanStop() throws Exception {
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 4, \"gracefulTimeout\": \"20s\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            admin.awaitReady(4, START);
            herd.signal("HUP");
            herd.awaitLine("reloading worker-3 \\(pid \\d+, ready\\): starting its replacement", START);
            herd.signal("TERM");

            assertEquals(0, herd.awaitExit(START), herd.output());
            assertEquals(1, count(herd, "SIGTERM: stopping \\d+ workers"), herd.output());
            assertEquals(1, count(herd, "INFO  master\\[\\d+\\] stopped$"), herd.output());
            int stopLine = firstLine(herd, "SIGTERM: stopping");
            assertTrue(herd.lines().subList(stopLine, herd.lines().size()).stream()
                    .noneMatch(l -> STARTED.matcher(l).find()), "no worker started after SIGTERM:\n" + herd.output());
            for (long pid : startedPids(herd)) {
                assertTrue(ProcFs.exited(pid), "worker " + pid + " outlived the master");
            }
        }
    }

    @Test
    void aSecondSigtermDuringTheGracefulStopChangesNothing() throws Exception {
        try (HerdProcess herd = admin.startHerd("--workers", "2", "--graceful-timeout", "4s")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            admin.awaitReady(2, START);
            long stuck = workers.get(1);
            ProcFs.stopAndWait(stuck, Duration.ofSeconds(10)); // it cannot drain
            long firstTerm = System.nanoTime();
            herd.signal("TERM");
            herd.awaitLine("SIGTERM: stopping 2 workers", START);
            herd.awaitLine("worker-2 \\(pid " + workers.get(2) + "\\) exited: exit 0", START);
            herd.signal("TERM");

            assertEquals(0, herd.awaitExit(START), herd.output());
            long took = System.nanoTime() - firstTerm;
            assertEquals(1, count(herd, "SIGTERM: stopping"), herd.output());
            assertTrue(herd.hasLine("worker-1 \\(pid " + stuck + ", stopping\\) did not exit by its stop deadline; "
                    + "sending SIGKILL"), herd.output());
            assertTrue(took >= TimeUnit.MILLISECONDS.toNanos(3_900) && took < TimeUnit.SECONDS.toNanos(20),
                    "the stop took " + millis(took) + " ms; its graceful timeout is 4 s");
            assertTrue(workers.values().stream().allMatch(ProcFs::exited));
            System.out.printf("MEASURED second SIGTERM during a 4 s graceful stop: one stop, exit 0 after %d ms%n",
                    millis(took));
        }
    }

    @Test
    void fiftySighupsInASecondAreOneReloadThatReplacesEverySlotOnceWithNeverFewerReady() throws Exception {
        int n = 3;
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": " + n + "}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> before = admin.awaitReady(n, START);
            AtomicBoolean sampling = new AtomicBoolean(true);
            AtomicInteger fewestReady = new AtomicInteger(Integer.MAX_VALUE);
            AtomicInteger mostStarting = new AtomicInteger();
            AtomicInteger samples = new AtomicInteger();
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    admin.tryStatus().ifPresent(status -> {
                        samples.incrementAndGet();
                        fewestReady.accumulateAndGet(status.path("readyWorkers").asInt(), Math::min);
                        int starting = 0;
                        for (JsonNode worker : status.path("workers")) {
                            starting += worker.path("state").asText().equals("starting") ? 1 : 0;
                        }
                        mostStarting.accumulateAndGet(starting, Math::max);
                    });
                }
            }, "status-sampler");
            sampler.start();
            try {
                // One process sends them, 1 ms apart, and says how long the 50 took (its own start not counted).
                // They all arrive while the first reload runs: even unloaded, three JVM replacements, one after
                // another, take several times as long. A SIGHUP after a reload has ended is a new reload.
                Cli.Result hups = Cli.run(Duration.ofSeconds(30), "/usr/bin/python3", "-c", "import os, signal, sys, "
                        + "time\nstart = time.monotonic()\nfor i in range(50):\n    os.kill(int(sys.argv[1]), "
                        + "signal.SIGHUP)\n    time.sleep(0.001)\nprint(round((time.monotonic() - start) * 1000))",
                        Long.toString(herd.pid()));
                assertEquals(0, hups.exitCode(), hups.toString());
                long sent = Long.parseLong(hups.stdout().trim());
                assertTrue(sent < 1_000, "50 SIGHUPs took " + sent + " ms");
                herd.awaitLine("rolling restart done: " + n + " workers replaced", START);
                Set<Long> after = admin.awaitReady(n, START);
                assertTrue(after.stream().noneMatch(before::contains), before + " -> " + after);
                Poll.until(START, "no rolling restart in progress", () -> admin.tryStatus()
                        .filter(s -> !s.path("summary").asText().contains("rolling restart")).isPresent());
            } finally {
                sampling.set(false);
                sampler.join(10_000);
            }
            Map<Integer, Integer> startsPerSlot = new TreeMap<>();
            for (String line : herd.lines()) {
                Matcher started = STARTED.matcher(line);
                if (started.find()) {
                    startsPerSlot.merge(Integer.parseInt(started.group(1)), 1, Integer::sum);
                }
            }
            System.out.printf("MEASURED 50 SIGHUPs, 1 ms apart, %d workers: starts per slot %s, %d status samples, "
                    + "fewest ready %d, most starting at once %d, joined %d times%n", n, startsPerSlot, samples.get(),
                    fewestReady.get(), mostStarting.get(), count(herd, "joining it"));
            assertEquals(Map.of(1, 2, 2, 2, 3, 2), startsPerSlot, "each slot: its first worker and one replacement");
            assertEquals(1, count(herd, "rolling restart done"), herd.output());
            assertTrue(samples.get() > 10, "status sampled " + samples.get() + " times");
            assertTrue(fewestReady.get() >= n, "ready workers fell to " + fewestReady.get());
            assertTrue(mostStarting.get() <= 1, mostStarting.get() + " replacements starting at once");
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    /** Keeps a fault in place until {@code length} has passed since {@code since}: the fault's length is the test. */
    static void holdFor(Duration length, long since) {
        Poll.until(length.plusSeconds(30), "the end of the fault", () -> System.nanoTime() - since >= length.toNanos());
    }

    private static Set<Long> startedPids(HerdProcess herd) {
        Set<Long> pids = new TreeSet<>();
        for (String line : herd.lines()) {
            Matcher started = STARTED.matcher(line);
            if (started.find()) {
                pids.add(Long.parseLong(started.group(2)));
            }
        }
        return pids;
    }

    private static long count(HerdProcess herd, String regex) {
        Pattern pattern = Pattern.compile(regex);
        return herd.lines().stream().filter(l -> pattern.matcher(l).find()).count();
    }

    private static int firstLine(HerdProcess herd, String regex) {
        Pattern pattern = Pattern.compile(regex);
        var lines = herd.lines();
        for (int i = 0; i < lines.size(); i++) {
            if (pattern.matcher(lines.get(i)).find()) {
                return i;
            }
        }
        throw new AssertionError("no line /" + regex + "/ in:\n" + herd.output());
    }

    static boolean canBind(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
