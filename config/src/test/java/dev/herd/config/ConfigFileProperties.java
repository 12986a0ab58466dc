package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;

/**
 * Generated config files, valid and invalid, through {@link ConfigLoader#load}: a valid document loads to exactly
 * the values it was generated with; an invalid one (one fault in an otherwise valid document: a wrong type, a
 * huge or negative number, a bad duration or address, a duplicate or unknown key, deep nesting, a long string,
 * bad UTF-8, content after the object) gets a {@link ConfigException} whose one-line message starts with the file
 * and the line of the fault and names the key (or says the JSON is malformed there). No other exception escapes:
 * that is what makes {@code herd run -c FILE} exit 78 with a precise message for every bad file.
 */
class ConfigFileProperties {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One key of a document: its path, its value as JSON bytes (maybe malformed), and what it must load as. */
    record Entry(String path, byte[] json, Object expected) {

        static Entry of(String path, Object jsonValue, Object expected) {
            try {
                return new Entry(path, JSON.writeValueAsBytes(jsonValue), expected);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        static Entry raw(String path, String json) {
            return new Entry(path, json.getBytes(StandardCharsets.UTF_8), null);
        }

        String object() {
            return path.startsWith("worker.") ? "worker" : "";
        }

        String field() {
            return path.substring(path.indexOf('.') + 1);
        }

        @Override
        public String toString() {
            String text = new String(json, StandardCharsets.UTF_8);
            return path + "=" + (text.length() > 80 ? text.substring(0, 80) + "...(" + text.length() + ")" : text);
        }
    }

    /** What is wrong with an invalid document, and where. */
    enum FaultKind { BAD_VALUE, DUPLICATE_KEY, UNKNOWN_KEY, DEEP_NESTING, BAD_UTF8, TRAILING_CONTENT }

    record Fault(FaultKind kind, Entry entry) {
    }

    /** A rendered document and the line of each entry (1-based). */
    record Rendered(byte[] bytes, Map<Entry, Integer> lines, int lastLine) {
    }

    private final List<Path> written = new ArrayList<>();

    @AfterProperty
    void removeFiles() throws IOException {
        for (Path file : written) {
            Files.deleteIfExists(file);
        }
        written.clear();
    }

    // ---- the properties -------------------------------------------------------------------------------------------

    @Property(tries = 300)
    void aValidDocumentLoadsToWhatWasGenerated(@ForAll("validDocuments") List<Entry> document) throws Exception {
        Path file = write(render(document, Optional.empty()).bytes());
        HerdConfig config;
        try {
            config = ConfigLoader.load(file);
        } catch (ConfigException e) {
            throw new AssertionError("a valid document was refused: " + e.getMessage() + "\n" + document, e);
        }
        for (Entry entry : document) {
            ConfigKey<?> key = ConfigKeys.named(entry.path()).orElseThrow();
            assertEquals(entry.expected(), config.get(key), entry.path());
        }
        assertEquals(Optional.of(file), config.source());
    }

    @Property(tries = 500)
    void anInvalidDocumentGetsAConfigExceptionNamingFileLineAndKey(
            @ForAll("validDocuments") List<Entry> document, @ForAll("faults") Fault fault) throws Exception {
        List<Entry> entries = new ArrayList<>(document);
        Entry faulty = fault.entry();
        switch (fault.kind()) {
            case DUPLICATE_KEY -> {
                // the key once, valid, then again later in the same object: the second one is the fault
                entries.removeIf(e -> e.path().equals(faulty.path()));
                entries.add(0, Entry.of(faulty.path(), JSON.readTree(faulty.json()), null));
                entries.add(faulty);
            }
            case TRAILING_CONTENT -> { }
            default -> {
                entries.removeIf(e -> e.path().equals(faulty.path()));
                entries.add(faulty.json().length % (entries.size() + 1), faulty);
            }
        }
        Optional<Entry> trailing = fault.kind() == FaultKind.TRAILING_CONTENT ? Optional.of(faulty) : Optional.empty();
        Rendered rendered = render(entries, trailing);
        Path file = write(rendered.bytes());
        int line = trailing.isPresent() ? rendered.lastLine() + 1 : rendered.lines().get(faulty);

        String message;
        try {
            HerdConfig config = ConfigLoader.load(file);
            throw new AssertionError(fault + " was accepted as " + config);
        } catch (ConfigException e) {
            message = e.getMessage();
        } catch (RuntimeException | Error e) {
            throw new AssertionError("not a ConfigException for " + fault + ": " + e, e);
        }
        assertFalse(message.contains("\n") || message.contains("\r"), "one line: " + message);
        assertTrue(message.length() <= 1000, "short: " + message.length() + " chars");
        assertTrue(message.startsWith(file + ":" + line + ": "), "file and line " + line + " of " + fault
                + " in: " + message);
        List<String> named = switch (fault.kind()) {
            case BAD_VALUE -> List.of("\"" + faulty.path()); // "worker.env", "worker.env.NAME", "worker.args[2]"
            case DUPLICATE_KEY -> List.of("duplicate key " + quoted(faulty.field()));
            case UNKNOWN_KEY -> List.of("unknown key " + quoted(faulty.field()));
            case DEEP_NESTING, BAD_UTF8 -> List.of("malformed JSON");
            case TRAILING_CONTENT -> List.of("malformed JSON", "unexpected content after the top-level object");
        };
        assertTrue(named.stream().anyMatch(message::contains), "names " + named + ": " + message);
    }

    // ---- valid documents ------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<List<Entry>> validDocuments() {
        List<Arbitrary<Entry>> keys = List.of(
                ints("workers", 1, 1024), ints("backlog", 1, 65535), ints("flappingCrashes", 1, 1000),
                Arbitraries.of("echo", "http").map(app -> Entry.of("app", app, app)),
                Arbitraries.of(true, false).map(b -> Entry.of("hangDiagnostics", b, b)),
                listenAddresses().map(a -> Entry.of("listen", a.toString(), a)),
                listenAddresses().map(a -> Entry.of("metricsListen", a.toString(), Optional.of(a))),
                durations("gracefulTimeout", 0, Duration.ofHours(24)),
                durations("readyTimeout", 1, Duration.ofHours(1)),
                durations("heartbeatTimeout", 0, Duration.ofHours(1)),
                durations("flappingWindow", 1, Duration.ofHours(24)),
                filePaths().map(p -> Entry.of("logFile", p, Optional.of(Path.of(p)))),
                filePaths().map(p -> Entry.of("pidFile", p, Optional.of(Path.of(p)))),
                Arbitraries.integers().between(16, 1 << 20).map(mb -> Entry.of("maxWorkerMemory", mb + "MB",
                        Optional.of((long) mb << 20))),
                environments().map(env -> Entry.of("worker.env", env, env)),
                envNames().list().ofMaxSize(5).map(names -> Entry.of("worker.passEnv", names, names)),
                texts(1, 200).list().ofMaxSize(5).map(options -> Entry.of("worker.jvmOptions", options, options)));
        Arbitrary<List<Entry>> requests = Arbitraries.integers().between(1, Integer.MAX_VALUE)
                .flatMap(max -> Arbitraries.integers().between(0, Integer.MAX_VALUE).injectNull(0.5).map(jitter ->
                        jitter == null ? List.of(Entry.of("maxRequests", max, max))
                                : List.of(Entry.of("maxRequests", max, max),
                                        Entry.of("maxRequestsJitter", jitter, jitter))));
        return Arbitraries.subsetOf(keys).flatMap(chosen -> {
            List<Arbitrary<Entry>> parts = new ArrayList<>(chosen);
            Arbitrary<List<Entry>> values = parts.isEmpty() ? Arbitraries.just(List.of())
                    : Combinators.combine(parts).as(list -> list);
            return Combinators.combine(values, requests.injectNull(0.6)).as((list, maxRequests) -> {
                List<Entry> entries = new ArrayList<>(list);
                if (maxRequests != null) {
                    entries.addAll(maxRequests);
                }
                return entries;
            }).flatMap(Arbitraries::shuffle);
        });
    }

    private static Arbitrary<Entry> ints(String key, int min, int max) {
        return Arbitraries.integers().between(min, max).map(n -> Entry.of(key, n, n));
    }

    /** A duration within [minMillis, max], as a whole number of one unit (or a bare 0 where 0 is allowed). */
    private static Arbitrary<Entry> durations(String key, long minMillis, Duration max) {
        Arbitrary<Entry> counted = Arbitraries.of(Map.entry("ms", 1L), Map.entry("s", 1_000L), Map.entry("m", 60_000L),
                Map.entry("h", 3_600_000L)).flatMap(unit -> Arbitraries.longs()
                .between((minMillis + unit.getValue() - 1) / unit.getValue(), max.toMillis() / unit.getValue())
                .map(count -> Entry.of(key, count + unit.getKey(), Duration.ofMillis(count * unit.getValue()))));
        return minMillis > 0 ? counted : Arbitraries.oneOf(counted, Arbitraries.just(Entry.of(key, "0", Duration.ZERO)));
    }

    static Arbitrary<ListenAddress> listenAddresses() {
        Arbitrary<String> ipv4 = Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(octets -> String.join(".", octets.stream().map(String::valueOf).toList()));
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withChars('-', '.').ofMinLength(1)
                .ofMaxLength(40).filter(n -> !n.startsWith(".") && !n.contains(":"));
        Arbitrary<String> ipv6 = Arbitraries.of("::1", "::", "fe80::1", "2001:db8::42", "::ffff:127.0.0.1");
        return Combinators.combine(Arbitraries.oneOf(ipv4, names, ipv6, Arbitraries.of("localhost", "0.0.0.0")),
                Arbitraries.integers().between(0, 65535)).as(ListenAddress::new);
    }

    /** Relative or absolute paths of a file (never a directory name: they end in a letter). */
    private static Arbitrary<String> filePaths() {
        return Combinators.combine(Arbitraries.of("", "/var/tmp/", "./"), Arbitraries.strings().withCharRange('a', 'z')
                .withChars('-', '_', '.', '/', 'é', 'ß', '語').ofMaxLength(60)).as((root, name) -> root + name + "x");
    }

    static Arbitrary<String> envNames() {
        return Combinators.combine(Arbitraries.strings().withCharRange('A', 'Z').withChars('_').ofLength(1),
                Arbitraries.strings().withCharRange('A', 'Z').withCharRange('a', 'z').withCharRange('0', '9')
                        .withChars('_').ofMaxLength(30)).as(String::concat);
    }

    private static Arbitrary<Map<String, String>> environments() {
        return Arbitraries.maps(envNames(), texts(0, 300)).ofMaxSize(6).map(LinkedHashMap::new);
    }

    /**
     * Text as an operator might write it, and worse: any BMP character but NUL and unpaired surrogates (control
     * characters, quotes, backslashes, line and paragraph separators), plus some beyond the BMP.
     */
    static Arbitrary<String> texts(int minLength, int maxLength) {
        Arbitrary<String> plain = Arbitraries.strings().withCharRange('\u0001', '\uD7FF')
                .withCharRange('\uE000', '\uFFFD').ofMinLength(minLength).ofMaxLength(maxLength);
        return Arbitraries.oneOf(plain, plain.map(s -> s + "😀𝄞"), Arbitraries.strings().ascii()
                .ofMinLength(Math.max(1, minLength)).ofMaxLength(maxLength).map(s -> s.replace('\0', 'x')));
    }

    // ---- faults ----------------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<Fault> faults() {
        return Arbitraries.oneOf(
                badValues().map(e -> new Fault(FaultKind.BAD_VALUE, e)),
                validDocuments().filter(d -> !d.isEmpty()).map(d -> new Fault(FaultKind.DUPLICATE_KEY, d.get(0))),
                Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(30)
                        .filter(name -> ConfigKeys.named(name).isEmpty() && !name.equals("worker"))
                        .map(name -> new Fault(FaultKind.UNKNOWN_KEY, Entry.raw(name, "1"))),
                Combinators.combine(keyPaths(), Arbitraries.integers().between(1_001, 100_000))
                        .as((key, depth) -> new Fault(FaultKind.DEEP_NESTING,
                                Entry.raw(key, "[".repeat(depth) + "]".repeat(depth)))),
                Combinators.combine(keyPaths(), texts(0, 20), badUtf8()).as((key, text, bad) -> {
                    ByteArrayOutputStream json = new ByteArrayOutputStream();
                    json.writeBytes(("\"" + text.replaceAll("[\\\\\"\\x00-\\x1f]", "")).getBytes(StandardCharsets.UTF_8));
                    json.writeBytes(bad);
                    json.writeBytes("x\"".getBytes(StandardCharsets.UTF_8));
                    return new Fault(FaultKind.BAD_UTF8, new Entry(key, json.toByteArray(), null));
                }),
                Arbitraries.of("{}", "x", "\"more\"", "[1]", "}", "{\"workers\": 2}", "// comment")
                        .map(tail -> new Fault(FaultKind.TRAILING_CONTENT, Entry.raw("(after the object)", tail))));
    }

    /** Byte sequences that are not UTF-8: a lone continuation byte, truncated sequences, overlong forms, 0xFF. */
    private static Arbitrary<byte[]> badUtf8() {
        return Arbitraries.of(new byte[] {(byte) 0xFF}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xC3, 0x28},
                new byte[] {(byte) 0xE2, (byte) 0x82, 0x28}, new byte[] {(byte) 0xF0, (byte) 0x9F, 0x28},
                new byte[] {(byte) 0xC0, (byte) 0xAF}, new byte[] {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80});
    }

    private static Arbitrary<String> keyPaths() {
        return Arbitraries.of(ConfigKeys.ALL.stream().map(ConfigKey::name).toList());
    }

    /** A value its key must refuse: wrong types, out-of-range and huge numbers, bad durations and addresses... */
    private static Arbitrary<Entry> badValues() {
        Arbitrary<String> wrongTypeForText = Arbitraries.of("1", "-1", "true", "null", "[]", "{}", "[\"a\"]", "1.5");
        Arbitrary<String> wrongTypeForNumber = Arbitraries.of("\"4\"", "true", "null", "[]", "{}", "[1]", "\"\"");
        Arbitrary<String> badNumbers = Arbitraries.of("-1", "0", "1025", "65536", "2147483648", "-2147483649",
                "9223372036854775808", "99999999999999999999999999999", "1e400", "-1e400", "1.5", "1e3", "-0.0",
                "4.0", "1E2");
        Arbitrary<String> badDurations = Arbitraries.of("10", "-5s", "1.5s", "10 s", " 10s", "10S", "1d", "",
                "2562048h", "25h", "1441m", "86400001ms", "99999999999999999999h", "9223372036854775807ms",
                "PT10S", "10sec", "0x10s", "٣s", "1h1m", "ms");
        Arbitrary<String> badAddresses = Arbitraries.of("host", ":80", "[::1]", "1.2.3.4:65536", "::1:80", "h:-1",
                "[::1:80", "a b:80", "[]:80", "h:", "h:80x", "h:0080080", "[[::1]]:80", "h:١٢", "");
        List<Arbitrary<Entry>> cases = new ArrayList<>();
        for (String key : List.of("workers", "backlog", "flappingCrashes", "maxRequests", "maxRequestsJitter")) {
            ConfigKey<?> row = ConfigKeys.named(key).orElseThrow();
            cases.add(Arbitraries.oneOf(wrongTypeForNumber, badNumbers).filter(n -> !accepts(row, n))
                    .map(n -> Entry.raw(key, n)));
        }
        for (String key : List.of("gracefulTimeout", "readyTimeout", "heartbeatTimeout", "flappingWindow")) {
            cases.add(Arbitraries.oneOf(wrongTypeForText, badDurations.map(ConfigFileProperties::string))
                    .map(v -> Entry.raw(key, v)));
        }
        cases.add(Arbitraries.oneOf(wrongTypeForText, badAddresses.map(ConfigFileProperties::string))
                .map(v -> Entry.raw("listen", v)));
        cases.add(Arbitraries.oneOf(wrongTypeForText, badAddresses.map(ConfigFileProperties::string))
                .map(v -> Entry.raw("metricsListen", v)));
        cases.add(Arbitraries.oneOf(wrongTypeForText, Arbitraries.of("", "Echo", "http ", "nginx")
                        .map(ConfigFileProperties::string),
                Arbitraries.strings().alpha().ofMinLength(100_000).ofMaxLength(1_000_000).map(ConfigFileProperties::string))
                .map(v -> Entry.raw("app", v)));
        cases.add(Arbitraries.of("1", "\"true\"", "null", "[]", "\"yes\"", "0")
                .map(v -> Entry.raw("hangDiagnostics", v)));
        for (String key : List.of("logFile", "pidFile")) {
            cases.add(Arbitraries.oneOf(wrongTypeForText, Arbitraries.of("", "/", "/var/log/", "a/..", ".", "x\u0000y",
                    "").map(ConfigFileProperties::string), Arbitraries.of("\"/tmp/\\uD800x\"", "\"/tmp/\\uDC00\""))
                    .map(v -> Entry.raw(key, v)));
        }
        cases.add(Arbitraries.oneOf(wrongTypeForText, Arbitraries.of("", "x\u0000", "/" + "s".repeat(200))
                        .map(ConfigFileProperties::string), Arbitraries.just("\"/tmp/\\uD800.sock\""))
                .map(v -> Entry.raw("adminSocket", v)));
        cases.add(Arbitraries.of("{\"1A\": \"x\"}", "{\"A\": 1}", "{\"A\": null}", "{\"A-B\": \"x\"}", "[]", "\"A=1\"",
                        "{\"A\": \"x\u0000\"}", "{\"\": \"x\"}", "{\"A\": \"x\", \"A\": \"y\"}",
                        "{\"A\": {\"B\": \"c\"}}")
                .map(v -> Entry.raw("worker.env", v.replace("\u0000", "\\u0000"))));
        cases.add(Arbitraries.integers().between(64 * 1024 + 1, 10 * 1024 * 1024)
                .map(length -> Entry.raw("worker.env", "{\"BIG\": \"" + "v".repeat(length) + "\"}")));
        cases.add(Arbitraries.of("\"-Xmx1g\"", "[\"\"]", "[1]", "[null]", "[[\"a\"]]", "{}", "[\"a\\u0000\"]")
                .map(v -> Entry.raw("worker.jvmOptions", v)));
        cases.add(Arbitraries.of("[\"1A\"]", "[\"A B\"]", "[\"\"]", "\"PATH\"", "[1]")
                .map(v -> Entry.raw("worker.passEnv", v)));
        cases.add(Arbitraries.of("[]", "[\"server\"]", "\"/bin/x\"", "[1]", "[\"/bin/x\", 2]")
                .map(v -> Entry.raw("worker.command", v)));
        cases.add(Arbitraries.of("\"com.example.Main.class\"", "\"1Main\"", "\"a..b\"", "\"\"", "\"class\"", "7")
                .map(v -> Entry.raw("worker.mainClass", v)));
        cases.add(Arbitraries.of("\"0\"", "\"1TB1\"", "\"15MB\"", "\"2TB\"", "\"512 MB\"", "\"-1MB\"", "512",
                        "\"99999999999999GB\"")
                .map(v -> Entry.raw("maxWorkerMemory", v)));
        cases.add(Arbitraries.of("\"root user\"", "\"\"", "\"9\"", "1", "\"a:b\"").map(v -> Entry.raw("worker.user", v)));
        return Arbitraries.oneOf(cases);
    }

    /** Whether a whole-number key takes this JSON number (the same text is in range for some keys). */
    private static boolean accepts(ConfigKey<?> key, String json) {
        try {
            key.type().fromJson(key.name(), JSON.readTree(json));
            return true;
        } catch (ValueType.Problem | IOException e) {
            return false;
        }
    }

    private static String string(String text) {
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- rendering -------------------------------------------------------------------------------------------------

    /** One key per line: the top level, then the worker object, then (maybe) content after the closing brace. */
    static Rendered render(List<Entry> entries, Optional<Entry> trailing) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<Entry, Integer> lines = new java.util.IdentityHashMap<>();
        List<Entry> top = entries.stream().filter(e -> e.object().isEmpty()).toList();
        List<Entry> worker = entries.stream().filter(e -> e.object().equals("worker")).toList();
        int line = 1;
        out.writeBytes("{\n".getBytes(StandardCharsets.UTF_8));
        for (int i = 0; i < top.size(); i++) {
            line++;
            lines.put(top.get(i), line);
            writeEntry(out, "  ", top.get(i), i < top.size() - 1 || !worker.isEmpty());
        }
        if (!worker.isEmpty()) {
            line++;
            out.writeBytes("  \"worker\": {\n".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < worker.size(); i++) {
                line++;
                lines.put(worker.get(i), line);
                writeEntry(out, "    ", worker.get(i), i < worker.size() - 1);
            }
            line++;
            out.writeBytes("  }\n".getBytes(StandardCharsets.UTF_8));
        }
        line++;
        out.writeBytes("}\n".getBytes(StandardCharsets.UTF_8));
        trailing.ifPresent(tail -> out.writeBytes((new String(tail.json(), StandardCharsets.UTF_8) + "\n")
                .getBytes(StandardCharsets.UTF_8)));
        return new Rendered(out.toByteArray(), lines, line);
    }

    private static void writeEntry(ByteArrayOutputStream out, String indent, Entry entry, boolean comma) {
        out.writeBytes((indent + string(entry.field()) + ": ").getBytes(StandardCharsets.UTF_8));
        out.writeBytes(entry.json());
        out.writeBytes(((comma ? "," : "") + "\n").getBytes(StandardCharsets.UTF_8));
    }

    private Path write(byte[] bytes) throws IOException {
        Path file = Files.createTempFile("herd-property", ".json");
        written.add(file);
        Files.write(file, bytes);
        return file;
    }

    private static String quoted(String text) {
        return "\"" + text + "\"";
    }
}
