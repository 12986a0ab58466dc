package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Generated admin request lines ({@link AdminRequestLines}) through {@link AdminRequest#parse}: a valid line parses
 * to the request it was generated from; an invalid one gets an {@link AdminException} with a documented code
 * (docs/admin-protocol.md) and a short one-line message, which the admin thread sends as the error reply. No other
 * exception escapes: the admin thread would otherwise lose the connection, or worse.
 */
class AdminRequestProperties {

    /** The codes a line can earn by itself (docs/admin-protocol.md); the others come from the master's state. */
    private static final Set<String> PARSE_CODES = Set.of(AdminException.BAD_JSON, AdminException.NOT_AN_OBJECT,
            AdminException.UNKNOWN_COMMAND, AdminException.BAD_ARGUMENT);

    @Property(tries = 1000)
    void aValidLineParsesToTheRequestItWasMadeFrom(@ForAll("valid") AdminRequestLines.Valid line) throws Exception {
        assertEquals(line.request(), AdminRequest.parse(line.line()), line.toString());
    }

    @Property(tries = 2000)
    void anInvalidLineGetsAnErrorReplyWithACodeAndOneShortLine(@ForAll("invalid") AdminRequestLines.Invalid line) {
        AdminException error;
        try {
            AdminRequest request = AdminRequest.parse(line.line());
            throw new AssertionError(line + " was accepted as " + request);
        } catch (AdminException e) {
            error = e;
        } catch (RuntimeException | Error e) {
            throw new AssertionError("not an AdminException for " + line + ": " + e, e);
        }
        assertTrue(PARSE_CODES.contains(error.code()), line + ": code " + error.code());
        String message = error.getMessage();
        assertFalse(message.isBlank(), line.toString());
        assertFalse(message.contains("\n") || message.contains("\r"), line + ": one line: " + message);
        assertTrue(message.length() <= 400, line + ": " + message.length() + " chars: " + message);
        String reply = ReplyJson.toJson(error.toReply()).toString();
        assertTrue(reply.startsWith("{\"ok\":false,\"error\":{\"code\":\"" + error.code() + "\""), reply);
    }

    @Provide
    Arbitrary<AdminRequestLines.Valid> valid() {
        return AdminRequestLines.valid();
    }

    @Provide
    Arbitrary<AdminRequestLines.Invalid> invalid() {
        return AdminRequestLines.invalid();
    }
}
