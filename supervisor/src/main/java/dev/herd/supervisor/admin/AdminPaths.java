package dev.herd.supervisor.admin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the admin socket lives; the master and the CLI resolve it the same way: the flag or config key, else
 * {@code $HERD_ADMIN_SOCKET}, else {@code $RUNTIME_DIRECTORY/herd.sock} (systemd's RuntimeDirectory=), else
 * {@code $XDG_RUNTIME_DIR/herd/herd.sock}, else {@code /tmp/herd-UID/herd.sock}.
 */
public final class AdminPaths {

    private AdminPaths() {
    }

    public static Path resolve(Optional<Path> configured, Map<String, String> env) {
        return locate(configured, env).path();
    }

    /**
     * Where the socket is, and whether the place was derived from who the caller is ({@code $XDG_RUNTIME_DIR},
     * {@code /tmp/herd-UID}): then its directory must be the caller's own (or root's). A path given explicitly
     * (flag, config, {@code $HERD_ADMIN_SOCKET}, systemd's {@code $RUNTIME_DIRECTORY}) may belong to the user the
     * master runs as.
     */
    public static Location locate(Optional<Path> configured, Map<String, String> env) {
        if (configured.isPresent()) {
            return new Location(configured.get(), false);
        }
        if (isSet(env.get("HERD_ADMIN_SOCKET"))) {
            return new Location(Path.of(env.get("HERD_ADMIN_SOCKET")), false);
        }
        if (isSet(env.get("RUNTIME_DIRECTORY"))) {
            // systemd may list several directories separated by colons; the first is ours.
            return new Location(Path.of(env.get("RUNTIME_DIRECTORY").split(":")[0], "herd.sock"), false);
        }
        if (isSet(env.get("XDG_RUNTIME_DIR"))) {
            return new Location(Path.of(env.get("XDG_RUNTIME_DIR"), "herd", "herd.sock"), true);
        }
        return new Location(Path.of("/tmp", "herd-" + currentUid(), "herd.sock"), true);
    }

    /** See {@link #locate}. */
    public record Location(Path path, boolean callersOwn) {
    }

    /**
     * The client's check before it connects: the socket's directory must pass {@link AdminDirectory}'s test
     * (never a link, nobody else may write to it or its parent) and belong to the caller or root when
     * {@code callersOwn}. Returns the uid that owns the directory: the master at the other end must run as that
     * user or as root.
     *
     * @throws java.io.IOException naming the path and what is wrong with it
     */
    public static long checkBeforeConnecting(Location location) throws IOException {
        Path directory = location.path().toAbsolutePath().getParent();
        int owner = (Integer) Files.getAttribute(directory, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        AdminDirectory.checkTrusted(directory, location.callersOwn() ? effectiveUid() : owner);
        if (Files.isSymbolicLink(location.path())) {
            throw new IOException("refusing admin socket " + location.path() + ": it is a symbolic link");
        }
        return owner;
    }

    private static boolean isSet(String value) {
        return value != null && !value.isEmpty();
    }

    /** The real uid, from /proc (no native call needed for the CLI's start-up). */
    public static long currentUid() {
        return uid(0);
    }

    /** The effective uid: the owner of every file this process creates, and the one a peer sees. */
    public static long effectiveUid() {
        return uid(1);
    }

    /** A field of the "Uid:" line of /proc/self/status: real, effective, saved set, file system uid. */
    private static long uid(int field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[field]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no Uid line in /proc/self/status");
    }
}
