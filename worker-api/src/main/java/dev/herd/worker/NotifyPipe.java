package dev.herd.worker;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * herd's notify pipe ({@link WorkerContract#NOTIFY_PIPE_FD}): each message is written with its terminating NUL in
 * one write(2) of at most PIPE_BUF bytes, which the kernel keeps whole even with other threads writing. Opening
 * /proc/self/fd/N gives the JDK a stream on the inherited pipe without native code: loading jnr-unixsocket for a
 * datagram socket cost a JVM worker about 250 ms of start-up and several MB.
 */
final class NotifyPipe implements Notifier {

    /** PIPE_BUF on Linux: writes up to this size are atomic. */
    private static final int PIPE_BUF = 4096;

    private final int fd;
    private final FileOutputStream pipe;

    private NotifyPipe(int fd, FileOutputStream pipe) {
        this.fd = fd;
        this.pipe = pipe;
    }

    static NotifyPipe open(int fd) throws IOException {
        return new NotifyPipe(fd, new FileOutputStream("/proc/self/fd/" + fd));
    }

    @Override
    public synchronized void send(String message) throws IOException {
        byte[] text = message.getBytes(StandardCharsets.UTF_8);
        if (text.length + 1 > PIPE_BUF) {
            throw new IOException("notify message of " + text.length + " bytes is longer than " + (PIPE_BUF - 1));
        }
        byte[] record = java.util.Arrays.copyOf(text, text.length + 1); // the last byte stays 0: the terminator
        pipe.write(record);
    }

    @Override
    public String describe() {
        return "notify pipe on fd " + fd;
    }
}
