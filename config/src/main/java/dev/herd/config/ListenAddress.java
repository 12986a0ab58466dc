package dev.herd.config;

import java.util.regex.Pattern;

/**
 * A TCP address to listen on, as written by the user: {@code HOST:PORT}, with IPv6 hosts in brackets
 * ({@code [::1]:9876}). Port 0 asks the kernel for a free port. The host is not resolved here; the master
 * resolves it when it binds. {@link #toString()} gives back the {@code HOST:PORT} form that {@link #parse}
 * accepts.
 */
public record ListenAddress(String host, int port) {

    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public ListenAddress {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host is empty");
        }
        // Brackets and blanks are never part of a host name or IP literal; they come from a parsing slip.
        if (host.chars().anyMatch(c -> c == '[' || c == ']' || Character.isWhitespace(c))) {
            throw new IllegalArgumentException("host '" + host + "' contains brackets or blanks");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0..65535");
        }
    }

    /**
     * Parses {@code HOST:PORT} or {@code [V6HOST]:PORT}.
     *
     * @throws InvalidValueException (an IllegalArgumentException) whose message names the text and says what
     *                               is wrong, e.g. {@code 'host' is not a listen address: expected HOST:PORT ...}
     */
    public static ListenAddress parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !text.startsWith(":", close + 1)) {
                throw invalid(text, "expected [IPV6]:PORT, as in [::1]:9876");
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw invalid(text, "expected HOST:PORT, as in 127.0.0.1:9876");
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.contains(":")) {
                throw invalid(text, "an IPv6 host must be in brackets, as in [::1]:9876");
            }
        }
        if (host.isEmpty()) {
            throw invalid(text, "the host is empty");
        }
        if (!PORT.matcher(port).matches() || Integer.parseInt(port) > 65535) {
            throw invalid(text, "the port must be a number from 0 to 65535");
        }
        try {
            return new ListenAddress(host, Integer.parseInt(port));
        } catch (IllegalArgumentException e) {
            throw invalid(text, e.getMessage());
        }
    }

    private static InvalidValueException invalid(String text, String why) {
        return new InvalidValueException(text, "is not a listen address: " + why);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
