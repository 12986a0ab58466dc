package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one thread that reads what workers send the master, over real pipes and datagram sockets: the test plays
 * the workers, holding the ends a worker would write to.
 */
class WorkerIoTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path directory;
    @RegisterExtension
    final LogCapture log = new LogCapture();

    private record Delivery(int serial, List<Notification> notifications) {
    }

    /** The ends a worker holds: its notify pipe, stdout and stderr. */
    private record Worker(WorkerChannels channels, int notifyPipe, int stdout, int stderr) {
    }

    private final PosixOs os = new PosixOs();
    private final BlockingQueue<Delivery> delivered = new LinkedBlockingQueue<>();
    private final List<Integer> ours = new ArrayList<>();
    private WorkerIo io;
    private int sender;

    @BeforeEach
    void start() throws OsException {
        io = WorkerIo.start(os, (serial, notifications) -> delivered.add(new Delivery(serial, notifications)));
        sender = track(os.openDatagramSocket());
    }

    @AfterEach
    void stop() throws OsException {
        for (int fd : ours) {
            os.close(fd);
        }
        io.close();
        await("the worker I/O thread to end", () -> ioThreads() == 0);
    }

    // ---- notifications ----------------------------------------------------------------------------------------

    @Test
    void notifyPipeMessagesEndedByNulArriveAsNotifications() throws Exception {
        Worker worker = watch(1);

        write(worker.notifyPipe(), "READY=1\0STATUS=warming up\nWATCHDOG=1\0");
        write(worker.notifyPipe(), "STA"); // a message may come in pieces
        write(worker.notifyPipe(), "TUS=serving\0");

        assertEquals(new Delivery(1, List.of(new Notification.Ready())), next());
        assertEquals(new Delivery(1, List.of(new Notification.Status("warming up"), new Notification.Heartbeat())),
                next());
        assertEquals(new Delivery(1, List.of(new Notification.Status("serving"))), next());
    }

    @Test
    void aPipeMessageOver4KiBIsDroppedWholeAndTheNextOneArrives() throws Exception {
        Worker worker = watch(1);
        String longest = "X_HERD_SERVED=1" + " ".repeat(WorkerIo.MAX_MESSAGE_BYTES - 15); // 4096 bytes: kept

        write(worker.notifyPipe(), "STATUS=" + "x".repeat(WorkerIo.MAX_MESSAGE_BYTES) + "\0READY=1\0");
        write(worker.notifyPipe(), longest + "\0");
        write(worker.notifyPipe(), longest + " \0WATCHDOG=1\0");

        assertEquals(new Delivery(1, List.of(new Notification.Ready())), next(), "the oversized STATUS came through");
        assertEquals(new Delivery(1, List.of(new Notification.Served(1))), next());
        assertEquals(new Delivery(1, List.of(new Notification.Heartbeat())), next());
    }

    @Test
    void notifySocketDatagramsArriveAsNotificationsOfTheirWorker() throws Exception {
        Worker first = watch(1);
        Worker second = watch(2);

        send(second, "READY=1");
        assertEquals(new Delivery(2, List.of(new Notification.Ready())), next());
        send(first, "STATUS=one\nSTOPPING=1");
        assertEquals(new Delivery(1, List.of(new Notification.Status("one"), new Notification.Stopping())), next());
        assertTrue(io.outputFacts(1).saidStopping(), "kept for a reap that comes before the loop handles it");
        assertFalse(io.outputFacts(2).saidStopping());
        send(first, "MAINPID=1\nNOTHING=here"); // nothing a worker may say: no delivery
        send(first, "WATCHDOG=1");
        assertEquals(new Delivery(1, List.of(new Notification.Heartbeat())), next());
    }

    // ---- output -------------------------------------------------------------------------------------------------

    @Test
    void stderrLinesWithoutALevelAreWarnAndLinesNamingALevelKeepIt() throws Exception {
        Worker worker = watch(1);

        write(worker.stderr(), "Traceback (most recent call last):\nINFO reading config\nSEVERE: cannot bind\n");
        write(worker.stdout(), "hello from stdout\nWARNING:root:disk almost full\n");

        log.await(Log.Level.WARN, "worker-1[4001] Traceback (most recent call last):", DEADLINE);
        log.await(Log.Level.INFO, "worker-1[4001] INFO reading config", DEADLINE);
        log.await(Log.Level.ERROR, "worker-1[4001] SEVERE: cannot bind", DEADLINE);
        log.await(Log.Level.INFO, "worker-1[4001] hello from stdout", DEADLINE);
        log.await(Log.Level.WARN, "worker-1[4001] WARNING:root:disk almost full", DEADLINE);
    }

    @Test
    void theFirstErrorLineAndAnOutOfMemoryErrorShowInTheOutputFacts() throws Exception {
        Worker worker = watch(1);
        assertEquals(WorkerSpawner.OutputFacts.NONE, io.outputFacts(1));

        write(worker.stderr(), "INFO starting\nError: Could not find or load main class Main\nsecond complaint\n");
        await("the first error line", () -> io.outputFacts(1).rootCause().isPresent());
        write(worker.stdout(), "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n");
        await("the OutOfMemoryError", () -> io.outputFacts(1).outOfMemory());

        assertEquals(new WorkerSpawner.OutputFacts(Optional.of("Error: Could not find or load main class Main"),
                true), io.outputFacts(1));
        assertEquals(WorkerSpawner.OutputFacts.NONE, io.outputFacts(2), "another worker's");
    }

    /**
     * A worker that exits right after writing why is often reaped before the line is read: once its pipes are at
     * end of file, the facts have it (CoreIT once saw "cannot boot: it wrote no error" for a JVM that had said
     * "Unrecognized VM option"). No polling here: awaitOutputs is what the loop relies on.
     */
    @Test
    void awaitingTheOutputsEndGivesTheLastLinesOfAWorkerThatJustExited() throws Exception {
        for (int serial = 1; serial <= 20; serial++) {
            Worker worker = watch(serial);
            write(worker.stderr(), "Unrecognized VM option 'NoSuchHerdOption'\n");
            closeOurs(worker.stderr()); // the process exits: its pipes reach end of file
            closeOurs(worker.stdout());
            io.awaitOutputs(serial, DEADLINE);
            assertEquals(Optional.of("Unrecognized VM option 'NoSuchHerdOption'"),
                    io.outputFacts(serial).rootCause(), "worker " + serial);
        }
        log.expect(Log.Level.WARN, "Unrecognized VM option");
    }

    @Test
    void aLineInHerdsOwnFormatKeepsItsLevelAndItsMessageIsTheErrorLine() throws Exception {
        Worker worker = watch(1);

        write(worker.stderr(), "2026-11-24T17:30:01.123Z ERROR worker-1[4001] cannot start: port in use\n");

        await("the first error line", () -> io.outputFacts(1).rootCause().isPresent());
        assertEquals(Optional.of("cannot start: port in use"), io.outputFacts(1).rootCause());
        log.expect(Log.Level.ERROR, "cannot start: port in use");
    }

    // ---- forgetting a worker ------------------------------------------------------------------------------------

    @Test
    void forgettingAWorkerClosesItsNotifyDescriptorsButRelaysItsLastWords() throws Exception {
        Worker worker = watch(1);
        Path socket = worker.channels().notifySocketPath();
        write(worker.notifyPipe(), "READY=1\0");
        assertEquals(new Delivery(1, List.of(new Notification.Ready())), next());

        io.forget(1);

        await("the notify socket's file to be removed", () -> !Files.exists(socket));
        await("the notify pipe's read end to be closed", () -> {
            try {
                os.write(worker.notifyPipe(), "WATCHDOG=1\0".getBytes(StandardCharsets.UTF_8));
                return false;
            } catch (OsException e) {
                assertEquals(32, e.errno(), e.getMessage()); // EPIPE: nobody reads any more
                return true;
            }
        });
        write(worker.stderr(), "last words\n"); // a process it started may still write
        log.await(Log.Level.WARN, "worker-1[4001] last words", DEADLINE);
        assertTrue(delivered.isEmpty(), delivered.toString());
    }

    /**
     * forget() used to drop the worker's output facts on the master thread while the I/O thread could still be
     * relaying its error line: that line put them back, for a worker no one would ever ask about again.
     */
    @Test
    void aForgottenWorkersOutputFactsAreGoneEvenIfItsErrorLineIsReadMeanwhile() throws Exception {
        List<Worker> workers = new ArrayList<>();
        // A pipe's worth of error lines: the I/O thread is relaying them when forget() comes.
        String complaints = "Error: it failed\n".repeat(16 * 1024 / 17);
        for (int serial = 1; serial <= 20; serial++) {
            Worker worker = watch(serial);
            workers.add(worker);
            write(worker.stderr(), complaints);
            int forgotten = serial;
            await("its first line relayed", () -> io.outputFacts(forgotten).rootCause().isPresent());
            io.forget(serial);
        }
        for (Worker worker : workers) {
            closeOurs(worker.stderr()); // its last words are read to the end
            closeOurs(worker.stdout());
            io.awaitOutputs(worker.channels().serial(), DEADLINE);
        }
        for (Worker worker : workers) {
            assertEquals(WorkerSpawner.OutputFacts.NONE, io.outputFacts(worker.channels().serial()),
                    "worker serial " + worker.channels().serial());
        }
        log.expect(Log.Level.WARN, "Error: it failed");
    }

    @Test
    void outputsOfAllWorkersAreAwaitedToTheirEnd() throws Exception {
        Worker worker = watch(1);
        write(worker.stdout(), "partial line without a newline");

        closeOurs(worker.stdout());
        closeOurs(worker.stderr());
        io.awaitOutputs(DEADLINE);

        log.expect(Log.Level.INFO, "worker-1[4001] partial line without a newline");
    }

    // ---- one thread -----------------------------------------------------------------------------------------------

    @Test
    void oneThreadReadsForEveryWorker() throws Exception {
        List<Worker> workers = new ArrayList<>();
        for (int serial = 1; serial <= 64; serial++) {
            workers.add(watch(serial));
        }
        for (Worker worker : workers) {
            if (worker.channels().serial() % 2 == 0) {
                send(worker, "READY=1");
            } else {
                write(worker.notifyPipe(), "READY=1\0");
            }
        }

        List<Integer> serials = new ArrayList<>();
        for (int i = 0; i < workers.size(); i++) {
            serials.add(next().serial());
        }
        serials.sort(Integer::compare);
        assertEquals(java.util.stream.IntStream.rangeClosed(1, 64).boxed().toList(), serials);
        assertEquals(1, ioThreads());
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    @Test
    void closingRightAfterTheStartNeverWritesToAClosedWakeUpPipe() throws Exception {
        // The thread may see the close before close() wakes it; it must not have closed the pipe woken through.
        for (int i = 0; i < 200; i++) {
            WorkerIo.start(os, (serial, notifications) -> {
            }).close();
        }
        assertEquals(List.of(), log.lines(Log.Level.ERROR, "waking the worker I/O thread"));
        await("every I/O thread to end", () -> ioThreads() == 1);
    }

    // ---- fixture ------------------------------------------------------------------------------------------------

    /** A worker's channels, as the launcher makes them, handed to the I/O thread (which owns the read ends). */
    private Worker watch(int serial) throws OsException {
        Path socketPath = directory.resolve("worker-" + serial + ".sock");
        int socket = os.bindDatagramSocket(socketPath);
        Os.Pipe notify = os.pipe();
        Os.Pipe stdout = os.pipe();
        Os.Pipe stderr = os.pipe();
        WorkerChannels channels = new WorkerChannels(serial, "worker-" + serial, 4000 + serial, socket, socketPath,
                notify.readFd(), stdout.readFd(), stderr.readFd(), "the master's java");
        io.watch(channels);
        return new Worker(channels, track(notify.writeFd()), track(stdout.writeFd()), track(stderr.writeFd()));
    }

    private void write(int fd, String text) throws OsException {
        os.write(fd, text.getBytes(StandardCharsets.UTF_8));
    }

    private void send(Worker worker, String message) throws OsException {
        os.sendDatagram(sender, worker.channels().notifySocketPath().toString(),
                message.getBytes(StandardCharsets.UTF_8));
    }

    private Delivery next() throws InterruptedException {
        Delivery next = delivered.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(next, "no notification within " + DEADLINE);
        return next;
    }

    private int track(int fd) {
        ours.add(fd);
        return fd;
    }

    private void closeOurs(int fd) throws OsException {
        assertTrue(ours.remove(Integer.valueOf(fd)));
        os.close(fd);
    }

    private static long ioThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("herd-worker-io") && thread.isAlive()).count();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            assertFalse(System.nanoTime() - deadline > 0, "timed out waiting for " + what);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the polling interval
        }
    }
}
