package dev.herd.supervisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.supervisor.admin.AdminPaths;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** herd --instance NAME finds herd@NAME.service's admin socket where the template unit puts it, or says why not. */
class InstancesTest {

    @TempDir
    Path run;

    @Test
    void anInstanceIsItsRuntimeDirectorysSocket() throws Exception {
        Files.createDirectories(run.resolve("herd-shop"));

        AdminPaths.Location location = Instances.locate("shop", run);

        assertEquals(run.resolve("herd-shop/herd.sock"), location.path());
        assertFalse(location.callersOwn(), "the directory belongs to the instance's user, as with --admin-socket");
    }

    @Test
    void aMissingInstanceIsNotRunningAndTheMessageNamesThoseThatAre() throws Exception {
        Files.createDirectories(run.resolve("herd-b"));
        Files.createFile(run.resolve("herd-b/herd.sock"));
        Files.createDirectories(run.resolve("herd-a"));
        Files.createFile(run.resolve("herd-a/herd.sock"));
        Files.createDirectories(run.resolve("herd-starting")); // no socket yet: not listed
        Files.createDirectories(run.resolve("other"));

        AdminClient.NotRunningException e = assertThrows(AdminClient.NotRunningException.class,
                () -> Instances.locate("c", run));

        assertEquals("no herd instance 'c' is running (no " + run.resolve("herd-c") + "; see systemctl status "
                + "herd@c); running: a, b", e.getMessage());
        assertEquals(List.of("a", "b"), Instances.running(run));
    }

    @Test
    void withNoInstanceAtAllTheMessageSaysSo() {
        AdminClient.NotRunningException e = assertThrows(AdminClient.NotRunningException.class,
                () -> Instances.locate("c", run));
        assertTrue(e.getMessage().endsWith("; no instance is running"), e.getMessage());
    }

    @Test
    void aNameThatCouldLeaveTheRuntimeDirectoryIsRefused() {
        for (String name : List.of("", "..", ".hidden", "a/b", "../etc", "a b", "a\\x2fb", "x".repeat(201))) {
            assertFalse(Instances.validName(name), name);
            assertThrows(IllegalArgumentException.class, () -> Instances.locate(name, run), name);
        }
        for (String name : List.of("shop", "my-shop", "api_v2", "a.b", "eu:1", "8080")) {
            assertTrue(Instances.validName(name), name);
        }
    }
}
