package dev.herd.supervisor.cli;

import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --admin-socket PATH} and {@code --instance NAME} for every subcommand that talks to a master (a picocli
 * mixin): the flag after the subcommand's name, else the one before it ({@code herd -i shop status}), else the
 * lookup the master itself uses. An instance is herd@NAME.service's master ({@link Instances}); naming both an
 * instance and a socket is a usage error.
 */
final class AdminSocketOption {

    @Spec(Spec.Target.MIXEE)
    private CommandSpec mixee;

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket (default: $HERD_ADMIN_SOCKET, $RUNTIME_DIRECTORY/herd.sock, "
                    + "$XDG_RUNTIME_DIR/herd/herd.sock, /tmp/herd-UID/herd.sock)")
    private Path adminSocket;

    @Option(names = {"-i", "--instance"}, paramLabel = "NAME",
            description = "the master of herd@NAME.service (its admin socket /run/herd-NAME/herd.sock)")
    private String instance;

    /** For picocli, which sets the field. */
    AdminSocketOption() {
    }

    /** The flag's value as {@link PlainRequest} read it, without picocli; null: not given. */
    AdminSocketOption(Path adminSocket) {
        this.adminSocket = adminSocket;
    }

    AdminPaths.Location locate(HerdCli parent) throws IOException {
        Path socket = adminSocket != null ? adminSocket : parent == null ? null : parent.adminSocket();
        String name = instance != null ? instance : parent == null ? null : parent.instance();
        if (name == null) {
            return AdminPaths.locate(Optional.ofNullable(socket), System.getenv());
        }
        if (socket != null) {
            throw new CommandLine.ParameterException(mixee.commandLine(),
                    "--instance and --admin-socket both name a master's socket: give one of them");
        }
        if (!Instances.validName(name)) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "invalid instance name '" + name
                    + "': the name of herd@NAME.service, of letters, digits and _ . : - (not starting with .)");
        }
        return Instances.locate(name, Instances.RUN);
    }
}
