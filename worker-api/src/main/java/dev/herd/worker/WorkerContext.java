package dev.herd.worker;

import dev.herd.log.Log;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Everything {@link Herd} does, as an instance built from one environment so that tests can make their own.
 * Notifications that cannot be delivered are logged and reported as {@code false}: a master that has gone away
 * is the lifeline's business, not a reason to fail the request that happened to send a heartbeat.
 */
final class WorkerContext {

    /** Longest promotion line: a slot number (at most 1024) and its newline, with room to spare. */
    private static final int MAX_PROMOTION_LINE = 16;

    private final WorkerEnvironment environment;
    /** Opened on a thread of its own when it is a socket: see {@link #fromSystem()}. */
    private final CompletableFuture<Optional<Notifier>> notify;
    private final WorkerStats stats;
    private final Drain drain;
    private boolean drainWatched;
    private boolean standardStreamsKept;
    private boolean notifyFailureLogged;
    private ScheduledExecutorService heartbeats;
    /** Set by the promotion of a hot spare; the environment's slot before (0 in a spare). */
    private volatile int slot;
    /**
     * A hot spare's promotion pipe while it waits; closed by a drain to end the wait. Its own lock: the drain closes
     * it while holding the Drain's, and {@link #onDrain} takes this context's and then the Drain's.
     */
    private final Object promotionLock = new Object();
    private FileChannel promotion;
    /** How the wait ended: promoted, or not needed; null while it has not. */
    private Boolean promotionOutcome;

    WorkerContext(WorkerEnvironment environment, Optional<Notifier> notify, WorkerStats stats) {
        this(environment, CompletableFuture.completedFuture(notify), stats);
    }

    private WorkerContext(WorkerEnvironment environment, CompletableFuture<Optional<Notifier>> notify,
                          WorkerStats stats) {
        this.environment = environment;
        this.notify = notify;
        this.stats = stats;
        this.slot = environment.slot();
        // A drain that begins while a hot spare waits for its promotion ends the wait: the spare is not needed.
        this.drain = new Drain(() -> {
            endPromotionWait(false);
            stopping();
        });
    }

    /**
     * The context of this process. Under herd, notifications go down the notify pipe, which needs nothing but the
     * JDK. A NOTIFY_SOCKET alone (systemd runs the app as a Type=notify service) needs jnr-unixsocket, whose first
     * use costs about 250 ms of class loading and native binding: it is opened on a thread of its own, overlapping
     * the app's own start instead of adding to the time until READY=1.
     */
    static WorkerContext fromSystem() {
        WorkerEnvironment environment = WorkerEnvironment.fromSystem();
        CompletableFuture<Optional<Notifier>> notify = new CompletableFuture<>();
        if (environment.notifyFd().isPresent()) {
            try {
                notify.complete(Optional.of(NotifyPipe.open(environment.notifyFd().get())));
            } catch (IOException e) {
                notify.completeExceptionally(e);
            }
        } else if (environment.notifySocket().isPresent()) {
            Thread opener = new Thread(() -> {
                try {
                    notify.complete(Optional.of(SdNotify.open(environment.notifySocket().get())));
                } catch (IOException | RuntimeException | LinkageError e) {
                    // LinkageError: jnr-unixsocket, an optional dependency, is not on the classpath.
                    notify.completeExceptionally(e);
                }
            }, "herd-notify-open");
            opener.setDaemon(true);
            opener.start();
        } else {
            notify.complete(Optional.empty());
        }
        try {
            return new WorkerContext(environment, notify, WorkerStats.fromEnvironment());
        } catch (IOException e) {
            throw new UncheckedIOException("herd: cannot open the worker's stats file", e);
        }
    }

    /** The notify pipe or socket, once opened; empty outside herd, or (logged once) if it could not be opened. */
    private Optional<Notifier> notifier() {
        try {
            return notify.join();
        } catch (CompletionException e) {
            synchronized (this) {
                if (!notifyFailureLogged) {
                    notifyFailureLogged = true;
                    Log.error("cannot open the notify %s: %s", environment.notifyFd().map(fd -> "pipe on fd " + fd)
                            .orElse("socket " + environment.notifySocket().orElse("?")), e.getCause());
                }
            }
            return Optional.empty();
        }
    }

    WorkerEnvironment environment() {
        return environment;
    }

    WorkerStats stats() {
        return stats;
    }

    int slot() {
        return slot;
    }

    /**
     * A hot spare (see {@link Herd#awaitPromotion()}) says it is warm and reads its promotion pipe until the master
     * writes the slot it promotes it into; true once promoted, false when it is not needed (end of file: the master
     * retired it or is gone; or a drain closed the pipe). A worker that is not a spare is promoted already.
     */
    boolean awaitPromotion() throws IOException {
        if (!environment.spare()) {
            return true;
        }
        FileChannel pipe;
        synchronized (promotionLock) {
            if (promotionOutcome != null) {
                return promotionOutcome;
            }
            if (promotion == null) {
                // /proc/self/fd/N gives the JDK a channel on the inherited pipe without native code; a FileChannel
                // (unlike a stream) wakes a thread blocked in read when another thread closes it.
                promotion = FileChannel.open(Path.of("/proc/self/fd/" + environment.promotionFd().get()),
                        StandardOpenOption.READ);
            }
            pipe = promotion;
        }
        send(WorkerContract.SPARE_WARM);
        boolean promoted = false;
        try {
            OptionalInt promotedTo = readSlot(pipe);
            if (promotedTo.isPresent()) {
                slot = promotedTo.getAsInt();
                promoted = true;
            }
            return promoted;
        } catch (java.nio.channels.ClosedChannelException drained) { // AsynchronousCloseException included
            return false;
        } finally {
            endPromotionWait(promoted);
        }
    }

    /** The slot number of the promotion line; empty at end of file. */
    private static OptionalInt readSlot(FileChannel pipe) throws IOException {
        ByteBuffer line = ByteBuffer.allocate(MAX_PROMOTION_LINE);
        while (line.hasRemaining()) {
            if (pipe.read(line) < 0) {
                return OptionalInt.empty();
            }
            int newline = indexOf(line, (byte) '\n');
            if (newline >= 0) {
                String text = new String(line.array(), 0, newline, StandardCharsets.US_ASCII);
                try {
                    int slot = Integer.parseInt(text);
                    if (slot >= 1) {
                        return OptionalInt.of(slot);
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
                throw new IOException("the promotion pipe sent no slot number: '" + text + "'");
            }
        }
        throw new IOException("the promotion pipe sent a line longer than " + MAX_PROMOTION_LINE + " bytes");
    }

    private static int indexOf(ByteBuffer buffer, byte wanted) {
        for (int i = 0; i < buffer.position(); i++) {
            if (buffer.get(i) == wanted) {
                return i;
            }
        }
        return -1;
    }

    /** Ends the wait (the first outcome stands) and closes the pipe, which wakes a reader blocked in it. */
    private void endPromotionWait(boolean promoted) {
        synchronized (promotionLock) {
            if (promotionOutcome == null) {
                promotionOutcome = promoted;
            }
            if (promotion != null) {
                try {
                    promotion.close();
                } catch (IOException e) {
                    // Closing a pipe's read end has nothing to flush; nothing is lost.
                }
            }
        }
    }

    ServerSocketChannel listener() throws IOException {
        Channel inherited = System.inheritedChannel();
        if (inherited instanceof ServerSocketChannel server) {
            // Left as it is. O_NONBLOCK belongs to the open file that every worker shares: a selector-based worker
            // (Netty, Tomcat's poller, Jetty without acceptor threads) switches it on for all of them, and switching
            // it off here would make that worker's selector-driven accept() block its event loop. Nothing needs it
            // off: a channel in the JDK's blocking mode (the inherited channel starts in it) that meets EAGAIN
            // waits in poll() for the next connection and accepts again (JDK 17 and 25, verified), so a
            // blocking-mode acceptor is correct in either mode.
            return server;
        }
        throw new IllegalStateException("fd 0 is not a listening TCP socket (inherited channel: " + inherited
                + "); herd passes the listening socket as fd 0 to the processes it starts");
    }

    /** Once: stdout and stderr on descriptors of their own, which closing the inherited channel leaves alone. */
    synchronized void keepStandardStreams() throws IOException {
        if (!standardStreamsKept) {
            StandardStreams.detachFromFds();
            standardStreamsKept = true;
        }
    }

    /** With heartbeats already running, the first one goes along: the worker is watched from its first moment. */
    boolean ready() {
        boolean beating;
        synchronized (this) {
            beating = heartbeats != null;
        }
        return send(beating ? "READY=1\nWATCHDOG=1" : "READY=1");
    }

    boolean status(String text) {
        // A newline would start another KEY=VALUE line of the datagram.
        return send("STATUS=" + text.replace('\n', ' '));
    }

    boolean stopping() {
        return send("STOPPING=1");
    }

    boolean heartbeat() {
        return send("WATCHDOG=1");
    }

    private boolean send(String message) {
        Optional<Notifier> socket = notifier();
        if (socket.isEmpty()) {
            return false;
        }
        try {
            socket.get().send(message);
            return true;
        } catch (IOException e) {
            Log.warn("%s not delivered: %s", message.replace('\n', ' '), e.getMessage());
            return false;
        }
    }

    synchronized boolean startHeartbeats(Executor executor) {
        Optional<Duration> interval = environment.heartbeatInterval();
        if (!environment.notifies() || interval.isEmpty()) {
            return false;
        }
        if (heartbeats != null) {
            throw new IllegalStateException("heartbeats already started");
        }
        heartbeats = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "herd-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        long period = interval.get().toNanos();
        heartbeats.scheduleAtFixedRate(() -> submitHeartbeat(executor), 0, period, TimeUnit.NANOSECONDS);
        return true;
    }

    /** For tests: a real worker beats until it exits. */
    synchronized void stopHeartbeats() {
        if (heartbeats != null) {
            heartbeats.shutdownNow();
        }
    }

    /**
     * The beat itself runs on the app's executor: a worker whose request threads are all stuck stops beating and
     * the master replaces it, where a beat from this timer thread would have kept a hung worker alive.
     */
    private void submitHeartbeat(Executor executor) {
        try {
            executor.execute(this::heartbeat);
        } catch (RejectedExecutionException e) {
            // A full or stopped pool; a periodic task that threw would never run again, so it must not throw.
            Log.warn("heartbeat not submitted, the executor rejected it: %s", e.getMessage());
        }
    }

    /**
     * Registers a drain callback. The first call starts watching for the drain: SIGTERM, and under herd the
     * lifeline on fd 3; under herd it also ignores the signals meant for the master (see
     * {@link #ignoreMasterSignals}). Nothing is installed for an app that never asks, so that its SIGTERM keeps
     * the JVM's usual meaning (run shutdown hooks, exit 143).
     */
    synchronized void onDrain(Runnable callback) {
        watchForDrainOnce();
        drain.onDrain(callback);
    }

    /** Starts watching for the drain, once; a drain that begins before any callback is registered is kept. */
    synchronized void watchForDrainOnce() {
        if (!drainWatched) {
            watchForDrain();
            drainWatched = true;
        }
    }

    private void watchForDrain() {
        if (environment.masterPid() != 0) {
            ignoreMasterSignals();
            try {
                Lifeline lifeline = Lifeline.watch(environment.masterPid(), drain);
                // Closing it wakes the lifeline's reader (HotSpot's exit would otherwise wait for a thread blocked
                // in a native read); an orphaned worker stops its helpers there.
                Runtime.getRuntime().addShutdownHook(new Thread(lifeline::atExit, "herd-lifeline-close"));
            } catch (IOException e) {
                throw new IllegalStateException("HERD_MASTER_PID is set but the lifeline pipe on fd 3 cannot be "
                        + "opened: " + e.getMessage(), e);
            }
        }
        Signal.handle(new Signal("TERM"), signal -> drain.begin("SIGTERM"));
    }

    /**
     * Signals meant for the master can reach the whole process group (Ctrl+C, a terminal hangup,
     * kill -TTIN -PGID): the master decides what they mean, and a worker stopped or killed by one would only
     * count as a crash.
     */
    static void ignoreMasterSignals() {
        for (String masterSignal : new String[] {"INT", "HUP", "TTIN", "TTOU"}) {
            Signal.handle(new Signal(masterSignal), SignalHandler.SIG_IGN);
        }
    }

    /** For tests and for WorkerMain's log line: why the drain began, or null. */
    String drainReason() {
        return drain.reason();
    }

    /** For tests: starts the drain as SIGTERM would. */
    void beginDrain(String why) {
        drain.begin(why);
    }
}
