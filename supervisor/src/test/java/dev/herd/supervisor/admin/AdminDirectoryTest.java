package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trust checks on the admin socket's directory, against real directories. The tests run as root (as the
 * sessions here do), so they can make a directory that belongs to another uid.
 */
class AdminDirectoryTest {

    private static final int STRANGER = 54321;

    /** 0700, in /tmp (1777): a parent nobody else may swap entries in. */
    @TempDir
    Path parent;
    private long ownUid;

    @BeforeEach
    void whoWeAre() {
        ownUid = AdminPaths.effectiveUid();
    }

    @Test
    void aMissingDirectoryIsCreatedOwnerOnly() throws IOException {
        Path directory = parent.resolve("herd");

        AdminDirectory.prepare(directory, Optional.empty(), ownUid);

        assertEquals("rwx------", permissions(directory));
        assertEquals((int) ownUid, Files.getAttribute(directory, "unix:uid", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void withAnAdminGroupItIsCreated0750AndBelongsToTheGroup() throws IOException {
        Path directory = parent.resolve("herd");
        GroupPrincipal adm = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName("adm");

        AdminDirectory.prepare(directory, Optional.of(adm), ownUid);

        PosixFileAttributes attributes = Files.readAttributes(directory, PosixFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        assertEquals("rwxr-x---", PosixFilePermissions.toString(attributes.permissions()));
        assertEquals(adm, attributes.group());
    }

    @Test
    void aMissingParentIsCreatedToo() throws IOException {
        Path directory = parent.resolve("run").resolve("herd");

        AdminDirectory.prepare(directory, Optional.empty(), ownUid);

        assertEquals("rwx------", permissions(directory));
    }

    @Test
    void anExistingTrustedDirectoryIsUsedAsItIs() throws IOException {
        Path directory = Files.createDirectory(parent.resolve("herd"));
        mode(directory, 0755);

        assertDoesNotThrow(() -> AdminDirectory.prepare(directory, Optional.empty(), ownUid));
        assertEquals("rwxr-xr-x", permissions(directory), "prepare does not change a directory it did not make");
    }

    @Test
    void aSymbolicLinkToADirectoryIsRefused() throws IOException {
        Path target = Files.createDirectory(parent.resolve("theirs"));
        mode(target, 0700);
        Path link = Files.createSymbolicLink(parent.resolve("herd"), target);

        IOException refused = assertThrows(IOException.class,
                () -> AdminDirectory.prepare(link, Optional.empty(), ownUid));

        assertEquals("refusing admin socket directory " + link + ": it is a symbolic link", refused.getMessage());
        assertTrue(Files.isSymbolicLink(link), "the link was left as it was");
    }

    @Test
    void aDirectoryOfAnotherUserIsRefused() throws IOException {
        Path directory = Files.createDirectory(parent.resolve("herd"));
        mode(directory, 0700);
        Files.setAttribute(directory, "unix:uid", STRANGER, LinkOption.NOFOLLOW_LINKS);

        IOException refused = assertThrows(IOException.class,
                () -> AdminDirectory.prepare(directory, Optional.empty(), ownUid));

        assertTrue(refused.getMessage().contains("it belongs to uid " + STRANGER + ", not to uid " + ownUid
                + " or root"), refused.getMessage());
    }

    @Test
    void ownersAreComparedByUidAndRootIsAlwaysTrusted() throws IOException {
        Path directory = Files.createDirectory(parent.resolve("herd"));
        mode(directory, 0700);
        Files.setAttribute(directory, "unix:uid", STRANGER, LinkOption.NOFOLLOW_LINKS);
        // a uid without a passwd entry owns its own directory
        assertDoesNotThrow(() -> AdminDirectory.checkTrusted(directory, STRANGER));

        Files.setAttribute(directory, "unix:uid", 0, LinkOption.NOFOLLOW_LINKS);
        assertDoesNotThrow(() -> AdminDirectory.checkTrusted(directory, STRANGER), "root's directory");
    }

    @Test
    void aDirectoryOthersOrTheGroupMayWriteToIsRefusedUnlessSticky() throws IOException {
        Path directory = Files.createDirectory(parent.resolve("herd"));
        for (int mode : new int[] {0777, 0770, 0702, 0720}) {
            mode(directory, mode);
            IOException refused = assertThrows(IOException.class,
                    () -> AdminDirectory.checkTrusted(directory, ownUid), Integer.toOctalString(mode));
            assertTrue(refused.getMessage().endsWith("others may write to it (mode " + Integer.toOctalString(mode)
                    + ")"), refused.getMessage());
        }
        mode(directory, 01777); // like /tmp: nobody may remove or replace another's entries
        assertDoesNotThrow(() -> AdminDirectory.checkTrusted(directory, ownUid));
    }

    @Test
    void aParentOthersMayWriteToIsRefusedUnlessSticky() throws IOException {
        Path open = Files.createDirectory(parent.resolve("open"));
        Path directory = Files.createDirectory(open.resolve("herd"));
        mode(directory, 0700);
        mode(open, 0777);

        IOException refused = assertThrows(IOException.class,
                () -> AdminDirectory.prepare(directory, Optional.empty(), ownUid));

        assertTrue(refused.getMessage().contains("others may write to its parent " + open + " (mode 777)"),
                refused.getMessage());

        mode(open, 01777);
        assertDoesNotThrow(() -> AdminDirectory.prepare(directory, Optional.empty(), ownUid));
    }

    @Test
    void aFileInPlaceOfTheDirectoryIsRefused() throws IOException {
        Path file = Files.createFile(parent.resolve("herd"));

        IOException refused = assertThrows(IOException.class,
                () -> AdminDirectory.prepare(file, Optional.empty(), ownUid));

        assertTrue(refused.getMessage().endsWith("it is not a directory"), refused.getMessage());
    }

    @Test
    void aMissingDirectoryIsAnErrorForTheClient() {
        IOException refused = assertThrows(IOException.class,
                () -> AdminDirectory.checkTrusted(parent.resolve("nothing"), ownUid));

        assertTrue(refused.getMessage().endsWith("does not exist"), refused.getMessage());
        assertFalse(Files.exists(parent.resolve("nothing")), "the client's check creates nothing");
    }

    static void mode(Path path, int mode) throws IOException {
        Files.setAttribute(path, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    private static String permissions(Path path) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
    }
}
