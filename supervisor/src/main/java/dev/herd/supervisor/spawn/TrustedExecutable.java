package dev.herd.supervisor.spawn;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * Resolves the path of a program herd is told to run (worker.java) to the file it names, and refuses a path that
 * anyone but root and herd's own user could change or redirect. A JDK is usually reached through symlinks
 * ({@code /usr/bin/java -> /etc/alternatives/java -> /usr/lib/jvm/...}): such a link is as safe as the file itself
 * when only root can change it, so links are followed, one name at a time, and each link, each directory that
 * holds a name on the way and the file itself must belong to root or to herd's uid and be writable by no one else.
 * A world-writable directory with the sticky bit (/tmp) passes: there only an entry's owner can replace it, and
 * every entry's owner is checked. What "never follow a symlink herd did not create" guards against, a link that
 * another user planted or can swap, is refused.
 */
final class TrustedExecutable {

    /** Linux's own limit on symlinks in one lookup (ELOOP). */
    private static final int MAX_SYMLINKS = 40;
    private static final int WRITABLE_BY_OTHERS = 0022;
    private static final int STICKY = 01000;
    private static final int EXECUTABLE_BY_ANYONE = 0111;

    /** A path that cannot be run, with a message that names it and says why. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    private TrustedExecutable() {
    }

    /**
     * The regular, executable file {@code path} names, every symlink on the way followed.
     *
     * @param path    an absolute path
     * @param herdUid the effective uid herd runs as: its own files are as trusted as root's
     * @throws Refused naming the path and what is wrong: missing, a directory, not executable, or owned or
     *                 writable by someone else
     */
    static Path resolve(Path path, int herdUid) throws Refused {
        Deque<String> names = new ArrayDeque<>();
        path.forEach(name -> names.addLast(name.toString()));
        Path at = path.getRoot();
        Map<String, Object> root = attributes(path, at);
        checkOwner(at, root, herdUid, path);
        checkNotWritableByOthers(at, (Integer) root.get("mode"), path);
        int links = 0;
        while (!names.isEmpty()) {
            String name = names.pollFirst();
            if (name.equals(".")) {
                continue;
            }
            if (name.equals("..")) {
                at = at.getParent() == null ? at : at.getParent();
                continue;
            }
            Path next = at.resolve(name);
            Map<String, Object> attributes = attributes(path, next);
            checkOwner(next, attributes, herdUid, path);
            if ((Boolean) attributes.get("isSymbolicLink")) {
                // A link's own mode is always 0777 and means nothing: only whoever may write its directory
                // (checked as `at` was entered) or owns it can change where it points.
                if (++links > MAX_SYMLINKS) {
                    throw new Refused(path + " goes through more than " + MAX_SYMLINKS + " symlinks");
                }
                Path target = readLink(path, next);
                Deque<String> targetNames = new ArrayDeque<>();
                target.forEach(part -> targetNames.addLast(part.toString()));
                while (!targetNames.isEmpty()) {
                    names.addFirst(targetNames.pollLast());
                }
                if (target.isAbsolute()) {
                    at = target.getRoot();
                }
                continue;
            }
            int mode = (Integer) attributes.get("mode");
            if (!names.isEmpty()) {
                if (!(Boolean) attributes.get("isDirectory")) {
                    throw new Refused(path + ": " + next + " is not a directory");
                }
                checkNotWritableByOthers(next, mode, path);
                at = next;
                continue;
            }
            if ((Boolean) attributes.get("isDirectory")) {
                throw new Refused(path + " is a directory, not a java executable (write e.g. "
                        + next.resolve("bin/java") + ")");
            }
            if (!(Boolean) attributes.get("isRegularFile")) {
                throw new Refused(path + " is not a regular file");
            }
            if ((mode & EXECUTABLE_BY_ANYONE) == 0 || !Files.isExecutable(next)) {
                throw new Refused(path + " is not executable (mode " + octal(mode) + ")");
            }
            if ((mode & WRITABLE_BY_OTHERS) != 0) {
                throw new Refused(path + ": " + next + " is writable by others (mode " + octal(mode) + ")");
            }
            return next;
        }
        throw new Refused(path + " names no file");
    }

    private static Map<String, Object> attributes(Path asked, Path at) throws Refused {
        try {
            return Files.readAttributes(at, "unix:uid,mode,isSymbolicLink,isDirectory,isRegularFile",
                    LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            throw new Refused(asked + " does not exist" + (at.equals(asked) ? "" : " (there is no " + at + ")"));
        } catch (IOException e) {
            throw new Refused(asked + ": cannot read " + at + ": " + e.getMessage());
        }
    }

    private static Path readLink(Path asked, Path link) throws Refused {
        try {
            return Files.readSymbolicLink(link);
        } catch (IOException e) {
            throw new Refused(asked + ": cannot read the symlink " + link + ": " + e.getMessage());
        }
    }

    private static void checkOwner(Path at, Map<String, Object> attributes, int herdUid, Path asked) throws Refused {
        int owner = (Integer) attributes.get("uid");
        if (owner != 0 && owner != herdUid) {
            throw new Refused(asked + ": " + (at.equals(asked) ? "it" : at) + ((Boolean) attributes.get(
                    "isSymbolicLink") ? " (a symlink)" : "") + " belongs to uid " + owner + ", neither root nor herd's"
                    + " own uid " + herdUid + ", so herd does not run or follow it");
        }
    }

    private static void checkNotWritableByOthers(Path directory, int mode, Path asked) throws Refused {
        if ((mode & WRITABLE_BY_OTHERS) != 0 && (mode & STICKY) == 0) {
            throw new Refused(asked + ": the directory " + directory + " is writable by others (mode " + octal(mode)
                    + "), so herd does not run or follow what it holds");
        }
    }

    private static String octal(int mode) {
        return String.format("%04o", mode & 07777);
    }
}
