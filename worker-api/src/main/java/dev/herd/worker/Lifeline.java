package dev.herd.worker;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Notices the master's death. The master holds the only write end of a pipe whose read end is this worker's
 * fd 3; the kernel closes the write end whenever the master dies, even by SIGKILL, and our read returns EOF at
 * once. The worker then drains and exits, so that no orphan keeps the port.
 *
 * <p>The read goes through a {@link FileChannel} so that {@link #close()} can wake it: HotSpot's exit waits about
 * 300 ms for threads blocked in a plain native read, which would slow every worker's exit.
 */
final class Lifeline implements AutoCloseable {

    static final Path FD_PATH = Path.of("/proc/self/fd/3");

    /** Longest time a worker whose master died may take to finish its exchanges before it halts anyway. */
    private static final long ORPHAN_DRAIN_MILLIS = 1000;

    private final FileChannel pipe;
    private final Drain drain;

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
        drain.begin("master is gone");
        try {
            Thread.sleep(ORPHAN_DRAIN_MILLIS); // a deadline, not synchronisation: the drain normally exits first
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Log.error("drain after the master's death took longer than %d ms; halting", ORPHAN_DRAIN_MILLIS);
        Runtime.getRuntime().halt(1);
    }

    @Override
    public void close() throws IOException {
        pipe.close();
    }

    /** For a shutdown hook, where nobody could act on the failure any more than log it. */
    void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            Log.warn("closing the lifeline: %s", e.getMessage());
        }
    }
}
