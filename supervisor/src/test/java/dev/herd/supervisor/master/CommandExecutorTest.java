package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigJson;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.ListenQueue;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.spawn.Notification;
import dev.herd.supervisor.status.StatusSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Admin commands carried out by the master loop, as the admin thread hands them over: a {@link MasterLoop} on a
 * {@link FakeOs}, a {@link FakeSpawner} and a clock the test moves, a {@link Reloader} for a configuration without
 * a file, and a {@link StatusReport} over a stand-in for the listening socket.
 */
class CommandExecutorTest {

    private static final Duration GRACEFUL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration READY_TIMEOUT = Duration.ofMinutes(1);

    @RegisterExtension
    final LogCapture log = new LogCapture();

    private final FakeOs os = new FakeOs();
    private final FakeSpawner spawner = new FakeSpawner(os);
    private final BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
    private final List<HerdConfig> appliedToWorkers = new ArrayList<>();
    private long nowNanos = TimeUnit.HOURS.toNanos(1);
    private RuntimeException socketBug;
    private HerdConfig config;
    private MasterLoop loop;

    @BeforeEach
    void startTwoReadyWorkers() throws Exception {
        config = ConfigBuilder.defaults().set(ConfigKeys.WORKERS, 2).build();
        SupervisionPolicy policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, READY_TIMEOUT, Duration.ZERO, 0, 0, 5,
                Duration.ofSeconds(60), true, 0);
        loop = new MasterLoop(os, spawner, ServiceNotifier.NONE, 2, policy, events, () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "0.1.0-test", Instant.parse("2026-11-30T00:00:00Z"), nowNanos));
        Reloader reloader = new Reloader(loop.forReloads(), config, () -> { }, () -> {
            throw new AssertionError("a configuration without a file is never re-read");
        }, null, next -> () -> appliedToWorkers.add(next), null, task -> {
            throw new AssertionError("a configuration without a file needs nothing done beside the loop");
        }, Runnable::run);
        StatusReport status = loop.statusReport(new StatusReport.Socket() {
            @Override
            public String address() {
                return "127.0.0.1:9876";
            }

            @Override
            public ListenQueue listenQueue() {
                if (socketBug != null) {
                    throw socketBug;
                }
                return new ListenQueue(3, 16);
            }
        }, () -> reloader.config().source(), () -> dev.herd.supervisor.status.StatusSnapshot.Upgrade.NONE,
                Optional.empty());
        loop.setCommands(new CommandExecutor(loop.forCommands(), reloader, status,
                UpgraderTest.unused(os, loop, reloader)));
        loop.runOnce(null);
        readyAllStarting();
    }

    // ---- commands that only look --------------------------------------------------------------------------------

    @Test
    void pingVersionStatusAndConfigAnswerAtOnce() throws Exception {
        assertEquals(new AdminReply.Pong(), answered("{\"command\":\"ping\"}"));
        assertEquals(new AdminReply.VersionInfo("0.1.0-test", Runtime.version().toString()),
                answered("{\"command\":\"version\"}"));

        StatusSnapshot status = ((AdminReply.Status) answered("{\"command\":\"status\"}")).snapshot();
        assertEquals(FakeOs.MASTER_PID, status.pid());
        assertEquals("0.1.0-test", status.version());
        assertEquals("127.0.0.1:9876", status.listen());
        assertEquals(Optional.empty(), status.configFile());
        assertEquals(2, status.desiredWorkers());
        assertEquals(2, status.readyWorkers());
        assertEquals("2/2 workers ready, 0 restarts", status.summary());
        assertFalse(status.stopping());
        assertEquals(Optional.of(new StatusSnapshot.ListenQueueLength(3, 16)), status.listenQueue());
        assertEquals(List.of(1, 2), status.workers().stream().map(row -> row.slot()).toList());
        assertEquals(List.of("ready", "ready"), status.workers().stream().map(row -> row.state()).toList());

        assertEquals(new AdminReply.ConfigShown(ConfigJson.render(config)), answered("{\"command\":\"config\"}"));
    }

    @Test
    void aCommandThatThrowsIsAnsweredInternalAndTheMasterGoesOn() throws Exception {
        socketBug = new IllegalStateException("a bug in the status report");

        AdminReply reply = answered("{\"command\":\"status\"}");

        assertEquals(new AdminReply.Failed(AdminException.INTERNAL, "java.lang.IllegalStateException: a bug in the "
                + "status report", OptionalInt.empty()), reply);
        log.expect(Log.Level.ERROR, "admin command status failed");
        assertEquals(new AdminReply.Pong(), answered("{\"command\":\"ping\"}"));
    }

    // ---- scale --------------------------------------------------------------------------------------------------

    @Test
    void scaleWaitsUntilTheNewSlotIsReady() throws Exception {
        CompletableFuture<AdminReply> reply = request("{\"command\":\"scale\",\"workers\":3}");
        assertFalse(reply.isDone(), "slot 3 is only starting");

        readyAllStarting();

        assertEquals(new AdminReply.Scaled(2, 3, OptionalInt.of(3)), reply.getNow(null));
    }

    @Test
    void scaleDownWaitsUntilTheSurplusSlotIsGone() throws Exception {
        int surplus = pidIn(2);
        CompletableFuture<AdminReply> reply = request("{\"command\":\"scale\",\"delta\":-1}");
        assertFalse(reply.isDone(), "slot 2 is draining");

        os.exit(surplus, ExitStatus.decode(0));
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(new AdminReply.Scaled(2, 1, OptionalInt.of(1)), reply.getNow(null));
    }

    @Test
    void scaleWithoutWaitAnswersAtOnce() throws Exception {
        assertEquals(new AdminReply.Scaled(2, 4, OptionalInt.empty()),
                answered("{\"command\":\"scale\",\"delta\":2,\"wait\":false}"));
        assertEquals(4, loop.desiredWorkers());
    }

    @Test
    void scaleGivesUpWithNotReadyAtItsDeadline() throws Exception {
        CompletableFuture<AdminReply> reply = request("{\"command\":\"scale\",\"workers\":3}");
        Duration limit = READY_TIMEOUT.plus(GRACEFUL_TIMEOUT).plusSeconds(5);

        nowNanos += limit.minusNanos(1).toNanos();
        loop.runOnce(null);
        assertFalse(reply.isDone());
        nowNanos += 1;
        loop.runOnce(null);

        AdminReply.Failed failed = (AdminReply.Failed) reply.getNow(null);
        assertEquals(AdminException.NOT_READY, failed.code());
        assertEquals("scaled to 3 workers, but after the ready and graceful timeouts 2 of 3 workers are ready and 0 "
                + "surplus slots still draining", failed.message());
        assertEquals(3, loop.desiredWorkers(), "the new count stays wanted");
    }

    @Test
    void aWaitedScaleThatAnotherChangeRevertsSaysSoInsteadOfClaimingItsCount() throws Exception {
        CompletableFuture<AdminReply> reply = request("{\"command\":\"scale\",\"workers\":4}");
        assertFalse(reply.isDone());

        loop.scaleTo(2, "reload"); // what a reload of a file that says "workers": 2 does
        readyAllStarting();

        AdminReply.Failed failed = (AdminReply.Failed) reply.getNow(null);
        assertEquals(AdminException.NOT_READY, failed.code());
        assertEquals("scaled to 4 workers, but reload set the count to 2 meanwhile", failed.message());
    }

    @Test
    void aWaitedScaleIsDoneWhenItsWorkersAreReadyWhateverTheHotSparesDo() throws Exception {
        loop.setDesiredSpares(1);
        loop.runOnce(null);
        int spare = loop.pool.spares().get(0).pid();
        loop.runOnce(new MasterEvent.WorkerNotified(spawner.serialOf(spare), Notification.parse("X_HERD_SPARE=1")));

        CompletableFuture<AdminReply> reply = request("{\"command\":\"scale\",\"workers\":3}");
        assertEquals(spare, pidIn(3), "the warm spare took slot 3");
        loop.runOnce(new MasterEvent.WorkerNotified(spawner.serialOf(spare), Notification.parse("READY=1")));

        assertEquals(1, loop.pool.spares().size(), "a new spare is on the bench");
        assertEquals(new AdminReply.Scaled(2, 3, OptionalInt.of(3)), reply.getNow(null),
                "the bench is no surplus slot");
    }

    // ---- restart and reload -------------------------------------------------------------------------------------

    @Test
    void restartOfASlotAboveTheCountIsNoSuchSlot() throws Exception {
        assertEquals(new AdminReply.Failed(AdminException.NO_SUCH_SLOT, "no slot 3 (slots are 1..2)",
                OptionalInt.empty()), answered("{\"command\":\"restart\",\"slot\":3}"));
        assertEquals(2, spawner.spawned(), "nothing was restarted");
    }

    @Test
    void restartWaitsForTheRollingRestart() throws Exception {
        CompletableFuture<AdminReply> reply = request("{\"command\":\"restart\",\"slot\":2}");
        assertFalse(reply.isDone());

        readyAllStarting();

        assertEquals(new AdminReply.Restarted(List.of(2), OptionalInt.of(1)), reply.getNow(null));
        assertEquals(Map.of(RestartReason.RESTART, 1L), loop.pool.restartCounts());
    }

    @Test
    void reloadWithoutAFileReplacesEveryWorkerWithTheSameConfiguration() throws Exception {
        assertEquals(new AdminReply.Reloaded(2, Optional.empty(), OptionalInt.empty()),
                answered("{\"command\":\"reload\",\"wait\":false}"));
        CompletableFuture<AdminReply> waited = request("{\"command\":\"reload\"}");

        for (int turn = 0; turn < 10 && !waited.isDone(); turn++) {
            readyAllStartingAndExitAllDraining();
        }

        assertEquals(new AdminReply.Reloaded(2, Optional.empty(), OptionalInt.of(2)), waited.getNow(null));
        assertEquals(Map.of(RestartReason.RELOAD, 2L), loop.pool.restartCounts(), "each slot once");
        assertEquals(List.of(), appliedToWorkers, "nothing new to apply");
        log.expect(Log.Level.INFO, "reload: no config file; restarting every worker with the same configuration");
    }

    @Test
    void sighupsInABurstMergeIntoOneRollingRestartThatReplacesEachSlotOnce() {
        loop.runOnce(new MasterEvent.AdminRequested(parse("{\"command\":\"scale\",\"workers\":3}"),
                new CompletableFuture<>()));
        readyAllStarting();
        assertEquals(3, spawner.spawned());

        // 50 SIGHUPs, five per turn, while the rolling restart the first one began moves on: slot 1's replacement
        // becomes ready halfway through, slot 2's is starting when the burst ends
        for (int signal = 1; signal <= 50; signal++) {
            events.add(new MasterEvent.SignalReceived(Signal.HUP));
            if (signal % 5 == 0) {
                loop.runOnce(events.poll()); // the turn takes every signal queued so far
            }
            if (signal == 25) {
                readyAllStartingAndExitAllDraining();
            }
        }
        assertTrue(events.isEmpty());
        for (int turn = 0; turn < 10 && loop.restarts.active(); turn++) {
            readyAllStartingAndExitAllDraining();
        }

        assertEquals(6, spawner.spawned(), "every slot replaced once: " + spawner.attempts());
        assertEquals(Map.of(RestartReason.RELOAD, 3L), loop.pool.restartCounts());
        assertFalse(loop.restarts.active());
    }

    // ---- the lasting commands' replies always come ------------------------------------------------------------

    @Test
    void aLastingCommandWhoseWorkFailsIsStillAnsweredAsInternal() throws Exception {
        CompletableFuture<AdminReply> reply = request("{\"command\":\"restart\"}");
        assertFalse(reply.isDone());

        // What a throwing callback on the way would do to the restart's outcome: fail it instead of completing it.
        failRestartWaiters(new IllegalStateException("a callback broke"));

        assertTrue(reply.isDone(), "the client would wait out its whole timeout");
        AdminReply.Failed failed = (AdminReply.Failed) reply.getNow(null);
        assertEquals(AdminException.INTERNAL, failed.code());
        assertTrue(failed.message().endsWith("java.lang.IllegalStateException: a callback broke"), failed.message());
    }

    @Test
    void aStopEndsTheWaitsOfLastingCommandsWithTheirErrors() throws Exception {
        CompletableFuture<AdminReply> restart = request("{\"command\":\"restart\"}");
        CompletableFuture<AdminReply> scale = request("{\"command\":\"scale\",\"workers\":3}");

        AdminReply stopping = answered("{\"command\":\"stop\",\"timeout\":\"2s\"}");

        assertEquals(new AdminReply.Stopping(Duration.ofSeconds(2), FakeOs.MASTER_PID), stopping);
        assertEquals(new AdminReply.Failed(AdminException.RESTART_FAILED, "the master is stopping",
                OptionalInt.of(0)), restart.getNow(null));
        AdminReply.Failed notReady = (AdminReply.Failed) scale.getNow(null);
        assertEquals(AdminException.NOT_READY, notReady.code());
        assertTrue(notReady.message().endsWith("the master is stopping"), notReady.message());
        assertFalse(os.terminated().isEmpty(), "the workers were told to stop");
    }

    @Test
    void onceTheMasterStopsEveryCommandThatChangesThePoolIsRefusedAndTheOthersAnswered() throws Exception {
        assertEquals(new AdminReply.Stopping(GRACEFUL_TIMEOUT, FakeOs.MASTER_PID), answered("{\"command\":\"stop\"}"));
        assertTrue(loop.stopping());

        for (AdminCommand command : AdminCommand.values()) {
            AdminReply reply = answered(example(command));
            if (command.readOnly()) {
                assertFalse(reply instanceof AdminReply.Failed, command + ": " + reply);
            } else {
                assertEquals(new AdminReply.Failed(AdminException.STOPPING, "the master is stopping",
                        OptionalInt.empty()), reply, command.wireName());
            }
        }
        assertTrue(((AdminReply.Status) answered("{\"command\":\"status\"}")).snapshot().stopping());
        assertEquals(os.terminated().stream().distinct().toList(), os.terminated(), "stopped once");
    }

    // ---- fixture ------------------------------------------------------------------------------------------------

    /** A valid request of each command. */
    private static String example(AdminCommand command) {
        return switch (command) {
            case SCALE -> "{\"command\":\"scale\",\"delta\":1}";
            case RESTART -> "{\"command\":\"restart\",\"slot\":1}";
            default -> "{\"command\":\"" + command.wireName() + "\"}";
        };
    }

    private static AdminRequest parse(String json) {
        try {
            return AdminRequest.parse(json.getBytes(StandardCharsets.UTF_8));
        } catch (AdminException e) {
            throw new AssertionError(json + ": " + e.getMessage(), e);
        }
    }

    /** Hands the request to the loop as the admin thread does, and lets the loop take its turn. */
    private CompletableFuture<AdminReply> request(String json) {
        CompletableFuture<AdminReply> reply = new CompletableFuture<>();
        loop.runOnce(new MasterEvent.AdminRequested(parse(json), reply));
        return reply;
    }

    /** A request answered in the turn that handled it. */
    private AdminReply answered(String json) {
        CompletableFuture<AdminReply> reply = request(json);
        assertTrue(reply.isDone(), json + " was not answered at once");
        return reply.getNow(null);
    }

    /** Every starting worker sends READY=1, each in a turn of its own. */
    private void readyAllStarting() {
        for (WorkerHandle worker : loop.pool.all()) {
            if (worker.state() == WorkerState.STARTING) {
                loop.runOnce(new MasterEvent.WorkerNotified(worker.serial(), List.of(new Notification.Ready())));
            }
        }
    }

    /**
     * Every starting worker is ready, and every draining one exits: a rolling restart's next replacement starts
     * once the one before has left (the pool runs one process more than its workers at most).
     */
    private void readyAllStartingAndExitAllDraining() {
        readyAllStarting();
        loop.pool.all().stream().filter(worker -> worker.state() == WorkerState.STOPPING)
                .forEach(worker -> os.exit(worker.pid(), ExitStatus.decode(0)));
        loop.runOnce(new MasterEvent.ChildStateChanged());
    }

    private int pidIn(int slot) {
        List<WorkerHandle> workers = loop.pool.slots().get(slot).workers();
        return workers.get(workers.size() - 1).pid();
    }

    @SuppressWarnings("unchecked")
    private void failRestartWaiters(RuntimeException failure) throws ReflectiveOperationException {
        java.lang.reflect.Field waiters = RestartDriver.class.getDeclaredField("waiters");
        waiters.setAccessible(true);
        List<CompletableFuture<RestartDriver.Outcome>> pending =
                (List<CompletableFuture<RestartDriver.Outcome>>) waiters.get(loop.restarts);
        assertFalse(pending.isEmpty(), "nobody waits for the restart");
        pending.forEach(waiter -> waiter.completeExceptionally(failure));
    }
}
