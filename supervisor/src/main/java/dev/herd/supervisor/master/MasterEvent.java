package dev.herd.supervisor.master;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.os.Signal;
import java.util.concurrent.CompletableFuture;

/**
 * Something that happened outside the master thread and that the master loop must act on. Signal handlers and
 * other threads only create one of these and put it on the loop's queue; all decisions are the loop's.
 */
public sealed interface MasterEvent {

    /** A signal arrived at the master (TERM, INT, ...). */
    record SignalReceived(Signal signal) implements MasterEvent {
    }

    /** SIGCHLD: some child changed state; the loop reaps its known workers by pid. */
    record ChildStateChanged() implements MasterEvent {
    }

    /**
     * A worker sent a datagram to its notify socket: sd_notify lines such as {@code READY=1} or {@code WATCHDOG=1}.
     * The worker is named by the serial its socket was made for, so a worker cannot speak for another.
     */
    record WorkerNotified(int serial, String message) implements MasterEvent {
    }

    /** A parsed admin command; the loop completes {@code reply} with the reply's JSON object. */
    record AdminRequest(AdminCommand command, CompletableFuture<ObjectNode> reply) implements MasterEvent {
    }
}
