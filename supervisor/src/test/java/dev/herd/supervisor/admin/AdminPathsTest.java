package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AdminPathsTest {

    private static final Map<String, String> ALL = Map.of(
            "HERD_ADMIN_SOCKET", "/env/herd.sock",
            "RUNTIME_DIRECTORY", "/run/herd:/run/other",
            "XDG_RUNTIME_DIR", "/run/user/1000");

    @Test
    void anExplicitPathWins() {
        assertEquals(Path.of("/flag.sock"), AdminPaths.resolve(Optional.of(Path.of("/flag.sock")), ALL));
    }

    @Test
    void thenTheEnvironmentInItsOrder() {
        assertEquals(Path.of("/env/herd.sock"), AdminPaths.resolve(Optional.empty(), ALL));
        Map<String, String> systemd = Map.of("RUNTIME_DIRECTORY", "/run/herd:/run/other", "XDG_RUNTIME_DIR", "/x");
        assertEquals(Path.of("/run/herd/herd.sock"), AdminPaths.resolve(Optional.empty(), systemd));
        assertEquals(Path.of("/run/user/1000/herd/herd.sock"),
                AdminPaths.resolve(Optional.empty(), Map.of("XDG_RUNTIME_DIR", "/run/user/1000")));
    }

    @Test
    void lastlyAPerUserDirectoryInTmp() {
        assertEquals(Path.of("/tmp/herd-" + AdminPaths.currentUid() + "/herd.sock"),
                AdminPaths.resolve(Optional.empty(), Map.of("HERD_ADMIN_SOCKET", "")));
    }
}
