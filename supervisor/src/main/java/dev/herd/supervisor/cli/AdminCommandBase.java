package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * What every admin subcommand shares: its row of the {@link AdminCommand} table, the socket path (flag, else the
 * same lookup the master uses), one request, and the exit code: 0 ok, 1 the master answered with an error (or did
 * not answer in time), 3 no master at that socket.
 */
abstract class AdminCommandBase implements Callable<Integer> {

    /** How long a command that does not wait for work may wait for its reply. */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(10);
    /** How long a command asks again while the master answers busy (its admin connections are all taken). */
    static final Duration BUSY_RETRY = Duration.ofSeconds(10);

    @ParentCommand
    private HerdCli parent;

    @Mixin
    private AdminSocketOption adminSocket;

    /** This subcommand's row of the table. */
    abstract AdminCommand command();

    AdminPaths.Location socket() throws IOException {
        return adminSocket.locate(parent);
    }

    /** Runs the request without picocli (see {@link PlainRequest}): the socket flag as given, or null. */
    final Integer callWithSocket(java.nio.file.Path explicitSocket) throws IOException {
        adminSocket = new AdminSocketOption(explicitSocket);
        return call();
    }

    /** One request and its reply; {@link AdminCommands.Upgrade} alone does more. */
    @Override
    public Integer call() throws IOException {
        ObjectNode request = request(); // a usage error is reported before looking for a master
        boolean waitsForWork = command().lasting() && request.path("wait").asBoolean(true);
        long busyUntil = System.nanoTime() + BUSY_RETRY.toNanos();
        for (int attempt = 1; ; attempt++) {
            JsonNode reply;
            try (AdminClient client = AdminClient.connect(socket())) {
                reply = client.request(request, waitsForWork ? Optional.empty() : Optional.of(REPLY_TIMEOUT));
            }
            JsonNode error = reply.path("error");
            // busy: the master closed this connection before reading the request (its connection cap was
            // reached, by a flood or a leak), so nothing was done and asking again is safe.
            if (error.path("code").asText().equals("busy") && System.nanoTime() - busyUntil < 0) {
                pause(Math.min(200, 10L << Math.min(attempt, 5)));
                continue;
            }
            if (!reply.path("ok").asBoolean(false)) {
                System.err.println("herd: " + error.path("message").asText("error") + " ("
                        + error.path("code").asText("unknown") + ")");
                return ExitCodes.FAILURE;
            }
            return onSuccess(reply);
        }
    }

    /** A backoff between attempts, not a wait for an outcome. */
    private static void pause(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while the admin socket was busy");
        }
    }

    /** The request line; the default is the command alone. */
    ObjectNode request() {
        return AdminClient.command(command().wireName());
    }

    /** Prints the result; the default prints what {@link #summary} says. */
    int onSuccess(JsonNode reply) throws IOException {
        String summary = summary(reply);
        if (!summary.isEmpty()) {
            System.out.println(summary);
        }
        return ExitCodes.OK;
    }

    String summary(JsonNode reply) {
        return "";
    }
}
