package dev.herd.supervisor.cli;

import dev.herd.config.ConfigException;
import dev.herd.supervisor.admin.AdminCommand;
import dev.herd.supervisor.master.EarlySignals;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code herd} command line: {@code herd run} starts a master, one subcommand per row of the
 * {@link AdminCommand} table talks to one, {@code herd client} to its workers. Every error is one line on stderr,
 * and the exit code says which kind it was ({@link ExitCodes}).
 */
@Command(name = "herd", mixinStandardHelpOptions = true, versionProvider = HerdVersion.class,
        description = "A pre-fork process supervisor for JVM network servers.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:the command failed at run time (for example: address in use)",
            "2:usage error (unknown flag, bad flag value)",
            "3:no master is running at the admin socket",
            "70:the master's loop failed; its workers were killed",
            "71:a thread of the master died (logged); its workers were stopped",
            "78:configuration error (bad config file or value)"})
public final class HerdCli implements Runnable {

    /** The exit codes of every admin subcommand. */
    private static final Map<String, String> ADMIN_EXIT_CODES = exitCodes(
            "0", "ok", "1", "the master answered with an error, or did not answer in time", "2", "usage error",
            "3", "no master is running at the admin socket");

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    @CommandLine.Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket for the admin subcommands (they also take it after their name)")
    private Path adminSocket;

    @CommandLine.Option(names = {"-i", "--instance"}, paramLabel = "NAME",
            description = "the master of herd@NAME.service, for the admin subcommands (they also take it after "
                    + "their name)")
    private String instance;

    Path adminSocket() {
        return adminSocket;
    }

    String instance() {
        return instance;
    }

    public static void main(String[] args) {
        // First: from an upgrade's exec until the master's own handlers, a SIGTERM would end it at once.
        EarlySignals.catchStopsIfUpgraded(System.getenv());
        Optional<PlainRequest> plain = PlainRequest.parse(args);
        System.exit(plain.isPresent() ? plain.get().run() : commandLine(args.length > 0 ? args[0] : "").execute(args));
    }

    /** Every subcommand. */
    static CommandLine commandLine() {
        return commandLine("");
    }

    /**
     * picocli builds a subcommand's model by reflection, several milliseconds each: a command line that starts
     * with a subcommand's name ({@code herd status}) gets the root and that subcommand alone, any other (options
     * first, {@code help}, a typo that deserves the list of names) gets them all.
     */
    static CommandLine commandLine(String firstArgument) {
        Map<String, Supplier<CommandLine>> subcommands = subcommands();
        boolean onlyTheNamedOne = subcommands.containsKey(firstArgument) && !firstArgument.equals("help")
                && !firstArgument.equals("completion");
        CommandLine cli = new CommandLine(new HerdCli());
        subcommands.forEach((name, subcommand) -> {
            if (!onlyTheNamedOne || name.equals(firstArgument)) {
                cli.addSubcommand(name, subcommand.get());
            }
        });
        return cli.setParameterExceptionHandler(HerdCli::usageError)
                .setExecutionExceptionHandler(HerdCli::executionError)
                .setExecutionStrategy(HerdCli::executeUnlessUnmatched);
    }

    /** The subcommands' names, without building any. */
    static Set<String> subcommandNames() {
        return subcommands().keySet();
    }

    private static Map<String, Supplier<CommandLine>> subcommands() {
        Map<String, Supplier<CommandLine>> subcommands = new LinkedHashMap<>();
        subcommands.put("run", RunCommand::create);
        for (AdminCommand command : AdminCommand.values()) {
            subcommands.put(command.wireName(), () -> {
                CommandLine subcommand = new CommandLine(AdminCommands.forCommand(command));
                subcommand.getCommandSpec().usageMessage().description(command.help())
                        .exitCodeListHeading("%nExit codes:%n").exitCodeList(ADMIN_EXIT_CODES);
                return subcommand;
            });
        }
        subcommands.put("top", () -> new CommandLine(new TopCommand()));
        subcommands.put("client", () -> new CommandLine(new ClientCommand()));
        subcommands.put("completion", () -> new CommandLine(new AdminCommands.Completion()));
        subcommands.put("help", () -> new CommandLine(new CommandLine.HelpCommand()));
        return subcommands;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    /**
     * picocli answers {@code --help} even after a word it does not know ({@code herd stauts --help}), with the
     * top-level usage and exit 0; a word it does not know is a usage error however it is followed.
     */
    private static int executeUnlessUnmatched(CommandLine.ParseResult parseResult) {
        for (CommandLine.ParseResult result = parseResult; result != null; result = result.subcommand()) {
            if (!result.unmatched().isEmpty()) {
                throw new CommandLine.UnmatchedArgumentException(result.commandSpec().commandLine(),
                        result.unmatched());
            }
        }
        return new CommandLine.RunLast().execute(parseResult);
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
        return reportFailure(e, command.getErr());
    }

    /** The one line on stderr and the exit code of a command that failed at run time. */
    static int reportFailure(Exception e, PrintWriter err) {
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

    private static Map<String, String> exitCodes(String... codesAndMeanings) {
        Map<String, String> codes = new LinkedHashMap<>();
        for (int i = 0; i < codesAndMeanings.length; i += 2) {
            codes.put(codesAndMeanings[i], codesAndMeanings[i + 1]);
        }
        return codes;
    }
}
