package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.config.ListenAddress;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.ListenQueue;
import dev.herd.supervisor.spawn.Notification;
import dev.herd.supervisor.spawn.WorkerChannels;
import dev.herd.supervisor.status.StatusSnapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code herd upgrade} on the master loop, over a {@link FakeOs} whose exec fails (so the test goes on): what is
 * refused and when, the new install's check (a real child process), what the hand-over holds, and how the upgraded
 * master adopts the old workers and replaces them.
 */
class UpgraderTest {

    private static final Duration GRACEFUL_TIMEOUT = Duration.ofSeconds(5);

    @RegisterExtension
    final LogCapture log = new LogCapture();

    private final FakeOs os = new FakeOs();
    private final FakeSpawner spawner = new FakeSpawner(os);
    private final BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
    /** What the upgrade runs beside the loop; held until the test runs it. */
    private final List<Runnable> beside = new ArrayList<>();
    private long nowNanos = TimeUnit.HOURS.toNanos(1);
    private MasterLoop loop;
    private Reloader reloader;
    private Upgrader upgrader;
    private MasterCommand command = new MasterCommand(List.of("/bin/true", "run"));
    private final PausingAdmin admin = new PausingAdmin();

    /** The admin socket's part: pauses settle when the test says (at once unless it holds them), resumes count. */
    private static final class PausingAdmin implements Upgrader.AdminPause {
        boolean hold;
        CompletableFuture<Void> paused;
        int resumed;

        @Override
        public CompletableFuture<Void> pause() {
            paused = hold ? new CompletableFuture<>() : CompletableFuture.completedFuture(null);
            return paused;
        }

        @Override
        public void resume() {
            resumed++;
        }
    }
    /** What systemd would hear from the master (see {@link #systemd}). */
    private final List<String> told = new ArrayList<>();

    @BeforeEach
    void startTwoReadyWorkers() throws Exception {
        HerdConfig config = ConfigBuilder.defaults().set(ConfigKeys.WORKERS, 2).build();
        loop = new MasterLoop(os, spawner, systemd(told), 2, policy(), events, () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "0.1.0-test", Instant.parse("2026-12-07T00:00:00Z"), nowNanos));
        reloader = new Reloader(loop.forReloads(), config, () -> { }, () -> config, null,
                next -> () -> { }, null, Runnable::run, Runnable::run);
        upgrader = new Upgrader(os, loop.forUpgrades(reloader, this::handOver), admin, () -> command,
                Map.of("PATH", "/usr/bin:/bin", "LISTEN_FDS", "1", "LISTEN_PID", "42"),
                () -> Optional.of(new ListenAddress("127.0.0.1", 9876)), 0, beside::add,
                apply -> events.add(new MasterEvent.WorkDone(apply)));
        loop.setCommands(new CommandExecutor(loop.forCommands(), reloader, loop.statusReport(socket(), Optional::empty,
                upgrader::view, Optional.empty()), upgrader));
        loop.runOnce(null);
        readyAllStarting();
        told.clear(); // the first READY=1
    }

    /** An upgrader for tests of other commands: any upgrade it is asked for fails the test. */
    static Upgrader unused(FakeOs os, MasterLoop loop, Reloader reloader) {
        return new Upgrader(os, loop.forUpgrades(reloader, (upgrades, workers) -> {
            throw new AssertionError("no upgrade expected");
        }), Upgrader.AdminPause.NONE, () -> {
            throw new AssertionError("no upgrade expected");
        }, Map.of(), Optional::empty, 0, task -> {
            throw new AssertionError("no upgrade expected");
        }, Runnable::run);
    }

    @Test
    void aCheckThatFailsRefusesTheUpgradeWithItsLastLineAndTheWorkersKeepServing() {
        command = new MasterCommand(List.of("/bin/sh", "-c", "echo starting; echo 'herd: herd.json:1: bad'; exit 78",
                "sh"));
        List<Integer> before = pids();

        CompletableFuture<AdminReply> reply = request("upgrade");
        assertFalse(reply.isDone(), "the check runs beside the loop");
        assertEquals("checking", status().upgrade().phase());
        runBeside();

        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "the new herd's check exited 78: herd: "
                + "herd.json:1: bad", java.util.OptionalInt.empty()), reply.getNow(null));
        assertEquals(null, os.execArgv, "no exec after a failed check");
        assertEquals(before, pids());
        assertEquals("failed", status().upgrade().phase());
        assertEquals(List.of(), told, "a refused upgrade is no reload to systemd, as a reload of a bad file is none");
        log.expect(Log.Level.ERROR, "upgrade refused: the new herd's check exited 78");
    }

    @Test
    void theCheckIsToldTheListenAddressTheMasterHolds() {
        command = new MasterCommand(List.of("/bin/sh", "-c", "echo \"holds $HERD_UPGRADE_LISTEN\"; exit 78", "sh"));

        CompletableFuture<AdminReply> reply = request("upgrade");
        runBeside();

        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "the new herd's check exited 78: holds "
                + "127.0.0.1:9876", java.util.OptionalInt.empty()), reply.getNow(null));
        log.expect(Log.Level.ERROR, "upgrade refused: the new herd's check exited 78");
    }

    @Test
    void whileTheCheckRunsScaleRestartReloadAndUpgradeAreRefusedAndStopGoesThroughAndEndsIt() {
        CompletableFuture<AdminReply> upgrade = request("upgrade");

        for (String other : List.of("{\"command\":\"scale\",\"workers\":3}", "{\"command\":\"restart\"}",
                "{\"command\":\"reload\"}", "{\"command\":\"upgrade\"}")) {
            AdminReply reply = requestJson(other).getNow(null);
            assertTrue(reply instanceof AdminReply.Failed failed && failed.code().equals(AdminException.UPGRADING)
                    && failed.message().contains("an upgrade is in progress"), other + ": " + reply);
        }
        assertTrue(request("stop").getNow(null) instanceof AdminReply.Stopping);
        runBeside();

        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "the master is stopping",
                java.util.OptionalInt.empty()), upgrade.getNow(null));
        assertEquals(null, os.execArgv, "a stopping master does not hand over");
        log.expect(Log.Level.ERROR, "upgrade refused: the master is stopping");
    }

    @Test
    void aSigtermQueuedWhileTheHandOverIsWrittenRefusesTheExecAndStopsTheMaster() {
        CompletableFuture<AdminReply> upgrade = request("upgrade");
        List.copyOf(beside).forEach(Runnable::run); // the check passed: its outcome waits in the queue
        beside.clear();
        // Behind it a SIGTERM, which the exec would lose.
        events.add(new MasterEvent.SignalReceived(dev.herd.supervisor.os.Signal.TERM));

        loop.runOnce(events.poll());

        assertEquals(null, os.execArgv, "no exec with a stop waiting");
        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "the master is stopping",
                java.util.OptionalInt.empty()), upgrade.getNow(null));
        assertTrue(os.terminated().containsAll(pids()), "the SIGTERM went on to stop the workers: " + os.terminated());
        assertEquals(List.of(), told.stream().filter(m -> m.startsWith("RELOADING=1")).toList());
        log.expect(Log.Level.ERROR, "upgrade refused: the master is stopping");
    }

    @Test
    void anUpgradeDuringARollingRestartIsRefusedAtOnce() {
        request("restart");

        AdminReply reply = request("upgrade").getNow(null);

        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "not now: a rolling restart is in "
                + "progress", java.util.OptionalInt.empty()), reply);
        assertTrue(beside.isEmpty(), "no check started");
    }

    @Test
    void aCheckedUpgradeExecsTheNewHerdKeepingTheHandOverAndAFailedExecKeepsServing() throws Exception {
        CompletableFuture<AdminReply> reply = request("upgrade");
        nowNanos += TimeUnit.SECONDS.toNanos(2);
        runBeside(); // /bin/true run --check: exits 0

        assertEquals(List.of("/bin/true", "run"), os.execArgv);
        assertEquals("99", os.execEnvironment.get(HandOver.VARIABLE));
        assertFalse(os.execEnvironment.containsKey("LISTEN_FDS"), "systemd's socket is handed over as the socket");
        assertEquals("/usr/bin:/bin", os.execEnvironment.get("PATH"));
        HandOver handOver = HandOver.fromJson(os.memoryFileContents);
        assertEquals(1, handOver.upgrades());
        assertEquals(pids(), handOver.workers().stream().map(HandOver.Worker::pid).toList());
        assertTrue(handOver.workers().stream().allMatch(HandOver.Worker::ready));
        List<Integer> kept = new ArrayList<>(handOver.descriptors());
        kept.add(99);
        assertEquals(kept, os.execKept);
        // FakeOs's exec fails as a missing program would: the master goes on as it was.
        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "exec of the new herd failed: execve("
                + "/bin/true): No such file or directory", java.util.OptionalInt.empty()), reply.getNow(null));
        assertTrue(request("ping").getNow(null) instanceof AdminReply.Pong);
        assertEquals(1, admin.resumed, "the admin socket accepts again");
        // To systemd the upgrade is a reload of the same pid: RELOADING=1 just before the exec, with a watchdog ping
        // and a timeout of a minute for the new program's start; after a failed exec READY=1 says this master goes
        // on, and its next ping puts the unit's 30 s back.
        assertEquals(List.of("RELOADING=1 MONOTONIC_USEC=" + nowNanos / 1000,
                "STATUS=upgrade 1: the new herd starts in this process (pid " + FakeOs.MASTER_PID + ")",
                "WATCHDOG_USEC=60000000", "WATCHDOG=1", "READY=1 STATUS=2/2 workers ready, 0 restarts"), told);
        nowNanos += TimeUnit.SECONDS.toNanos(15);
        loop.runOnce(null);
        assertEquals(List.of("WATCHDOG=1", "WATCHDOG_USEC=30000000"), told.subList(5, told.size()));
        log.expect(Log.Level.ERROR, "upgrade refused: exec of the new herd failed");
    }

    @Test
    void theAdminSocketSettlesBeforeTheExecAndAStopMeanwhileEndsTheUpgradeWithoutOne() {
        admin.hold = true;
        CompletableFuture<AdminReply> upgrade = request("upgrade");
        runBeside(); // the check passed: the admin socket pauses, the loop goes on answering

        assertEquals(null, os.execArgv, "no exec before the admin socket settled");
        assertTrue(request("ping").getNow(null) instanceof AdminReply.Pong, "what is in progress is answered");
        assertTrue(request("stop").getNow(null) instanceof AdminReply.Stopping);
        admin.paused.complete(null);
        for (MasterEvent event; (event = events.poll()) != null; ) {
            loop.runOnce(event);
        }

        assertEquals(null, os.execArgv, "a stopping master does not hand over");
        assertEquals(1, admin.resumed, "the admin socket accepts again");
        assertEquals(new AdminReply.Failed(AdminException.UPGRADE_FAILED, "the master is stopping",
                java.util.OptionalInt.empty()), upgrade.getNow(null));
        log.expect(Log.Level.ERROR, "upgrade refused: the master is stopping");
    }

    @Test
    void aHandOverFromAHerdThatKeptItsAdminListenerReadsWithoutOne() throws Exception {
        HandOver written = handOver(1, loop.pool.all().stream().toList());
        String json = new String(written.toJson(), StandardCharsets.UTF_8).replace("\"adminListenerFd\":8,", "");

        HandOver read = HandOver.fromJson(json.getBytes(StandardCharsets.UTF_8));

        assertEquals(java.util.OptionalInt.empty(), read.adminListenerFd());
        assertFalse(read.descriptors().contains(8));
        assertTrue(written.descriptors().contains(8), "the admin listener is kept across the exec");
    }

    @Test
    void theHandOverReadsBackAsItWasWritten() throws Exception {
        HandOver written = handOver(3, loop.pool.all().stream().toList());

        assertEquals(written, HandOver.fromJson(written.toJson()));
    }

    @Test
    void theUpgradedMasterReplacesTheAdoptedWorkersOneByOneAndStopsTheRestAtOnce() {
        FakeOs os = new FakeOs(); // the process after its exec: the workers above are this test's only
        List<String> toldAfter = new ArrayList<>();
        MasterLoop upgraded = new MasterLoop(os, new FakeSpawner(os), systemd(toldAfter), 2, policy(), events,
                () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "0.2.0-test", Instant.parse("2026-12-07T01:00:00Z"), nowNanos));
        List<Integer> old = List.of(7001, 7002, 7003);
        old.forEach(os::started);
        os.exitOnTerm(ExitStatus.decode(0)); // a drained worker exits: slot 2 has room again once 7003 is gone
        CompletableFuture<RestartDriver.Outcome> outcome = upgraded.adopt(List.of(adopted(1, 11, 7001, true),
                adopted(2, 12, 7002, true), adopted(2, 13, 7003, false)));

        assertTrue(os.terminated().contains(7003), "a worker that was not ready is told to drain at once");
        upgraded.runOnce(null);
        List<WorkerHandle> starting = upgraded.pool.all().stream()
                .filter(w -> w.state() == WorkerState.STARTING).toList();
        assertEquals(1, starting.size(), "one slot at a time");
        assertTrue(starting.get(0).serial() > 13, "serials go on above the adopted ones");
        assertFalse(os.terminated().contains(7001), "the old worker serves until its replacement is ready");
        assertFalse(toldAfter.stream().anyMatch(m -> m.startsWith("READY=1")),
                "systemd keeps the unit reloading until the old workers are replaced: " + toldAfter);
        assertEquals(List.of("WATCHDOG=1", "WATCHDOG_USEC=30000000"), toldAfter.stream()
                .filter(m -> m.startsWith("WATCHDOG")).toList(), "the first ping puts the unit's timeout back");

        for (int turn = 0; turn < 10 && !outcome.isDone(); turn++) {
            upgraded.runOnce(null);
            for (WorkerHandle worker : upgraded.pool.all()) {
                if (worker.state() == WorkerState.STARTING) {
                    upgraded.runOnce(new MasterEvent.WorkerNotified(worker.serial(),
                            List.of(new Notification.Ready())));
                }
            }
        }

        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), outcome.getNow(null));
        assertEquals(List.of("READY=1 STATUS=2/2 workers ready, 0 restarts"),
                toldAfter.stream().filter(m -> m.startsWith("READY=1") || m.startsWith("RELOADING=1")).toList(),
                "one READY=1, once the replacement is done; no RELOADING=1 (the master before the exec sent it)");
        assertTrue(os.terminated().containsAll(old), "every old worker told to drain: " + os.terminated());
        upgraded.runOnce(new MasterEvent.ChildStateChanged());
        old.forEach(pid -> assertTrue(os.reaped(pid), "old worker " + pid + " reaped"));
        assertEquals(2, upgraded.readyWorkers());
    }

    @Test
    void theUpgradedMasterReapsWhatThePreviousProgramLeftButNotItsOwnJdkChildren() {
        FakeOs os = new FakeOs(); // the process after its exec
        MasterLoop upgraded = new MasterLoop(os, new FakeSpawner(os), systemd(new ArrayList<>()), 1, policy(),
                events, () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "0.2.0-test", Instant.parse("2026-12-07T01:00:00Z"), nowNanos));
        os.started(7001);
        os.adopt(7100); // in the master's group: a child of the previous program (its launcher's command, say)
        upgraded.adopt(List.of(adopted(1, 11, 7001, true)));
        os.adopt(7200); // in the master's group after the adoption: this JVM's own (ProcessBuilder), the JDK's to reap

        os.exit(7100, ExitStatus.decode(0));
        os.exit(7200, ExitStatus.decode(0));
        upgraded.runOnce(new MasterEvent.ChildStateChanged());

        assertTrue(os.reaped(7100), "the previous program's child is reaped by pid");
        assertFalse(os.reaped(7200), "a child of this JVM's own in its group is left to the JDK");
        assertFalse(os.terminated().contains(7100), "never signalled");
    }

    /** A service manager that watches the master (WATCHDOG_USEC=30 s) and notes what it is told. */
    private static ServiceNotifier systemd(List<String> told) {
        return new RecordingServiceNotifier(told, Duration.ofSeconds(15));
    }

    private static HandOver.Worker adopted(int slot, int serial, int pid, boolean ready) {
        return new HandOver.Worker(slot, serial, pid, true, ready, new WorkerChannels(serial, "worker-" + slot, pid,
                10 + serial, Path.of("/tmp/herd-x/w" + serial + ".notify"), 20 + serial, 30 + serial, 40 + serial,
                "herd's own java"));
    }

    private HandOver handOver(int upgrades, List<WorkerHandle> workers) {
        List<HandOver.Worker> handed = workers.stream().map(w -> adopted(w.slot(), w.serial(), w.pid(),
                w.state() == WorkerState.READY)).toList();
        return new HandOver(upgrades, new HandOver.Socket(5, new ListenAddress("127.0.0.1", 0),
                new ListenAddress("127.0.0.1", 40123), 511, false), 6, 7, Path.of("/tmp/herd-x"),
                Path.of("/run/herd/admin.sock"), java.util.OptionalInt.of(8), Optional.empty(), handed);
    }

    private static SupervisionPolicy policy() {
        return new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofMinutes(1), Duration.ZERO, 0, 0, 5,
                Duration.ofSeconds(60), true, 0);
    }

    private static StatusReport.Socket socket() {
        return new StatusReport.Socket() {
            @Override
            public String address() {
                return "127.0.0.1:9876";
            }

            @Override
            public ListenQueue listenQueue() {
                return new ListenQueue(0, 16);
            }
        };
    }

    /** The check (a real process), then its outcome on the loop, and what follows from it there. */
    private void runBeside() {
        List.copyOf(beside).forEach(Runnable::run);
        beside.clear();
        for (MasterEvent event; (event = events.poll()) != null; ) {
            loop.runOnce(event);
        }
    }

    private StatusSnapshot status() {
        return ((AdminReply.Status) request("status").getNow(null)).snapshot();
    }

    private List<Integer> pids() {
        return loop.pool.all().stream().sorted(java.util.Comparator.comparingInt(WorkerHandle::serial))
                .map(WorkerHandle::pid).toList();
    }

    private CompletableFuture<AdminReply> request(String command) {
        return requestJson("{\"command\":\"" + command + "\"}");
    }

    private CompletableFuture<AdminReply> requestJson(String json) {
        CompletableFuture<AdminReply> reply = new CompletableFuture<>();
        loop.runOnce(new MasterEvent.AdminRequested(parse(json), reply));
        return reply;
    }

    private static AdminRequest parse(String json) {
        try {
            return AdminRequest.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (AdminException e) {
            throw new AssertionError(e);
        }
    }

    private void readyAllStarting() {
        for (WorkerHandle worker : loop.pool.all()) {
            if (worker.state() == WorkerState.STARTING) {
                loop.runOnce(new MasterEvent.WorkerNotified(worker.serial(), List.of(new Notification.Ready())));
            }
        }
    }
}
