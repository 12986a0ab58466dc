package dev.herd.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a short command to completion (bin/herd client, kill, ...) and captures its output. */
final class Cli {

    record Result(int exitCode, String stdout, String stderr) {
    }

    private Cli() {
    }

    static Result herd(String... args) {
        String[] command = new String[args.length + 1];
        command[0] = HerdProcess.LAUNCHER.toString();
        System.arraycopy(args, 0, command, 1, args.length);
        return run(Duration.ofSeconds(60), command);
    }

    static Result run(Duration timeout, String... command) {
        return runIn(null, Map.of(), timeout, command);
    }

    /** In {@code directory} (null: this one), with {@code environment} added to this process's. */
    static Result runIn(java.nio.file.Path directory, Map<String, String> environment, Duration timeout,
                        String... command) {
        try {
            java.nio.file.Path out = java.nio.file.Files.createTempFile("herd-cli", ".out");
            java.nio.file.Path err = java.nio.file.Files.createTempFile("herd-cli", ".err");
            ProcessBuilder builder = new ProcessBuilder(List.of(command))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            if (directory != null) {
                builder.directory(directory.toFile());
            }
            builder.environment().putAll(environment);
            Process process = builder.start();
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError(String.join(" ", command) + " still running after " + timeout);
                }
                return new Result(process.exitValue(),
                        java.nio.file.Files.readString(out, StandardCharsets.UTF_8),
                        java.nio.file.Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                process.destroyForcibly();
                java.nio.file.Files.deleteIfExists(out);
                java.nio.file.Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
