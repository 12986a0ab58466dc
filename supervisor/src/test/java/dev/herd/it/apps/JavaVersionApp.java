package dev.herd.it.apps;

import dev.herd.worker.Herd;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Answers every connection with one line saying which Java runs it, the system property herd.test.greeting (set
 * through worker.jvmOptions) and its arguments (worker.args), then closes it: what WorkerJavaIT checks a worker
 * on another JVM than the master's got.
 */
public final class JavaVersionApp {

    private JavaVersionApp() {
    }

    public static void main(String[] args) throws Exception {
        ServerSocketChannel listener = Herd.listener();
        Herd.onDrain(() -> System.exit(0));
        Herd.ready();
        String answer = "java " + Runtime.version().feature() + " greeting=" + System.getProperty("herd.test.greeting")
                + " args=" + Arrays.toString(args) + "\n";
        while (true) {
            try (SocketChannel connection = listener.accept()) {
                connection.write(ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8)));
            }
        }
    }
}
