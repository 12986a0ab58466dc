package dev.herd.supervisor.admin;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * The directory that holds the admin socket, and why the master and the CLI may trust it. Its name is often
 * predictable ({@code /tmp/herd-UID}), so another user could plant it first, as a directory or as a symbolic link
 * to one of theirs, and either catch the master's socket or put a fake master in front of the CLI. Trusted is a
 * real directory (never a link: no path here is followed through one) that belongs to the expected user or to
 * root, and that nobody else may write to unless the sticky bit protects its entries; the same holds for its
 * parent, which could otherwise swap it. Owners are compared by uid, never by name.
 */
final class AdminDirectory {

    private static final int GROUP_OR_OTHER_WRITE = 0022;
    private static final int STICKY = 01000;

    private AdminDirectory() {
    }

    /**
     * The master's side: creates the directory if it is missing, with its final mode from the start (0700, or
     * 0750 and the admin group), so there is no moment in which it is more open; checks it otherwise.
     */
    static void prepare(Path directory, Optional<GroupPrincipal> adminGroup, long ownUid) throws IOException {
        Path parent = directory.toAbsolutePath().getParent();
        if (parent != null && !Files.exists(parent, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(parent);
        }
        try {
            Files.createDirectory(directory, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString(adminGroup.isPresent() ? "rwxr-x---" : "rwx------")));
            if (adminGroup.isPresent()) {
                Files.getFileAttributeView(directory, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setGroup(adminGroup.get());
            }
        } catch (FileAlreadyExistsException exists) {
            // Someone (we, earlier, or an attacker) made it first: it has to pass the same test as any other.
        }
        checkTrusted(directory, ownUid);
    }

    /**
     * Refuses a directory that is a symbolic link, is not a directory, belongs to neither {@code expectedUid}
     * nor root, or that others may write to (unless sticky); and the same for its parent's write access.
     */
    static void checkTrusted(Path directory, long expectedUid) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(directory, "unix:uid,mode,isSymbolicLink,isDirectory",
                    LinkOption.NOFOLLOW_LINKS);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("admin socket directory " + directory + " does not exist");
        }
        if ((Boolean) attributes.get("isSymbolicLink")) {
            throw new IOException("refusing admin socket directory " + directory + ": it is a symbolic link");
        }
        if (!(Boolean) attributes.get("isDirectory")) {
            throw new IOException("refusing admin socket directory " + directory + ": it is not a directory");
        }
        int owner = (Integer) attributes.get("uid");
        if (owner != expectedUid && owner != 0) {
            throw new IOException("refusing admin socket directory " + directory + ": it belongs to uid " + owner
                    + ", not to uid " + expectedUid + " or root");
        }
        if (writableByOthers((Integer) attributes.get("mode"))) {
            throw new IOException("refusing admin socket directory " + directory + ": others may write to it (mode "
                    + octal((Integer) attributes.get("mode")) + ")");
        }
        Path parent = directory.toAbsolutePath().getParent();
        int parentMode = parent == null ? 0 : (Integer) Files.getAttribute(parent, "unix:mode");
        if (writableByOthers(parentMode)) {
            throw new IOException("refusing admin socket directory " + directory + ": others may write to its parent "
                    + parent + " (mode " + octal(parentMode) + ") and replace it");
        }
    }

    private static boolean writableByOthers(int mode) {
        return (mode & GROUP_OR_OTHER_WRITE) != 0 && (mode & STICKY) == 0;
    }

    private static String octal(int mode) {
        return Integer.toOctalString(mode & 07777);
    }
}
