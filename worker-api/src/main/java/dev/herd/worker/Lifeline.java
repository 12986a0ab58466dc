package dev.herd.worker;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;

/**
 * Notices the master's death. The master holds the only write end of a pipe whose read end is this worker's
 * fd 3; the kernel closes the write end whenever the master dies, even by SIGKILL, and our read returns EOF at
 * once. The worker then drains and exits, so that no orphan keeps the port; on its way out it stops the processes
 * it started ({@link HelperProcesses}), which the master would have stopped had it lived.
 *
 * <p>The read goes through a {@link FileChannel} so that {@link #close()} can wake it: HotSpot's exit waits about
 * 300 ms for threads blocked in a plain native read, which would slow every worker's exit.
 */
final class Lifeline implements AutoCloseable {

    static final Path FD_PATH = Path.of("/proc/self/fd/3");

    /** Longest time a worker whose master died may take to finish its exchanges before it halts anyway. */
    private static final long ORPHAN_DRAIN_MILLIS = 1000;
    /** How long the helpers of a worker whose master died get between their SIGTERM and their SIGKILL. */
    private static final Duration HELPER_GRACE = Duration.ofSeconds(1);

    private final FileChannel pipe;
    private final Drain drain;
    private volatile boolean masterGone;
    /** Set when the JVM's exit has begun (its shutdown hook runs): then the lifeline has nothing to halt. */
    private volatile boolean exiting;
    private boolean helpersStopped; // guarded by this

    private Lifeline(FileChannel pipe, Drain drain) {
        this.pipe = pipe;
        this.drain = drain;
    }

    /** Starts watching fd 3; returns null for a worker started by hand (no master, no lifeline). */
    static Lifeline watch(long masterPid, Drain drain) throws IOException {
        if (masterPid == 0) {
            return null;
        }
        Lifeline lifeline = new Lifeline(FileChannel.open(FD_PATH, StandardOpenOption.READ), drain);
        Thread thread = new Thread(lifeline::awaitMasterDeath, "herd-lifeline");
        thread.setDaemon(true);
        thread.start();
        return lifeline;
    }

    private void awaitMasterDeath() {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        try {
            while (pipe.read(buffer.clear()) >= 0) {
                // the master never writes; any byte is ignored
            }
        } catch (ClosedChannelException closedByExit) {
            return; // the worker is exiting and closed us
        } catch (IOException e) {
            Log.error("lifeline pipe on fd 3 unreadable (%s); treating the master as gone", e.getMessage());
        }
        masterGone = true;
        drain.begin("master is gone");
        try {
            Thread.sleep(ORPHAN_DRAIN_MILLIS); // a deadline, not synchronisation: the drain normally exits first
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (exiting) {
            return; // the drain ended in time; the shutdown hook stops the helpers before the JVM exits
        }
        Log.error("drain after the master's death took longer than %d ms; halting", ORPHAN_DRAIN_MILLIS);
        stopHelpersOnce();
        Runtime.getRuntime().halt(1);
    }

    /**
     * For a shutdown hook: wakes the lifeline's reader and, if the master is gone, stops what this worker started
     * (while the master lives, that is the master's job, after this worker has exited).
     */
    void atExit() {
        exiting = true;
        closeQuietly();
        if (masterGone) {
            stopHelpersOnce();
        }
    }

    /**
     * Once, from the shutdown hook or before the halt, whichever comes first; the other waits until it is done, so
     * that a halt never cuts the helpers' grace short.
     */
    private synchronized void stopHelpersOnce() {
        if (!helpersStopped) {
            helpersStopped = true;
            HelperProcesses.ofThisWorker().stop(HELPER_GRACE);
        }
    }

    @Override
    public void close() throws IOException {
        pipe.close();
    }

    /** At exit, where nobody could act on the failure any more than log it. */
    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            Log.warn("closing the lifeline: %s", e.getMessage());
        }
    }
}
