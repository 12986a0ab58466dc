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
     * Applies a reload's {@code logFile} and {@code pidFile}. The new pid file is written before the old one is
     * removed, and a log file that cannot be opened leaves the old one in use; either failure refuses the reload.
     */
    void apply(Optional<Path> nextLog, Optional<Path> nextPid) throws IOException {
        Optional<Path> currentPid = pidFile == null ? Optional.empty() : Optional.of(pidFile.path());
        if (!nextPid.map(Path::toAbsolutePath).equals(currentPid)) {
            PidFile next = nextPid.isPresent() ? PidFile.write(nextPid.get(), pid) : null;
            PidFile previous = pidFile;
            pidFile = next;
            if (previous != null) {
                previous.close();
            }
            Log.info("reload: pid file %s", nextPid.map(Object::toString).orElse("removed"));
        }
        if (!nextLog.equals(logFile)) {
            switchLog(nextLog);
            Log.info("reload: logging to %s", nextLog.map(Object::toString).orElse("stderr"));
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
