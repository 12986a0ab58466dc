package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile worker ({@code hostile_socket_worker.py}, a Python worker as issue 19's attack used) must not be
 * able to do to the pool through the shared socket: leave helpers behind that hold the port after it and after
 * herd (item 1; a JVM worker on the worker API stops its own after a SIGKILL of the master), or take the port
 * down for every worker with shutdown(2) of the shared socket (item 4).
 */
class HostileSocketIT {

    private static final Duration START = Duration.ofSeconds(60);
    /** The helpers get SIGTERM, then SIGKILL after 2 s (StrayReaper.GRACE_NANOS); generous for a loaded machine. */
    private static final Duration GONE = Duration.ofSeconds(20);
    private static final Path WORKER =
            HerdProcess.HOME.resolve("supervisor/src/test/resources/hostile_socket_worker.py");
    private static final String HELPERS = "worker-1\\[(\\d+)\\] helpers: (\\d+) (\\d+) (\\d+) (\\d+)";
    private static final Path TEST_CLASSES = HerdProcess.HOME.resolve("supervisor/target/test-classes");

    @TempDir
    Path dir;

    /** The master of the test, whose output names every helper its workers started. */
    private HerdProcess herd;

    /** Every helper a worker printed, killed after the test if it still runs {@code sleep 600} (a failed test). */
    @AfterEach
    void killLeftovers() {
        if (herd == null) {
            return;
        }
        List<Long> helpers = new ArrayList<>();
        for (String line : herd.lines()) {
            Matcher named = java.util.regex.Pattern.compile(HELPERS).matcher(line);
            if (named.find()) {
                helpers.addAll(helperPids(named));
            }
        }
        for (long pid : helpers) {
            if (!ProcFs.exited(pid) && ProcFs.cmdline(pid).startsWith("sleep 600")) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /**
     * Four helpers that each hold the shared listening socket: a plain child, one that ignores SIGTERM, one in a
     * session of its own, and a double-forked grandchild. After the worker's SIGKILL, and after {@code herd stop},
     * none of them may be left, and the port must be free.
     */
    @Test
    void helpersAWorkerStartedAreStoppedWhenItDiesAndWhenTheMasterStops() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", hostileWorkers(1, "--helpers").toString())) {
            this.herd = herd;
            int port = herd.port();
            Matcher first = herd.awaitLine(HELPERS, START);
            long worker = Long.parseLong(first.group(1));
            List<Long> firstHelpers = helperPids(first);
            String socket = ProcFs.descriptors(worker).get(0);
            for (long helper : firstHelpers) {
                assertEquals(socket, ProcFs.descriptors(helper).get(0), "helper " + helper + " holds the socket");
            }

            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(worker));
            Poll.until(GONE, "every helper of the SIGKILLed worker gone: " + firstHelpers + "\n" + herd.output(),
                    () -> firstHelpers.stream().allMatch(ProcFs::exited));
            assertTrue(herd.hasLine("left processes behind in its process group"), herd.output());
            assertTrue(herd.hasLine("process " + firstHelpers.get(2) + " \\(process group \\d+\\) outlived the "
                    + "worker that started it"), "the setsid helper, found as an orphan:\n" + herd.output());

            Matcher second = Poll.until(START, "the replacement's helpers", () -> herd.lines().stream()
                    .map(line -> java.util.regex.Pattern.compile(HELPERS).matcher(line))
                    .filter(m -> m.find() && Long.parseLong(m.group(1)) != worker).findFirst());
            List<Long> secondHelpers = helperPids(second);
            admin.awaitReady(1, START);
            assertEquals("still served", EchoClient.roundTrip(port, "still served"));

            assertEquals(0, admin.cli("stop").exitCode());
            assertEquals(0, herd.awaitExit(START), herd.output());
            List<Long> left = secondHelpers.stream().filter(pid -> !ProcFs.exited(pid)).toList();
            assertEquals(List.of(), left, "helpers left running after herd stop:\n" + herd.output());
            assertTrue(Connections.listening(port).isEmpty(), "something still listens on port " + port);
            assertTrue(MasterFaultsIT.canBind(port), "port " + port + " cannot be bound after herd stop");
        }
    }

    /**
     * Out of the master's reach, in reach of the worker API: after a SIGKILL of the master, a JVM worker on herd's
     * worker API drains, stops the helpers it started (SIGTERM, SIGKILL 1 s later to the deaf one) and exits, so
     * that nothing holds the port even outside systemd. (A {@code worker.command} program must do the same itself.)
     */
    @Test
    void aWorkerOnTheWorkerApiStopsItsHelpersWhenItsMasterIsKilled() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"worker\": {\"mainClass\": "
                + "\"dev.herd.it.apps.HelperStartingApp\", \"classpath\": [\"" + TEST_CLASSES + "\"]}}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            this.herd = herd;
            int port = herd.port();
            Matcher started = herd.awaitLine(HELPERS, START);
            long worker = Long.parseLong(started.group(1));
            List<Long> helpers = helperPids(started);
            admin.awaitReady(1, START);
            String socket = ProcFs.descriptors(worker).get(0);
            for (long helper : helpers) {
                assertEquals(socket, ProcFs.descriptors(helper).get(0), "helper " + helper + " holds the socket");
            }

            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(herd.pid()));
            // The port last: a JVM's main thread shows as a zombie while its other threads, which share its
            // descriptors, are still exiting.
            Poll.until(GONE, "the worker and every helper gone after the master's SIGKILL, and nothing listening on "
                    + port + ": " + worker + " " + helpers + "\n" + herd.output(), () -> ProcFs.exited(worker)
                    && helpers.stream().allMatch(ProcFs::exited) && Connections.listening(port).isEmpty());
            assertTrue(MasterFaultsIT.canBind(port), "port " + port + " cannot be bound after the master's SIGKILL");
        }
    }

    @Test
    void aWorkerThatShutsTheSharedSocketDownDoesNotTakeThePortDownForThePool() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", hostileWorkers(2, "--shutdown-on-term").toString())) {
            int port = herd.port();
            admin.awaitReady(2, START);
            assertEquals("before", EchoClient.roundTrip(port, "before"));

            Cli.Result restart = admin.cli("restart", "1");
            assertEquals(0, restart.exitCode(), restart.toString());

            // The replaced worker shut the socket down as it left: every worker's copy is that one socket.
            String answer = Poll.until(GONE, "an answer on port " + port, () -> {
                try {
                    return java.util.Optional.of(EchoClient.roundTrip(port, "after"));
                } catch (java.io.IOException refused) {
                    return java.util.Optional.empty();
                }
            });
            assertEquals("after", answer);
            herd.awaitLine("had stopped listening .*listening again on the same address", GONE);
            assertEquals(port, herd.port(), "the same port");
            assertFalse(Connections.listening(port).isEmpty());
        }
    }

    /** A config file: {@code workers} hostile Python workers, each run with {@code flag}. */
    private Path hostileWorkers(int workers, String flag) throws java.io.IOException {
        return Files.writeString(dir.resolve("herd.json"), "{\"workers\": " + workers + ", \"worker\": {\"command\": "
                + "[\"/usr/bin/python3\", \"" + WORKER + "\", \"" + flag + "\"]}}");
    }

    private static List<Long> helperPids(Matcher line) {
        return Arrays.asList(Long.parseLong(line.group(2)), Long.parseLong(line.group(3)),
                Long.parseLong(line.group(4)), Long.parseLong(line.group(5)));
    }
}
