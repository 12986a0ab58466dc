package dev.herd.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * {@code bin/herd} behind a symlink, as an install switched by a link has it: a master started through it re-runs
 * it by that path at {@code herd upgrade}. A test may put a script in its place that does something in the exec
 * only (it has the hand-over, the check has not) and then execs {@code bin/herd}.
 */
final class LinkedLauncher {

    private final Path dir;
    private final Path link;

    LinkedLauncher(Path dir) throws IOException {
        this.dir = dir;
        this.link = Files.createSymbolicLink(dir.resolve("herd"), HerdProcess.LAUNCHER);
    }

    /** The path the master is started by, and re-runs. */
    Path path() {
        return link;
    }

    /** Replaces the link by a script that runs {@code inTheExec} (shell lines) in the exec, then execs herd. */
    void runInTheExec(String inTheExec) throws IOException {
        Path script = dir.resolve("herd.script");
        Files.writeString(script, "#!/bin/sh\n"
                + "if [ -n \"$HERD_HANDOVER_FD\" ]; then\n"
                + inTheExec
                + "fi\n"
                + "exec '" + HerdProcess.LAUNCHER + "' \"$@\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(script, link, StandardCopyOption.REPLACE_EXISTING);
    }
}
