package dev.herd.supervisor.cli;

import dev.herd.supervisor.admin.AdminPaths;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code --admin-socket PATH} for every subcommand that talks to a master (a picocli mixin): the flag after the
 * subcommand's name, else the one before it ({@code herd --admin-socket PATH status}), else the lookup the master
 * itself uses.
 */
final class AdminSocketOption {

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket (default: $HERD_ADMIN_SOCKET, $RUNTIME_DIRECTORY/herd.sock, "
                    + "$XDG_RUNTIME_DIR/herd/herd.sock, /tmp/herd-UID/herd.sock)")
    private Path adminSocket;

    /** For picocli, which sets the field. */
    AdminSocketOption() {
    }

    /** The flag's value as {@link PlainRequest} read it, without picocli; null: not given. */
    AdminSocketOption(Path adminSocket) {
        this.adminSocket = adminSocket;
    }

    AdminPaths.Location locate(HerdCli parent) {
        Path explicit = adminSocket != null ? adminSocket : parent == null ? null : parent.adminSocket();
        return AdminPaths.locate(Optional.ofNullable(explicit), System.getenv());
    }
}
