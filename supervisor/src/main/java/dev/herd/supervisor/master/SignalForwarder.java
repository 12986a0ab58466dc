package dev.herd.supervisor.master;

import dev.herd.supervisor.os.Os;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.Signal;
import java.util.concurrent.BlockingQueue;

/**
 * Turns signals into events on the master's queue, and does nothing else: no logging, no locking, no decisions
 * in a handler (the JVM runs each on a thread of its own, and TERM may arrive twice at once).
 */
final class SignalForwarder {

    private SignalForwarder() {
    }

    static void install(Os os, BlockingQueue<MasterEvent> events) throws OsException {
        for (Signal signal : new Signal[] {Signal.TERM, Signal.INT, Signal.HUP}) {
            // Under nohup or `trap '' TERM` the signal arrives ignored, and the JVM would then silently install
            // no handler at all.
            os.unignore(signal);
        }
        // Load the event classes now, not at the first signal: a jar rebuilt in place under a running master
        // (bin/herd rebuilds stale jars) would otherwise make the first SIGTERM fail with NoClassDefFoundError.
        new MasterEvent.SignalReceived(Signal.TERM).signal();
        new MasterEvent.ChildStateChanged().hashCode();
        for (Signal signal : new Signal[] {Signal.TERM, Signal.INT, Signal.HUP, Signal.TTIN, Signal.TTOU,
                Signal.USR1}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal.name()),
                    received -> events.offer(new MasterEvent.SignalReceived(signal)));
        }
        sun.misc.Signal.handle(new sun.misc.Signal("CHLD"), received -> events.offer(new MasterEvent.ChildStateChanged()));
        // A stop that came between an upgrade's exec and now (see EarlySignals).
        EarlySignals.forwardTo(signal -> events.offer(new MasterEvent.SignalReceived(signal)));
    }
}
