package dev.herd.supervisor.master;

import dev.herd.supervisor.os.Signal;
import java.util.Map;
import java.util.function.Consumer;

/**
 * SIGTERM and SIGINT in a master that an upgrade exec'ed into, from the first line of {@code main} until
 * {@link SignalForwarder} takes over: half a second or more (the command line, the configuration, jnr's start).
 * Without this the JVM's own handler ends the process at once (exit 143), and the adopted workers leave through
 * their lifeline instead of draining. Caught here, a stop reaches the master's loop, which stops gracefully; a
 * second one before that ends the process as the JVM would have.
 */
public final class EarlySignals {

    /** A stop caught before the master's loop had a queue; handed to it by {@link #forwardTo}. */
    private static Signal pending;
    private static Consumer<Signal> forward;

    private EarlySignals() {
    }

    /** Catches SIGTERM and SIGINT now, if this process is a master an upgrade exec'ed into; else does nothing. */
    public static void catchStopsIfUpgraded(Map<String, String> environment) {
        if (environment.get(HandOver.VARIABLE) == null) {
            return;
        }
        for (Signal signal : new Signal[] {Signal.TERM, Signal.INT}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal.name()), received -> caught(signal));
        }
    }

    /**
     * Called once {@link SignalForwarder} has installed its own handlers: a stop caught goes to {@code events}
     * now, and so does whatever a handler of this class still delivers (the JVM runs each handler on a thread of
     * its own, which may start after the handler was replaced).
     */
    static synchronized void forwardTo(Consumer<Signal> events) {
        forward = events;
        if (pending != null) {
            events.accept(pending);
            pending = null;
        }
    }

    private static synchronized void caught(Signal signal) {
        if (forward != null) {
            forward.accept(signal);
        } else if (pending != null) {
            // Asked twice before the master could act on it (a start stuck on a file, say): what the JVM would
            // have done at the first one.
            System.exit(128 + signal.number());
        } else {
            pending = signal;
        }
    }
}
