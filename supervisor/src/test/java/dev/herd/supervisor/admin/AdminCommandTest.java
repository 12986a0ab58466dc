package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The invariants of the admin command table, which parsing, dispatch, the CLI and {@code herd help} rely on. */
class AdminCommandTest {

    @Test
    void wireNamesAreUniqueLowerCaseWordsAndFindTheirRow() {
        Set<String> names = new HashSet<>();
        for (AdminCommand command : AdminCommand.values()) {
            assertTrue(names.add(command.wireName()), "twice: " + command.wireName());
            assertTrue(command.wireName().matches("[a-z]+"), command.wireName());
            assertEquals(Optional.of(command), AdminCommand.named(command.wireName()));
        }
        assertEquals(Optional.empty(), AdminCommand.named("nope"));
        assertEquals(String.join(", ", Arrays.stream(AdminCommand.values()).map(AdminCommand::wireName).toList()),
                AdminCommand.names());
    }

    @Test
    void everyLastingCommandTakesWaitAndNoOtherDoes() {
        for (AdminCommand command : AdminCommand.values()) {
            assertEquals(command.lasting(), command.arguments().contains(AdminCommand.WAIT), command.wireName());
        }
        assertEquals(EnumSet.of(AdminCommand.SCALE, AdminCommand.RESTART, AdminCommand.RELOAD),
                Arrays.stream(AdminCommand.values()).filter(AdminCommand::lasting)
                        .collect(Collectors.toCollection(() -> EnumSet.noneOf(AdminCommand.class))));
    }

    @Test
    void everyCommandAndArgumentHasHelpText() {
        for (AdminCommand command : AdminCommand.values()) {
            assertFalse(command.help().isBlank(), command.wireName());
            assertTrue(command.help().endsWith("."), "help is a sentence: " + command.help());
            for (AdminCommand.Argument argument : command.arguments()) {
                assertFalse(argument.help().isBlank(), command.wireName() + " " + argument.name());
            }
        }
    }

    @Test
    void readOnlyAreExactlyTheCommandsThatOnlyLook() {
        assertEquals(EnumSet.of(AdminCommand.PING, AdminCommand.VERSION, AdminCommand.STATUS, AdminCommand.CONFIG),
                Arrays.stream(AdminCommand.values()).filter(AdminCommand::readOnly)
                        .collect(Collectors.toCollection(() -> EnumSet.noneOf(AdminCommand.class))));
    }

    @Test
    void argumentsAreWellFormed() {
        for (AdminCommand command : AdminCommand.values()) {
            List<String> names = command.arguments().stream().map(AdminCommand.Argument::name).toList();
            assertEquals(names.size(), Set.copyOf(names).size(), "an argument twice in " + command.wireName());
            assertFalse(names.contains("command"), command.wireName());
            assertTrue(names.containsAll(command.exactlyOneOf()), command.wireName() + ": " + command.exactlyOneOf());
            for (AdminCommand.Argument argument : command.arguments()) {
                switch (argument.type()) {
                    case WHOLE_NUMBER -> assertTrue(argument.min() <= argument.max(), argument.toString());
                    case DURATION -> assertTrue(argument.maxDuration().compareTo(AdminCommand.Argument.MAX_DURATION)
                            <= 0 && !argument.maxDuration().isZero(), argument.toString());
                    case BOOLEAN -> assertTrue(argument.name().equals("wait")
                            || command == AdminCommand.RELOAD && argument.name().equals("trainFirst"), argument.toString());
                }
            }
        }
    }
}
