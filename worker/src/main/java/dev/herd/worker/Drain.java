package dev.herd.worker;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.channels.ServerSocketChannel;

/**
 * The start of a worker's drain, triggered once by SIGTERM or by the master's disappearance: it closes this
 * worker's copy of the shared listening socket, so the accept loop returns. Closing our descriptor does not close
 * the socket for the other workers, and the connections waiting in the shared backlog stay there for them.
 */
final class Drain {

    private final ServerSocketChannel listener;
    private volatile String reason;

    Drain(ServerSocketChannel listener) {
        this.listener = listener;
    }

    /** Idempotent: SIGTERM may arrive more than once, and the lifeline may break during a drain. */
    synchronized void begin(String why) {
        if (reason != null) {
            return;
        }
        reason = why;
        Log.info("%s: draining", why);
        try {
            listener.close();
        } catch (IOException e) {
            Log.warn("closing the listening socket: %s", e.getMessage());
        }
    }

    String reason() {
        return reason;
    }
}
