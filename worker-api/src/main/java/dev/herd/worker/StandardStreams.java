package dev.herd.worker;

import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Keeps a worker's stdout and stderr alive across its drain. Closing the channel from
 * {@link System#inheritedChannel()} makes the JDK dup2 /dev/null over fds 0, 1 and 2 (a behaviour meant for
 * inetd, which passes the socket on all three), so everything printed after the drain began would vanish. Under
 * herd fds 1 and 2 are pipes to the master; opening /proc/self/fd/N gives a second descriptor on the same pipe,
 * which the JDK leaves alone. Anything but a pipe (a file, a terminal of a worker started by hand) is left as it
 * is: reopening a file would not share its offset.
 */
final class StandardStreams {

    private StandardStreams() {
    }

    static void detachFromFds() throws IOException {
        if (isPipe(1)) {
            System.setOut(reopen(1));
        }
        if (isPipe(2)) {
            System.setErr(reopen(2));
        }
    }

    private static boolean isPipe(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString().startsWith("pipe:");
    }

    private static PrintStream reopen(int fd) throws FileNotFoundException {
        return new PrintStream(new FileOutputStream("/proc/self/fd/" + fd, true), true);
    }
}
