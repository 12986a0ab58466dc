package dev.herd.supervisor.cli;

import dev.herd.config.ConfigException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code herd} command line: {@code herd run} starts a master, the other subcommands talk to one or to its
 * workers. Every error is one line on stderr, and the exit code says which kind it was ({@link ExitCodes}).
 */
@Command(name = "herd", mixinStandardHelpOptions = true, versionProvider = HerdVersion.class,
        description = "A pre-fork process supervisor for JVM network servers.",
        subcommands = {RunCommand.class, AdminCommands.Status.class, AdminCommands.Scale.class,
            AdminCommands.Restart.class, AdminCommands.Reload.class, AdminCommands.Stop.class,
            AdminCommands.Ping.class, ClientCommand.class, AdminCommands.Completion.class,
            CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:the command failed at run time (for example: address in use)",
            "2:usage error (unknown flag, bad flag value)",
            "3:no master is running at the admin socket",
            "78:configuration error (bad config file or value)"})
public final class HerdCli implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket for the admin subcommands (they also take it after their name)")
    private java.nio.file.Path adminSocket;

    java.nio.file.Path adminSocket() {
        return adminSocket;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new HerdCli())
                .setParameterExceptionHandler(HerdCli::usageError)
                .setExecutionExceptionHandler(HerdCli::executionError);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    private static int usageError(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName() + ": " + e.getMessage()
                + " (see '" + command.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return ExitCodes.USAGE;
    }

    private static int executionError(Exception e, CommandLine command, CommandLine.ParseResult parseResult) {
        PrintWriter err = command.getErr();
        if (e instanceof AdminClient.NotRunningException) {
            err.println("herd: " + e.getMessage());
            err.flush();
            return ExitCodes.NOT_RUNNING;
        }
        if (e instanceof ConfigException) {
            err.println("herd: configuration error: " + e.getMessage());
            err.flush();
            return ExitCodes.CONFIG;
        }
        err.println("herd: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
        err.flush();
        return ExitCodes.FAILURE;
    }
}
