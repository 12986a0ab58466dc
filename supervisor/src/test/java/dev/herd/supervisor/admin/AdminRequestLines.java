package dev.herd.supervisor.admin;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generated admin request lines (without their newline), for {@link AdminRequestProperties} and for the end-to-end
 * test that sends them to a live master: valid requests of every command with the request they must parse to,
 * and invalid ones: not JSON, not an object, no or a wrong command, unknown fields, wrong types, numbers out of
 * range or huge, bad and overlong durations, a duplicate key, content after the object, a second object, deep
 * nesting, long strings, bad UTF-8.
 */
public final class AdminRequestLines {

    /** A valid line and the request it must parse to. */
    public record Valid(byte[] line, AdminRequest request) {
        @Override
        public String toString() {
            return new String(line, StandardCharsets.UTF_8);
        }
    }

    /** An invalid line and what is wrong with it (for messages). */
    public record Invalid(String fault, byte[] line) {
        @Override
        public String toString() {
            String text = new String(line, StandardCharsets.UTF_8);
            return fault + ": " + (text.length() > 120 ? text.substring(0, 120) + "...(" + line.length + " bytes)"
                    : text);
        }
    }

    private AdminRequestLines() {
    }

    // ---- valid ------------------------------------------------------------------------------------------------------

    public static Arbitrary<Valid> valid() {
        Arbitrary<Boolean> wait = Arbitraries.of(true, false).injectNull(0.5);
        Arbitrary<Map<String, Object>> none = Arbitraries.just(Map.of());
        Arbitrary<Map<String, Object>> scale = Combinators.combine(Arbitraries.of("workers", "delta"),
                Arbitraries.integers().between(1, 1024), Arbitraries.integers().between(-1024, 1024), wait)
                .as((which, workers, delta, w) -> arguments(which, which.equals("workers") ? workers : delta, w));
        Arbitrary<Map<String, Object>> restart = Combinators.combine(Arbitraries.integers().between(1, 1024)
                .injectNull(0.5), wait).as((slot, w) -> arguments("slot", slot, w));
        Arbitrary<Map<String, Object>> reload = wait.map(w -> arguments(null, null, w));
        Arbitrary<Map<String, Object>> stop = Arbitraries.longs().between(0, Duration.ofHours(24).toMillis())
                .injectNull(0.4).map(millis -> millis == null ? Map.<String, Object>of()
                        : Map.of("timeout", Duration.ofMillis(millis)));
        return Arbitraries.oneOf(
                        none.map(a -> new AdminRequest(AdminCommand.PING, a)),
                        none.map(a -> new AdminRequest(AdminCommand.VERSION, a)),
                        none.map(a -> new AdminRequest(AdminCommand.STATUS, a)),
                        none.map(a -> new AdminRequest(AdminCommand.CONFIG, a)),
                        scale.map(a -> new AdminRequest(AdminCommand.SCALE, a)),
                        restart.map(a -> new AdminRequest(AdminCommand.RESTART, a)),
                        reload.map(a -> new AdminRequest(AdminCommand.RELOAD, a)),
                        stop.map(a -> new AdminRequest(AdminCommand.STOP, a)))
                .flatMap(request -> Combinators.combine(Arbitraries.shuffle(fields(request)), whitespace(),
                        Arbitraries.of("ms", "s", "m", "h")).as((fields, space, unit) ->
                        new Valid(render(fields, space, unit), request)));
    }

    private static Map<String, Object> arguments(String name, Object value, Boolean wait) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        if (name != null && value != null) {
            arguments.put(name, value);
        }
        if (wait != null) {
            arguments.put("wait", wait);
        }
        return arguments;
    }

    private static List<Map.Entry<String, Object>> fields(AdminRequest request) {
        List<Map.Entry<String, Object>> fields = new ArrayList<>();
        fields.add(Map.entry("command", request.command().wireName()));
        fields.addAll(request.arguments().entrySet());
        return fields;
    }

    /** JSON text of the fields in this order, with this blank between tokens; a duration in the largest exact unit. */
    private static byte[] render(List<Map.Entry<String, Object>> fields, String space, String unit) {
        StringBuilder json = new StringBuilder(space).append('{');
        for (int i = 0; i < fields.size(); i++) {
            Object value = fields.get(i).getValue();
            String text = value instanceof String s ? "\"" + s + "\""
                    : value instanceof Duration d ? "\"" + duration(d, unit) + "\"" : String.valueOf(value);
            json.append(i == 0 ? "" : ",").append(space).append('"').append(fields.get(i).getKey()).append('"')
                    .append(space).append(':').append(space).append(text).append(space);
        }
        return json.append('}').append(space).toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String duration(Duration duration, String unit) {
        long millis = duration.toMillis();
        long per = switch (unit) {
            case "h" -> 3_600_000L;
            case "m" -> 60_000L;
            case "s" -> 1_000L;
            default -> 1L;
        };
        return millis == 0 && per > 1 ? "0" : millis % per == 0 ? millis / per + unit : millis + "ms";
    }

    private static Arbitrary<String> whitespace() {
        return Arbitraries.of("", " ", "  ", "\t", " \t ");
    }

    // ---- invalid ----------------------------------------------------------------------------------------------------

    public static Arbitrary<Invalid> invalid() {
        List<Arbitrary<Invalid>> cases = new ArrayList<>();
        cases.add(Arbitraries.strings().ascii().ofMinLength(1).ofMaxLength(200)
                .filter(s -> !s.isBlank() && !s.contains("\n") && !s.trim().startsWith("{"))
                .map(s -> invalid("not JSON or not an object", s)));
        cases.add(Arbitraries.of("[]", "[{\"command\":\"ping\"}]", "42", "-1e400", "null", "true", "\"ping\"", "\"\"")
                .map(s -> invalid("not an object", s)));
        cases.add(Arbitraries.of("{", "{\"command\":", "{\"command\":\"ping\"", "{\"command\":\"ping\",}",
                "{command:\"ping\"}", "{'command':'ping'}", "{\"command\":\"ping\" /* x */}", "{\"command\" \"ping\"}",
                "{\"command\":\"scale\",\"workers\":NaN}", "{\"command\":\"scale\",\"workers\":Infinity}",
                "{\"command\":\"scale\",\"workers\":01}", "{\"command\":\"scale\",\"workers\":+1}",
                "{\"command\":\"ping\"\u0000}").map(s -> invalid("malformed JSON", s)));
        cases.add(Arbitraries.of("{}", "{\"cmd\":\"ping\"}", "{\"command\":null}", "{\"command\":7}",
                "{\"command\":[\"ping\"]}", "{\"command\":{\"name\":\"ping\"}}", "{\"command\":true}")
                .map(s -> invalid("no command", s)));
        cases.add(Arbitraries.oneOf(Arbitraries.of("", "PING", "ping ", "Status", "shutdown", "kill", "exec"),
                        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(60_000))
                .filter(name -> AdminCommand.named(name).isEmpty())
                .map(name -> invalid("unknown command", "{\"command\":\"" + name + "\"}")));
        cases.add(Combinators.combine(Arbitraries.of(AdminCommand.values()), Arbitraries.strings().alpha()
                        .ofMinLength(1).ofMaxLength(40))
                .as((command, field) -> command.arguments().stream().anyMatch(a -> a.name().equals(field)) ? null
                        : invalid("unknown field", "{\"command\":\"" + command.wireName() + "\",\"" + field + "\":1}"))
                .filter(java.util.Objects::nonNull));
        cases.add(Combinators.combine(Arbitraries.of("workers", "delta"), Arbitraries.of("\"4\"", "4.5", "4.0", "1e2",
                "true", "null", "[]", "{}", "[4]", "0", "1025", "-1025", "2147483648", "-2147483649",
                "9223372036854775808", "99999999999999999999999", "1e400", "-0.5"))
                .as((field, value) -> field.equals("delta") && value.equals("0") ? null
                        : invalid("bad " + field, "{\"command\":\"scale\",\"" + field + "\":" + value + "}"))
                .filter(java.util.Objects::nonNull));
        cases.add(Arbitraries.of("{\"command\":\"scale\"}", "{\"command\":\"scale\",\"wait\":true}",
                "{\"command\":\"scale\",\"workers\":2,\"delta\":1}").map(s -> invalid("scale needs one of two", s)));
        cases.add(Arbitraries.of("0", "-1", "1025", "\"1\"", "1.5", "null", "true", "4294967297")
                .map(v -> invalid("bad slot", "{\"command\":\"restart\",\"slot\":" + v + "}")));
        cases.add(Arbitraries.of("10", "\"10\"", "\"10x\"", "\"-1s\"", "\"1.5s\"", "\"25h\"", "\"1441m\"",
                        "\"86400001ms\"", "\"2562048h\"", "\"99999999999999999999h\"", "\"9223372036854775807ms\"",
                        "\"PT10S\"", "\"\"", "null", "true", "[\"1s\"]", "\" 1s\"", "\"1S\"")
                .map(v -> invalid("bad timeout", "{\"command\":\"stop\",\"timeout\":" + v + "}")));
        cases.add(Combinators.combine(Arbitraries.of("reload", "restart", "scale\",\"workers\":2"),
                        Arbitraries.of("\"true\"", "1", "0", "null", "\"no\"", "[]"))
                .as((command, v) -> invalid("bad wait", "{\"command\":\"" + command + "\",\"wait\":" + v + "}")));
        cases.add(Arbitraries.of("{\"command\":\"ping\",\"command\":\"stop\"}",
                        "{\"command\":\"stop\",\"command\":\"ping\"}",
                        "{\"command\":\"scale\",\"workers\":2,\"workers\":3}",
                        "{\"command\":\"stop\",\"timeout\":\"1s\",\"timeout\":\"2s\"}")
                .map(s -> invalid("duplicate key", s)));
        cases.add(Combinators.combine(valid(), Arbitraries.of("x", "}", "]", "{}", "{\"command\":\"stop\"}", "1",
                        "\"\"", "null", ",", "/", "{\"command\":\"ping\"}"))
                .as((ok, tail) -> new Invalid("content after the object", concat(ok.line(), tail))));
        cases.add(Combinators.combine(Arbitraries.integers().between(9, 50_000), Arbitraries.of("[", "{\"a\":"))
                .as((depth, open) -> {
                    String close = open.equals("[") ? "]" : "}";
                    return invalid("nested " + depth + " deep", "{\"command\":\"ping\",\"x\":" + open.repeat(depth)
                            + (open.equals("[") ? "" : "1") + close.repeat(depth) + "}");
                }));
        cases.add(Arbitraries.integers().between(1_000, 60_000).map(n ->
                invalid("long string", "{\"command\":\"ping\",\"x\":\"" + "a".repeat(n) + "\"}")));
        cases.add(Combinators.combine(Arbitraries.of(AdminCommand.values()), badUtf8(), Arbitraries.integers()
                        .between(0, 4))
                .as((command, bad, at) -> {
                    String name = command.wireName();
                    int cut = Math.min(at, name.length());
                    ByteArrayOutputStream line = new ByteArrayOutputStream();
                    line.writeBytes(("{\"command\":\"" + name.substring(0, cut)).getBytes(StandardCharsets.UTF_8));
                    line.writeBytes(bad);
                    line.writeBytes((name.substring(cut) + "\"}").getBytes(StandardCharsets.UTF_8));
                    return new Invalid("bad UTF-8", line.toByteArray());
                }));
        cases.add(Combinators.combine(valid(), Arbitraries.integers().between(0, 1_000)).as((ok, at) -> {
            // One ASCII letter of a valid line in its overlong two-byte form: the same text to a lenient decoder.
            byte[] line = ok.line();
            List<Integer> letters = new ArrayList<>();
            for (int i = 0; i < line.length; i++) {
                if (Character.isLetter(line[i])) {
                    letters.add(i);
                }
            }
            int index = letters.get(at % letters.size());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            bytes.write(line, 0, index);
            bytes.write(0xC0 | (line[index] >> 6));
            bytes.write(0x80 | (line[index] & 0x3F));
            bytes.write(line, index + 1, line.length - index - 1);
            return new Invalid("an overlong UTF-8 letter in a valid request", bytes.toByteArray());
        }));
        return Arbitraries.oneOf(cases);
    }

    /**
     * Byte sequences that are not UTF-8: a lone continuation byte, truncated sequences, 0xFF, and overlong forms of
     * ASCII letters and '/', which a lenient decoder turns into the letters themselves ("p" C1 A9 "ng" is "ping").
     */
    private static Arbitrary<byte[]> badUtf8() {
        return Arbitraries.of(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC3, 0x28},
                new byte[] {(byte) 0xE2, (byte) 0x82}, new byte[] {(byte) 0xC0, (byte) 0xAF},
                new byte[] {(byte) 0xC1, (byte) 0xA9}, new byte[] {(byte) 0xE0, (byte) 0x81, (byte) 0xA9},
                new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80});
    }

    private static Invalid invalid(String fault, String line) {
        return new Invalid(fault, line.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] concat(byte[] head, String tail) {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        line.writeBytes(head);
        line.writeBytes(tail.getBytes(StandardCharsets.UTF_8));
        return line.toByteArray();
    }
}
