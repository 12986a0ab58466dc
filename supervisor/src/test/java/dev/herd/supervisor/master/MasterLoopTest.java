package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.master.FakeOs.Kill;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.spawn.Notification;
import java.time.Instant;
import java.util.SortedMap;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The master loop against a {@link FakeOs}, a {@link FakeSpawner} and a clock that only moves when a test
 * advances it. Each test drives single turns with {@code runOnce}, except the last ones, which run {@code run()}.
 */
class MasterLoopTest {

    /** Crashes, hangs and failed spawns are logged as errors on purpose here: kept out of the build's output. */
    @RegisterExtension
    final LogCapture log = new LogCapture();

    private static final Duration GRACEFUL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration ONE_NANO = Duration.ofNanos(1);

    private static final ExitStatus CLEAN_EXIT = ExitStatus.decode(0);
    private static final ExitStatus CRASH = ExitStatus.decode(1 << 8);
    private static final ExitStatus KILLED = ExitStatus.decode(9);

    private final FakeOs os = new FakeOs();
    private final FakeSpawner spawner = new FakeSpawner(os);
    private final BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
    private long nowNanos = TimeUnit.HOURS.toNanos(1);
    /** Most tests are not about readiness or heartbeats: generous limits keep those rules out of their way. */
    private SupervisionPolicy policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO,
            0, 0, 5, Duration.ofSeconds(60), true, 0);
    private ServiceNotifier notifier = ServiceNotifier.NONE;
    private MasterLoop loop;

    // ---- starting workers -----------------------------------------------------------------------------------

    @Test
    void firstTurnStartsOneWorkerPerSlot() {
        startLoop(3);

        assertEquals(List.of(1, 2, 3), spawner.attempts());
        assertEquals(List.of(1, 2, 3), List.copyOf(slots().keySet()));
        for (int slot = 1; slot <= 3; slot++) {
            WorkerHandle worker = workerIn(slot);
            assertEquals(slot, worker.slot());
            assertEquals(WorkerState.STARTING, worker.state());
        }
        assertEquals(3, List.of(pidIn(1), pidIn(2), pidIn(3)).stream().distinct().count());
    }

    /** The hooks a spawner's other processes (a class-data training run) are supervised through. */
    @Test
    void theSpawnerHearsOfEachWorkersFirstReadyAndOfNotificationsNoWorkerSentAndSupervisesItsOthersEachTurn() {
        startLoop(2);
        int supervisedBefore = spawner.otherSupervisions();

        notify(pidIn(1), "READY=1");
        notify(pidIn(1), "READY=1"); // a repeated READY=1 is no new readiness
        loop.runOnce(new MasterEvent.WorkerNotified(-1, Notification.parse("READY=1")));

        assertEquals(List.of(pidIn(1)), spawner.readyHooks());
        assertEquals(List.of(-1), spawner.otherNotified());
        assertEquals(WorkerState.STARTING, workerIn(2).state(), "no worker took the other process's READY=1");
        assertTrue(spawner.otherSupervisions() >= supervisedBefore + 3, "once per turn");
        assertFalse(spawner.othersStopped());
        loop.runOnce(new MasterEvent.SignalReceived(Signal.TERM));
        assertTrue(spawner.othersStopped());
    }

    @Test
    void laterTurnsStartNothingWhileEverySlotIsFilled() {
        startLoop(3);

        turn();
        advance(Duration.ofMinutes(1));
        turn();

        assertEquals(3, spawner.spawned());
    }

    // ---- replacing crashed workers ----------------------------------------------------------------------------

    @Test
    void firstCrashIsReapedAndReplacedInTheSameSlotAtOnce() {
        startLoop(3);
        int crashedPid = pidIn(2);

        os.exit(crashedPid, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(1, 2, 3, 2), spawner.attempts());
        assertNotEquals(crashedPid, pidIn(2));
        assertEquals(WorkerState.STARTING, workerIn(2).state());
        assertEquals(Optional.of(CRASH), slots().get(2).lastExit());
        assertEquals(1, slots().get(2).restarts());
        assertEquals(List.of(), os.kills());
    }

    @Test
    void exitIsNoticedEvenWithoutAChildStateChangedEvent() {
        startLoop(1);
        int crashedPid = pidIn(1);

        os.exit(crashedPid, CRASH);
        turn(); // the SIGCHLD was missed: the periodic tick still reaps

        assertNotEquals(crashedPid, pidIn(1));
    }

    @Test
    void repeatedQuickCrashesBackOffDoublingFrom100Ms() {
        startLoop(1);

        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crashAndExpectReplacementAfter(1, Duration.ofMillis(100));
        crashAndExpectReplacementAfter(1, Duration.ofMillis(200));
        crashAndExpectReplacementAfter(1, Duration.ofMillis(400));
    }

    @Test
    void restartDelayIsCappedAt30Seconds() {
        startLoop(1);

        for (long delayMillis : new long[] {0, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000, 30000}) {
            crashAndExpectReplacementAfter(1, Duration.ofMillis(delayMillis));
        }
    }

    @Test
    void backoffOfOneSlotDoesNotDelayAnother() {
        startLoop(2);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crash(1); // slot 1 now waits 100 ms

        crashAndExpectReplacementAfter(2, Duration.ZERO);
    }

    @Test
    void workerThatStayedUpTenSecondsResetsTheCrashCount() {
        startLoop(1);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crashAndExpectReplacementAfter(1, Duration.ofMillis(100)); // a third quick crash would wait 200 ms

        notify(pidIn(1), "READY=1");
        advance(RestartBackoff.STABLE_UPTIME);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crashAndExpectReplacementAfter(1, Duration.ofMillis(100));
    }

    @Test
    void aWorkerThatFailsToBootAfterTenSecondsStillBacksOff() {
        startLoop(1);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crashAndExpectReplacementAfter(1, Duration.ofMillis(100));

        // A slow boot (a Spring app on a loaded machine) that fails is no stable run: it must not reset the count.
        advance(RestartBackoff.STABLE_UPTIME.plusSeconds(5));
        crashAndExpectReplacementAfter(1, Duration.ofMillis(200));
    }

    @Test
    void workerUpJustUnderTenSecondsStillCountsAsAQuickCrash() {
        startLoop(1);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crashAndExpectReplacementAfter(1, Duration.ofMillis(100));

        advance(RestartBackoff.STABLE_UPTIME.minus(ONE_NANO));
        crashAndExpectReplacementAfter(1, Duration.ofMillis(200));
    }

    // ---- spawn failures ---------------------------------------------------------------------------------------

    @Test
    void spawnFailureNeitherEscapesTheLoopNorKeepsOtherSlotsEmpty() {
        spawner.failNextSpawns(1, 1);
        loop = newLoop(2);

        assertDoesNotThrow(() -> loop.runOnce(null));

        assertEquals(List.of(1, 2), spawner.attempts());
        assertTrue(slots().get(1).isEmpty());
        assertEquals(WorkerState.STARTING, workerIn(2).state());
        log.expect(Log.Level.ERROR, "cannot start worker-1: posix_spawn: Resource temporarily unavailable");
    }

    @Test
    void failedSpawnIsRetriedWithBackoff() {
        spawner.failNextSpawns(1, 2);
        startLoop(1); // 1st failure: retry at once

        turn(); // 2nd failure: retry in 100 ms
        assertEquals(List.of(1, 1), spawner.attempts());

        advance(Duration.ofMillis(100).minus(ONE_NANO));
        turn();
        assertEquals(List.of(1, 1), spawner.attempts(), "retried before the backoff delay");

        advance(ONE_NANO);
        turn();
        assertEquals(List.of(1, 1, 1), spawner.attempts());
        assertEquals(WorkerState.STARTING, workerIn(1).state());
    }

    // ---- graceful stop ----------------------------------------------------------------------------------------

    @Test
    void sigtermSignalsEveryWorkerWithTermAndMarksWorkersStopping() {
        startLoop(2);

        signal(Signal.TERM);

        assertEquals(List.of(pidIn(1), pidIn(2)), os.terminated());
        assertEquals(List.of(), os.sigkills());
        assertEquals(WorkerState.STOPPING, workerIn(1).state());
        assertEquals(WorkerState.STOPPING, workerIn(2).state());
    }

    @Test
    void secondSigtermDoesNotSignalTheWorkersAgain() {
        startLoop(2);
        signal(Signal.TERM);

        // systemd's SIGTERM and a kill of the whole process group may both arrive
        signal(Signal.TERM);
        loop.runOnce(new MasterEvent.SignalReceived(Signal.TERM));

        assertEquals(List.of(pidIn(1), pidIn(2)), os.terminated());
        assertEquals(List.of(), os.sigkills());
    }

    @Test
    void noWorkerIsStartedAfterStopEvenIfOneCrashes() {
        startLoop(2);
        signal(Signal.TERM);

        os.exit(pidIn(1), CRASH);
        turn();
        advance(Duration.ofMinutes(1));
        turn();

        assertEquals(2, spawner.spawned());
        assertTrue(slots().get(1).isEmpty());
    }

    @Test
    void workerExitingDuringStopIsExpectedNotACrash() {
        startLoop(2);
        int pid = pidIn(1);
        signal(Signal.TERM);

        os.exit(pid, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        Slot slot = slots().get(1);
        assertTrue(slot.isEmpty());
        assertEquals(Optional.of(CLEAN_EXIT), slot.lastExit());
        assertEquals(0, slot.restarts());
        assertEquals(2, spawner.spawned());
    }

    @Test
    void slotWaitingForItsRestartDelayStaysEmptyAfterStop() {
        startLoop(1);
        crashAndExpectReplacementAfter(1, Duration.ZERO);
        crash(1); // replacement due in 100 ms

        signal(Signal.TERM);
        advance(Duration.ofSeconds(1));
        turn();

        assertEquals(2, spawner.spawned());
        assertTrue(slots().get(1).isEmpty());
    }

    // ---- graceful timeout -------------------------------------------------------------------------------------

    @Test
    void workerStillAliveAfterTheGracefulTimeoutGetsSigkillExactlyOnce() {
        startLoop(2);
        int drainsInTime = pidIn(1);
        int stuck = pidIn(2);
        signal(Signal.TERM);
        os.exit(drainsInTime, CLEAN_EXIT);

        advance(GRACEFUL_TIMEOUT.minus(ONE_NANO));
        turn();
        assertEquals(List.of(), os.sigkills(), "killed before the graceful timeout");

        advance(ONE_NANO);
        turn();
        assertEquals(List.of(new Kill(stuck, Signal.KILL)), os.sigkills());

        // the SIGKILL'ed worker has not been reaped yet: later turns must not kill it again
        turn();
        advance(Duration.ofMinutes(1));
        turn();
        assertEquals(List.of(new Kill(stuck, Signal.KILL)), os.sigkills());
    }

    @Test
    void sigkilledWorkerIsReapedWithoutReplacement() {
        startLoop(1);
        int stuck = pidIn(1);
        signal(Signal.TERM);
        advance(GRACEFUL_TIMEOUT);
        turn();

        os.exit(stuck, KILLED);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(Optional.of(KILLED), slots().get(1).lastExit());
        assertTrue(slots().get(1).isEmpty());
        assertEquals(1, spawner.spawned());
    }

    // ---- SIGINT -----------------------------------------------------------------------------------------------

    @Test
    void firstSigintStopsGracefully() {
        startLoop(2);

        signal(Signal.INT);

        assertEquals(List.of(pidIn(1), pidIn(2)), os.terminated());
        assertEquals(List.of(), os.sigkills());
        assertEquals(WorkerState.STOPPING, workerIn(1).state());
    }

    @Test
    void secondSigintKillsAllRemainingWorkersAtOnce() {
        startLoop(3);
        int alreadyGone = pidIn(1);
        int pid2 = pidIn(2);
        int pid3 = pidIn(3);
        signal(Signal.INT);
        os.exit(alreadyGone, CLEAN_EXIT);
        turn();

        signal(Signal.INT); // long before the graceful timeout

        assertEquals(List.of(new Kill(pid2, Signal.KILL), new Kill(pid3, Signal.KILL)), os.sigkills());
        assertEquals(List.of(alreadyGone, pid2, pid3), os.terminated());
    }

    @Test
    void workersKilledBySecondSigintAreNotKilledAgain() {
        startLoop(2);
        signal(Signal.INT);
        signal(Signal.INT);

        signal(Signal.INT);
        advance(GRACEFUL_TIMEOUT);
        turn();

        assertEquals(2, os.sigkills().size());
    }

    // ---- run() ------------------------------------------------------------------------------------------------

    @Test
    void runReturnsZeroOnceStopWasRequestedAndAllWorkersAreReaped() {
        loop = newLoop(3);
        turn(); // the workers start
        os.exitOnTerm(CLEAN_EXIT);
        events.add(new MasterEvent.SignalReceived(Signal.TERM));

        int exitCode = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> loop.run());

        assertEquals(0, exitCode);
        assertEquals(3, spawner.spawned());
        assertEquals(3, os.terminated().size());
        slots().values().forEach(slot -> assertTrue(slot.isEmpty()));
    }

    @Test
    void aSigtermQueuedBeforeTheFirstTurnStartsNoWorkerAtAll() {
        loop = newLoop(3);
        events.add(new MasterEvent.SignalReceived(Signal.TERM)); // arrived while the master was starting up

        int exitCode = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> loop.run());

        assertEquals(0, exitCode);
        assertEquals(0, spawner.spawned(), "a worker was started after the SIGTERM");
    }

    @Test
    void runKeepsGoingWhileAStoppingWorkerIsStillAlive() throws Exception {
        loop = newLoop(1);
        turn(); // the worker starts
        events.add(new MasterEvent.SignalReceived(Signal.TERM));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> result = executor.submit(() -> loop.run());
            assertTrue(os.terminatedOne().await(10, TimeUnit.SECONDS), "the loop never signalled the worker");

            assertThrows(TimeoutException.class, () -> result.get(500, TimeUnit.MILLISECONDS),
                    "run() returned while a worker was still alive");

            os.exit(FakeSpawner.FIRST_PID, CLEAN_EXIT);
            events.add(new MasterEvent.ChildStateChanged());
            assertEquals(0, result.get(10, TimeUnit.SECONDS));
        } finally {
            executor.shutdownNow();
        }
    }

    // ---- readiness --------------------------------------------------------------------------------------------

    @Test
    void aWorkerIsStartingUntilItSendsReadyAndThenRecordsHowLongItTook() {
        startLoop(1);
        assertEquals(WorkerState.STARTING, workerIn(1).state());

        advance(Duration.ofMillis(250));
        notify(pidIn(1), "STATUS=warming up\nREADY=1");

        assertEquals(WorkerState.READY, workerIn(1).state());
        assertEquals(Optional.of(Duration.ofMillis(250).toNanos()), workerIn(1).readyAfterNanos());
        assertEquals(Optional.of("warming up"), workerIn(1).statusText());
    }

    @Test
    void aWorkerNotReadyWithinTheReadyTimeoutIsKilledAndCountsAsACrash() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startLoop(1);
        int slow = pidIn(1);

        advance(Duration.ofSeconds(10).minus(ONE_NANO));
        turn();
        assertEquals(List.of(), os.kills());
        advance(ONE_NANO);
        turn();
        assertEquals(List.of(new Kill(slow, Signal.KILL)), os.kills());

        os.exit(slow, KILLED);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertEquals(1, slots().get(1).restarts());
        assertNotEquals(slow, pidIn(1), "replaced");
    }

    @Test
    void extendTimeoutUsecGivesASlowStarterMoreTime() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startLoop(1);
        advance(Duration.ofSeconds(5));
        notify(pidIn(1), "EXTEND_TIMEOUT_USEC=20000000");

        advance(Duration.ofSeconds(19));
        turn();
        assertEquals(List.of(), os.kills());
        advance(Duration.ofSeconds(1));
        turn();
        assertEquals(1, os.kills().size());
    }

    @Test
    void notificationsFromAReapedWorkerAreIgnored() {
        startLoop(1);
        int gone = pidIn(1);
        int serial = spawner.serialOf(gone);
        crash(1);

        assertDoesNotThrow(() -> loop.runOnce(new MasterEvent.WorkerNotified(serial, Notification.parse("READY=1"))));
        assertEquals(WorkerState.STARTING, workerIn(1).state());
    }

    // ---- hang detection -----------------------------------------------------------------------------------------

    @Test
    void aReadyWorkerSilentForLongerThanTheHeartbeatTimeoutIsKilledAsHung() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        int worker = pidIn(1);
        notify(worker, "READY=1");

        advance(Duration.ofSeconds(2));
        notify(worker, "WATCHDOG=1");
        advance(Duration.ofSeconds(3).minus(ONE_NANO));
        turn();
        assertEquals(List.of(), os.kills(), "a heartbeat restarts the clock");

        advance(ONE_NANO);
        turn();
        assertEquals(List.of(new Kill(worker, Signal.KILL)), os.kills());
        assertTrue(workerOf(worker).killedBecause().orElseThrow().startsWith("hung"), workerOf(worker).killedBecause().toString());
    }

    @Test
    void aPauseOfTheMasterItselfIsNotHeldAgainstTheWorkers() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(2);
        int silent = pidIn(2);
        notify(pidIn(1), "READY=1\nWATCHDOG=1");
        notify(silent, "READY=1\nWATCHDOG=1");

        // SIGSTOP for 10 s while the loop waited 200 ms: the heartbeats of that time still sit in the sockets.
        long waitFrom = nowNanos;
        advance(Duration.ofSeconds(10));
        loop.turnAfterWait(null, waitFrom, Duration.ofMillis(200).toNanos());
        assertEquals(List.of(), os.kills(), "healthy workers killed for the master's own pause");

        advance(Duration.ofSeconds(2));
        notify(pidIn(1), "WATCHDOG=1");
        advance(Duration.ofSeconds(1));
        turn();
        assertEquals(List.of(new Kill(silent, Signal.KILL)), os.kills(),
                "a worker still silent a whole timeout after the pause is hung");
    }

    @Test
    void aPauseOfTheMasterMovesAStartingWorkersReadyDeadlineByThePause() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startLoop(1);
        advance(Duration.ofSeconds(5));
        long waitFrom = nowNanos;
        advance(Duration.ofSeconds(20));
        loop.turnAfterWait(null, waitFrom, Duration.ofMillis(200).toNanos());
        assertEquals(List.of(), os.kills());

        advance(Duration.ofSeconds(5));
        turn();
        assertEquals(1, os.kills().size(), "ready timeout: 10 s of the worker's own, the pause not counted");
    }

    @Test
    void aLoopThatWakesUpOnTimeKeepsEveryDeadline() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        notify(pidIn(1), "READY=1\nWATCHDOG=1");
        long waitFrom = nowNanos;
        advance(Duration.ofSeconds(3));
        loop.turnAfterWait(null, waitFrom, Duration.ofSeconds(3).toNanos());
        assertEquals(1, os.kills().size(), "a planned wait is no pause");
    }

    @Test
    void aHeartbeatTimeoutOfZeroTurnsHangDetectionOff() {
        policy = policyWith(Duration.ofHours(1), Duration.ZERO);
        startLoop(1);
        notify(pidIn(1), "READY=1");

        advance(Duration.ofMinutes(30));
        turn();

        assertEquals(List.of(), os.kills());
    }

    @Test
    void watchdogTriggerKillsTheWorkerAtOnce() {
        startLoop(1);
        int worker = pidIn(1);
        notify(worker, "READY=1");

        notify(worker, "WATCHDOG=trigger");

        assertEquals(List.of(new Kill(worker, Signal.KILL)), os.kills());
    }

    @Test
    void aHeartbeatTimeoutSetByAReloadAppliesToWorkersStartedAfterItOnly() {
        policy = policyWith(Duration.ofHours(1), Duration.ZERO);
        startReadyLoop(1);
        int old = pidIn(1);

        loop.setPolicy(policyWith(Duration.ofHours(1), Duration.ofSeconds(3)));
        advance(Duration.ofMinutes(1));
        turn();
        assertEquals(List.of(), os.kills(), "the old worker was never asked to beat");

        restart(List.of(1), true);
        turn();
        int fresh = workerIn(1).pid();
        notify(fresh, "READY=1\nWATCHDOG=1"); // as herd's API sends it once its heartbeats run
        advance(Duration.ofSeconds(3));
        turn();
        assertTrue(os.kills().contains(new Kill(fresh, Signal.KILL)), "the new worker beats or dies: " + os.kills());
        assertTrue(!os.kills().contains(new Kill(old, Signal.KILL)), os.kills().toString());
    }

    @Test
    void aReadyThatCrossesTheSigkillOfTheReadyTimeoutIsIgnored() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startReadyLoop(1);
        int old = pidIn(1);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1), false);
        turn();
        int late = workerIn(1).pid();
        advance(Duration.ofSeconds(10));
        turn(); // SIGKILL for the late starter

        notify(late, "READY=1");

        assertEquals(WorkerState.KILLED, workerOf(late).state());
        assertEquals(WorkerState.READY, workerOf(old).state(), "the old worker was not told to drain");
        assertTrue(outcome.getNow(null).failure().orElseThrow().contains("was killed: not ready within 10s"),
                outcome.getNow(null).toString());
    }

    // ---- capacity waits (scale) ---------------------------------------------------------------------------------

    @Test
    void aCapacityWaitEndsWhenEveryWantedSlotIsReadyAndTheSurplusIsGone() {
        startReadyLoop(2);
        loop.scaleTo(3, "test");
        CompletableFuture<Optional<String>> wait = loop.forCommands().awaitCapacity(loop.desiredWorkers(),
                nowNanos + Duration.ofSeconds(30).toNanos());
        turn();
        assertTrue(!wait.isDone(), "slot 3 is only starting");

        notify(workerIn(3).pid(), "READY=1");

        assertEquals(Optional.empty(), wait.getNow(null));
    }

    @Test
    void aCapacityWaitGivesUpAtItsDeadlineSayingWhatIsMissing() {
        startReadyLoop(1);
        loop.scaleTo(2, "test");
        CompletableFuture<Optional<String>> wait = loop.forCommands().awaitCapacity(loop.desiredWorkers(),
                nowNanos + Duration.ofSeconds(30).toNanos());
        turn();

        advance(Duration.ofSeconds(30));
        turn();

        assertEquals(Optional.of("after the ready and graceful timeouts 1 of 2 workers are ready and 0 surplus slots "
                + "still draining"), wait.getNow(null));
    }

    // ---- service manager (sd_notify to systemd) ---------------------------------------------------------------

    @Test
    void theServiceManagerHearsReadyOnceReloadingAndReadyAroundAReloadAndStopping() {
        List<String> told = new java.util.ArrayList<>();
        notifier = new ServiceNotifier() {
            @Override
            public void ready(String status) {
                told.add("READY " + status);
            }

            @Override
            public void reloading(long monotonicMicros) {
                told.add("RELOADING " + monotonicMicros);
            }

            @Override
            public void stopping() {
                told.add("STOPPING");
            }
        };
        loop = newLoop(2);
        loop.runOnce(null);
        notify(pidIn(1), "READY=1");
        assertEquals(List.of(), told, "not ready before every first worker is");
        notify(pidIn(2), "READY=1");
        assertEquals(List.of("READY 2/2 workers ready, 0 restarts"), told);

        restart(List.of(1, 2), true);
        turn();
        notify(workerIn(1).pid(), "READY=1");
        notify(workerIn(2).pid(), "READY=1");
        signal(Signal.TERM);

        assertEquals(List.of("READY 2/2 workers ready, 0 restarts", "RELOADING " + nowNanos / 1000,
                "READY 2/2 workers ready, 0 restarts", "STOPPING"), told);
    }

    @Test
    void aReloadThatFailsStillEndsWithReadyForTheServiceManager() {
        List<String> told = new java.util.ArrayList<>();
        notifier = new ServiceNotifier() {
            @Override
            public void ready(String status) {
                told.add("READY");
            }

            @Override
            public void reloading(long monotonicMicros) {
                told.add("RELOADING");
            }
        };
        startReadyLoop(1);
        told.clear(); // the first READY, once the first worker was ready
        restart(List.of(1), true);
        turn();

        os.exit(workerIn(1).pid(), CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of("RELOADING", "READY"), told);
    }

    // ---- rolling restart ------------------------------------------------------------------------------------------

    @Test
    void aRollingRestartStartsTheReplacementFirstAndDrainsTheOldWorkerOnlyOnceItIsReady() {
        startReadyLoop(2);
        int oldFirst = pidIn(1);
        int oldSecond = pidIn(2);

        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1, 2), false);
        turn();
        WorkerHandle newFirst = workerIn(1);
        assertNotEquals(oldFirst, newFirst.pid(), "a replacement starts next to the old worker");
        assertEquals(WorkerState.READY, workerOf(oldFirst).state(), "the old worker keeps serving meanwhile");
        assertEquals(List.of(), os.kills());
        assertEquals(2, loop.readyWorkers());

        notify(newFirst.pid(), "READY=1");
        assertEquals(WorkerState.STOPPING, workerOf(oldFirst).state());
        assertEquals(List.of(new Kill(oldFirst, Signal.TERM)), os.kills());
        assertEquals(WorkerState.READY, workerOf(oldSecond).state(), "slot 2 waits for slot 1's replacement");
        turn();
        assertEquals(oldSecond, pidIn(2), "the pool runs one process more than its workers at most: slot 2's "
                + "replacement waits until the drained one has left");
        assertEquals(3, running());

        os.exit(oldFirst, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertNotEquals(oldSecond, workerIn(2).pid(), "slot 2's replacement is starting");
        assertTrue(loop.readyWorkers() >= 2);
        assertTrue(outcome.isDone() == false);

        notify(workerIn(2).pid(), "READY=1");
        assertEquals(List.of(new Kill(oldFirst, Signal.TERM), new Kill(oldSecond, Signal.TERM)), os.kills());
        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), outcome.getNow(null));
    }

    @Test
    void aReplacementThatDiesBeforeItIsReadyStopsTheRestartAndTheOldWorkersKeepServing() {
        startReadyLoop(2);
        int oldFirst = pidIn(1);
        int oldSecond = pidIn(2);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1, 2), false);
        turn();

        os.exit(workerIn(1).pid(), CRASH); // the new configuration cannot start
        loop.runOnce(new MasterEvent.ChildStateChanged());
        advance(Duration.ofSeconds(5));
        turn();

        assertEquals(oldFirst, pidIn(1));
        assertEquals(oldSecond, pidIn(2));
        assertEquals(WorkerState.READY, workerOf(oldFirst).state());
        assertEquals(WorkerState.READY, workerOf(oldSecond).state());
        assertEquals(List.of(), os.kills());
        RestartDriver.Outcome result = outcome.getNow(null);
        assertEquals(0, result.replaced());
        assertTrue(result.failure().orElseThrow().contains("worker-1's replacement"), result.toString());
    }

    @Test
    void aReplacementNotReadyInTimeIsKilledAndTheRestartReportsIt() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startReadyLoop(1);
        int old = pidIn(1);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1), true);
        turn();
        int replacement = workerIn(1).pid();

        advance(Duration.ofSeconds(10));
        turn();
        assertEquals(List.of(new Kill(replacement, Signal.KILL)), os.kills());
        os.exit(replacement, KILLED);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertTrue(outcome.getNow(null).failure().orElseThrow().contains("not ready within 10s"),
                outcome.getNow(null).toString());
        assertEquals(old, pidIn(1));
        assertEquals(WorkerState.READY, workerIn(1).state());
    }

    @Test
    void restartingAnEmptySlotSetCompletesAtOnce() {
        startReadyLoop(1);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(), false);
        assertEquals(new RestartDriver.Outcome(0, Optional.empty()), outcome.getNow(null));
    }

    @Test
    void aSlotScaledAwayDuringItsRestartIsSkipped() {
        startReadyLoop(2);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(2), false);
        turn();
        loop.scaleTo(1, "test");
        turn();

        assertEquals(new RestartDriver.Outcome(0, Optional.empty()), outcome.getNow(null));
        slots().get(2).workers().forEach(w -> assertEquals(WorkerState.STOPPING, w.state()));
    }

    @Test
    void aWorkerThatAnnouncesStoppingIsReplacedAtOnceAndItsExitIsNoCrash() {
        startReadyLoop(1);
        int leaving = pidIn(1);

        notify(leaving, "STOPPING=1");
        assertNotEquals(leaving, workerIn(1).pid(), "its replacement starts at once");
        os.exit(leaving, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(0, slots().get(1).restarts());
    }

    @Test
    void aWorkerReapedBeforeItsStoppingMessageReachedTheLoopLeftOnItsOwnAndDidNotCrash() {
        startReadyLoop(1);
        int leaving = pidIn(1);
        // STOPPING=1 was read by the I/O thread, but the exit is reaped in the turn before the loop handles it.
        spawner.saidStopping(leaving);
        os.exit(leaving, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(0, slots().get(1).restarts(), "its exit is a planned one, as if the message had come first");
        assertReplacedFor(1, RestartReason.EXIT);
        log.expect(Log.Level.INFO, "is stopping on its own; starting its replacement");
        loop.runOnce(new MasterEvent.WorkerNotified(spawner.serialOf(leaving),
                List.of(new dev.herd.supervisor.spawn.Notification.Stopping())));
        assertEquals(0, slots().get(1).restarts(), "the message coming late changes nothing");
    }

    @Test
    void aWorkerThatAnnouncesStoppingAndExitsAgainAndAgainIsReplacedOnTheBackoffsSchedule() {
        startLoop(1);
        for (Duration delay : List.of(Duration.ZERO, Duration.ofMillis(100), Duration.ofMillis(200),
                Duration.ofMillis(400))) {
            int spawnedBefore = spawner.spawned();
            int leaving = pidIn(1);
            notify(leaving, "READY=1");
            notify(leaving, "STOPPING=1");
            os.exit(leaving, CLEAN_EXIT);
            loop.runOnce(new MasterEvent.ChildStateChanged());
            assertTrue(delay.isZero() || loop.nanosUntilNextDeadline() <= delay.toNanos(),
                    "the loop wakes for the slot's start");
            expectReplacementAfter(1, delay, spawnedBefore);
        }
        assertEquals(0, slots().get(1).restarts(), "stopping on its own is no crash");
    }

    @Test
    void lingeringStoppingWorkersInTwoSlotsNeverPushThePoolOverItsWorkersAndOne() {
        startLoop(2);
        int most = WorkerPool.maxProcesses(2, 0);
        for (int round = 0; round < 40; round++) { // 4 s: within the graceful timeout of the first ones
            lingerAfterStopping();
            advance(Duration.ofMillis(100));
            turn();
            assertTrue(running() <= most, "round " + round + ": " + loop.pool.all());
        }
        assertEquals(most, spawner.spawned(), "no start until a lingering one is gone");
        assertEquals(most, running());

        advance(GRACEFUL_TIMEOUT); // the first ones are sent SIGKILL at their stop deadline, and reaped
        turn();
        reapTheKilled();
        assertTrue(spawner.spawned() > most, "a pool with room again starts its next worker");
        for (int round = 0; round < 100; round++) { // 10 s more: the killed ones make room, no more
            lingerAfterStopping();
            advance(Duration.ofMillis(100));
            turn();
            reapTheKilled();
            assertTrue(running() <= most, "round " + round + ": " + loop.pool.all());
        }
    }

    /** Every worker sent SIGKILL dies of it, and the loop gets the SIGCHLD. */
    private void reapTheKilled() {
        loop.pool.all().stream().filter(w -> w.state() == WorkerState.KILLED).forEach(w -> os.exit(w.pid(), KILLED));
        loop.runOnce(new MasterEvent.ChildStateChanged());
    }

    @Test
    void aPoolWithASpareRunsItsWorkersItsSpareAndOneMoreAtMostSoLingeringWorkersHoldBackTheNextSpare() {
        int sparePid = startWithWarmSpare(2);
        int most = WorkerPool.maxProcesses(2, 1);
        int lingering = pidIn(1);
        notify(lingering, "STOPPING=1"); // and lingers; the warm spare takes its slot
        notify(pidIn(2), "STOPPING=1"); // lingers too; a new worker takes its slot
        assertEquals(sparePid, pidIn(1));
        notify(sparePid, "READY=1");
        notify(pidIn(2), "READY=1");
        advance(Duration.ofSeconds(1));
        turn();
        assertEquals(List.of(), loop.pool.spares(), "every slot is ready, but the pool is full: no new spare yet");
        assertEquals(most, running());

        os.exit(lingering, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertEquals(WorkerState.STARTING, spare().state(), "the next spare starts once a lingering one has left");
        assertEquals(most, running());
    }

    /** Every starting worker of a wanted slot says READY=1 and STOPPING=1, and lingers: it never exits itself. */
    private void lingerAfterStopping() {
        for (int slot = 1; slot <= loop.desiredWorkers(); slot++) {
            if (slots().get(slot).isHeld() && workerIn(slot).state() == WorkerState.STARTING) {
                int pid = pidIn(slot);
                notify(pid, "READY=1");
                notify(pid, "STOPPING=1");
            }
        }
    }

    @Test
    void aCrashReplacementWaitsWhileOtherSlotsWorkersLingerAndStartsOnceOneHasExited() {
        startReadyLoop(4);
        loop.scaleTo(2, "test");
        turn();
        int lingering = pidIn(3); // told to drain, it lingers; so does worker-4
        assertEquals(WorkerState.STOPPING, workerOf(lingering).state());
        assertEquals(4, running(), "more than a pool of 2 may run, until the surplus has drained");

        crash(2);
        assertTrue(slots().get(2).isEmpty(), "the pool still runs " + running() + ": no room");
        assertEquals(4, spawner.spawned());
        log.expect(Log.Level.WARN, "replacing it once one of the pool's 3 processes has left (it runs 3 at most)");
        advance(Duration.ofSeconds(1));
        turn();
        assertEquals(4, spawner.spawned(), "still no room");
        assertEquals(TICK, loop.nanosUntilNextDeadline(), "a slot that waits for room does not spin the loop");

        os.exit(lingering, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertEquals(5, spawner.spawned(), "the crashed slot gets the room the lingering worker left");
        assertEquals(WorkerState.STARTING, workerIn(2).state());
        assertEquals(3, running());
    }

    /** The pool's processes that still run code (not yet sent SIGKILL). */
    private long running() {
        return loop.pool.all().stream().filter(w -> w.state() != WorkerState.KILLED).count();
    }

    @Test
    void aRollingRestartWaitsForTheSlotsLingeringProcessBeforeItStartsAReplacement() {
        startLoop(1);
        int lingering = pidIn(1);
        notify(lingering, "READY=1");
        notify(lingering, "STOPPING=1");
        int current = pidIn(1);
        notify(current, "READY=1");

        restart(List.of(1), false);
        turn();
        assertEquals(2, slots().get(1).workers().size(), "no third process in the slot");

        os.exit(lingering, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertEquals(3, spawner.spawned(), "the replacement starts once the slot has room");
    }

    // ---- recycling ------------------------------------------------------------------------------------------------

    @Test
    void aWorkerThatServedMaxRequestsIsReplacedWithItsReplacementReadyFirst() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 100, 0, 5,
                Duration.ofSeconds(60), true, 0);
        startReadyLoop(1);
        int old = pidIn(1);

        spawner.setServed(old, 99);
        turn();
        assertEquals(1, spawner.spawned(), "not yet at its limit");

        spawner.setServed(old, 100);
        turn();
        assertEquals(2, spawner.spawned());
        assertEquals(WorkerState.READY, workerOf(old).state(), "still serving until its replacement is ready");

        notify(workerIn(1).pid(), "READY=1");
        assertEquals(WorkerState.STOPPING, workerOf(old).state());
        assertEquals(List.of(new Kill(old, Signal.TERM)), os.kills());
    }

    @Test
    void jitterSpreadsTheLimitsWithinTheConfiguredRange() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 100, 50, 5,
                Duration.ofSeconds(60), true, 0);
        startLoop(40);
        List<Long> limits = slots().values().stream().map(slot -> slot.workers().get(0).servedLimit()).toList();

        limits.forEach(limit -> assertTrue(limit >= 100 && limit <= 150, limits.toString()));
        assertTrue(limits.stream().distinct().count() > 1, "40 workers all got the same limit: " + limits);
    }

    // ---- flapping -------------------------------------------------------------------------------------------------

    @Test
    void aSlotWithMoreCrashesThanAllowedWithinTheWindowIsFlappingUntilTheyAgeOut() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 0, 0, 3,
                Duration.ofSeconds(60), true, 0);
        startLoop(1);
        Slot slot = slots().get(1);
        for (int crash = 1; crash <= 3; crash++) {
            crash(1);
            advance(Duration.ofSeconds(1));
            turn();
        }
        assertTrue(!flapping(slot), "3 crashes are allowed");

        crash(1);
        assertTrue(flapping(slot), "the 4th within the window is one too many");

        advance(Duration.ofSeconds(60));
        assertTrue(!flapping(slot), "crashes older than the window no longer count");
    }

    @Test
    void aStopWithAShorterTimeoutShortensTheDeadlineOfWorkersAlreadyDraining() {
        startLoop(2);
        loop.scaleTo(1, "test");
        turn(); // slot 2 drains with the 5 s graceful timeout
        int draining = pidIn(2);
        loop.beginStop("test", Duration.ofSeconds(1));
        advance(Duration.ofSeconds(1));
        turn();
        assertTrue(os.kills().contains(new FakeOs.Kill(draining, Signal.KILL)), os.kills().toString());
    }

    @Test
    void slotsFillEvenWhenTheMonotonicClockReadsNegative() {
        nowNanos = -TimeUnit.SECONDS.toNanos(1);
        startLoop(2);
        assertEquals(2, slots().values().stream().filter(slot -> !slot.isEmpty()).count());
    }

    // ---- PID 1 ---------------------------------------------------------------------------------------------------

    @Test
    void asPid1TheMasterAlsoReapsOrphansItDidNotStart() {
        os.runAsPid1();
        startLoop(1);
        int worker = pidIn(1);
        os.adopt(9001);
        os.exit(9001, CLEAN_EXIT);

        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertTrue(os.reaped(9001), "the orphan stays a zombie");
        assertEquals(worker, pidIn(1), "the worker is untouched");
        assertEquals(WorkerState.STARTING, workerIn(1).state());
    }

    @Test
    void asPid1AnOrphanThatCannotBeReapedIsLoggedNotSwallowed() {
        os.runAsPid1();
        startLoop(1);
        os.adopt(9001);
        os.exit(9001, CLEAN_EXIT);
        os.failReap(9001, new OsException("waitpid(9001)", 22, "Invalid argument"));

        assertDoesNotThrow(() -> loop.runOnce(new MasterEvent.ChildStateChanged()));

        log.expect(Log.Level.ERROR, "reaping orphan process 9001: waitpid(9001): Invalid argument");
        assertEquals(WorkerState.STARTING, workerIn(1).state(), "the loop went on");
    }

    // ---- what workers leave behind ------------------------------------------------------------------------------

    @Test
    void whatAWorkerLeavesInItsProcessGroupGetsTermAndAfterTheGraceKill() {
        startLoop(1);
        int worker = pidIn(1);
        os.adopt(9001, worker); // its double-forked helper, still in its group
        advance(Duration.ofNanos(StrayReaper.SWEEP_INTERVAL_NANOS));
        turn();
        assertEquals(List.of(), os.groupKills(), "a live worker's helper is left alone");
        assertEquals(List.of(), os.terminated());

        os.exit(worker, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertEquals(List.of(new Kill(worker, Signal.TERM)), os.groupKills());
        advance(Duration.ofNanos(StrayReaper.GRACE_NANOS - 1));
        turn();
        assertEquals(List.of(new Kill(worker, Signal.TERM)), os.groupKills(), "killed before the grace");

        advance(ONE_NANO);
        turn();
        assertEquals(List.of(new Kill(worker, Signal.TERM), new Kill(worker, Signal.KILL)), os.groupKills());
        log.expect(Log.Level.WARN, "left processes behind in its process group");
    }

    @Test
    void anAdoptedOrphanOutsideEveryWorkersGroupIsAStrayAndIsStoppedAndReaped() {
        startLoop(1);
        os.adopt(9001, 9001); // a helper that called setsid(), its worker gone

        advance(Duration.ofNanos(StrayReaper.SWEEP_INTERVAL_NANOS));
        turn();
        assertEquals(List.of(9001), os.terminated());
        advance(Duration.ofNanos(StrayReaper.GRACE_NANOS));
        turn(); // SIGKILL: the fake dies of it at once
        turn();

        assertTrue(os.sigkills().contains(new Kill(9001, Signal.KILL)), os.kills().toString());
        assertTrue(os.reaped(9001), "the stray stays a zombie");
        log.expect(Log.Level.WARN, "process 9001 (process group 9001) outlived the worker that started it");
    }

    @Test
    void theStopWaitsUntilNoStrayIsLeft() throws Exception {
        loop = newLoop(1);
        turn(); // the worker starts (a SIGTERM queued before the first turn would start none)
        os.adopt(9001, 9001); // ignores SIGTERM
        events.add(new MasterEvent.SignalReceived(Signal.TERM));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> result = executor.submit(() -> loop.run());
            assertTrue(os.terminatedOne().await(10, TimeUnit.SECONDS), "the loop never signalled anything");
            os.exit(FakeSpawner.FIRST_PID, CLEAN_EXIT);
            events.add(new MasterEvent.ChildStateChanged());

            assertThrows(TimeoutException.class, () -> result.get(500, TimeUnit.MILLISECONDS),
                    "run() returned while a stray was still alive");

            os.exit(9001, KILLED);
            assertEquals(0, result.get(10, TimeUnit.SECONDS));
            assertTrue(os.reaped(9001), "the master stopped before reaping its stray");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void asPid1AnOrphanOfAnotherSessionIsReapedButNeverKilled() {
        os.runAsPid1();
        startLoop(1);
        os.adoptSessionLeader(9001); // left behind by a docker exec session, say

        advance(Duration.ofNanos(StrayReaper.SWEEP_INTERVAL_NANOS));
        turn();
        assertEquals(List.of(), os.kills());
        os.exit(9001, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertTrue(os.reaped(9001));
        assertEquals(List.of(), os.kills());
    }

    @Test
    void theJdksOwnChildrenInTheMastersGroupAreNeitherSignalledNorReaped() {
        startLoop(1);
        os.adopt(9001); // in the master's group, as a ProcessBuilder child is
        os.adopt(9002);
        os.exit(9002, CLEAN_EXIT);

        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(), os.kills());
        assertTrue(!os.reaped(9002), "stolen from the JDK");
    }

    @Test
    void notAsPid1OtherChildrenAreLeftAlone() {
        startLoop(1);
        os.adopt(9001);
        os.exit(9001, CLEAN_EXIT);

        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertTrue(!os.reaped(9001));
    }

    // ---- defects of the restructuring (issue 9) and hang detection (issue 10) -----------------------------------

    @Test
    void aWorkerAlreadySentSigkillDoesNotMakeTheLoopSpin() {
        policy = policyWith(Duration.ofSeconds(10), Duration.ZERO);
        startLoop(1);
        int stuck = pidIn(1);
        advance(Duration.ofSeconds(10));
        turn(); // not ready in time: SIGKILL, and a replacement at once
        assertEquals(List.of(new Kill(stuck, Signal.KILL)), os.kills());
        assertEquals(WorkerState.KILLED, workerOf(stuck).state());

        // It never dies (uninterruptible sleep): its ready deadline, long past, must not make the poll timeout 0.
        assertEquals(TICK, loop.nanosUntilNextDeadline());
        int replacement = pidIn(1);
        advance(Duration.ofMinutes(5));
        turn();
        assertTrue(loop.nanosUntilNextDeadline() > 0, "the loop would spin");
        assertEquals(List.of(new Kill(stuck, Signal.KILL), new Kill(replacement, Signal.KILL)), os.kills(),
                "only its replacement, not ready in time either, was killed since");
    }

    @Test
    void theLoopSleepsUntilTheNextDeadlineAndNoLonger() {
        policy = policyWith(Duration.ofMillis(150), Duration.ZERO);
        startLoop(1);
        assertEquals(Duration.ofMillis(150).toNanos(), loop.nanosUntilNextDeadline(), "the ready deadline");
        notify(pidIn(1), "READY=1");
        assertEquals(TICK, loop.nanosUntilNextDeadline(), "nothing due: the tick");
    }

    @Test
    void aStopWhoseDeadlineCannotBeComputedChangesNothingSoSigtermStillStops() {
        startLoop(1);

        // A timeout whose deadline overflows once left the master marked as stopping with its worker running.
        assertThrows(ArithmeticException.class, () -> loop.beginStop("test", Duration.ofDays(200_000_000L)));

        assertTrue(!loop.stopping());
        assertEquals(List.of(), os.terminated());
        signal(Signal.TERM);
        assertTrue(loop.stopping());
        assertEquals(List.of(pidIn(1)), os.terminated());
    }

    @Test
    void aRuntimeExceptionInATailStepIsLoggedAndTheLoopGoesOn() {
        spawner.throwOnNextSpawn(new IllegalStateException("a bug in the spawner"));
        loop = newLoop(2);

        assertDoesNotThrow(() -> loop.runOnce(null));

        assertTrue(log.expect(Log.Level.ERROR, "reconciling failed").contains("a bug in the spawner"));
        assertEquals(List.of(1), spawner.attempts(), "that turn's reconcile ended there");
        turn();
        assertEquals(List.of(1, 1, 2), spawner.attempts());
        assertEquals(2, spawner.spawned(), "the next turn fills both slots");
    }

    @Test
    void aWorkerThatSendsOnlyReadyIsNeverKilledAsHung() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        int plain = pidIn(1);
        notify(plain, "READY=1"); // a plain sd_notify program: no WATCHDOG=1, ever

        advance(Duration.ofHours(2));
        turn();

        assertEquals(List.of(), os.kills());
        assertTrue(log.lines(Log.Level.WARN, "sent no heartbeat").isEmpty(), log.lines().toString());
        assertEquals(false, statusRow(1).watched());

        notify(plain, "WATCHDOG=1"); // from its first heartbeat on, it is watched
        assertEquals(true, statusRow(1).watched());
        advance(Duration.ofSeconds(3));
        turn();
        assertEquals(List.of(new Kill(plain, Signal.KILL)), os.kills());
    }

    @Test
    void aHungJvmGetsSigquitAndSigcontForItsThreadDumpThenSigkillTwoSecondsLater() {
        spawner.spawnJvms(true);
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        int hung = pidIn(1);
        notify(hung, "READY=1\nWATCHDOG=1");

        advance(Duration.ofSeconds(3));
        turn();
        assertEquals(List.of(new Kill(hung, Signal.QUIT), new Kill(hung, Signal.CONT)), os.kills());
        assertEquals(WorkerState.HUNG, workerOf(hung).state());
        assertEquals(Optional.of("hung: no heartbeat for 3000 ms"), workerOf(hung).killedBecause());
        assertNotEquals(hung, pidIn(1), "its replacement starts at once: a hung worker serves nobody");

        advance(Supervisor.THREAD_DUMP_GRACE.minus(ONE_NANO));
        turn();
        assertEquals(2, os.kills().size(), "killed before its thread dump was written");
        advance(ONE_NANO);
        turn();
        assertEquals(List.of(new Kill(hung, Signal.QUIT), new Kill(hung, Signal.CONT), new Kill(hung, Signal.KILL)),
                os.kills());
        log.expect(Log.Level.ERROR, "sending SIGQUIT for a thread dump, SIGKILL in 2000 ms");
    }

    @Test
    void theLateHeartbeatWarningComesAtThreeQuartersOfTheTimeoutOncePerSilence() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(4));
        startLoop(1);
        int quiet = pidIn(1);
        notify(quiet, "READY=1\nWATCHDOG=1");

        advance(Duration.ofSeconds(2)); // half the timeout: when a healthy worker beats, so no warning yet
        turn();
        assertEquals(List.of(), log.lines(Log.Level.WARN, "sent no heartbeat"));
        advance(Duration.ofSeconds(1));
        turn();
        advance(Duration.ofMillis(500));
        turn();
        turn();
        assertEquals(1, log.lines(Log.Level.WARN, "sent no heartbeat").size(), log.lines().toString());
        log.expect(Log.Level.WARN, "sent no heartbeat for 3000 ms, three quarters of its heartbeat timeout (4s)");

        notify(quiet, "WATCHDOG=1"); // it beats again: a new silence may be warned about
        advance(Duration.ofSeconds(3));
        turn();
        assertEquals(2, log.lines(Log.Level.WARN, "sent no heartbeat").size(), log.lines().toString());
        assertEquals(List.of(), os.kills());
    }

    @Test
    void anExitBeforeReadyIsABootFailureAndTheLogSaysWhyWithTheWorkersFirstErrorLine() {
        startLoop(1);
        int broken = pidIn(1);
        spawner.wrote(broken, Optional.of("Error: Could not find or load main class com.example.Main"), false);

        os.exit(broken, ExitStatus.decode(3 << 8));
        loop.runOnce(new MasterEvent.ChildStateChanged());

        log.expect(Log.Level.ERROR, "worker-1 (pid " + broken + ") cannot boot: Error: Could not find or load main "
                + "class com.example.Main (exit 3 after 0 ms); retrying now");
        assertReplacedFor(1, RestartReason.BOOT_FAILURE);
        assertEquals(1, slots().get(1).restarts());
        assertEquals(Optional.of("boot_failure"), statusRow(1).lastRestartReason());
        assertEquals(Optional.of("exit 3"), statusRow(1).lastExit());
        assertEquals(Optional.of("Error: Could not find or load main class com.example.Main"),
                statusRow(1).lastBootError(), "status says why too, not only the log");
    }

    @Test
    void aBootFailureWithoutOutputSaysSo() {
        startLoop(1);
        int silent = pidIn(1);
        os.exit(silent, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        log.expect(Log.Level.ERROR, "cannot boot: it wrote no error (exit 1");
    }

    @Test
    void aFlappingSlotWhoseWorkerIsReadyAgainHasRecoveredAndForgetsWhyItCouldNotBoot() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 0, 0, 2,
                Duration.ofSeconds(60), true, 0);
        startLoop(1);
        for (int failure = 1; failure <= 3; failure++) {
            crash(1); // before READY=1: it cannot boot
            advance(Duration.ofSeconds(1));
            turn();
        }
        log.expect(Log.Level.WARN, "worker-1 is flapping: 3 crashes within 1m; it retries in 200 ms, the delay "
                + "doubling up to 30s while workers fail; status shows backoff until one is ready");
        assertEquals("backoff", statusRow(1).state(), "its starting worker is the one that keeps failing");
        assertEquals(Optional.of("it wrote no error"), statusRow(1).lastBootError());

        int recovered = pidIn(1);
        notify(recovered, "READY=1");

        log.expect(Log.Level.INFO, "worker-1 (pid " + recovered + ") ready after 0 ms; its slot recovered after 3 "
                + "failures");
        assertEquals("ready", statusRow(1).state());
        assertEquals(Optional.empty(), statusRow(1).lastBootError(), "a slot that boots again cannot boot no more");
        assertEquals(Optional.of("boot_failure"), statusRow(1).lastRestartReason(), "the history stays");

        crash(1); // ready, then dead, while the window still holds its 3 failures: flapping again
        log.expect(Log.Level.WARN, "worker-1 is flapping: 4 crashes within 1m; it retries in 400 ms");
        advance(Duration.ofMillis(400));
        turn();
        assertEquals("backoff", statusRow(1).state());
        notify(pidIn(1), "READY=1");
        log.expect(Log.Level.INFO, "ready after 0 ms; its slot recovered after 1 failure");
    }

    @Test
    void aJvmThatDiesOfOutOfMemoryErrorIsReasonOom() {
        spawner.spawnJvms(true);
        startReadyLoop(1);
        int exhausted = pidIn(1);
        spawner.wrote(exhausted, Optional.of("Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap "
                + "space"), true);

        os.exit(exhausted, ExitStatus.decode(3 << 8));
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertReplacedFor(1, RestartReason.OOM);
        log.expect(Log.Level.ERROR, "worker-1 (pid " + exhausted + ") ran out of memory (OutOfMemoryError)");
    }

    @Test
    void anOutOfMemoryLineFromAProgramThatIsNotAJvmIsAnOrdinaryCrash() {
        startReadyLoop(1);
        spawner.wrote(pidIn(1), Optional.of("java.lang.OutOfMemoryError, says a script"), true);
        crash(1);
        assertReplacedFor(1, RestartReason.CRASH);
    }

    // ---- restart reasons: on the slot (status) and counted by reason -------------------------------------------

    @Test
    void aCrashAfterReadyIsReasonCrash() {
        startReadyLoop(1);
        crash(1);
        assertReplacedFor(1, RestartReason.CRASH);
        log.expect(Log.Level.WARN, "worker-1 (pid 1001) died after 0 ms: exit 1; replacing it now");
    }

    @Test
    void aKilledHungWorkerIsReasonHangCountedOnceThoughItIsReapedLater() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        int hung = pidIn(1);
        notify(hung, "READY=1\nWATCHDOG=1");
        advance(Duration.ofSeconds(3));
        turn();
        assertEquals(List.of(new Kill(hung, Signal.KILL)), os.kills());

        os.exit(hung, KILLED);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertReplacedFor(1, RestartReason.HANG);
    }

    @Test
    void aWorkerRecycledAtItsLimitIsReasonRecycle() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 100, 0, 5,
                Duration.ofSeconds(60), true, 0);
        startReadyLoop(1);
        spawner.setServed(pidIn(1), 100);
        turn();
        notify(workerIn(1).pid(), "READY=1");
        assertReplacedFor(1, RestartReason.RECYCLE);
        assertEquals(0, slots().get(1).restarts(), "planned: not counted as the slot's restart");
    }

    @Test
    void aWorkerWhoseMemoryStaysAboveTheLimitIsReasonMemory() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 0, 0, 5,
                Duration.ofSeconds(60), true, 100L << 20);
        startReadyLoop(1);
        int big = pidIn(1);
        os.setStats(big, new dev.herd.supervisor.os.ProcessStats(200L << 20, 0));

        advance(Duration.ofSeconds(10)); // the first check: over once is not enough (a moment's peak)
        turn();
        assertEquals(1, spawner.spawned());
        advance(Duration.ofSeconds(12)); // the second, 10 s plus up to 2 s of jitter later
        turn();
        assertEquals(2, spawner.spawned(), "its replacement starts first");
        assertEquals(WorkerState.READY, workerOf(big).state());

        notify(workerIn(1).pid(), "READY=1");
        assertEquals(WorkerState.STOPPING, workerOf(big).state());
        assertReplacedFor(1, RestartReason.MEMORY);
        log.expect(Log.Level.INFO, "has used 200 MB of memory for 2 checks (its limit is 100 MB); replacing it");
    }

    @Test
    void aWorkerReplacedByAReloadIsReasonReload() {
        startReadyLoop(1);
        restart(List.of(1), true);
        turn();
        notify(workerIn(1).pid(), "READY=1");
        assertReplacedFor(1, RestartReason.RELOAD);
    }

    @Test
    void aWorkerReplacedByHerdRestartIsReasonRestart() {
        startReadyLoop(1);
        restart(List.of(1), false);
        turn();
        notify(workerIn(1).pid(), "READY=1");
        assertReplacedFor(1, RestartReason.RESTART);
    }

    @Test
    void aWorkerStoppedByAScaleDownIsReasonScaleCountedOnce() {
        startReadyLoop(2);
        int surplus = pidIn(2);
        loop.scaleTo(1, "test");
        turn();
        turn();
        assertEquals(List.of(new Kill(surplus, Signal.TERM)), os.kills());
        assertEquals(Optional.of(RestartReason.SCALE), slots().get(2).lastRestartReason());
        assertEquals(Map.of(RestartReason.SCALE, 1L), loop.pool.restartCounts());
    }

    @Test
    void aWorkerThatLeavesOnItsOwnIsReasonExit() {
        startReadyLoop(1);
        int leaving = pidIn(1);
        notify(leaving, "STOPPING=1");
        os.exit(leaving, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        assertReplacedFor(1, RestartReason.EXIT);
    }

    @Test
    void aKilledWorkersReplacementStartsPerBackoffWithoutWaitingForItsReap() {
        policy = policyWith(Duration.ofHours(1), Duration.ofSeconds(3));
        startLoop(1);
        int first = pidIn(1);
        notify(first, "READY=1\nWATCHDOG=1");
        advance(Duration.ofSeconds(3));
        turn();
        int second = pidIn(1);
        assertNotEquals(first, second, "the first fault is replaced at once");
        assertTrue(!os.reaped(first), "though the killed worker is still there");

        notify(second, "READY=1\nWATCHDOG=1");
        advance(Duration.ofSeconds(3));
        turn(); // the second hang in a row, 3 s after its start: the slot now waits 100 ms
        assertTrue(slots().get(1).workers().stream().noneMatch(w -> w.state().holdsSlot()), "replaced at once");
        advance(Duration.ofMillis(100).minus(ONE_NANO));
        turn();
        assertEquals(2, spawner.spawned());
        advance(ONE_NANO);
        turn();
        assertEquals(3, spawner.spawned());
        assertTrue(!os.reaped(first) && !os.reaped(second), "neither killed worker has been reaped");
        assertEquals(Map.of(RestartReason.HANG, 2L), loop.pool.restartCounts());
    }

    // ---- hot spares ---------------------------------------------------------------------------------------------

    @Test
    void sparesStartOnlyOnceEveryWantedSlotIsReady() {
        loop = newLoop(2);
        loop.setDesiredSpares(1);
        turn();
        assertEquals(List.of(1, 2), spawner.attempts(), "the workers first");

        notify(pidIn(1), "READY=1");
        assertEquals(List.of(1, 2), spawner.attempts(), "not while a slot is still starting");
        notify(pidIn(2), "READY=1");

        assertEquals(List.of(1, 2, WorkerPool.BENCH), spawner.attempts());
        assertEquals(WorkerState.STARTING, spare().state());
        notify(spare().pid(), "X_HERD_SPARE=1");
        assertEquals(WorkerState.SPARE, spare().state());
        assertEquals("2/2 workers ready, 0 restarts, 1/1 spares warm", loop.summary());
        assertEquals("spare", statusRow(WorkerPool.BENCH).state());
    }

    @Test
    void aWarmSpareLetsTheLoopSleepAWholeTick() {
        startWithWarmSpare(2);

        assertEquals(TICK, loop.nanosUntilNextDeadline(), "the bench, never held by a warm spare, must not spin it");
    }

    @Test
    void aSpareThatFailsToStartIsRetriedWhenTheBenchsBackoffEnds() {
        startReadyLoop(1);
        loop.setDesiredSpares(1);
        spawner.failNextSpawns(WorkerPool.BENCH, 2);
        turn(); // the first failure: the bench retries at once
        turn(); // the second: 100 ms
        assertEquals(List.of(), loop.pool.spares());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), loop.nanosUntilNextDeadline());

        advance(Duration.ofMillis(100));
        turn();
        assertEquals(1, loop.pool.spares().size());
    }

    @Test
    void aCrashedWorkersSlotGetsTheWarmSpareInTheSameTurnAndANewSpareFollows() {
        int sparePid = startWithWarmSpare(2);
        int crashed = pidIn(1);

        os.exit(crashed, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(List.of(spawner.serialOf(sparePid), 1)), spawner.promotions());
        assertEquals(sparePid, pidIn(1));
        assertEquals(WorkerState.STARTING, workerIn(1).state());
        assertEquals(List.of(), loop.pool.spares(), "the bench is empty until the slot is ready again");
        assertEquals(List.of(1, 2, WorkerPool.BENCH), spawner.attempts(), "no new process for slot 1");

        advance(Duration.ofMillis(3));
        notify(sparePid, "READY=1");
        assertEquals(WorkerState.READY, workerIn(1).state());
        log.expect(Log.Level.INFO, "worker-1 (pid " + sparePid + ") ready 3 ms after its promotion");
        assertEquals(List.of(1, 2, WorkerPool.BENCH, WorkerPool.BENCH), spawner.attempts(), "a new spare");
        assertEquals(1, slots().get(1).restarts(), "the crash still counts against slot 1");
    }

    @Test
    void aSpareThatIsNotWarmYetIsNotPromoted() {
        startReadyLoop(1);
        loop.setDesiredSpares(1);
        turn();
        int crashed = pidIn(1);

        os.exit(crashed, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(), spawner.promotions());
        assertEquals(List.of(1, WorkerPool.BENCH, 1), spawner.attempts(), "a new worker for slot 1");
        assertEquals(WorkerState.STARTING, spare().state(), "the spare still starts on the bench");
    }

    @Test
    void aSpareThatCannotTakeItsPromotionIsPassedOverForANewWorker() {
        startWithWarmSpare(1);
        spawner.refusePromotions();

        os.exit(pidIn(1), CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(1, WorkerPool.BENCH, 1), spawner.attempts());
        assertTrue(log.expect(Log.Level.WARN, "did not take its promotion").contains("write: Broken pipe"),
                "the reason is said");
    }

    @Test
    void aSpareThatCannotTakeItsPromotionIsTriedOnceEvenWhenTwoSlotsNeedIt() {
        int sparePid = startWithWarmSpare(2);
        spawner.refusePromotions();

        os.exit(pidIn(1), CRASH);
        os.exit(pidIn(2), CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(1, 2, WorkerPool.BENCH, 1, 2), spawner.attempts(), "both slots filled in one turn");
        assertEquals(List.of(new Kill(sparePid, Signal.KILL)), os.kills(), "the spare is taken off the bench");
        log.expect(Log.Level.WARN, "did not take its promotion");
    }

    @Test
    void aRestartStopsTheSparesFirstAndReplacesWithNewProcesses() {
        int sparePid = startWithWarmSpare(1);

        loop.restart(List.of(1), RestartReason.RESTART);
        turn();

        assertTrue(os.kills().contains(new Kill(sparePid, Signal.TERM)), "the spare runs the old code: retired");
        assertEquals(List.of(), spawner.promotions());
        assertEquals(List.of(1, WorkerPool.BENCH, 1), spawner.attempts(), "the replacement is a new process");
    }

    @Test
    void aRecycleTakesTheWarmSpareAsTheReplacement() {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 100, 0, 5,
                Duration.ofSeconds(60), true, 0);
        int sparePid = startWithWarmSpare(1);
        int old = pidIn(1);

        spawner.setServed(old, 100);
        turn();
        assertEquals(List.of(List.of(spawner.serialOf(sparePid), 1)), spawner.promotions());
        notify(sparePid, "READY=1");

        assertEquals(WorkerState.STOPPING, workerOf(old).state(), "drains once the promoted spare is ready");
        assertEquals(Optional.of(RestartReason.RECYCLE), slots().get(1).lastRestartReason());
    }

    @Test
    void aSpareThatAcceptsBeforeItsPromotionIsStoppedAndNoSpareStartsAgainUntilAReload() {
        int sparePid = startWithWarmSpare(1);

        notify(sparePid, "READY=1");

        assertTrue(os.kills().contains(new Kill(sparePid, Signal.TERM)));
        log.expect(Log.Level.ERROR, "sent READY=1 before it was promoted");
        os.exit(sparePid, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        turn();
        assertEquals(List.of(1, WorkerPool.BENCH), spawner.attempts(), "no other spare");
        assertEquals(WorkerState.READY, workerIn(1).state(), "the worker of slot 1 is untouched");

        loop.setDesiredSpares(1); // what a reload does
        turn();
        assertEquals(List.of(1, WorkerPool.BENCH, WorkerPool.BENCH), spawner.attempts());
    }

    @Test
    void aSpareThatDiesIsReplacedOnTheBenchNotCountedAgainstASlot() {
        int sparePid = startWithWarmSpare(1);

        os.exit(sparePid, CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());

        assertEquals(List.of(1, WorkerPool.BENCH, WorkerPool.BENCH), spawner.attempts());
        assertEquals(0, slots().get(1).restarts());
        log.expect(Log.Level.WARN, "spare (pid " + sparePid + ") died after");
    }

    @Test
    void fewerSparesWantedStopsTheSurplusAndTheMastersStopStopsTheRest() {
        int sparePid = startWithWarmSpare(1);

        loop.setDesiredSpares(0);
        turn();
        assertTrue(os.kills().contains(new Kill(sparePid, Signal.TERM)));

        loop.setDesiredSpares(1);
        os.exit(sparePid, CLEAN_EXIT);
        loop.runOnce(new MasterEvent.ChildStateChanged());
        int second = spare().pid();
        notify(second, "X_HERD_SPARE=1");
        signal(Signal.TERM);
        assertEquals(WorkerState.STOPPING, workerOf(second).state(), "the stop reaches the bench too");
    }

    // ---- fixture ----------------------------------------------------------------------------------------------

    /** The loop's poll timeout when nothing falls due sooner (MasterLoop.TICK_NANOS). */
    private static final long TICK = TimeUnit.MILLISECONDS.toNanos(200);

    /** The slot's last worker was replaced for {@code reason}, the only restart the pool has counted. */
    private void assertReplacedFor(int slot, RestartReason reason) {
        assertEquals(Optional.of(reason), slots().get(slot).lastRestartReason());
        assertEquals(Map.of(reason, 1L), loop.pool.restartCounts());
    }

    /** The slot's newest row in a status report. */
    private dev.herd.supervisor.status.WorkerRow statusRow(int slot) {
        StatusReport report = loop.statusReport(new StatusReport.Socket() {
            @Override
            public String address() {
                return "127.0.0.1:9876";
            }

            @Override
            public dev.herd.supervisor.os.ListenQueue listenQueue() {
                return new dev.herd.supervisor.os.ListenQueue(0, 16);
            }
        }, Optional::empty, () -> dev.herd.supervisor.status.StatusSnapshot.Upgrade.NONE, Optional.empty());
        List<dev.herd.supervisor.status.WorkerRow> rows = report.take().workers().stream()
                .filter(row -> row.slot() == slot).toList();
        return rows.get(rows.size() - 1);
    }


    private MasterLoop newLoop(int desiredWorkers) {
        return new MasterLoop(os, spawner, notifier, desiredWorkers, policy, events, () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "test", Instant.parse("2026-11-30T00:00:00Z"), nowNanos));
    }

    private SortedMap<Integer, Slot> slots() {
        return loop.pool.slots();
    }

    /** A rolling restart of these slots, of every worker started before it. */
    private CompletableFuture<RestartDriver.Outcome> restart(List<Integer> slotNumbers, boolean reload) {
        return loop.restarts.restart(slotNumbers, loop.pool.nextSerial(),
                reload ? RestartReason.RELOAD : RestartReason.RESTART, nowNanos);
    }

    private boolean flapping(Slot slot) {
        return slot.failuresWithin(nowNanos, policy.flappingWindow()) > policy.flappingCrashes();
    }

    private static SupervisionPolicy policyWith(Duration readyTimeout, Duration heartbeatTimeout) {
        return new SupervisionPolicy(GRACEFUL_TIMEOUT, readyTimeout, heartbeatTimeout, 0, 0, 5,
                Duration.ofSeconds(60), true, 0);
    }

    /** Starts the loop and has every worker report READY=1. */
    private void startReadyLoop(int desiredWorkers) {
        startLoop(desiredWorkers);
        for (int slot = 1; slot <= desiredWorkers; slot++) {
            notify(pidIn(slot), "READY=1");
        }
    }

    /** The worker with this pid sends a notify datagram, and the loop takes a turn. */
    private void notify(int pid, String message) {
        loop.runOnce(new MasterEvent.WorkerNotified(spawner.serialOf(pid), Notification.parse(message)));
    }

    /** A loop of ready workers with one spare, warm; returns the spare's pid. */
    private int startWithWarmSpare(int desiredWorkers) {
        loop = newLoop(desiredWorkers);
        loop.setDesiredSpares(1);
        turn();
        for (int slot = 1; slot <= desiredWorkers; slot++) {
            notify(pidIn(slot), "READY=1");
        }
        int sparePid = spare().pid();
        notify(sparePid, "X_HERD_SPARE=1");
        return sparePid;
    }

    /** The one spare on the bench. */
    private WorkerHandle spare() {
        List<WorkerHandle> spares = loop.pool.spares();
        assertEquals(1, spares.size(), "spares: " + spares);
        return spares.get(0);
    }

    private WorkerHandle workerOf(int pid) {
        return slots().values().stream().flatMap(slot -> slot.workers().stream())
                .filter(w -> w.pid() == pid).findFirst()
                .orElseThrow(() -> new AssertionError("no worker with pid " + pid));
    }

    /** Creates the loop and runs its first turn, which starts the workers. */
    private void startLoop(int desiredWorkers) {
        loop = newLoop(desiredWorkers);
        loop.runOnce(null);
    }

    private void turn() {
        loop.runOnce(null);
    }

    private void signal(Signal signal) {
        loop.runOnce(new MasterEvent.SignalReceived(signal));
    }

    private void advance(Duration duration) {
        nowNanos += duration.toNanos();
    }

    /** The newest process of the slot. */
    private WorkerHandle workerIn(int slot) {
        List<WorkerHandle> workers = slots().get(slot).workers();
        if (workers.isEmpty()) {
            throw new AssertionError("slot " + slot + " is empty");
        }
        return workers.get(workers.size() - 1);
    }

    private int pidIn(int slot) {
        return workerIn(slot).pid();
    }

    /** The worker in the slot exits with an error, and the loop gets the SIGCHLD. */
    private void crash(int slot) {
        os.exit(pidIn(slot), CRASH);
        loop.runOnce(new MasterEvent.ChildStateChanged());
    }

    /** Crashes the slot's worker and checks that its replacement starts after exactly this delay, not sooner. */
    private void crashAndExpectReplacementAfter(int slot, Duration delay) {
        int spawnedBefore = spawner.spawned();
        crash(slot);
        if (!delay.isZero()) {
            assertTrue(slots().get(slot).isEmpty(), "replaced at once instead of after " + delay);
        }
        expectReplacementAfter(slot, delay, spawnedBefore);
    }

    /** The slot's next worker starts after exactly this delay, not sooner (counting from {@code spawnedBefore}). */
    private void expectReplacementAfter(int slot, Duration delay, int spawnedBefore) {
        if (!delay.isZero()) {
            assertEquals(spawnedBefore, spawner.spawned(), "replaced at once instead of after " + delay);
            advance(delay.minus(ONE_NANO));
            turn();
            assertEquals(spawnedBefore, spawner.spawned(), "replaced before " + delay);
            advance(ONE_NANO);
            turn();
        }
        assertEquals(spawnedBefore + 1, spawner.spawned(), "not replaced after " + delay);
        assertEquals(WorkerState.STARTING, workerIn(slot).state());
    }
}
