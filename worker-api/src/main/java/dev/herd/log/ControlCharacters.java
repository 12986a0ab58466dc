package dev.herd.log;

/**
 * Makes text from a worker safe to show on an operator's terminal: every control character becomes a visible
 * escape ({@code ESC} reads {@code \x1b}, a bidirectional override {@code \u202e}), so that a worker's STATUS= text
 * or output line cannot retitle the terminal, move its cursor, rewrite earlier lines with CR, or reorder what the
 * operator reads. The one place where this is decided: the log relay, {@code herd status} and {@code herd top}
 * all use it. Only TAB stays as it is: it can only move the cursor right, and thread dumps are indented with it.
 */
public final class ControlCharacters {

    private ControlCharacters() {
    }

    /** {@code text} with every control character (C0, DEL, C1, line separators, bidi controls) escaped. */
    public static String escape(String text) {
        int first = 0;
        while (first < text.length() && !isControl(text.charAt(first))) {
            first++;
        }
        if (first == text.length()) {
            return text; // the usual case: nothing to copy
        }
        StringBuilder escaped = new StringBuilder(text.length() + 8).append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!isControl(c)) {
                escaped.append(c);
            } else if (c <= 0xff) {
                escaped.append(String.format("\\x%02x", (int) c));
            } else {
                escaped.append(String.format("\\u%04x", (int) c));
            }
        }
        return escaped.toString();
    }

    private static boolean isControl(char c) {
        return c != '\t' && (Character.isISOControl(c) // C0, DEL and C1 (CSI is U+009B)
                || c == '\u2028' || c == '\u2029' // line and paragraph separators
                || c >= '\u202a' && c <= '\u202e' // bidi embeddings and overrides
                || c >= '\u2066' && c <= '\u2069' // bidi isolates
                || c == '\u200e' || c == '\u200f' || c == '\u061c'); // bidi marks
    }
}
