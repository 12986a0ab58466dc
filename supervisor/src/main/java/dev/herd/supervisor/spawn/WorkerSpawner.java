package dev.herd.supervisor.spawn;

import dev.herd.supervisor.os.OsException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Starts worker processes and keeps what belongs to each one outside the loop's state: its notify socket and
 * pipe, its output pipes, its counters file. The master loop's unit tests substitute a fake.
 */
public interface WorkerSpawner {

    /** The slot number of a hot spare until its promotion: the bench, never a wanted slot. */
    int BENCH = 0;

    /** A started worker: its pid, and whether it is a JVM (which can print a thread dump on SIGQUIT). */
    record Spawned(int pid, boolean jvm) {
    }

    /** What a worker published: connections open now and units served so far (requests, or connections). */
    record Counters(long open, long served) {
        public static final Counters NONE = new Counters(0, 0);
    }

    /** Starts a worker for {@code slot}, known to the loop by {@code serial}. */
    Spawned spawn(int slot, int serial) throws OsException;

    /**
     * Starts a hot spare, known by {@code serial}: a worker with a promotion pipe, which must not accept until
     * {@link #promote} writes it its slot.
     */
    Spawned spawnSpare(int serial) throws OsException;

    /**
     * Promotes the spare {@code serial} into {@code slot}: writes the slot's number down its promotion pipe, and
     * names its output after the slot from now on.
     *
     * @throws OsException why the spare cannot hear it (EPIPE: it has exited)
     */
    void promote(int serial, int slot) throws OsException;

    /** The worker's counters as it last published them; {@link Counters#NONE} if it has none. */
    Counters counters(int serial);

    /**
     * What the worker's output said about how it ended: the line that says why a worker that could not boot failed
     * (the root cause of its stack trace, "Unrecognized VM option ...", "Error: Could not find or load main class
     * ...", "cannot start: ...": see RootCause), whether the JVM reported an OutOfMemoryError, and whether it said
     * STOPPING=1 (a worker that exits right after saying so may be reaped before the loop handles the message: its
     * exit is still a planned one). Asked once the worker is reaped; it waits briefly for the output's last lines,
     * which the worker's notifications precede.
     */
    OutputFacts outputFacts(int serial);

    /** See {@link #outputFacts}. */
    record OutputFacts(Optional<String> rootCause, boolean outOfMemory, boolean saidStopping) {
        public static final OutputFacts NONE = new OutputFacts(Optional.empty(), false, false);

        public OutputFacts(Optional<String> rootCause, boolean outOfMemory) {
            this(rootCause, outOfMemory, false);
        }
    }

    /** The worker has been reaped: close and remove what was made for it. */
    void release(int serial);

    // What the spawner starts besides workers (a class-data training run, see ClassDataTrainer), supervised from
    // the loop through these hooks; the defaults are for a spawner that starts nothing else.

    /** The worker {@code serial} (pid {@code pid}) said READY=1. */
    default void workerReady(int serial, int pid) {
    }

    /** Notifications of a serial that is no worker's: true if they were one of the spawner's other processes'. */
    default boolean otherProcessNotified(int serial, List<Notification> notifications) {
        return false;
    }

    /** Each loop turn: reap the spawner's other processes that ended, kill those past their deadline. */
    default void superviseOthers() {
    }

    /** The master is stopping: end the spawner's other processes (they are reaped by {@link #superviseOthers}). */
    default void stopOthers() {
    }

    /**
     * herd is about to re-execute itself ({@code herd upgrade}): end the spawner's other processes now and reap
     * them, for {@code why}; the new program starts its own when it needs them.
     */
    default void endOthersNow(String why) {
    }

    /** Whether {@code pid} is a child the spawner started and reaps itself (no worker, no orphan, no stray). */
    default boolean isOwnChild(int pid) {
        return false;
    }

    /** What class data the worker {@code serial} started with: "app" (its app's archive), or empty. */
    default Optional<String> classData(int serial) {
        return Optional.empty();
    }

    /**
     * For {@code herd reload --train-first}: trains the class data of the workers' current configuration now
     * (without waiting for a ready worker) unless its archive exists; completes on the master thread with empty once
     * it exists, or with why there is none.
     */
    default CompletableFuture<Optional<String>> classDataFirst() {
        return CompletableFuture.completedFuture(Optional.of("worker.classData is off"));
    }
}
