package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.supervisor.admin.AdminCommand;
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
}
