package dev.herd.supervisor.master;

import dev.herd.supervisor.admin.AdminReply;
import dev.herd.supervisor.admin.AdminRequest;
import dev.herd.supervisor.metrics.PoolReading;
import dev.herd.supervisor.os.Signal;
import dev.herd.supervisor.spawn.Notification;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Something that happened outside the master thread and that the master loop must act on. Signal handlers, the
 * worker I/O thread and the admin thread only create one of these and put it on the loop's queue; every decision
 * is the loop's.
 */
public sealed interface MasterEvent {

    /**
     * The loop's handling of each kind of event, one method a kind: a new kind of event does not compile until
     * the loop has a method for it (Java 17 has no pattern switch over a sealed interface).
     */
    interface Handler {
        void signalReceived(SignalReceived event);

        void childStateChanged(ChildStateChanged event);

        void workerNotified(WorkerNotified event);

        void metricsRequested(MetricsRequested event);

        void workDone(WorkDone event);

        void adminRequested(AdminRequested event);
    }

    /** Calls {@code handler}'s method for this kind of event. */
    void handleWith(Handler handler);

    /** A signal arrived at the master (TERM, INT, ...). */
    record SignalReceived(Signal signal) implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.signalReceived(this);
        }
    }

    /** SIGCHLD: some child changed state; the loop reaps its known workers by pid. */
    record ChildStateChanged() implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.childStateChanged(this);
        }
    }

    /**
     * A worker sent sd_notify messages, already parsed. The worker is named by the serial its notify socket and
     * pipe were made for, so a worker cannot speak for another.
     */
    record WorkerNotified(int serial, List<Notification> notifications) implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.workerNotified(this);
        }
    }

    /** A metrics scrape wants a reading of the pool; the loop completes {@code reading} at once. */
    record MetricsRequested(CompletableFuture<PoolReading> reading) implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.metricsRequested(this);
        }
    }

    /**
     * Something computed beside the loop because it can be slow (worker.classData's key of a configuration, see
     * ClassDataTrainer; a reload's config file and name lookups, see Reloader), to be applied on the loop's thread:
     * the state it changes is the loop's.
     */
    record WorkDone(Runnable apply) implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.workDone(this);
        }
    }

    /** A valid admin request; the loop completes {@code reply} when the command's work is done. */
    record AdminRequested(AdminRequest request, CompletableFuture<AdminReply> reply) implements MasterEvent {
        @Override
        public void handleWith(Handler handler) {
            handler.adminRequested(this);
        }
    }
}
