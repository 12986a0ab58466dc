package dev.herd.supervisor.master;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The master's own files: the log file (or stderr) and the pid file. Made at start, changed by a reload whose
 * {@code logFile} or {@code pidFile} differs (the pid file moves, the log goes on at the new path), the pid file
 * removed at exit. Used on the master thread.
 */
final class ProcessFiles implements AutoCloseable {

    private final int pid;
    private Optional<Path> logFile = Optional.empty();
    private PidFile pidFile;

    private ProcessFiles(int pid) {
        this.pid = pid;
    }

    /** Opens the log file first, so that every later line (errors included) goes there. */
    static ProcessFiles openLog(Optional<Path> logFile, int pid) throws IOException {
        ProcessFiles files = new ProcessFiles(pid);
        files.switchLog(logFile);
        return files;
    }

    /** Writes the pid file, once the master has its socket (a monitor that sees it may expect service). */
    void writePidFile(Optional<Path> path) throws IOException {
        if (path.isPresent()) {
            pidFile = PidFile.write(path.get(), pid);
        }
    }

    /**
     * Applies a reload's {@code logFile} and {@code pidFile}, whole or not at all: the new pid file is written
     * first, then the new log file opened; if either fails, what was done is undone (the new pid file removed) and
     * the old files stay in use. Only then is the old pid file removed.
     */
    void apply(Optional<Path> nextLog, Optional<Path> nextPid) throws IOException {
        Optional<Path> currentPid = pidFile == null ? Optional.empty() : Optional.of(pidFile.path());
        boolean movePid = !nextPid.map(Path::toAbsolutePath).equals(currentPid);
        PidFile written = movePid && nextPid.isPresent() ? PidFile.write(nextPid.get(), pid) : null;
        if (!nextLog.equals(logFile)) {
            try {
                switchLog(nextLog);
            } catch (IOException e) {
                if (written != null) {
                    remove(written);
                }
                throw e;
            }
            Log.info("reload: logging to %s", nextLog.map(Object::toString).orElse("stderr"));
        }
        if (movePid) {
            PidFile previous = pidFile;
            pidFile = written;
            if (previous != null) {
                remove(previous);
            }
            Log.info("reload: pid file %s", nextPid.map(Object::toString).orElse("removed"));
        }
    }

    /** Removing a pid file can fail (its directory made read-only meanwhile): said, and not worth a refusal. */
    private static void remove(PidFile file) {
        try {
            file.close();
        } catch (IOException e) {
            Log.warn("cannot remove the pid file %s: %s", file.path(), e.getMessage());
        }
    }

    private void switchLog(Optional<Path> next) throws IOException {
        if (next.isPresent()) {
            Log.toFile(next.get());
        } else {
            Log.toStderr();
        }
        logFile = next;
    }

    @Override
    public void close() throws IOException {
        if (pidFile != null) {
            pidFile.close();
        }
    }
}
