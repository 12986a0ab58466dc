package dev.herd.supervisor.master;

import dev.herd.log.Log;
import dev.herd.supervisor.os.OsException;
import dev.herd.supervisor.os.PosixOs;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Copies one worker's stdout and stderr (a pipe) to the master's stderr, line by line, tagging every line that is
 * not already in herd's log format with the worker's slot and pid. Why a pipe at all: a JVM worker that closes
 * its inherited listening channel gets /dev/null dup2'ed over fds 0, 1 and 2 by the JDK (made for inetd, which
 * passes the socket on all three), so a worker writing to the master's stderr directly would go silent exactly
 * when it drains. Through a pipe, the worker can reopen its end first ({@code dev.herd.worker.StandardStreams}).
 */
final class OutputRelay implements Runnable {

    /** A longer "line" is passed on in pieces, so a worker printing without newlines cannot grow the master. */
    private static final int MAX_LINE_BYTES = 16 * 1024;

    private final PosixOs os;
    private final int readFd;
    private final String source;
    private final int pid;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private OutputRelay(PosixOs os, int readFd, String source, int pid) {
        this.os = os;
        this.readFd = readFd;
        this.source = source;
        this.pid = pid;
    }

    static Thread start(PosixOs os, int readFd, String source, int pid) {
        Thread thread = new Thread(new OutputRelay(os, readFd, source, pid), "relay-" + source + "-" + pid);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        byte[] buffer = new byte[8192];
        try {
            for (int count; (count = os.read(readFd, buffer)) > 0; ) {
                append(buffer, count);
            }
        } catch (OsException e) {
            Log.warn("relaying %s output: %s", source, e.getMessage());
        } finally {
            flushLine();
            try {
                os.close(readFd);
            } catch (OsException e) {
                Log.warn("%s", e.getMessage());
            }
        }
    }

    private void append(byte[] buffer, int count) {
        for (int i = 0; i < count; i++) {
            if (buffer[i] == '\n') {
                flushLine();
            } else {
                line.write(buffer[i]);
                if (line.size() >= MAX_LINE_BYTES) {
                    flushLine();
                }
            }
        }
    }

    private void flushLine() {
        if (line.size() > 0) {
            Log.relay(source, pid, line.toString(StandardCharsets.UTF_8));
            line.reset();
        }
    }
}
