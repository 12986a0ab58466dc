package dev.herd.it.apps;

import dev.herd.worker.Herd;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * A worker on herd's worker API that starts four helpers holding the shared socket (their fd 0, inherited), as
 * {@code hostile_socket_worker.py --helpers} does: a plain child, one that ignores SIGTERM, one in a session of
 * its own, and a double-forked grandchild whose parent has exited. It prints "helpers: PID PID PID PID" in that
 * order, then echoes; its drain exits 0 (after the master's death: within the worker API's orphan drain).
 */
public final class HelperStartingApp {

    private HelperStartingApp() {
    }

    public static void main(String[] args) throws Exception {
        ServerSocketChannel listener = Herd.listener();
        long plain = helper("sleep", "600").start().pid();
        long deaf = helper("sh", "-c", "trap '' TERM; exec sleep 600").start().pid();
        long detached = helper("setsid", "sleep", "600").start().pid();
        // sh gives a background command /dev/null as its stdin: the socket goes by way of fd 3.
        Process parent = helper("sh", "-c", "exec 3<&0; sleep 600 <&3 3<&- >/dev/null & echo $!")
                .redirectOutput(Redirect.PIPE).start();
        long orphan = Long.parseLong(new String(parent.getInputStream().readAllBytes(), StandardCharsets.US_ASCII)
                .trim());
        parent.waitFor();
        System.out.println("helpers: " + plain + " " + deaf + " " + detached + " " + orphan);
        Herd.onDrain(() -> System.exit(0));
        Herd.ready();
        while (true) {
            try (SocketChannel client = listener.accept()) {
                ByteBuffer buffer = ByteBuffer.allocate(4096);
                while (client.read(buffer.clear()) > 0) {
                    client.write(buffer.flip());
                }
            }
        }
    }

    /** fd 0 is the worker's own, the shared socket (the JDK gives a child a pipe there unless told). */
    private static ProcessBuilder helper(String... command) throws IOException {
        return new ProcessBuilder(command).redirectInput(Redirect.INHERIT).redirectOutput(Redirect.DISCARD)
                .redirectError(Redirect.DISCARD);
    }
}
