package dev.herd.supervisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * What every admin subcommand shares: the socket path (flag, else the same lookup the master uses), one request,
 * and the exit code: 0 ok, 1 the master answered with an error, 3 no master at that socket.
 */
abstract class AdminCommandBase implements Callable<Integer> {

    @ParentCommand
    private HerdCli parent;

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket (default: $HERD_ADMIN_SOCKET, $RUNTIME_DIRECTORY/herd.sock, "
                    + "$XDG_RUNTIME_DIR/herd/herd.sock, /tmp/herd-UID/herd.sock)")
    private Path adminSocket;

    Path socketPath() {
        Path explicit = adminSocket != null ? adminSocket : parent == null ? null : parent.adminSocket();
        return AdminPaths.resolve(Optional.ofNullable(explicit), System.getenv());
    }

    @Override
    public final Integer call() throws IOException {
        ObjectNode request = request(); // a usage error is reported before looking for a master
        try (AdminClient client = AdminClient.connect(socketPath())) {
            JsonNode reply = client.request(request);
            if (!reply.path("ok").asBoolean(false)) {
                JsonNode error = reply.path("error");
                System.err.println("herd: " + error.path("message").asText("error") + " ("
                        + error.path("code").asText("unknown") + ")");
                return ExitCodes.FAILURE;
            }
            return onSuccess(reply);
        }
    }

    abstract ObjectNode request();

    /** Prints the result; the default prints nothing more than what {@link #summary} says. */
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
