package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * herd's notify pipe, with a FIFO standing in for the pipe the master gives a worker as fd 4: the worker API finds
 * it by descriptor number, as in a worker. Every message must arrive whole and NUL-terminated, which the master's
 * reader relies on to split them.
 */
class NotifyPipeTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path directory;
    /** Its descriptor is "fd 4". */
    private TestFifo fifo;
    private FileInputStream reader;
    private NotifyPipe pipe;

    @BeforeEach
    void openFifo() throws Exception {
        fifo = TestFifo.create(directory.resolve("notify"));
        pipe = NotifyPipe.open(fifo.descriptor());
        reader = new FileInputStream(fifo.path().toFile()); // a writer is open, so this does not block
    }

    @AfterEach
    void closeFifo() throws IOException {
        reader.close();
        fifo.close();
    }

    @Test
    void eachMessageArrivesWithItsTerminatingNul() throws IOException {
        pipe.send("READY=1");
        pipe.send("STATUS=serving 3\nWATCHDOG=1");

        assertEquals("READY=1\0STATUS=serving 3\nWATCHDOG=1\0", read("READY=1\0STATUS=serving 3\nWATCHDOG=1\0"
                .length()));
    }

    @Test
    void aMessageOf4095BytesFitsAndOneOf4096IsRefused() throws IOException {
        String longest = "STATUS=" + "x".repeat(4095 - 7);
        pipe.send(longest);
        assertEquals(longest + "\0", read(4096));

        IOException refused = assertThrows(IOException.class, () -> pipe.send(longest + "y"));
        assertTrue(refused.getMessage().contains("longer than 4095"), refused.getMessage());
        // Bytes count, not characters: 2048 two-byte characters are 4096 bytes.
        assertThrows(IOException.class, () -> pipe.send("é".repeat(2048)));
        pipe.send("READY=1");
        assertEquals("READY=1\0", read(8), "nothing of the refused messages reached the pipe");
    }

    @Test
    void messagesFromManyThreadsStayWhole() throws Exception {
        int threads = 4;
        int perThread = 10;
        int length = 4000; // near PIPE_BUF: a message split by the kernel would show up interleaved
        ExecutorService senders = Executors.newFixedThreadPool(threads);
        List<Future<?>> sent = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                char mark = (char) ('a' + t);
                sent.add(senders.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        pipe.send(String.valueOf(mark).repeat(length));
                    }
                    return null;
                }));
            }
            String all = read(threads * perThread * (length + 1)); // drains the FIFO while they write
            for (Future<?> done : sent) {
                done.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            }
            String[] messages = all.split("\0");
            assertEquals(threads * perThread, messages.length);
            for (String message : messages) {
                assertEquals(length, message.length());
                assertTrue(message.chars().allMatch(c -> c == message.charAt(0)), "interleaved: " + message);
            }
        } finally {
            senders.shutdownNow();
            assertTrue(senders.awaitTermination(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
        }
    }

    /** Reads exactly {@code count} bytes, polling so that a missing byte fails the test instead of hanging it. */
    private String read(int count) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (received.size() < count) {
            int available = reader.available();
            if (available > 0) {
                int n = reader.read(buffer, 0, Math.min(buffer.length, Math.min(available, count - received.size())));
                received.write(buffer, 0, n);
            } else if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("only " + received.size() + " of " + count + " bytes within " + DEADLINE);
            } else {
                LockSupport.parkNanos(1_000_000); // the polling interval
            }
        }
        assertEquals(0, reader.available(), "more bytes than expected in the pipe");
        return received.toString(StandardCharsets.UTF_8);
    }

    /** The descriptor number this process has the FIFO open on, as a worker knows its notify pipe's. */
}
