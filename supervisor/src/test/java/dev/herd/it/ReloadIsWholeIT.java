package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload is validated whole, then applied whole, or nothing changes (issue 19, items 7 and 8): a refused reload
 * leaves the pid file, the log and the socket where they were, and a key a running master cannot change is
 * refused by name instead of being shown by {@code herd config} while the old value runs.
 */
class ReloadIsWholeIT {

    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aReloadRefusedForItsListenAddressMovesNeitherThePidFileNorTheLog() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path one = dir.resolve("one.pid");
        Path two = dir.resolve("two.pid");
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 1, \"listen\": \"127.0.0.1:0\", \"pidFile\": \"" + one
                + "\", \"logFile\": \"" + dir.resolve("one.log") + "\"}");
        // No --listen flag: a flag would override the file's listen on every reload too.
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--admin-socket", admin.socket().toString(), "-c",
                config.toString()), Map.of());
             ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            admin.awaitReady(1, START);
            Files.writeString(config, "{\"workers\": 1, \"listen\": \"127.0.0.1:" + taken.getLocalPort()
                    + "\", \"pidFile\": \"" + two + "\", \"logFile\": \"" + dir.resolve("two.log") + "\"}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(1, reload.exitCode(), reload.toString());
            assertTrue(reload.stderr().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), reload.toString());
            assertEquals(herd.pid() + "\n", Files.readString(one), "the pid file stays");
            assertFalse(Files.exists(two), "no new pid file");
            assertFalse(Files.exists(dir.resolve("two.log")), "the log was not moved");
            assertTrue(Files.readString(dir.resolve("one.log")).contains("reload: cannot listen on"),
                    "the refusal is in the log that is in use");
            String shown = admin.cli("config", "--json").stdout();
            assertTrue(shown.contains(one.toString()) && !shown.contains(two.toString()), shown);
        }
    }

    @Test
    void aReloadThatChangesMetricsListenIsRefusedByNameAndTheOldAddressServes() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 1, \"metricsListen\": \"127.0.0.1:0\"}");
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            String url = "http://127.0.0.1:" + herd.awaitLine("metrics on http://127.0.0.1:(\\d+)/metrics", START)
                    .group(1) + "/metrics";
            admin.awaitReady(1, START);
            Files.writeString(config, "{\"workers\": 1, \"metricsListen\": \"127.0.0.1:1\"}");

            Cli.Result reload = admin.cli("reload");

            assertEquals(1, reload.exitCode(), reload.toString());
            assertTrue(reload.stderr().contains("changing metricsListen needs a restart of herd itself"),
                    reload.toString());
            assertFalse(admin.cli("config", "--json").stdout().contains("127.0.0.1:1\""), "herd config shows what runs");
            assertTrue(scrape(url).contains("herd_up 1"), "the old address still serves");
        }
    }

    private static String scrape(String url) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
