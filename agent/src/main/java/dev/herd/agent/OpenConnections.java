package dev.herd.agent;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Counts the TCP connections this process holds whose local port is herd's: the ones it accepted from herd's socket
 * and has not closed yet, whichever framework accepted them and however. Read from Linux's /proc (the sockets behind
 * this process's descriptors, and the kernel's TCP tables), so that no accept or close of the app's needs a hook.
 */
final class OpenConnections {

    private static final Path DESCRIPTORS = Path.of("/proc/self/fd");
    private static final List<Path> TABLES = List.of(Path.of("/proc/self/net/tcp"), Path.of("/proc/self/net/tcp6"));
    /** The st column of a listening socket in /proc/net/tcp. */
    private static final String LISTEN = "0A";

    private OpenConnections() {
    }

    static int count(int port) throws IOException {
        Set<String> inodes = socketInodes();
        String localPort = String.format(Locale.ROOT, ":%04X", port);
        int count = 0;
        for (Path table : TABLES) {
            if (!Files.exists(table)) {
                continue; // no IPv6 in this kernel
            }
            for (String line : Files.readAllLines(table)) {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
                String[] columns = line.trim().split("\\s+");
                if (columns.length > 9 && columns[1].endsWith(localPort) && !columns[3].equals(LISTEN)
                        && inodes.contains(columns[9])) {
                    count++;
                }
            }
        }
        return count;
    }

    /** The inode numbers of the sockets this process's descriptors name ({@code socket:[12345]}). */
    private static Set<String> socketInodes() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> descriptors = Files.newDirectoryStream(DESCRIPTORS)) {
            for (Path descriptor : descriptors) {
                String target;
                try {
                    target = Files.readSymbolicLink(descriptor).toString();
                } catch (IOException closedMeanwhile) {
                    continue; // the app closed it while we listed them: not open any more
                }
                if (target.startsWith("socket:[")) {
                    inodes.add(target.substring("socket:[".length(), target.length() - 1));
                }
            }
        }
        return inodes;
    }
}
