package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminPathsTest {

    private static final int STRANGER = 54321;

    @TempDir
    Path parent;

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

    @Test
    void onlyTheXdgAndTmpPlacesMustBeTheCallersOwn() {
        assertTrue(AdminPaths.locate(Optional.empty(), Map.of("XDG_RUNTIME_DIR", "/run/user/0")).callersOwn());
        assertTrue(AdminPaths.locate(Optional.empty(), Map.of()).callersOwn());
        assertTrue(!AdminPaths.locate(Optional.empty(), ALL).callersOwn());
        assertTrue(!AdminPaths.locate(Optional.of(Path.of("/flag.sock")), Map.of()).callersOwn());
    }

    // ---- the client's check before it connects ------------------------------------------------------------------

    @Test
    void aPlaceDerivedFromTheCallerMustBelongToTheCaller() throws IOException {
        Path directory = ownedBy(STRANGER);

        IOException refused = assertThrows(IOException.class, () -> AdminPaths.checkBeforeConnecting(
                new AdminPaths.Location(directory.resolve("herd.sock"), true)));

        assertTrue(refused.getMessage().contains("belongs to uid " + STRANGER), refused.getMessage());
    }

    @Test
    void anExplicitPlaceMayBelongToTheMastersUserWhoIsThenExpectedAtTheOtherEnd() throws IOException {
        Path directory = ownedBy(STRANGER);

        long owner = AdminPaths.checkBeforeConnecting(new AdminPaths.Location(directory.resolve("herd.sock"), false));

        assertEquals(STRANGER, owner);
    }

    @Test
    void aSymlinkedDirectoryIsRefusedBeforeConnecting() throws IOException {
        Path real = ownedBy(0);
        Path link = Files.createSymbolicLink(parent.resolve("link"), real);

        IOException refused = assertThrows(IOException.class, () -> AdminPaths.checkBeforeConnecting(
                new AdminPaths.Location(link.resolve("herd.sock"), false)));

        assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
    }

    @Test
    void aSymlinkedSocketIsRefusedBeforeConnecting() throws IOException {
        Path directory = ownedBy(0);
        Path socket = Files.createSymbolicLink(directory.resolve("herd.sock"), Path.of("/tmp/elsewhere.sock"));

        IOException refused = assertThrows(IOException.class, () -> AdminPaths.checkBeforeConnecting(
                new AdminPaths.Location(socket, true)));

        assertEquals("refusing admin socket " + socket + ": it is a symbolic link", refused.getMessage());
    }

    @Test
    void anOthersWritableDirectoryIsRefusedBeforeConnecting() throws IOException {
        Path directory = ownedBy(0);
        AdminDirectoryTest.mode(directory, 0777);

        IOException refused = assertThrows(IOException.class, () -> AdminPaths.checkBeforeConnecting(
                new AdminPaths.Location(directory.resolve("herd.sock"), false)));

        assertTrue(refused.getMessage().contains("others may write to it"), refused.getMessage());
    }

    /** A 0700 directory owned by {@code uid} (the tests run as root, so they can chown). */
    private Path ownedBy(int uid) throws IOException {
        Path directory = Files.createDirectory(parent.resolve("herd-" + uid));
        AdminDirectoryTest.mode(directory, 0700);
        Files.setAttribute(directory, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
        return directory;
    }
}
