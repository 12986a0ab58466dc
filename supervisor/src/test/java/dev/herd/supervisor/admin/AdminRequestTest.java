package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Strict parsing of admin request lines: every valid request of every command, and every kind of invalid one gets
 * its error code and a message of one short line (a hostile request must not make a long reply or log line).
 */
class AdminRequestTest {

    /** Longer than any message the parser writes; a message quoting a hostile value must stay below it. */
    private static final int SHORT = 400;

    // ---- valid requests -----------------------------------------------------------------------------------------

    /** One valid request per command; a command added to the table without an example here fails the test. */
    private static final Map<AdminCommand, String> EXAMPLES = Map.of(
            AdminCommand.PING, "{\"command\":\"ping\"}",
            AdminCommand.VERSION, "{\"command\":\"version\"}",
            AdminCommand.STATUS, "{\"command\":\"status\"}",
            AdminCommand.CONFIG, "{\"command\":\"config\"}",
            AdminCommand.SCALE, "{\"command\":\"scale\",\"workers\":3}",
            AdminCommand.RESTART, "{\"command\":\"restart\"}",
            AdminCommand.RELOAD, "{\"command\":\"reload\"}",
            AdminCommand.STOP, "{\"command\":\"stop\"}",
            AdminCommand.UPGRADE, "{\"command\":\"upgrade\"}");

    @Test
    void everyCommandHasAValidRequestWithoutArguments() throws AdminException {
        assertEquals(EnumSet.allOf(AdminCommand.class), EnumSet.copyOf(EXAMPLES.keySet()));
        for (Map.Entry<AdminCommand, String> example : EXAMPLES.entrySet()) {
            AdminRequest request = parse(example.getValue());
            assertEquals(example.getKey(), request.command(), example.getValue());
            // a lasting command waits for its work unless told otherwise; a quick one has nothing to wait for
            assertEquals(example.getKey().lasting(), request.waitForCompletion(), example.getValue());
        }
    }

    @Test
    void scaleTakesAnAbsoluteCountOrASignedChange() throws AdminException {
        AdminRequest absolute = parse("{\"command\":\"scale\",\"workers\":1024}");
        assertEquals(Optional.of(1024), absolute.wholeNumber("workers"));
        assertEquals(Optional.empty(), absolute.wholeNumber("delta"));

        AdminRequest change = parse("{\"command\":\"scale\",\"delta\":-1024}");
        assertEquals(Optional.of(-1024), change.wholeNumber("delta"));
        assertEquals(Optional.of(1), parse("{\"command\":\"scale\",\"workers\":1}").wholeNumber("workers"));
    }

    @Test
    void restartTakesASlotAndReloadNothingButWait() throws AdminException {
        assertEquals(Optional.of(2), parse("{\"command\":\"restart\",\"slot\":2}").wholeNumber("slot"));
        assertEquals(Map.of(), parse("{\"command\":\"reload\"}").arguments());
    }

    @Test
    void waitFalseAsksForTheReplyAtOnce() throws AdminException {
        assertFalse(parse("{\"command\":\"reload\",\"wait\":false}").waitForCompletion());
        assertFalse(parse("{\"command\":\"restart\",\"slot\":1,\"wait\":false}").waitForCompletion());
        assertFalse(parse("{\"command\":\"scale\",\"delta\":1,\"wait\":false}").waitForCompletion());
        assertTrue(parse("{\"command\":\"scale\",\"delta\":1,\"wait\":true}").waitForCompletion());
    }

    @Test
    void stopTakesATimeoutOfUpToADay() throws AdminException {
        assertEquals(Optional.of(Duration.ofSeconds(5)),
                parse("{\"command\":\"stop\",\"timeout\":\"5s\"}").duration("timeout"));
        assertEquals(Optional.of(Duration.ofHours(24)),
                parse("{\"command\":\"stop\",\"timeout\":\"24h\"}").duration("timeout"));
        assertEquals(Optional.of(Duration.ZERO), parse("{\"command\":\"stop\",\"timeout\":\"0\"}").duration("timeout"));
        assertEquals(Optional.empty(), parse("{\"command\":\"stop\"}").duration("timeout"));
    }

    @Test
    void fieldsMayComeInAnyOrderAndWhitespaceIsAllowed() throws AdminException {
        AdminRequest request = parse(" { \"workers\" : 2 ,\t\"command\" : \"scale\" } ");
        assertEquals(AdminCommand.SCALE, request.command());
        assertEquals(Optional.of(2), request.wholeNumber("workers"));
    }

    // ---- invalid requests ---------------------------------------------------------------------------------------

    @Test
    void notJsonIsBadJson() {
        refused(AdminException.BAD_JSON, "malformed JSON", "ping");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\"");
        refused(AdminException.BAD_JSON, "malformed JSON", "{command:\"ping\"}");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":'ping'}");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"scale\",\"workers\":NaN}");
    }

    @Test
    void badUtf8IsBadJson() {
        byte[] line = "{\"command\":\"pi?g\"}".getBytes(StandardCharsets.US_ASCII);
        line[14] = (byte) 0xff; // never valid in UTF-8
        AdminException e = assertThrows(AdminException.class, () -> AdminRequest.parse(line));
        assertEquals(AdminException.BAD_JSON, e.code());
        assertShortOneLine(e.getMessage());

        byte[] truncated = {'{', '"', 'c', '"', ':', '"', (byte) 0xc3, '"', '}'}; // a 2-byte sequence cut short
        assertEquals(AdminException.BAD_JSON,
                assertThrows(AdminException.class, () -> AdminRequest.parse(truncated)).code());
    }

    @Test
    void jsonThatIsNotAnObjectIsRefusedNamingWhatItIs() {
        refused(AdminException.NOT_AN_OBJECT, "a request is a JSON object, got array", "[{\"command\":\"ping\"}]");
        refused(AdminException.NOT_AN_OBJECT, "got string", "\"ping\"");
        refused(AdminException.NOT_AN_OBJECT, "got number", "42");
        refused(AdminException.NOT_AN_OBJECT, "got null", "null");
        refused(AdminException.NOT_AN_OBJECT, "got boolean", "true");
    }

    @Test
    void theCommandFieldIsRequiredAndAString() {
        refused(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required", "{}");
        refused(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required", "{\"workers\":3}");
        refused(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required", "{\"command\":1}");
        refused(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required", "{\"command\":null}");
        refused(AdminException.BAD_ARGUMENT, "field \"command\" (a string) is required",
                "{\"command\":[\"ping\"]}");
    }

    @Test
    void anUnknownCommandIsRefusedListingTheKnownOnes() {
        AdminException e = refused(AdminException.UNKNOWN_COMMAND, "unknown command \"explode\"",
                "{\"command\":\"explode\"}");
        assertTrue(e.getMessage().endsWith("(known: ping, version, status, config, scale, restart, reload, stop, "
                + "upgrade)"),
                e.getMessage());
        for (AdminCommand command : AdminCommand.values()) {
            assertTrue(e.getMessage().contains(command.wireName()), e.getMessage());
        }
        refused(AdminException.UNKNOWN_COMMAND, "unknown command \"PING\"", "{\"command\":\"PING\"}");
        refused(AdminException.UNKNOWN_COMMAND, "unknown command \"\"", "{\"command\":\"\"}");
    }

    @Test
    void anUnknownFieldIsRefusedListingWhatTheCommandTakes() {
        refused(AdminException.BAD_ARGUMENT, "unknown field \"workerz\" for scale (it takes workers, delta, wait)",
                "{\"command\":\"scale\",\"workerz\":3}");
        refused(AdminException.BAD_ARGUMENT, "unknown field \"slot\" for ping (it takes none)",
                "{\"command\":\"ping\",\"slot\":1}");
    }

    @Test
    void waitIsOnlyForLastingCommands() {
        for (AdminCommand command : AdminCommand.values()) {
            if (!command.lasting()) {
                refused(AdminException.BAD_ARGUMENT, "unknown field \"wait\" for " + command.wireName(),
                        "{\"command\":\"" + command.wireName() + "\",\"wait\":true}");
            }
        }
    }

    @Test
    void valuesOfTheWrongTypeAreRefusedNamingTheField() {
        refused(AdminException.BAD_ARGUMENT, "\"workers\": \"3\" is not a whole number from 1 to 1024",
                "{\"command\":\"scale\",\"workers\":\"3\"}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": 2.5 is not a whole number",
                "{\"command\":\"scale\",\"workers\":2.5}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": null is not a whole number",
                "{\"command\":\"scale\",\"workers\":null}");
        refused(AdminException.BAD_ARGUMENT, "\"slot\": true is not a whole number",
                "{\"command\":\"restart\",\"slot\":true}");
        refused(AdminException.BAD_ARGUMENT, "\"wait\": \"yes\" is not true or false",
                "{\"command\":\"reload\",\"wait\":\"yes\"}");
        refused(AdminException.BAD_ARGUMENT, "\"wait\": 1 is not true or false",
                "{\"command\":\"reload\",\"wait\":1}");
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": 5 is not a duration",
                "{\"command\":\"stop\",\"timeout\":5}");
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": {} is not a duration",
                "{\"command\":\"stop\",\"timeout\":{}}");
    }

    @Test
    void numbersOutOfRangeAreRefusedWithTheRange() {
        refused(AdminException.BAD_ARGUMENT, "\"workers\": 0 is not a whole number from 1 to 1024",
                "{\"command\":\"scale\",\"workers\":0}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": 1025 is not a whole number from 1 to 1024",
                "{\"command\":\"scale\",\"workers\":1025}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": -3 is not a whole number",
                "{\"command\":\"scale\",\"workers\":-3}");
        refused(AdminException.BAD_ARGUMENT, "\"delta\": -1025 is not a whole number from -1024 to 1024",
                "{\"command\":\"scale\",\"delta\":-1025}");
        refused(AdminException.BAD_ARGUMENT, "\"slot\": 0 is not a whole number from 1 to 1024",
                "{\"command\":\"restart\",\"slot\":0}");
        // Beyond int and beyond long: never wrapped around into range.
        refused(AdminException.BAD_ARGUMENT, "\"workers\": 4294967299 is not a whole number",
                "{\"command\":\"scale\",\"workers\":4294967299}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": 18446744073709551619 is not a whole number",
                "{\"command\":\"scale\",\"workers\":18446744073709551619}");
        refused(AdminException.BAD_ARGUMENT, "\"delta\": -9223372036854775809 is not a whole number",
                "{\"command\":\"scale\",\"delta\":-9223372036854775809}");
        refused(AdminException.BAD_ARGUMENT, "is not a whole number from 1 to 1024",
                "{\"command\":\"scale\",\"workers\":1e400}");
    }

    @Test
    void malformedDurationsAreRefusedWithAnExample() {
        for (String duration : List.of("5", "5 s", "-5s", "+5s", "1.5s", "5sec", "", "s", "5d", "1h30m",
                "99999999999999999999ms")) {
            refused(AdminException.BAD_ARGUMENT, "is not a duration (use e.g. 500ms, 30s, 2m)",
                    "{\"command\":\"stop\",\"timeout\":\"" + duration + "\"}");
        }
    }

    @Test
    void durationsOverADayAreRefusedWithTheLimit() {
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": \"25h\" is longer than 24h",
                "{\"command\":\"stop\",\"timeout\":\"25h\"}");
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": \"86400001ms\" is longer than 24h",
                "{\"command\":\"stop\",\"timeout\":\"86400001ms\"}");
        // what once overflowed the master's deadline and wedged it half-stopped
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": \"2562048h\" is longer than 24h",
                "{\"command\":\"stop\",\"timeout\":\"2562048h\"}");
    }

    @Test
    void duplicateKeysAreRefusedNotLastOneWins() {
        refused(AdminException.BAD_JSON, "Duplicate field 'command'", "{\"command\":\"ping\",\"command\":\"stop\"}");
        refused(AdminException.BAD_JSON, "Duplicate field 'workers'",
                "{\"command\":\"scale\",\"workers\":2,\"workers\":200}");
    }

    @Test
    void nothingMayFollowTheObjectOnItsLine() {
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\"} x");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\"}{\"command\":\"stop\"}");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\"} {\"command\":\"stop\"}");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\"},");
    }

    @Test
    void deepNestingIsRefusedBeforeItCanHurtTheParser() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        refused(AdminException.BAD_JSON, "nesting depth", "{\"command\":\"ping\",\"x\":" + deep + "}");
        refused(AdminException.BAD_JSON, "nesting depth", deep);
        // a shallow nesting is fine as JSON; it is refused for what it says
        refused(AdminException.BAD_ARGUMENT, "unknown field \"x\"", "{\"command\":\"ping\",\"x\":[[[1]]]}");
    }

    @Test
    void veryLongStringsGiveShortMessages() {
        String huge = "x".repeat(40_000);
        refused(AdminException.UNKNOWN_COMMAND, "unknown command \"xxx", "{\"command\":\"" + huge + "\"}");
        refused(AdminException.BAD_ARGUMENT, "unknown field \"xxx", "{\"command\":\"ping\",\"" + huge + "\":1}");
        // a field name beyond the parser's own limit (50,000) is malformed JSON, said as briefly
        refused(AdminException.BAD_JSON, "Name length", "{\"command\":\"ping\",\"" + huge + huge + "\":1}");
        refused(AdminException.BAD_ARGUMENT, "\"workers\": \"xxx",
                "{\"command\":\"scale\",\"workers\":\"" + huge + "\"}");
        refused(AdminException.BAD_ARGUMENT, "\"timeout\": \"xxx",
                "{\"command\":\"stop\",\"timeout\":\"" + huge + "\"}");
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"" + huge);
        refused(AdminException.BAD_JSON, "malformed JSON", "{\"command\":\"ping\",\"x\":" + "1".repeat(60_000) + "}");
        // a value with line breaks in it must not break the reply or log line either
        refused(AdminException.UNKNOWN_COMMAND, "unknown command \"a\\nb\"", "{\"command\":\"a\\nb\"}");
    }

    @Test
    void scaleTakesExactlyOneOfWorkersAndDelta() {
        refused(AdminException.BAD_ARGUMENT, "scale takes exactly one of \"workers\" or \"delta\"",
                "{\"command\":\"scale\"}");
        refused(AdminException.BAD_ARGUMENT, "scale takes exactly one of \"workers\" or \"delta\"",
                "{\"command\":\"scale\",\"workers\":2,\"delta\":1}");
        refused(AdminException.BAD_ARGUMENT, "scale takes exactly one of \"workers\" or \"delta\"",
                "{\"command\":\"scale\",\"wait\":false}");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static AdminRequest parse(String line) throws AdminException {
        return AdminRequest.parse(line.getBytes(StandardCharsets.UTF_8));
    }

    /** Asserts the line is refused with {@code code}, a message containing {@code part}, on one short line. */
    private static AdminException refused(String code, String part, String line) {
        AdminException e = assertThrows(AdminException.class, () -> parse(line), () -> "accepted: " + cut(line));
        assertEquals(code, e.code(), () -> e.getMessage() + " for " + cut(line));
        assertTrue(e.getMessage().contains(part), () -> "\"" + e.getMessage() + "\" lacks \"" + part + "\"");
        assertShortOneLine(e.getMessage());
        assertTrue(Set.of(AdminException.BAD_JSON, AdminException.NOT_AN_OBJECT, AdminException.UNKNOWN_COMMAND,
                AdminException.BAD_ARGUMENT).contains(e.code()));
        return e;
    }

    private static void assertShortOneLine(String message) {
        assertTrue(message.length() <= SHORT, "a message of " + message.length() + " chars: " + cut(message));
        assertFalse(message.contains("\n") || message.contains("\r"), "a message of several lines: " + message);
    }

    private static String cut(String text) {
        return text.length() <= 120 ? text : text.substring(0, 120) + "...";
    }
}
