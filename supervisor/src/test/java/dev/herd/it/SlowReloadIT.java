package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload's slow calls leave the master's loop (issue 19, item 3). The config file is replaced by a FIFO, so that
 * the reload's read of it waits until the test writes it (as a config on a hung network file system, or a name
 * service that does not answer, would): meanwhile the admin socket answers and the workers' heartbeats are taken (none
 * is killed as hung); once written, the reload applies it. A FIFO that no one writes gets the reload refused after
 * its time limit, with the reason, and later reloads are refused at once until the read returns.
 */
class SlowReloadIT {

    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration HEARTBEAT_TIMEOUT = Duration.ofSeconds(2);
    /** Replies the test waits for on a thread of its own, so that a master that does not answer fails the test. */
    private final ExecutorService requests = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "slow-reload-it");
        thread.setDaemon(true);
        return thread;
    });

    @TempDir
    Path dir;

    @AfterEach
    void stopRequests() {
        requests.shutdownNow();
    }

    @Test
    void whileTheConfigFileIsSlowToComeTheMasterAnswersAndKeepsItsWorkers() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), config(2));
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> ready = admin.awaitReady(2, START);
            makeFifo(config);

            CompletableFuture<JsonNode> reload = request(admin, "{\"command\":\"reload\",\"wait\":false}");
            // Two heartbeat timeouts while the reload waits on its file: before, the loop itself waited in open(2).
            long end = System.nanoTime() + HEARTBEAT_TIMEOUT.multipliedBy(2).toNanos();
            while (System.nanoTime() - end < 0) {
                JsonNode status = request(admin, "{\"command\":\"status\"}").get(5, TimeUnit.SECONDS);
                assertEquals(ready, AdminFixture.readyPids(status), "a worker was replaced: " + status);
                assertFalse(reload.isDone(), "the reload cannot have read a FIFO no one has written");
                Poll.pause();
            }

            write(config, config(3));

            JsonNode reloaded = reload.get(30, TimeUnit.SECONDS);
            assertTrue(reloaded.path("ok").asBoolean(), reloaded.toString());
            assertEquals(3, reloaded.path("workers").asInt(), reloaded.toString());
            admin.awaitReady(3, START);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), String.join("\n", herd.lines()));
        }
    }

    @Test
    void aConfigFileThatNeverComesIsRefusedAfterItsTimeLimit() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), config(1));
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            admin.awaitReady(1, START);
            makeFifo(config);

            Cli.Result refused = admin.cli("reload");

            assertEquals(1, refused.exitCode(), refused.toString());
            assertTrue(refused.stderr().contains("reading " + config + " and looking up its names took longer than "
                    + "8s (a FIFO that no one writes? a name service that does not answer?)"), refused.toString());
            Cli.Result again = admin.cli("reload");
            assertEquals(1, again.exitCode(), again.toString());
            assertTrue(again.stderr().contains("the reload given up on is still reading " + config),
                    again.toString());

            write(config, config(1)); // the stuck read returns; what it read is dropped
            herd.awaitLine("reload: the read given up on has ended; what it found is dropped", START);
            Files.delete(config);
            Files.writeString(config, config(2));
            admin.reload(herd, START);
            admin.awaitReady(2, START);
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), String.join("\n", herd.lines()));
        }
    }

    private static String config(int workers) {
        return "{\"workers\": " + workers + ", \"heartbeatTimeout\": \"" + HEARTBEAT_TIMEOUT.toSeconds() + "s\"}";
    }

    /** The config file becomes a FIFO: a reader's open(2) waits until someone opens it to write. */
    private static void makeFifo(Path config) throws IOException {
        Files.delete(config);
        Cli.Result made = Cli.run(Duration.ofSeconds(10), "mkfifo", config.toString());
        assertEquals(0, made.exitCode(), made.toString());
    }

    /** Opens the FIFO to write (which lets the reader's open return) and writes the whole config. */
    private static void write(Path fifo, String text) throws IOException {
        try (OutputStream out = Files.newOutputStream(fifo)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    private CompletableFuture<JsonNode> request(AdminFixture admin, String json) {
        return CompletableFuture.supplyAsync(() -> {
            try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
                return client.request(json);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, requests);
    }
}
