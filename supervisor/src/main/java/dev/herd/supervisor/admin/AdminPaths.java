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
        if (configured.isPresent()) {
            return configured.get();
        }
        if (isSet(env.get("HERD_ADMIN_SOCKET"))) {
            return Path.of(env.get("HERD_ADMIN_SOCKET"));
        }
        if (isSet(env.get("RUNTIME_DIRECTORY"))) {
            // systemd may list several directories separated by colons; the first is ours.
            return Path.of(env.get("RUNTIME_DIRECTORY").split(":")[0], "herd.sock");
        }
        if (isSet(env.get("XDG_RUNTIME_DIR"))) {
            return Path.of(env.get("XDG_RUNTIME_DIR"), "herd", "herd.sock");
        }
        return Path.of("/tmp", "herd-" + currentUid(), "herd.sock");
    }

    private static boolean isSet(String value) {
        return value != null && !value.isEmpty();
    }

    /** The real uid, from /proc (no native call needed for the CLI's start-up). */
    static long currentUid() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Long.parseLong(line.substring(4).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no Uid line in /proc/self/status");
    }
}
