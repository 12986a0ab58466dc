package dev.herd.supervisor.spawn;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Extracts a Spring Boot fat jar for class data, the way Spring Boot documents it for CDS and the AOT cache:
 * {@code java -Djarmode=tools -jar app.jar extract --destination DIR --application-filename app.jar}, which writes
 * {@code DIR/app.jar} (the app's own classes, a manifest whose Class-Path names {@code lib/*.jar}) and the
 * dependencies as plain jars in {@code DIR/lib}. A fat jar's nested jars are read by Spring Boot's own class loader,
 * which no archive can hold; the extracted jars are read by the JDK's. The extractor runs on the worker's java
 * (ProcessBuilder: the JDK reaps it) on the key's thread, beside the loop, into a directory of the store that it
 * makes 0700; the loop renames the result into place ({@link ClassDataStore#commitExtraction}). Spring Boot 3.3
 * and later have the tools jar mode; an older jar fails here, with its own words, and is trained as it is.
 */
final class ClassDataExtractor {

    /** Extraction copies the jar's content once: seconds for the largest apps; past this it is killed. */
    static final Duration TIMEOUT = Duration.ofSeconds(120);

    /** How many of the extractor's last output lines a failure quotes. */
    private static final int QUOTED_LINES = 3;

    /** The extraction's directory (not yet in place), or why there is none. */
    record Result(Optional<Path> extracted, String problem) {
    }

    private ClassDataExtractor() {
    }

    /**
     * Extracts {@code fatJar} with {@code java} into a new directory {@code destination}; empty with the reason if
     * the extractor failed (what was written is removed by the caller's {@link ClassDataStore#deleteTree}).
     */
    static Result extract(Path java, Path fatJar, Path destination) throws InterruptedException {
        Process process;
        try {
            // Made here, herd's alone, before the extractor writes into it (it accepts an empty directory).
            Files.createDirectory(destination, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
            process = new ProcessBuilder(commandLine(java, fatJar, destination)).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return new Result(Optional.empty(), "cannot run the extraction: " + e.getMessage());
        }
        try {
            Deque<String> lastLines = lastLines(process.getInputStream());
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                return new Result(Optional.empty(), "the extraction took longer than " + TIMEOUT.toSeconds() + " s");
            }
            if (process.exitValue() != 0) {
                return new Result(Optional.empty(), "the extraction (java -Djarmode=tools -jar " + fatJar
                        + " extract) exited " + process.exitValue() + ": " + String.join(" / ", lastLines));
            }
            return new Result(Optional.of(destination), "");
        } catch (IOException e) {
            return new Result(Optional.empty(), "reading the extraction's output: " + e.getMessage());
        } finally {
            process.destroyForcibly(); // no-op once it has exited; kills it on a timeout or an interrupt
            awaitExit(process);
        }
    }

    /**
     * Waits (2 s at most) until the extractor has exited, also when this thread was interrupted: the caller removes
     * its directory next, and a JVM still writing into it would make that fail.
     */
    private static void awaitExit(Process process) {
        boolean interrupted = Thread.interrupted(); // cleared for the wait, set again after it
        try {
            process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Reads the extractor's output to its end (it says little: nothing when it succeeds), keeping its last lines for
     * a failure's message; bounded by the extractor's timeout only in that it ends when the extractor does.
     */
    private static Deque<String> lastLines(InputStream output) throws IOException {
        Deque<String> last = new ArrayDeque<>();
        try (var reader = new BufferedReader(new InputStreamReader(output, StandardCharsets.UTF_8))) {
            for (String line = readBounded(reader); line != null; line = readBounded(reader)) {
                if (!line.isBlank()) {
                    last.addLast(line.strip());
                    if (last.size() > QUOTED_LINES) {
                        last.removeFirst();
                    }
                }
            }
        }
        return last;
    }

    /** One line of at most 500 characters (the rest of a longer one is skipped), or null at the end. */
    private static String readBounded(BufferedReader reader) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = reader.read(); c >= 0; c = reader.read()) {
            if (c == '\n') {
                return line.toString();
            }
            if (line.length() < 500) {
                line.append((char) c);
            }
        }
        return line.length() == 0 ? null : line.toString();
    }

    private static List<String> commandLine(Path java, Path fatJar, Path destination) {
        return List.of(java.toString(), "-Djarmode=tools", "-jar", fatJar.toString(), "extract", "--destination",
                destination.toString(), "--application-filename", ClassDataStore.EXTRACTED_JAR);
    }
}
