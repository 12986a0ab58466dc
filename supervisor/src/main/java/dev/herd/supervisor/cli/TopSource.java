package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The status replies for {@code herd top}, over one admin connection kept open from one refresh to the next. The
 * master closes a connection idle for 10 s, and any after 10 minutes (an {@code idle} error line, then the close),
 * so a request that fails on a connection used before is sent once more on a new one, unless it failed by timing
 * out (the master is stopped or overloaded: asking again would only double the wait). After a failure the next
 * sample connects anew, which is how {@code herd top} finds a master again. Used by one thread at a time.
 */
final class TopSource implements AutoCloseable {

    private final AdminPaths.Location location;
    private AdminClient client;

    private TopSource(AdminPaths.Location location, AdminClient client) {
        this.location = location;
        this.client = client;
    }

    /** Connects now, so that a missing master is reported before anything is drawn. */
    static TopSource connect(AdminPaths.Location location) throws IOException {
        return new TopSource(location, AdminClient.connect(location));
    }

    /** The master's answer to {@code status}; an error reply is an exception: "MESSAGE (CODE)". */
    TopSample sample() throws IOException {
        if (client != null) {
            long sent = System.nanoTime();
            try {
                return request();
            } catch (IOException e) {
                disconnectAfter(e);
                if (System.nanoTime() - sent >= AdminCommandBase.REPLY_TIMEOUT.toNanos()) {
                    throw e;
                }
                // else: the master may have closed this connection meanwhile; a new one tells.
            }
        }
        client = AdminClient.connect(location);
        try {
            return request();
        } catch (IOException e) {
            disconnectAfter(e);
            throw e;
        }
    }

    private TopSample request() throws IOException {
        JsonNode reply = client.request(AdminClient.command("status"), Optional.of(AdminCommandBase.REPLY_TIMEOUT));
        if (!reply.path("ok").asBoolean(false)) {
            JsonNode error = reply.path("error");
            throw new IOException(error.path("message").asText("error") + " ("
                    + error.path("code").asText("unknown") + ")");
        }
        return new TopSample(reply, System.nanoTime(), Instant.now());
    }

    private void disconnectAfter(IOException failure) {
        try {
            disconnect();
        } catch (IOException closing) {
            failure.addSuppressed(closing);
        }
    }

    private void disconnect() throws IOException {
        AdminClient closing = client;
        client = null;
        closing.close();
    }

    @Override
    public void close() throws IOException {
        if (client != null) {
            disconnect();
        }
    }
}
