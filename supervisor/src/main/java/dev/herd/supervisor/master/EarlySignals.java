package dev.herd.supervisor.master;

import dev.herd.supervisor.os.Signal;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.function.Consumer;

/**
 * SIGTERM and SIGINT in a master that an upgrade exec'ed into, from the first line of {@code main} until
 * {@link SignalForwarder} takes over: half a second or more (the command line, the configuration, jnr's start).
 * Without this the JVM's own handler ends the process at once (exit 143), and the adopted workers leave through
 * their lifeline instead of draining. Caught here, a stop reaches the master's loop, which stops gracefully.
 */
public final class EarlySignals {

    /** Caught before the master's loop had a queue; handed to it by {@link #forwardTo}. */
    private static final Queue<Signal> CAUGHT = new ArrayDeque<>();
    /** More than a few is the same stop again. */
    private static final int MAX_CAUGHT = 8;
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
     * Called once {@link SignalForwarder} has installed its own handlers: what was caught goes to {@code events}
     * now, in order, and so does whatever a handler of this class still delivers (the JVM runs each handler on a
     * thread of its own, which may start after the handler was replaced).
     */
    static synchronized void forwardTo(Consumer<Signal> events) {
        forward = events;
        while (!CAUGHT.isEmpty()) {
            events.accept(CAUGHT.poll());
        }
    }

    private static synchronized void caught(Signal signal) {
        if (forward != null) {
            forward.accept(signal);
        } else {
            if (CAUGHT.size() < MAX_CAUGHT) {
                CAUGHT.add(signal);
            }
        }
    }
}
