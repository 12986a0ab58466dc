package dev.herd.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Counts a worker's open client connections from /proc: the established TCP sockets on the listening port
 * (/proc/net/tcp, tcp6) that appear among the worker's descriptors; and finds the sockets listening on a port. Reading /proc/net/tcp walks the kernel's whole
 * connection table (about 7 ms here), which is why the master counts connections through WorkerStats instead.
 */
final class Connections {

    private Connections() {
    }

    /** Inodes of the established connections whose local port is {@code port}. */
    static Set<String> established(int port) {
        return sockets(port, "01"); // TCP_ESTABLISHED
    }

    /** Inodes of the sockets listening on {@code port}, any address, IPv4 or IPv6 (as "socket:[INODE]"). */
    static Set<String> listening(int port) {
        return sockets(port, "0A"); // TCP_LISTEN
    }

    /** A port nothing listens on now (the kernel's pick on loopback, released at once). */
    static int freePort() {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inodes of the TCP sockets on local port {@code port} in {@code state} (/proc/net/tcp, tcp6). */
    private static Set<String> sockets(int port, String state) {
        Set<String> inodes = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table));
                for (String line : lines.subList(1, lines.size())) {
                    String[] columns = line.trim().split("\\s+");
                    String local = columns[1];
                    if (Integer.parseInt(local.substring(local.indexOf(':') + 1), 16) == port
                            && columns[3].equals(state)) {
                        inodes.add("socket:[" + columns[9] + "]");
                    }
                }
            } catch (IOException e) {
                // no IPv6 table, or unreadable: count what we can
            }
        }
        return inodes;
    }

    /** How many of {@code established} the process holds open. */
    static int heldBy(int pid, Set<String> established) {
        int count = 0;
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Integer.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    if (established.contains(Files.readSymbolicLink(fd).toString())) {
                        count++;
                    }
                } catch (NoSuchFileException closedMeanwhile) {
                    // closed between listing and reading
                }
            }
        } catch (IOException e) {
            return 0; // the process is gone
        }
        return count;
    }
}
