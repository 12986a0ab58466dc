package dev.herd.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class ControlCharactersTest {

    @Test
    void textWithoutControlCharactersIsReturnedAsItIs() {
        String text = "serving 12 req/s, caf\u00e9 \u2603, a\tb";
        assertSame(text, ControlCharacters.escape(text));
    }

    @Test
    void aTerminalTitleSequenceBecomesVisibleText() {
        assertEquals("\\x1b]0;owned-title\\x07ok", ControlCharacters.escape("\u001b]0;owned-title\u0007ok"));
    }

    @Test
    void carriageReturnNewlineDeleteAndC1ControlsAreEscaped() {
        assertEquals("a\\x0db\\x0ac\\x7fd\\x9be", ControlCharacters.escape("a\rb\nc\u007fd\u009be"));
    }

    @Test
    void bidiOverridesAndLineSeparatorsAreEscaped() {
        assertEquals("\\u202eevil\\u202c \\u2028 \\u2066x\\u2069",
                ControlCharacters.escape("\u202eevil\u202c \u2028 \u2066x\u2069"));
    }
}
