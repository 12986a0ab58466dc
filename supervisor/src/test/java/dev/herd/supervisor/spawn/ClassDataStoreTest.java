package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Where app class data may live, how it is named, committed and removed, and how its key follows the build. */
class ClassDataStoreTest {

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @TempDir
    Path dir;

    @Test
    void aMissingDirectoryIsMadeForHerdAlone() throws IOException {
        Path made = dir.resolve("cache/apps");
        assertTrue(ClassDataStore.open(made, uid()).isPresent());
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(made)));
    }

    @Test
    void aDirectoryOthersCanWriteAnotherUsersOrASymlinkIsRefused() throws IOException {
        Path shared = Files.createDirectory(dir.resolve("shared"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxr-x"));
        assertTrue(ClassDataStore.open(shared, uid()).isEmpty());
        Path own = Files.createDirectory(dir.resolve("own"));
        Files.setPosixFilePermissions(own, PosixFilePermissions.fromString("rwx------"));
        assertTrue(ClassDataStore.open(own, uid() + 1).isEmpty(), "another uid's");
        Path link = Files.createSymbolicLink(dir.resolve("link"), own);
        assertTrue(ClassDataStore.open(link, uid()).isEmpty(), "a symlink");
        assertTrue(ClassDataStore.open(own, uid()).isPresent());
        log.expect(Log.Level.WARN, "its group or others may write to it");
        log.expect(Log.Level.WARN, "not herd's");
        log.expect(Log.Level.WARN, "it is a symlink");
    }

    @Test
    void aPartialIsCommittedOnlyWhenCompleteAndOlderArchivesOfTheSameAppAreRemoved() throws IOException {
        ClassDataStore store = ClassDataStore.open(dir.resolve("apps"), uid()).orElseThrow();
        ClassDataKey first = new ClassDataKey(1, "aaaaaaaaaaaa", "1".repeat(64), "");
        ClassDataKey second = new ClassDataKey(2, "aaaaaaaaaaaa", "2".repeat(64), "");
        ClassDataKey otherApp = new ClassDataKey(1, "bbbbbbbbbbbb", "3".repeat(64), "");
        Path partial = store.partial(first, "aot", -1);
        Files.createFile(partial);
        assertThrows(IOException.class, () -> store.commit(partial, store.archive(first, "aot")), "empty");
        Files.write(partial, new byte[] {1, 2, 3});
        store.commit(partial, store.archive(first, "aot"));
        assertTrue(store.usable(store.archive(first, "aot")));
        assertFalse(Files.exists(partial));
        Path other = Files.write(store.archive(otherApp, "aot"), new byte[] {4});
        Path next = Files.write(store.archive(second, "aot"), new byte[] {5});
        store.removeAllBut(second, Set.of(next));
        assertFalse(Files.exists(store.archive(first, "aot")));
        assertTrue(Files.exists(next));
        assertTrue(Files.exists(other), "another app's archive stays");
    }

    @Test
    void theKeyFollowsTheJarsBytesAndTheCommandLine() throws IOException {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path jar = Files.write(dir.resolve("app.jar"), new byte[] {1});
        List<String> line = List.of("java", "-cp", jar.toString(), "Main");
        ClassDataKey one = ClassDataKey.compute(1, "app", javaHome, line, List.of(jar));
        assertEquals(one.hex(), ClassDataKey.compute(2, "app", javaHome, line, List.of(jar)).hex());
        assertNotEquals(one.hex(), ClassDataKey.compute(1, "app", javaHome, List.of("java", "-Xmx1g", "-cp",
                jar.toString(), "Main"), List.of(jar)).hex());
        Files.write(jar, new byte[] {2});
        assertNotEquals(one.hex(), ClassDataKey.compute(1, "app", javaHome, line, List.of(jar)).hex());
        ClassDataKey missing = ClassDataKey.compute(1, "app", javaHome, line, List.of(dir.resolve("gone.jar")));
        assertFalse(missing.known());
        assertTrue(missing.problem().contains("gone.jar"), missing.problem());
    }

    @Test
    void aClasspathWildcardIsKeyedOnEveryJarInItsDirectory() throws IOException {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path lib = Files.createDirectories(dir.resolve("lib"));
        Path a = Files.write(lib.resolve("a.jar"), new byte[] {1});
        Files.write(lib.resolve("notes.txt"), new byte[] {1});
        Path wildcard = lib.resolve("*");
        assertEquals(List.of(a), ClassDataKey.jarsOf(List.of(wildcard)));
        List<String> line = List.of("java", "-cp", wildcard.toString(), "Main");
        ClassDataKey one = ClassDataKey.compute(1, "app", javaHome, line, List.of(wildcard));
        assertTrue(one.known(), one.problem());
        Files.write(lib.resolve("b.jar"), new byte[] {2});
        assertNotEquals(one.hex(), ClassDataKey.compute(1, "app", javaHome, line, List.of(wildcard)).hex(),
                "a jar added to the directory is another build");
    }

    @Test
    void anExtractionIsMadeHerdsAloneRenamedIntoPlaceAndRemovedWithoutFollowingSymlinks() throws IOException {
        ClassDataStore store = ClassDataStore.open(dir.resolve("apps"), uid()).orElseThrow();
        ClassDataKey key = new ClassDataKey(1, "aaaaaaaaaaaa", "1".repeat(64), "").extracted();
        Path made = Files.createDirectories(store.extracting(key, 1).resolve("out/lib"));
        Path out = made.getParent();
        Files.write(out.resolve("app.jar"), new byte[] {1});
        Files.write(made.resolve("dep.jar"), new byte[] {2});
        Files.setPosixFilePermissions(made.resolve("dep.jar"), PosixFilePermissions.fromString("rw-rw-rw-"));
        Path place = store.extraction(key);
        store.commitExtraction(out, place);
        assertEquals(Optional.of(place.resolve("app.jar")), store.usableExtraction(place));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(place.resolve("lib/dep.jar"))), "no longer others' to write");

        // A directory others may write, or a symlink in it, is not trusted.
        Files.setPosixFilePermissions(place.resolve("lib"), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(store.usableExtraction(place).isEmpty());
        Path another = Files.createDirectories(store.extracting(key, 2).resolve("out"));
        Files.write(another.resolve("app.jar"), new byte[] {1});
        Path outside = Files.writeString(dir.resolve("outside"), "kept");
        Files.createSymbolicLink(another.resolve("link"), outside);
        assertThrows(IOException.class, () -> store.commitExtraction(another, store.extraction(key)));

        // Removal unlinks a symlink, never what it points to; the store's other entries stay.
        Files.createSymbolicLink(place.resolve("lib/link"), outside);
        store.removeAllBut(key, Set.of());
        assertFalse(Files.exists(place, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        assertEquals("kept", Files.readString(outside));
        store.removeLeftExtractions(key);
        assertFalse(Files.exists(another.getParent()), "a left extraction is removed");
        assertEquals(List.of(), listNames(store.directory()));
    }

    private static List<String> listNames(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.map(entry -> entry.getFileName().toString()).toList();
        }
    }

    @Test
    void theDefaultDirectoryFollowsHerdsOwnClassDataThenSystemdThenTheUsersCache() {
        assertEquals(Path.of("/x/apps"), ClassDataStore.defaultDirectory(Map.of("HERD_CLASS_DATA_DIR", "/x",
                "CACHE_DIRECTORY", "/var/cache/herd")));
        assertEquals(Path.of("/var/cache/herd/apps"), ClassDataStore.defaultDirectory(Map.of("CACHE_DIRECTORY",
                "/var/cache/herd", "HOME", "/home/h")));
        assertEquals(Path.of("/home/h/.cache/herd/apps"), ClassDataStore.defaultDirectory(Map.of("HOME",
                "/home/h")));
    }

    /** Whoever runs the test: the owner of what it creates. */
    private int uid() {
        try {
            return (Integer) Files.getAttribute(dir, "unix:uid");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
