package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.ExitStatus;
import dev.herd.supervisor.os.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Rolling restarts step by step, on a {@link WorkerPool} over a {@link FakeOs} and a {@link FakeSpawner}: how
 * requests merge, what a queued step covers, recycling, a replacement that cannot be spawned, and what the driver
 * tells its waiters, its finish actions and the service manager.
 */
class RestartDriverTest {

    private static final Duration GRACEFUL_TIMEOUT = Duration.ofSeconds(5);

    @RegisterExtension
    final LogCapture log = new LogCapture();

    private final FakeOs os = new FakeOs();
    private final FakeSpawner spawner = new FakeSpawner(os);
    private final WorkerPool pool = new WorkerPool(os, spawner);
    private final List<String> told = new ArrayList<>();
    private long nowNanos = TimeUnit.HOURS.toNanos(1);
    private final RestartDriver restarts = new RestartDriver(new ServiceReporter(new ServiceNotifier() {
        @Override
        public void ready(String status) {
            told.add("READY " + status);
        }

        @Override
        public void reloading(long monotonicMicros) {
            told.add("RELOADING " + monotonicMicros);
        }
    }, () -> "the summary", nowNanos), () -> nowNanos);
    private SupervisionPolicy policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO,
            0, 0, 5, Duration.ofSeconds(60), true, 0);
    private int desired;

    // ---- one slot after another --------------------------------------------------------------------------------

    @Test
    void eachReplacementIsReadyBeforeItsOldWorkerIsToldToDrain() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1, 2), RestartReason.RESTART);

        advance();
        WorkerHandle first = newest(1);
        assertEquals(3, first.serial());
        assertEquals(List.of(), os.kills(), "nobody drains before a replacement is ready");

        first.ready(nowNanos);
        advance();
        int drained = oldest(1).pid();
        assertEquals(List.of(new FakeOs.Kill(drained, Signal.TERM)), os.kills());
        assertEquals(WorkerState.READY, newest(2).state(), "the pool runs one process more than its workers at most");

        os.exit(drained, ExitStatus.decode(0));
        pool.reap();
        advance();
        assertEquals(WorkerState.STARTING, newest(2).state(), "slot 2's turn, once the drained one has left");

        newest(2).ready(nowNanos);
        advance();
        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), outcome.getNow(null));
        assertFalse(restarts.active());
        assertEquals(Map.of(RestartReason.RESTART, 2L), pool.restartCounts());
    }

    // ---- merging ----------------------------------------------------------------------------------------------

    @Test
    void theSameRequestTwiceReplacesEachSlotOnceAndAnswersBoth() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> first = restart(List.of(1, 2), RestartReason.RESTART);
        CompletableFuture<RestartDriver.Outcome> second = restart(List.of(1, 2), RestartReason.RESTART);

        runToTheEnd();

        assertEquals(4, spawner.spawned(), "two workers and one replacement each");
        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), first.getNow(null));
        assertEquals(first.getNow(null), second.getNow(null));
    }

    @Test
    void aWaitingSlotWidensToReplaceWhatALaterRequestAsksFor() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> first = restart(List.of(1, 2), RestartReason.RESTART);
        // slot 2's worker crashes and is replaced before its turn: the new one (serial 3) is not covered yet
        os.exit(oldest(2).pid(), dev.herd.supervisor.os.ExitStatus.decode(1 << 8));
        pool.reap();
        WorkerHandle restarted = pool.spawnInto(slot(2), policy, nowNanos);
        restarted.ready(nowNanos);
        assertFalse(restarts.covers(restarted));

        restart(List.of(2), RestartReason.RESTART); // replaces everything in slot 2 started before now

        assertTrue(restarts.covers(restarted), "the waiting step widened");
        runToTheEnd();
        assertEquals(Optional.of(RestartReason.RESTART), restarted.leaving(), "told to drain");
        assertEquals(1, slot(2).workers().stream().filter(w -> w.state() == WorkerState.READY).count());
        assertEquals(5, spawner.spawned(), "slot 2 replaced once, not once per request");
        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), first.getNow(null));
    }

    @Test
    void theSlotInProgressIsQueuedAgainSinceItsReplacementMayBeWhatTheNewRequestReplaces() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> first = restart(List.of(1, 2), RestartReason.RESTART);
        advance();
        WorkerHandle successor = newest(1); // started for the first request: the second one replaces it too

        CompletableFuture<RestartDriver.Outcome> second = restart(List.of(1), RestartReason.RESTART);
        assertTrue(restarts.covers(successor));
        runToTheEnd();

        assertEquals(Optional.of(RestartReason.RESTART), successor.leaving(), "replaced again, after slot 2");
        assertEquals(WorkerState.READY, newest(1).state());
        assertEquals(List.of(1, 2, 1, 2, 1), spawner.attempts(), "slot 1, then slot 2, then slot 1 again");
        assertEquals(new RestartDriver.Outcome(3, Optional.empty()), first.getNow(null));
        assertEquals(first.getNow(null), second.getNow(null));
    }

    @Test
    void coversTheOlderWorkersOfAQueuedSlotOnly() throws Exception {
        fill(2);
        WorkerHandle one = oldest(1);
        WorkerHandle two = oldest(2);
        assertFalse(restarts.covers(one));

        restart(List.of(1), RestartReason.RESTART);

        assertTrue(restarts.covers(one));
        assertFalse(restarts.covers(two), "another slot");
        advance();
        assertFalse(restarts.covers(newest(1)), "its own replacement");
    }

    // ---- recycling ----------------------------------------------------------------------------------------------

    @Test
    void aWorkerAtItsLimitIsRecycledOnceWithItsReplacementReadyFirst() throws Exception {
        policy = new SupervisionPolicy(GRACEFUL_TIMEOUT, Duration.ofHours(1), Duration.ZERO, 100, 0, 5,
                Duration.ofSeconds(60), true, 0);
        fill(1);
        WorkerHandle old = oldest(1);
        spawner.setServed(old.pid(), 99);
        restarts.recycleWorkersAtTheirLimit(pool, desired, nowNanos);
        assertFalse(restarts.active(), "not yet at its limit");

        spawner.setServed(old.pid(), 100);
        restarts.recycleWorkersAtTheirLimit(pool, desired, nowNanos);
        restarts.recycleWorkersAtTheirLimit(pool, desired, nowNanos);
        assertTrue(restarts.covers(old));
        advance();
        restarts.recycleWorkersAtTheirLimit(pool, desired, nowNanos); // still at its limit while its successor starts
        advance();
        assertEquals(2, spawner.spawned(), "one successor");

        newest(1).ready(nowNanos);
        advance();
        restarts.recycleWorkersAtTheirLimit(pool, desired, nowNanos);
        advance();

        assertEquals(WorkerState.STOPPING, old.state());
        assertEquals(2, spawner.spawned(), "recycled twice");
        assertFalse(restarts.active());
        assertEquals(Map.of(RestartReason.RECYCLE, 1L), pool.restartCounts());
        assertEquals(Optional.of(RestartReason.RECYCLE), slot(1).lastRestartReason());
        assertEquals(0, slot(1).restarts(), "a planned replacement is no fault");
    }

    // ---- failures ----------------------------------------------------------------------------------------------

    @Test
    void aReplacementThatCannotBeSpawnedEndsTheRestartAndBacksTheSlotOff() throws Exception {
        fill(2);
        spawner.failNextSpawns(1, 2);

        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1, 2), RestartReason.RESTART);
        advance();

        RestartDriver.Outcome failed = outcome.getNow(null);
        assertEquals(0, failed.replaced());
        assertEquals(Optional.of("cannot start a replacement for worker-1: posix_spawn: Resource temporarily "
                + "unavailable"), failed.failure());
        assertFalse(restarts.active());
        assertEquals(List.of(), os.kills(), "the old workers keep serving");
        assertEquals(1, slot(1).restarts());
        assertEquals(Map.of(RestartReason.BOOT_FAILURE, 1L), pool.restartCounts());
        log.expect(Log.Level.ERROR, "cannot start a replacement for worker-1");
        log.expect(Log.Level.ERROR, "rolling restart stopped after 0 replaced");

        restart(List.of(1), RestartReason.RESTART);
        advance(); // the second failure in a row: the slot now waits 100 ms
        assertTrue(slot(1).backingOff(nowNanos));
        restart(List.of(1), RestartReason.RESTART);
        advance();
        assertEquals(List.of(1, 2, 1, 1), spawner.attempts(), "tried again while backing off");

        nowNanos += Duration.ofMillis(100).toNanos();
        advance();
        assertEquals(List.of(1, 2, 1, 1, 1), spawner.attempts());
        assertEquals(WorkerState.STARTING, newest(1).state());
    }

    // ---- the end of a restart -------------------------------------------------------------------------------------

    @Test
    void finishActionsRunOnceAndOneThatThrowsIsLoggedWhileWaitersStillComplete() throws Exception {
        fill(1);
        CompletableFuture<RestartDriver.Outcome> outcome = restart(List.of(1), RestartReason.RELOAD);
        AtomicInteger ran = new AtomicInteger();
        List<RestartDriver.Outcome> seen = new ArrayList<>();
        restarts.whenDone(done -> {
            throw new IllegalStateException("the rollback broke");
        });
        restarts.whenDone(seen::add);
        restarts.whenDone(done -> ran.incrementAndGet());

        runToTheEnd();
        restart(List.of(1), RestartReason.RESTART);
        runToTheEnd();

        assertEquals(1, ran.get());
        assertEquals(List.of(new RestartDriver.Outcome(1, Optional.empty())), seen);
        assertEquals(new RestartDriver.Outcome(1, Optional.empty()), outcome.getNow(null));
        assertTrue(log.expect(Log.Level.ERROR, "after the rolling restart").contains("the rollback broke"));
        assertEquals(List.of("RELOADING " + TimeUnit.HOURS.toMicros(1), "READY the summary"), told,
                "the service manager heard the end of the reload despite the failing action");
    }

    @Test
    void aReloadTellsTheServiceManagerReloadingThenReadyAndAPlainRestartTellsNothing() throws Exception {
        fill(1);
        restart(List.of(1), RestartReason.RESTART);
        runToTheEnd();
        assertEquals(List.of(), told);

        nowNanos += 1_234_000;
        restart(List.of(1), RestartReason.RELOAD);
        assertTrue(restarts.isReload());
        restart(List.of(1), RestartReason.RELOAD); // a second reload merging in: no second RELOADING=1
        assertEquals(List.of("RELOADING " + nowNanos / 1000), told);

        runToTheEnd();
        assertEquals(List.of("RELOADING " + nowNanos / 1000, "READY the summary"), told);
        assertFalse(restarts.isReload());
    }

    @Test
    void aWaiterWhoJoinsGetsTheOutcomeOfTheRestartInProgress() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> started = restart(List.of(1, 2), RestartReason.RELOAD);
        advance();

        CompletableFuture<RestartDriver.Outcome> joined = restarts.join();
        assertFalse(joined.isDone());
        runToTheEnd();

        assertEquals(new RestartDriver.Outcome(2, Optional.empty()), joined.getNow(null));
        assertEquals(started.getNow(null), joined.getNow(null));
    }

    @Test
    void aReplacementThatDiesEndsTheRestartForEveryWaiter() throws Exception {
        fill(2);
        CompletableFuture<RestartDriver.Outcome> started = restart(List.of(1, 2), RestartReason.RESTART);
        advance();
        CompletableFuture<RestartDriver.Outcome> joined = restarts.join();

        restarts.workerExited(newest(1), false, "exit 1");

        String why = "worker-1's replacement (pid " + newest(1).pid() + ") failed before it was ready: exit 1";
        assertEquals(new RestartDriver.Outcome(0, Optional.of(why)), started.getNow(null));
        assertEquals(started.getNow(null), joined.getNow(null));
        log.expect(Log.Level.ERROR, "2 slots keep their workers");
    }

    // ---- fixture ------------------------------------------------------------------------------------------------

    /** {@code count} slots, each with a ready worker (serials 1..count). */
    private void fill(int count) throws Exception {
        desired = count;
        for (int number = 1; number <= count; number++) {
            pool.spawnInto(slot(number), policy, nowNanos).ready(nowNanos);
        }
    }

    /** Every worker started before now is replaced. */
    private CompletableFuture<RestartDriver.Outcome> restart(List<Integer> slots, RestartReason reason) {
        return restarts.restart(slots, pool.nextSerial(), reason, nowNanos);
    }

    private void advance() {
        restarts.advance(pool, new WorkerStopper(pool, () -> nowNanos, policy.gracefulTimeout()), desired,
                WorkerPool.maxProcesses(desired, 0), policy, nowNanos, Instant.EPOCH.plusNanos(nowNanos));
    }

    /**
     * Advances, making every replacement ready as it starts, until the restart is over. An old worker still
     * draining exits once the pool needs the room (it runs its workers and one replacement at most).
     */
    private void runToTheEnd() {
        for (int turn = 0; turn < 100 && restarts.active(); turn++) {
            advance();
            pool.all().stream().filter(w -> w.state() == WorkerState.STARTING).forEach(w -> w.ready(nowNanos));
            if (!pool.hasRoom(WorkerPool.maxProcesses(desired, 0))) {
                pool.all().stream().filter(w -> w.state() == WorkerState.STOPPING).findFirst()
                        .ifPresent(drained -> os.exit(drained.pid(), ExitStatus.decode(0)));
            }
            pool.reap();
        }
        assertFalse(restarts.active(), "the restart never ended");
    }

    private Slot slot(int number) {
        return pool.slot(number, nowNanos);
    }

    private WorkerHandle oldest(int number) {
        return slot(number).workers().get(0);
    }

    private WorkerHandle newest(int number) {
        List<WorkerHandle> workers = slot(number).workers();
        return workers.get(workers.size() - 1);
    }
}
