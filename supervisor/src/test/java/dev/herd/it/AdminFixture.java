package dev.herd.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** A master on an admin socket of its own under a test's temporary directory, and the CLI pointed at it. */
record AdminFixture(Path dir) {

    Path socket() {
        return dir.resolve("run/herd.sock");
    }

    /** {@code bin/herd run --listen 127.0.0.1:0 --admin-socket SOCKET EXTRA...}. */
    HerdProcess startHerd(String... extra) {
        List<String> args = new ArrayList<>(List.of("--admin-socket", socket().toString()));
        args.addAll(List.of(extra));
        return HerdProcess.run(args.toArray(String[]::new));
    }

    /** {@code bin/herd ARGS... --admin-socket SOCKET}. */
    Cli.Result cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--admin-socket");
        all.add(socket().toString());
        return Cli.herd(all.toArray(String[]::new));
    }

    /** {@code bin/herd reload}, which answers once every replacement is ready; anything but exit 0 fails the test. */
    void reload(HerdProcess herd, Duration timeout) {
        Cli.Result result = Cli.run(timeout, HerdProcess.LAUNCHER.toString(), "reload", "--admin-socket",
                socket().toString());
        if (result.exitCode() != 0) {
            throw new AssertionError("herd reload exited " + result.exitCode() + ": " + result.stderr() + "\n"
                    + herd.output());
        }
    }

    /** The status reply, straight from the admin socket (no CLI JVM to start). */
    JsonNode status() {
        try {
            return request();
        } catch (IOException e) {
            throw new AssertionError("status: " + e, e);
        }
    }

    /** The status reply, or empty while no master listens on the socket yet. */
    Optional<JsonNode> tryStatus() {
        try {
            return Optional.of(request());
        } catch (IOException notListeningYet) {
            return Optional.empty();
        }
    }

    private JsonNode request() throws IOException {
        try (AdminSocketClient client = new AdminSocketClient(socket())) {
            return client.request("{\"command\":\"status\"}");
        }
    }

    /** Polls until exactly {@code count} workers are listed, all of them ready (a replacement done); their pids. */
    Set<Long> awaitReady(int count, Duration timeout) {
        return Poll.until(timeout, count + " ready workers", () -> tryStatus().flatMap(status -> {
            Set<Long> ready = readyPids(status);
            return ready.size() == count && status.path("workers").size() == count ? Optional.of(ready)
                    : Optional.empty();
        }));
    }

    /** The pids of the workers in state ready (fewer than all while a worker is being replaced). */
    static Set<Long> readyPids(JsonNode status) {
        Set<Long> ready = new TreeSet<>();
        status.path("workers").forEach(w -> {
            if (w.path("state").asText().equals("ready")) {
                ready.add(w.path("pid").asLong());
            }
        });
        return ready;
    }
}
