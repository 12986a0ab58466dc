package dev.herd.supervisor.cli;

import dev.herd.supervisor.admin.AdminPaths;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The herd instances of one host, as the template unit systemd/herd@.service runs them: herd@NAME.service runs
 * {@code /etc/herd/NAME.json} with {@code RuntimeDirectory=herd-NAME}, so its master's admin socket is
 * {@code /run/herd-NAME/herd.sock} ({@code $RUNTIME_DIRECTORY/herd.sock}), which {@code herd --instance NAME}
 * talks to. A name is refused unless it is one systemd could have made that path from (no slash, no dot-dot).
 */
final class Instances {

    /** Where systemd makes a system service's RuntimeDirectory=. */
    static final Path RUN = Path.of("/run");
    /** A unit's instance name as %i gives it: letters, digits and _ . : - (systemd escapes everything else). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_:-][A-Za-z0-9_.:-]{0,199}");
    private static final String PREFIX = "herd-";

    private Instances() {
    }

    /** Whether {@code name} is a name an instance can have (the CLI's usage check). */
    static boolean validName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * The admin socket of instance {@code name} under {@code run} ({@link #RUN} but in tests). Its runtime
     * directory must exist: systemd makes it when the instance starts and removes it when it stops, so without it
     * no such instance runs, which is said with the names of those that do.
     *
     * @throws AdminClient.NotRunningException when the instance has no runtime directory
     */
    static AdminPaths.Location locate(String name, Path run) throws IOException {
        if (!validName(name)) {
            throw new IllegalArgumentException("invalid instance name '" + name + "'");
        }
        Path directory = run.resolve(PREFIX + name);
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) {
            List<String> running = running(run);
            throw new AdminClient.NotRunningException("no herd instance '" + name + "' is running (no " + directory
                    + "; see systemctl status herd@" + name + "); " + (running.isEmpty()
                            ? "no instance is running" : "running: " + String.join(", ", running)));
        }
        // Named explicitly, like --admin-socket: the directory belongs to the instance's user, not the caller.
        return new AdminPaths.Location(directory.resolve("herd.sock"), false);
    }

    /** The names of the instances whose admin socket is there, sorted. */
    static List<String> running(Path run) throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(run, PREFIX + "*")) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString().substring(PREFIX.length());
                if (validName(name) && Files.exists(entry.resolve("herd.sock"), LinkOption.NOFOLLOW_LINKS)) {
                    names.add(name);
                }
            }
        }
        names.sort(null);
        return names;
    }
}
