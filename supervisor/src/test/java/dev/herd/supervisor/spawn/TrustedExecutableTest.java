package dev.herd.supervisor.spawn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which java paths herd runs for worker.java, and the one line it refuses the others with. */
class TrustedExecutableTest {

    private static final int HERD_UID = uid();

    @TempDir
    Path dir;

    private static int uid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aJdkReachedThroughRootsSymlinksResolvesToItsFile() throws Exception {
        Path usrBinJava = Path.of("/usr/bin/java");
        assumeTrue(Files.isSymbolicLink(usrBinJava), "no /usr/bin/java symlink (Debian's alternatives) here");

        assertEquals(usrBinJava.toRealPath(), TrustedExecutable.resolve(usrBinJava, HERD_UID));
    }

    @Test
    void aRelativeSymlinkOfHerdsOwnInItsOwnDirectoryIsFollowed() throws Exception {
        Path jdk = Files.createDirectories(dir.resolve("jdk/bin"));
        Path java = Files.createFile(jdk.resolve("java"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Path link = Files.createSymbolicLink(dir.resolve("java"), Path.of("jdk/./bin/../bin/java"));

        assertEquals(java, TrustedExecutable.resolve(link, HERD_UID));
    }

    @Test
    void aMissingFileADirectoryAndAFileThatIsNotExecutableAreRefused() throws Exception {
        Path plain = Files.createFile(dir.resolve("java"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rw-r--r--")));

        assertEquals(dir.resolve("missing/java") + " does not exist (there is no " + dir.resolve("missing") + ")",
                refusal(dir.resolve("missing/java")));
        assertEquals(dir + " is a directory, not a java executable (write e.g. " + dir.resolve("bin/java") + ")",
                refusal(dir));
        assertEquals(plain + " is not executable (mode 0644)", refusal(plain));
    }

    @Test
    void aDirectoryOthersMayWriteIsRefusedUnlessItIsSticky() throws Exception {
        Path open = Files.createDirectory(dir.resolve("open"));
        Path java = Files.createFile(open.resolve("java"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.setAttribute(open, "unix:mode", 0777);

        assertEquals(java + ": the directory " + open + " is writable by others (mode 0777), so herd does not run or "
                + "follow what it holds", refusal(java));

        Files.setAttribute(open, "unix:mode", 01777); // as /tmp: only an entry's owner may replace it
        assertEquals(java, TrustedExecutable.resolve(java, HERD_UID));
    }

    @Test
    void aSymlinkOfAnotherUserIsNotFollowed() throws Exception {
        assumeTrue(HERD_UID == 0, "only root can give a symlink to another user");
        Path target = Path.of("/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
        assumeTrue(Files.isExecutable(target), target + " is not installed");
        Path link = Files.createSymbolicLink(dir.resolve("java"), target);
        var nobody = link.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.getFileAttributeView(link, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setOwner(nobody);
        int nobodyUid = (Integer) Files.getAttribute(link, "unix:uid", LinkOption.NOFOLLOW_LINKS);

        String refusal = refusal(link);
        assertEquals(link + ": it (a symlink) belongs to uid " + nobodyUid + ", neither root nor herd's own uid 0, "
                + "so herd does not run or follow it", refusal);
    }

    @Test
    void aLoopOfSymlinksIsRefused() throws Exception {
        Path a = dir.resolve("a");
        Files.createSymbolicLink(a, dir.resolve("b"));
        Files.createSymbolicLink(dir.resolve("b"), a);

        assertTrue(refusal(a).endsWith("goes through more than 40 symlinks"), refusal(a));
    }

    private static String refusal(Path path) {
        return assertThrows(TrustedExecutable.Refused.class, () -> TrustedExecutable.resolve(path, HERD_UID))
                .getMessage();
    }
}
