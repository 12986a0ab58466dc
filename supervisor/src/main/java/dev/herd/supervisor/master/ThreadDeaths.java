package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.Signal;
import java.util.OptionalInt;
import java.util.Queue;

/**
 * What happens when a thread of the master dies of an exception nothing caught: the admin thread (without it no
 * command reaches the master), the worker I/O thread (without it no READY or heartbeat arrives, and every worker
 * would soon be killed as hung), the metrics server's, or any other. Never silence: the death is logged, and the
 * master stops the way SIGTERM stops it (the workers drain) and then exits with {@link #EXIT_THREAD_DIED}, so that
 * systemd's {@code Restart=on-failure} starts a whole master again. Installed as the JVM's default handler, so it
 * covers every thread that has no handler of its own. A thread of the loop itself is not covered here: the loop
 * runs on the main thread, and what escapes it ends {@link Master#run()} with {@link Master#EXIT_LOOP_FAILED}.
 */
final class ThreadDeaths implements Thread.UncaughtExceptionHandler {

    /**
     * Exit status after a thread of the master died: it stopped its workers gracefully and exited (sysexits.h
     * EX_OSERR's number, the one after the loop's EX_SOFTWARE; documented in the README's exit code table).
     */
    static final int EXIT_THREAD_DIED = 71;

    private final Queue<MasterEvent> events;
    private volatile boolean died;

    ThreadDeaths(Queue<MasterEvent> events) {
        this.events = events;
    }

    /** Makes this the handler of every thread without one of its own. */
    static ThreadDeaths install(Queue<MasterEvent> events) {
        ThreadDeaths deaths = new ThreadDeaths(events);
        Thread.setDefaultUncaughtExceptionHandler(deaths);
        return deaths;
    }

    @Override
    public void uncaughtException(Thread thread, Throwable failure) {
        Log.error("the %s thread died: %s; stopping the master (it will exit %d)", thread.getName(), failure,
                EXIT_THREAD_DIED);
        died = true;
        events.add(new MasterEvent.SignalReceived(Signal.TERM));
    }

    /** {@link #EXIT_THREAD_DIED} once a thread has died, else empty. */
    OptionalInt exitCode() {
        return died ? OptionalInt.of(EXIT_THREAD_DIED) : OptionalInt.empty();
    }
}
