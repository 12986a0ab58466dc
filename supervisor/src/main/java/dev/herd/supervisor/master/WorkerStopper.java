package dev.herd.supervisor.master;

import dev.herd.supervisor.os.Signal;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

/**
 * Tells workers to stop, and owns when a stopping worker gets SIGKILL: its stop deadline, {@code gracefulTimeout}
 * after the stop began, is computed here and nowhere else. Once the master itself stops, with a graceful timeout of
 * its own ({@code herd stop --timeout}), no worker's deadline is later than the master's. Used on the master thread
 * only.
 */
final class WorkerStopper {

    private final WorkerPool pool;
    private final LongSupplier clock;
    private Duration gracefulTimeout;
    /** When the master's own stop kills what is left; empty until it stops. */
    private OptionalLong masterStopDeadline = OptionalLong.empty();

    WorkerStopper(WorkerPool pool, LongSupplier clock, Duration gracefulTimeout) {
        this.pool = pool;
        this.clock = clock;
        this.gracefulTimeout = gracefulTimeout;
    }

    /** The graceful timeout of stops that begin from now on (a reload may change it). */
    void useGracefulTimeout(Duration timeout) {
        gracefulTimeout = timeout;
    }

    /** Tells {@code worker} to drain, for {@code reason}: SIGTERM now, SIGKILL at its stop deadline. */
    void stopWorker(WorkerHandle worker, RestartReason reason) {
        worker.stopping(stopDeadline(), reason);
        pool.signal(worker, Signal.TERM);
    }

    /** A worker that said STOPPING=1 drains on its own: no signal, but the same deadline as one told to. */
    void stoppingOnItsOwn(WorkerHandle worker) {
        worker.stopping(stopDeadline(), RestartReason.EXIT);
    }

    /**
     * The deadline of a master's stop with {@code timeout} beginning now, for {@link #stopAll}: computed before the
     * stop changes anything, so that a timeout that does not fit the clock (ArithmeticException) leaves no
     * half-begun stop.
     */
    long masterStopDeadline(Duration timeout) {
        return Math.addExact(clock.getAsLong(), timeout.toNanos());
    }

    /**
     * The master's graceful stop: every worker drains until {@code deadlineNanos}, those already draining get that
     * deadline if it is sooner, and no stop that begins later gets a later one. Each worker gets SIGTERM by pid:
     * every worker leads a process group of its own, and what it started is stopped once it has exited (see
     * {@link StrayReaper}), so that a draining worker keeps its helpers.
     */
    void stopAll(long deadlineNanos) {
        long deadline = deadlineNanos;
        masterStopDeadline = OptionalLong.of(deadline);
        for (WorkerHandle worker : pool.all()) {
            if (worker.state().holdsSlot() || worker.state() == WorkerState.SPARE) {
                worker.stopping(deadline);
            } else if (worker.state() == WorkerState.STOPPING) {
                worker.shortenStopDeadline(deadline);
            }
        }
        pool.all().forEach(w -> pool.signal(w, Signal.TERM));
    }

    private long stopDeadline() {
        long deadline = clock.getAsLong() + gracefulTimeout.toNanos();
        return masterStopDeadline.isPresent() && masterStopDeadline.getAsLong() - deadline < 0
                ? masterStopDeadline.getAsLong() : deadline;
    }
}
