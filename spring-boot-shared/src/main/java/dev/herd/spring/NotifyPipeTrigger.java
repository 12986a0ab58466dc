package dev.herd.spring;

import dev.herd.worker.WorkerContract;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Sends {@code WATCHDOG=trigger} (herd kills and replaces the worker at once) down herd's notify pipe. The worker
 * API has no call for it; the message format is the pipe's contract ({@link WorkerContract#NOTIFY_FD}): one write of
 * the message and its terminating NUL, which the kernel keeps whole next to the API's own writes.
 */
final class NotifyPipeTrigger {

    private NotifyPipeTrigger() {
    }

    static void send() throws IOException {
        String fd = System.getenv(WorkerContract.NOTIFY_FD);
        if (fd == null || fd.isEmpty()) {
            throw new IOException(WorkerContract.NOTIFY_FD + " is not set: no notify pipe to herd");
        }
        try (FileOutputStream pipe = new FileOutputStream("/proc/self/fd/" + Integer.parseInt(fd.trim()))) {
            pipe.write("WATCHDOG=trigger\0".getBytes(StandardCharsets.US_ASCII));
        }
    }
}
