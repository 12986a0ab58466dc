package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigBuilderTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        HerdConfig config = ConfigLoader.defaults();

        assertEquals(new ListenAddress("127.0.0.1", 9876), config.listen());
        assertEquals(Math.min(Runtime.getRuntime().availableProcessors(), 1024), config.workers());
        assertEquals("echo", config.app());
        assertEquals(Optional.empty(), config.adminSocket());
        assertEquals(Duration.ofSeconds(30), config.gracefulTimeout());
        assertEquals(511, config.backlog());
        assertEquals(WorkerSpec.DEFAULT, config.worker());
        assertEquals(Optional.empty(), config.source());
    }

    @Test
    void settersOverlayTheFileValues(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("herd.json"), "{\"workers\": 2, \"backlog\": 64}");

        HerdConfig config = ConfigBuilder.fromFile(file)
                .workers(5)
                .listen(new ListenAddress("0.0.0.0", 80))
                .adminSocket(Path.of("/tmp/a.sock"))
                .gracefulTimeout(Duration.ofSeconds(2))
                .app("echo")
                .worker(new WorkerSpec(List.of("-Xmx8m"), Map.of()))
                .build();

        assertEquals(5, config.workers());
        assertEquals(64, config.backlog());
        assertEquals(new ListenAddress("0.0.0.0", 80), config.listen());
        assertEquals(Optional.of(Path.of("/tmp/a.sock")), config.adminSocket());
        assertEquals(Duration.ofSeconds(2), config.gracefulTimeout());
        assertEquals(List.of("-Xmx8m"), config.worker().jvmOptions());
        assertEquals(Optional.of(file), config.source());
    }

    @Test
    void settersRejectBadValuesAtOnce() {
        ConfigBuilder builder = ConfigBuilder.defaults();

        assertEquals("'0' is not a whole number from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> builder.workers(0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.backlog(70000));
        assertThrows(IllegalArgumentException.class, () -> builder.app("ftp"));
        assertThrows(IllegalArgumentException.class, () -> builder.gracefulTimeout(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> builder.adminSocket(Path.of("")));
        assertEquals(ConfigLoader.defaults(), builder.build());
    }

    @Test
    void herdConfigItselfRejectsInvalidValues() {
        HerdConfig valid = ConfigLoader.defaults();

        assertThrows(IllegalArgumentException.class, () -> new HerdConfig(valid.listen(), 0, valid.app(),
                valid.adminSocket(), valid.adminGroup(), valid.gracefulTimeout(), valid.backlog(), valid.worker(), valid.source()));
        assertThrows(IllegalArgumentException.class, () -> new HerdConfig(valid.listen(), valid.workers(), "x",
                valid.adminSocket(), valid.adminGroup(), valid.gracefulTimeout(), valid.backlog(), valid.worker(), valid.source()));
        assertThrows(NullPointerException.class, () -> new HerdConfig(null, valid.workers(), valid.app(),
                valid.adminSocket(), valid.adminGroup(), valid.gracefulTimeout(), valid.backlog(), valid.worker(), valid.source()));
    }

    @Test
    void workerSpecRejectsBadEnvironmentNamesAndEmptyOptions() {
        assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(List.of(), Map.of("1A", "x")));
        assertThrows(IllegalArgumentException.class, () -> new WorkerSpec(List.of(""), Map.of()));
        assertEquals(Map.of("A", "x"), new WorkerSpec(List.of(), Map.of("A", "x")).env());
    }
}
