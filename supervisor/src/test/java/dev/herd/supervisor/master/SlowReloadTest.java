package dev.herd.supervisor.master;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigBuilder;
import dev.herd.config.ConfigException;
import dev.herd.config.ConfigKeys;
import dev.herd.config.HerdConfig;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.admin.AdminException;
import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.notify.ServiceNotifier;
import dev.herd.supervisor.os.ListenQueue;
import dev.herd.supervisor.os.PosixOs;
import dev.herd.supervisor.spawn.Notification;
import dev.herd.supervisor.spawn.SharedSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload's slow calls (reading the config file, looking up worker.user or listen's host) happen beside the
 * master's loop (issue 19, item 3): while one hangs, the loop goes on answering admin requests and taking
 * heartbeats, and a read that never ends is given up on and refused, holding one thread at most. The loop runs on a
 * {@link FakeOs}; the config file, the listening socket and the reload's thread are real.
 */
class SlowReloadTest {

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @TempDir
    Path dir;

    private final FakeOs os = new FakeOs();
    private final BlockingQueue<MasterEvent> events = new LinkedBlockingQueue<>();
    private final List<Runnable> heldBeside = new ArrayList<>();
    /** Released by the test: until then, every reload's read of the config "waits on a name service". */
    private final CountDownLatch lookupAnswers = new CountDownLatch(1);
    private long nowNanos = TimeUnit.HOURS.toNanos(1);
    private HerdConfig base;
    private SharedSocket socket;
    private ProcessFiles files;
    private MasterLoop loop;
    private Thread loopThread;
    private volatile boolean loopRuns = true;

    @BeforeEach
    void startOneWorker() throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 1, \"listen\": \"127.0.0.1:0\"}");
        base = ConfigBuilder.fromFile(file).build();
        socket = SharedSocket.bind(new PosixOs(), base.listen(), base.backlog());
        files = ProcessFiles.openLog(Optional.empty(), FakeOs.MASTER_PID);
        loop = new MasterLoop(os, new FakeSpawner(os), ServiceNotifier.NONE, base.workers(),
                SupervisionPolicy.from(base), events, () -> nowNanos,
                new MasterInfo(FakeOs.MASTER_PID, "test", Instant.parse("2026-12-07T00:00:00Z"), nowNanos));
        loop.runOnce(null);
    }

    @AfterEach
    void stopTheLoop() throws Exception {
        loopRuns = false;
        lookupAnswers.countDown();
        if (loopThread != null) {
            loopThread.join(TimeUnit.SECONDS.toMillis(10));
        }
        socket.close();
        files.close();
    }

    /** The reload's read waits for the test; the reload's thread is a real one, as in the master. */
    private void commandsWithASlowLookup() {
        Reloader reloader = new Reloader(loop.forReloads(), base, () -> { }, () -> {
            awaitUninterruptibly(lookupAnswers);
            return ConfigBuilder.fromFile(base.source().orElseThrow()).set(ConfigKeys.WORKERS, 2).build();
        }, socket, next -> () -> { }, files, task -> new Thread(task, "test-reload").start(),
                apply -> events.add(new MasterEvent.WorkDone(apply)));
        useCommands(reloader);
    }

    /** The reload's slow half is held until the test runs it; the loop's turns are the test's. */
    private Reloader commandsWithAHeldRead() {
        Reloader reloader = new Reloader(loop.forReloads(), base, () -> { },
                () -> ConfigBuilder.fromFile(base.source().orElseThrow()).build(), socket, next -> () -> { }, files,
                heldBeside::add, apply -> events.add(new MasterEvent.WorkDone(apply)));
        useCommands(reloader);
        return reloader;
    }

    private void useCommands(Reloader reloader) {
        loop.setCommands(new CommandExecutor(loop.forCommands(), reloader, loop.statusReport(new StatusReport.Socket() {
            @Override
            public String address() {
                return socket.address().toString();
            }

            @Override
            public ListenQueue listenQueue() {
                return new ListenQueue(0, 511);
            }
        }, () -> reloader.config().source(), () -> dev.herd.supervisor.status.StatusSnapshot.Upgrade.NONE,
                Optional.empty()),
                UpgraderTest.unused(os, loop, reloader)));
    }

    @Test
    void whileAReloadWaitsForANameLookupTheLoopAnswersPingsAndTakesHeartbeats() throws Exception {
        commandsWithASlowLookup();
        WorkerHandle worker = loop.pool.all().iterator().next();
        loop.runOnce(new MasterEvent.WorkerNotified(worker.serial(), List.of(new Notification.Ready())));
        runTheLoopOnAThreadOfItsOwn();

        CompletableFuture<AdminReply> reload = request("{\"command\":\"reload\",\"wait\":false}");
        CompletableFuture<AdminReply> ping = request("{\"command\":\"ping\"}");
        CompletableFuture<AdminReply> status = request("{\"command\":\"status\"}");

        // Before the fix the loop itself waited in the lookup: neither came until the name service answered.
        assertEquals(new AdminReply.Pong(), ping.get(10, TimeUnit.SECONDS));
        assertTrue(status.get(10, TimeUnit.SECONDS) instanceof AdminReply.Status);
        events.add(new MasterEvent.WorkerNotified(worker.serial(), List.of(new Notification.Heartbeat(),
                new Notification.Status("beating"))));
        // The queue is first in, first out: once a later ping is answered, the notification was handled.
        assertEquals(new AdminReply.Pong(), request("{\"command\":\"ping\"}").get(10, TimeUnit.SECONDS));
        assertEquals(Optional.of("beating"), worker.statusText());
        assertFalse(reload.isDone(), "the reload still waits for its lookup");

        lookupAnswers.countDown();

        assertEquals(new AdminReply.Reloaded(2, Optional.of(base.source().get().toString()), OptionalInt.empty()),
                reload.get(10, TimeUnit.SECONDS));
        log.expect(Log.Level.INFO, "reload: applied " + base.source().get());
    }

    @Test
    void aReadThatTakesTooLongIsRefusedAndHoldsOneThreadAtMost() {
        Reloader reloader = commandsWithAHeldRead();
        CompletableFuture<AdminReply> first = request("{\"command\":\"reload\"}");
        CompletableFuture<AdminReply> second = request("{\"command\":\"reload\"}");
        assertEquals(1, heldBeside.size(), "one read at a time; the second reload waits for the next one");

        nowNanos += Reloader.PREPARE_TIMEOUT.toNanos();
        loop.runOnce(null);

        String why = "reading " + base.source().get() + " and looking up its names took longer than 8s (a FIFO "
                + "that no one writes? a name service that does not answer?)";
        assertEquals(new AdminReply.Failed(AdminException.RELOAD_FAILED, why, OptionalInt.empty()), first.getNow(null));
        assertEquals(first.getNow(null), second.getNow(null));
        log.expect(Log.Level.ERROR, "reload: " + why + "; keeping the running configuration");

        CompletableFuture<AdminReply> third = request("{\"command\":\"reload\"}");
        AdminReply.Failed refused = (AdminReply.Failed) third.getNow(null);
        assertTrue(refused.message().startsWith("the reload given up on is still reading"), refused.message());
        assertEquals(1, heldBeside.size(), "no second thread while the first is stuck");

        heldBeside.remove(0).run(); // the FIFO got its writer after all
        loop.runOnce(events.poll());
        log.expect(Log.Level.INFO, "reload: the read given up on has ended; what it found is dropped");
        assertEquals(base, reloader.config(), "what the abandoned read found is not applied");

        CompletableFuture<AdminReply> fourth = request("{\"command\":\"reload\",\"wait\":false}");
        assertEquals(1, heldBeside.size(), "a reload reads again");
        heldBeside.remove(0).run();
        loop.runOnce(events.poll());
        assertTrue(fourth.getNow(null) instanceof AdminReply.Reloaded, String.valueOf(fourth.getNow(null)));
    }

    private void runTheLoopOnAThreadOfItsOwn() {
        loopThread = new Thread(() -> {
            while (loopRuns) {
                try {
                    loop.runOnce(events.poll(20, TimeUnit.MILLISECONDS));
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-master-loop");
        loopThread.start();
    }

    /** Hands the request to the loop as the admin thread does; with no loop thread, the test takes the turn. */
    private CompletableFuture<AdminReply> request(String json) {
        CompletableFuture<AdminReply> reply = new CompletableFuture<>();
        MasterEvent event;
        try {
            event = new MasterEvent.AdminRequested(AdminRequest.parse(json.getBytes(StandardCharsets.UTF_8)), reply);
        } catch (AdminException e) {
            throw new AssertionError(json, e);
        }
        if (loopThread == null) {
            loop.runOnce(event);
        } else {
            events.add(event);
        }
        return reply;
    }

    private static void awaitUninterruptibly(CountDownLatch latch) throws ConfigException {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("interrupted");
        }
    }
}
