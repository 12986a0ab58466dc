package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The recipes of docs/your-app.md, built by the reactor before this module and run as users run them
 * ({@code worker.mainClass} with the app's jar and its lib/ folder): a plain Netty 4 server (docs/netty-app) and an
 * embedded Tomcat 11 (docs/tomcat-app), two workers each, keep-alive load through three rolling reloads without a
 * failed request, then a clean stop. The Jetty recipe (docs/example-app) runs in {@link YourAppIT}.
 */
class RecipesIT {

    private static final Duration START = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"netty-app, dev.herd.example.netty.HelloNetty, hello from netty worker-",
            "tomcat-app, dev.herd.example.tomcat.HelloTomcat, hello from tomcat worker-"})
    void theRecipeServesOnHerdsSocketThroughAReloadAndStopsCleanly(String app, String mainClass, String greeting)
            throws Exception {
        Path target = HerdProcess.HOME.resolve("docs/" + app + "/target");
        Path jar = target.resolve("herd-" + app + "-0.1.0.jar");
        assertTrue(Files.exists(jar), jar + " is built by the reactor before this module");
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 2, \"worker\": {\"mainClass\": \"" + mainClass + "\","
                + " \"classpath\": [\"" + jar + "\", \"" + target.resolve("lib") + "/*\"]}}");
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            Set<Long> first = admin.awaitReady(2, START);
            KeepAliveLoad load = KeepAliveLoad.throughReloads(herd.port(), "/", 3, () -> admin.reload(herd, START),
                    START, warm -> { });
            System.out.println("[" + app + "] keep-alive load through three reloads: " + load.summary());
            assertEquals(0, load.errors(), load.summary());
            assertEquals(0, load.non2xx(), load.summary());
            for (String body : load.bodies()) {
                assertTrue(body.matches(greeting + "[12]\n"), body);
            }
            Set<Long> second = admin.awaitReady(2, START);
            assertTrue(second.stream().noneMatch(first::contains), "replaced: " + first + " -> " + second);

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
            for (long pid : second) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited: exit 0"), herd.output());
            }
            assertFalse(herd.hasLine("SEVERE|Exception|WARNING"), herd.output());
        }
    }
}
