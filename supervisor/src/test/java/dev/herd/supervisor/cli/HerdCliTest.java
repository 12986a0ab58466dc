package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.config.ConfigValues;
import dev.herd.supervisor.admin.AdminCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI has a subcommand for every row of the admin command table, made from that row. */
class HerdCliTest {

    @Test
    void everyAdminCommandHasItsSubcommand() {
        Map<String, CommandLine> subcommands = HerdCli.commandLine().getSubcommands();
        for (AdminCommand command : AdminCommand.values()) {
            CommandLine subcommand = subcommands.get(command.wireName());
            assertNotNull(subcommand, "no 'herd " + command.wireName() + "'");
            Object handler = subcommand.getCommandSpec().userObject();
            assertTrue(handler instanceof AdminCommandBase, handler.toString());
            assertEquals(command, ((AdminCommandBase) handler).command(), command.wireName());
            assertEquals(command.help(), String.join(" ", subcommand.getCommandSpec().usageMessage().description()));
            // a lasting command can be told not to wait, as the protocol's "wait": false
            if (command.lasting()) {
                assertNotNull(subcommand.getCommandSpec().findOption("--no-wait"), command.wireName());
            }
        }
    }

    @Test
    void helpListsEveryAdminCommand() {
        String usage = HerdCli.commandLine().getUsageMessage();
        for (AdminCommand command : AdminCommand.values()) {
            assertTrue(usage.contains("  " + command.wireName() + " "), "herd --help lacks " + command.wireName());
        }
    }

    @Test
    void aCommandLineBuiltForOneSubcommandHasThatOneFromItsRow() {
        for (AdminCommand command : AdminCommand.values()) {
            Map<String, CommandLine> subcommands = HerdCli.commandLine(command.wireName()).getSubcommands();
            assertEquals(java.util.Set.of(command.wireName()), subcommands.keySet());
            assertEquals(command, ((AdminCommandBase) subcommands.get(command.wireName()).getCommandSpec()
                    .userObject()).command());
        }
    }

    /** Issue 10: a word herd does not know is a usage error, --help after it or not. */
    @Test
    void anUnknownSubcommandIsAUsageErrorEvenWithHelp() {
        for (String[] args : new String[][] {{"stauts"}, {"stauts", "--help"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cli = HerdCli.commandLine(args[0]);
            cli.setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
            assertEquals(ExitCodes.USAGE, cli.execute(args), String.join(" ", args));
            assertEquals("", out.toString(), String.join(" ", args));
            assertTrue(err.toString().startsWith("herd: Unmatched argument at index 0: 'stauts'"), err.toString());
        }
    }

    /** Issue 10: herd run --help and shell completion name the built-in apps. */
    @Test
    void runHelpAndCompletionNameTheBuiltInApps() {
        CommandLine run = HerdCli.commandLine("run").getSubcommands().get("run");
        String usage = run.getUsageMessage();
        for (String app : ConfigValues.APPS) {
            assertTrue(usage.contains(app), "herd run --help lacks the app " + app + ":\n" + usage);
        }
        Iterable<String> candidates = run.getCommandSpec().findOption("--app").completionCandidates();
        assertEquals(ConfigValues.APPS, java.util.stream.StreamSupport.stream(candidates.spliterator(), false).toList());
    }

    /** Issue 22: herd -i NAME reaches herd@NAME.service; a bad name or two sockets at once is a usage error. */
    @Test
    void anInstanceIsNamedBeforeOrAfterTheSubcommandAndCheckedFirst() {
        String missing = "no-such-instance-" + ProcessHandle.current().pid();
        Outcome notRunning = new Outcome(ExitCodes.NOT_RUNNING, "herd: no herd instance '" + missing
                + "' is running (no /run/herd-" + missing + "; see systemctl status herd@" + missing + ")");
        assertEquals(notRunning, execute("-i", missing, "status"));
        assertEquals(notRunning, execute("status", "--instance", missing));
        assertEquals(new Outcome(ExitCodes.USAGE, "herd status: invalid instance name '../etc': the name of "
                + "herd@NAME.service, of letters, digits and _ . : - (not starting with .) (see 'herd status --help')"),
                execute("status", "-i", "../etc"));
        assertEquals(new Outcome(ExitCodes.USAGE, "herd reload: --instance and --admin-socket both name a master's "
                + "socket: give one of them (see 'herd reload --help')"),
                execute("-i", "shop", "reload", "--admin-socket", "/tmp/x.sock"));
    }

    private record Outcome(int exitCode, String firstLineOfErr) {
    }

    /** Runs the CLI in this JVM; the exit code and the first line of stderr, up to its "; " tail if any. */
    private static Outcome execute(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cli = HerdCli.commandLine(args[0]);
        cli.setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err));
        int exitCode = cli.execute(args);
        String line = err.toString().lines().findFirst().orElse("");
        int running = line.indexOf("); ");
        return new Outcome(exitCode, running < 0 ? line : line.substring(0, running + 1));
    }
}
