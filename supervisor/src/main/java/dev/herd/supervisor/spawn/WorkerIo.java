package dev.herd.supervisor.spawn;

import dev.herd.log.Log;
import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one thread that reads everything workers send the master: each worker's notify socket (sd_notify datagrams),
 * its notify pipe (the same messages from herd's own worker API, each ended by a NUL byte), and its stdout and
 * stderr pipes, relayed line by line to the master's log. One poll(2) over all of them keeps the master's thread
 * count flat however many workers it runs. The master thread adds and removes workers through a queue and a
 * self-pipe that wakes the poll; every worker descriptor here is closed by this thread alone, so none is closed while
 * polled (and its number reused).
 */
public final class WorkerIo implements AutoCloseable {

    /** Receives every notification on the I/O thread; it must only hand them on (to the master's queue). */
    public interface Listener {
        void notified(int serial, List<Notification> notifications);
    }

    /** sd_notify datagrams and pipe messages larger than this are cut, as systemd's own buffer cuts them. */
    static final int MAX_MESSAGE_BYTES = 4096;
    /** A longer "line" is passed on in pieces, so a worker printing without newlines cannot grow the master. */
    static final int MAX_LINE_BYTES = 16 * 1024;
    /**
     * How long the output pipes of a reaped worker stay open: a process the worker started may still hold them
     * and write its last words, but a daemonised grandchild must not pin the master's descriptors for ever.
     */
    static final long ORPHANED_OUTPUT_NANOS = TimeUnit.SECONDS.toNanos(2);
    /** What a JVM prints when it dies of (or, with -XX:+ExitOnOutOfMemoryError, exits for) a full heap. */
    private static final String OUT_OF_MEMORY = "java.lang.OutOfMemoryError";

    private final Os os;
    private final Listener listener;
    private final Os.Pipe wakeup;
    private final Queue<Consumer<WorkerIo>> requests = new ConcurrentLinkedQueue<>();
    private final Map<Integer, WorkerSpawner.OutputFacts> outputFacts = new ConcurrentHashMap<>();
    private final Thread thread;
    private volatile boolean closed;
    /** Output pipes (stdout, stderr) not yet at end of file, in all and per worker serial; guarded by this. */
    private int openOutputs;
    private final Map<Integer, Integer> openOutputsBySerial = new HashMap<>();

    // Owned by the I/O thread.
    private final List<Source> sources = new ArrayList<>();
    /** Why each worker not yet ready would have failed to boot, from its output so far; dropped at READY=1. */
    private final Map<Integer, RootCause> rootCauses = new HashMap<>();
    private final byte[] buffer = new byte[Math.max(MAX_MESSAGE_BYTES, 8192)];

    private WorkerIo(Os os, Listener listener, Os.Pipe wakeup) {
        this.os = os;
        this.listener = listener;
        this.wakeup = wakeup;
        this.thread = new Thread(this::run, "herd-worker-io");
        thread.setDaemon(true);
    }

    public static WorkerIo start(Os os, Listener listener) throws OsException {
        WorkerIo io = new WorkerIo(os, listener, os.pipe());
        io.thread.start();
        return io;
    }

    /**
     * Starts reading a new worker's descriptors, which now belong to this thread: its notify socket (and the
     * socket's file, removed when the worker is forgotten), its notify pipe, and its stdout and stderr pipes.
     */
    void watch(WorkerChannels channels) {
        synchronized (this) {
            openOutputs += 2;
            openOutputsBySerial.merge(channels.serial(), 2, Integer::sum);
        }
        submit(io -> {
            io.rootCauses.put(channels.serial(), new RootCause(channels.runsOn()));
            io.sources.add(new NotifySocket(channels.serial(), channels.notifySocketFd(),
                    channels.notifySocketPath()));
            io.sources.add(new NotifyPipe(channels.serial(), channels.notifyPipeFd()));
            io.sources.add(new Output(channels, channels.stdoutFd(), Log.Level.INFO));
            io.sources.add(new Output(channels, channels.stderrFd(), Log.Level.WARN));
        });
    }

    /**
     * The worker was reaped: its notify descriptors close now; its output pipes stay open until end of file,
     * or for {@link #ORPHANED_OUTPUT_NANOS} at most.
     */
    void forget(int serial) {
        long now = System.nanoTime();
        submit(io -> {
            List.copyOf(io.sources).forEach(source -> {
                if (source.serial() == serial) {
                    source.workerGone(now);
                }
            });
            // Here, on the I/O thread, after workerGone: a line it is relaying cannot put the facts back.
            io.outputFacts.remove(serial);
            io.rootCauses.remove(serial);
        });
    }

    /** From now on the worker's output lines carry {@code name} (a spare promoted into a slot). */
    void rename(int serial, String name) {
        submit(io -> io.sources.forEach(source -> {
            if (source.serial() == serial && source instanceof Output output) {
                output.name = name;
            }
        }));
    }

    /** What the worker's output has said so far (see {@link RootCause} for which line says why it failed). */
    WorkerSpawner.OutputFacts outputFacts(int serial) {
        return outputFacts.getOrDefault(serial, WorkerSpawner.OutputFacts.NONE);
    }

    /**
     * Waits until worker {@code serial}'s output pipes have reached end of file, for {@code timeout} at most (a
     * process it left behind may hold them open). A worker that exits right after writing why (a JVM's
     * "Unrecognized VM option") is often reaped before this thread has read that line; once the pipes are at end
     * of file, {@link #outputFacts} has every line.
     */
    public void awaitOutputs(int serial, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (openOutputsBySerial.containsKey(serial) && deadline - System.nanoTime() > 0) {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        }
    }

    /** Waits until every output pipe has reached end of file (the last lines of exited workers are relayed). */
    public void awaitOutputs(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (openOutputs > 0 && deadline - System.nanoTime() > 0) {
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
        }
    }

    /** Stops the thread and closes every descriptor it holds; it must not sit in poll() while the JVM exits. */
    @Override
    public void close() {
        closed = true;
        wake();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // The wake-up pipe is closed here, once the thread is gone: had the thread closed it, wake() above could
        // write to a closed descriptor, or to whatever reused its number, when the thread saw `closed` first.
        if (!thread.isAlive()) {
            closeQuietly(wakeup.readFd());
            closeQuietly(wakeup.writeFd());
        }
    }

    private void submit(Consumer<WorkerIo> request) {
        requests.add(request);
        wake();
    }

    private void wake() {
        try {
            os.write(wakeup.writeFd(), new byte[] {1});
        } catch (OsException e) {
            Log.error("waking the worker I/O thread: %s", e.getMessage());
        }
    }

    /**
     * The thread's loop. A source that fails is closed and the others go on; a failing poll is retried (and said
     * once): without this thread no worker could become ready or beat, so it does not end before the master does.
     */
    private void run() {
        boolean[] readable = new boolean[0];
        boolean pollFailureLogged = false;
        while (!closed) {
            for (Consumer<WorkerIo> request; (request = requests.poll()) != null; ) {
                request.accept(this);
            }
            closeOrphanedOutputs(System.nanoTime());
            List<Source> polled = List.copyOf(sources);
            int[] fds = new int[polled.size() + 1];
            fds[0] = wakeup.readFd();
            for (int i = 0; i < polled.size(); i++) {
                fds[i + 1] = polled.get(i).fd();
            }
            if (readable.length != fds.length) {
                readable = new boolean[fds.length];
            }
            try {
                os.pollReadable(fds, readable, pollTimeoutMillis());
                if (readable[0]) {
                    os.read(wakeup.readFd(), buffer); // the wake-up bytes only say "look at the queue"
                }
                pollFailureLogged = false;
            } catch (OsException e) {
                if (!pollFailureLogged) {
                    pollFailureLogged = true;
                    Log.error("worker I/O: %s; trying again", e.getMessage());
                }
                pause();
                continue;
            }
            for (int i = 1; i < fds.length; i++) {
                if (readable[i]) {
                    read(polled.get(i - 1));
                }
            }
        }
        List.copyOf(sources).forEach(this::remove);
    }

    private void read(Source source) {
        try {
            if (!source.readAvailable()) {
                remove(source);
            }
        } catch (OsException | RuntimeException e) {
            Log.error("worker I/O: reading %s of worker serial %d: %s; closing it", source.getClass().getSimpleName(),
                    source.serial(), e);
            remove(source);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100); // after a failed poll, so that a lasting failure cannot spin
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int pollTimeoutMillis() {
        boolean orphans = sources.stream().anyMatch(source -> source.goneSinceNanos() != null);
        return orphans ? 100 : -1; // only orphaned outputs have a deadline
    }

    private void closeOrphanedOutputs(long now) {
        for (Source source : List.copyOf(sources)) {
            Long gone = source.goneSinceNanos();
            if (gone != null && now - gone > ORPHANED_OUTPUT_NANOS) {
                remove(source);
            }
        }
    }

    private void remove(Source source) {
        if (!sources.remove(source)) {
            return; // removed already (a reaped worker's notify socket, then its read)
        }
        source.close();
        if (source instanceof Output) {
            synchronized (this) {
                openOutputs--;
                openOutputsBySerial.computeIfPresent(source.serial(), (serial, open) -> open == 1 ? null : open - 1);
                notifyAll();
            }
        }
    }

    private void closeQuietly(int fd) {
        try {
            os.close(fd);
        } catch (OsException e) {
            Log.warn("%s", e.getMessage());
        }
    }

    /** One descriptor this thread reads. */
    private abstract class Source {
        private final int serial;
        private final int fd;
        private Long goneSinceNanos;

        Source(int serial, int fd) {
            this.serial = serial;
            this.fd = fd;
        }

        final int serial() {
            return serial;
        }

        final int fd() {
            return fd;
        }

        /** Reads what is there; returns false once the source is finished (end of file) and can be removed. */
        abstract boolean readAvailable() throws OsException;

        /** The worker was reaped. */
        void workerGone(long nowNanos) {
            goneSinceNanos = nowNanos;
        }

        /** Set for a source that outlives its reaped worker for a while. */
        Long goneSinceNanos() {
            return goneSinceNanos;
        }

        void close() {
            closeQuietly(fd);
        }
    }

    /** A worker's NOTIFY_SOCKET: each datagram is one message. */
    private final class NotifySocket extends Source {
        private final Path path;

        NotifySocket(int serial, int fd, Path path) {
            super(serial, fd);
            this.path = path;
        }

        @Override
        boolean readAvailable() throws OsException {
            for (Optional<Integer> length; (length = os.receiveDatagram(fd(), buffer)).isPresent(); ) {
                deliver(serial(), new String(buffer, 0, Math.min(length.get(), MAX_MESSAGE_BYTES),
                        StandardCharsets.UTF_8));
            }
            return true;
        }

        @Override
        void workerGone(long nowNanos) {
            remove(this); // nothing more can come that matters: the worker is gone
        }

        @Override
        void close() {
            super.close();
            try {
                Files.deleteIfExists(path);
            } catch (java.io.IOException e) {
                Log.warn("removing notify socket %s: %s", path, e.getMessage());
            }
        }
    }

    /** herd's worker API writes messages on an inherited pipe, each ended by a NUL byte (no native code needed). */
    private final class NotifyPipe extends Source {
        private final ByteArrayOutputStream message = new ByteArrayOutputStream();
        private boolean overflowing;

        NotifyPipe(int serial, int fd) {
            super(serial, fd);
        }

        @Override
        boolean readAvailable() throws OsException {
            int count = os.read(fd(), buffer);
            for (int i = 0; i < count; i++) {
                if (buffer[i] == 0) {
                    if (!overflowing) {
                        deliver(serial(), message.toString(StandardCharsets.UTF_8));
                    }
                    message.reset();
                    overflowing = false;
                } else if (message.size() < MAX_MESSAGE_BYTES) {
                    message.write(buffer[i]);
                } else {
                    overflowing = true; // dropped whole, like an oversized datagram would be cut
                }
            }
            return count > 0;
        }

        @Override
        void workerGone(long nowNanos) {
            remove(this);
        }
    }

    /** A worker's stdout or stderr, relayed line by line with the worker's name and pid. */
    private final class Output extends Source {
        private String name;
        private final int pid;
        private final Log.Level unmarked;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();

        Output(WorkerChannels channels, int fd, Log.Level unmarked) {
            super(channels.serial(), fd);
            this.name = channels.name();
            this.pid = channels.pid();
            this.unmarked = unmarked;
        }

        @Override
        boolean readAvailable() throws OsException {
            int count = os.read(fd(), buffer);
            for (int i = 0; i < count; i++) {
                if (buffer[i] == '\n') {
                    flushLine();
                } else {
                    line.write(buffer[i]);
                    if (line.size() >= MAX_LINE_BYTES) {
                        flushLine();
                    }
                }
            }
            return count > 0;
        }

        @Override
        void close() {
            flushLine();
            super.close();
        }

        private void flushLine() {
            if (line.size() == 0) {
                return;
            }
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            Log.Level level = Log.relay(name, pid, text, unmarked);
            if (goneSinceNanos() == null) {
                RootCause rootCause = rootCauses.get(serial());
                if (rootCause != null) {
                    String message = Log.messageOf(text);
                    rootCause.accept(this, message, level, !message.equals(text));
                }
                WorkerSpawner.OutputFacts known = outputFacts.getOrDefault(serial(), WorkerSpawner.OutputFacts.NONE);
                WorkerSpawner.OutputFacts now = new WorkerSpawner.OutputFacts(
                        rootCause == null ? known.rootCause() : rootCause.line(),
                        known.outOfMemory() || text.contains(OUT_OF_MEMORY), known.saidStopping());
                if (!now.equals(known)) {
                    outputFacts.put(serial(), now);
                }
            }
        }
    }

    private void deliver(int serial, String message) {
        List<Notification> notifications = Notification.parse(message);
        if (notifications.stream().anyMatch(n -> n instanceof Notification.Ready
                || n instanceof Notification.SpareWarm)) {
            rootCauses.remove(serial); // it booted: no boot error to find any more
        }
        if (notifications.stream().anyMatch(n -> n instanceof Notification.Stopping)) {
            // Kept with the output facts too: the loop may reap the worker before it handles this message.
            outputFacts.merge(serial, new WorkerSpawner.OutputFacts(Optional.empty(), false, true),
                    (known, stopping) -> new WorkerSpawner.OutputFacts(known.rootCause(), known.outOfMemory(), true));
        }
        if (!notifications.isEmpty()) {
            listener.notified(serial, notifications);
        }
    }
}
