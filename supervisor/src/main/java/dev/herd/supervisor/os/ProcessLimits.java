package dev.herd.supervisor.os;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The resource limits the master runs under, read from {@code /proc/self/limits} (plain file reads, no native call),
 * and whether they are enough for a given number of workers. {@link #report(int)} gives the lines to log at start:
 * one INFO line with the effective limits, and a WARN line for each limit below what that many workers need. The
 * workers inherit these limits. Under systemd the effective values can be lower than the unit's {@code LimitNOFILE=}
 * or {@code LimitNPROC=} without any error (a container whose bounding set lacks CAP_SYS_RESOURCE lowers them
 * silently), so the log line is where an operator sees what herd really got.
 */
public final class ProcessLimits {

    /** The value /proc prints as "unlimited" (RLIM_INFINITY). */
    public static final long UNLIMITED = Long.MAX_VALUE;

    /** Descriptors the master holds for itself: the JVM's jars and modules, the sockets, its log, /dev/random... */
    static final int MASTER_DESCRIPTORS = 64;
    /** Descriptors the master holds per worker: its notify socket and pipe, its stdout and stderr pipes. */
    static final int DESCRIPTORS_PER_WORKER = 4;
    /** Threads of one JVM, a worker or the master: GC, JIT, signal and reference handlers, the app's own. */
    static final int THREADS_PER_JVM = 40;

    private static final Path LIMITS = Path.of("/proc/self/limits");
    private static final Path STATUS = Path.of("/proc/self/status");

    /** How a {@link Line} is logged. */
    public enum Level { INFO, WARN }

    /** One line for the master's log. */
    public record Line(Level level, String text) {
        public void log() {
            if (level == Level.WARN) {
                Log.warn("%s", text);
            } else {
                Log.info("%s", text);
            }
        }
    }

    /** A soft and a hard limit; {@link #UNLIMITED} for none. */
    record Limit(long soft, long hard) {
        boolean isLimited() {
            return soft != UNLIMITED;
        }
    }

    private final Limit openFiles;
    private final Limit processes;
    private final long uid;

    private ProcessLimits(Limit openFiles, Limit processes, long uid) {
        this.openFiles = openFiles;
        this.processes = processes;
        this.uid = uid;
    }

    /**
     * The lines to log for this process and {@code workers} workers. If /proc cannot be read, one WARN line saying
     * so: the limits are worth a line in the log, never a failed start.
     */
    public static List<Line> report(int workers) {
        try {
            return parse(Files.readString(LIMITS), Files.readString(STATUS)).linesFor(workers);
        } catch (IOException | IllegalArgumentException e) {
            return List.of(new Line(Level.WARN, "limits: cannot read them from " + LIMITS + ": " + e.getMessage()));
        }
    }

    /**
     * Reads the text of {@code /proc/PID/limits} and the {@code Uid:} line of {@code /proc/PID/status}.
     *
     * @throws IllegalArgumentException if the open files or processes limit or the uid is missing or malformed
     */
    static ProcessLimits parse(String limits, String status) {
        Limit openFiles = null;
        Limit processes = null;
        for (String line : limits.split("\n")) {
            // The kernel prints "%-25s %-20s %-20s %-10s": the name is the first 25 columns and may contain spaces.
            if (line.length() <= 25) {
                continue;
            }
            String name = line.substring(0, 25).trim();
            if (name.equals("Max open files")) {
                openFiles = limitOf(name, line.substring(25));
            } else if (name.equals("Max processes")) {
                processes = limitOf(name, line.substring(25));
            }
        }
        if (openFiles == null || processes == null) {
            throw new IllegalArgumentException("no " + (openFiles == null ? "\"Max open files\"" : "\"Max processes\"")
                    + " line");
        }
        return new ProcessLimits(openFiles, processes, uidOf(status));
    }

    /** The INFO line with the effective limits, then a WARN line for each one too low for {@code workers}. */
    List<Line> linesFor(int workers) {
        List<Line> lines = new ArrayList<>();
        // RLIMIT_NPROC counts every thread of the user, and the kernel does not enforce it for root.
        boolean processesApply = processes.isLimited() && uid != 0;
        lines.add(new Line(Level.INFO, "limits: open files " + describe(openFiles) + " per process"
                + (processesApply ? ", processes and threads " + describe(processes) + " for uid " + uid : "")));
        // During a rolling restart a slot runs a replacement next to its old worker: one worker more.
        long files = MASTER_DESCRIPTORS + (long) DESCRIPTORS_PER_WORKER * (workers + 1);
        if (openFiles.soft() < files) {
            lines.add(new Line(Level.WARN, "limits: open files " + openFiles.soft() + " is below the " + files
                    + " the master needs for " + workers + " workers (about " + DESCRIPTORS_PER_WORKER
                    + " per worker and " + MASTER_DESCRIPTORS + " of its own): raise LimitNOFILE= in the unit"
                    + " (or ulimit -n)"));
        }
        // The workers, a replacement during a rolling restart, and the master: each a JVM.
        long threads = (long) THREADS_PER_JVM * (workers + 2);
        if (processesApply && processes.soft() < threads) {
            lines.add(new Line(Level.WARN, "limits: processes and threads " + processes.soft() + " is below the "
                    + threads + " threads that " + workers + " workers need (about " + THREADS_PER_JVM + " per JVM,"
                    + " counted over every process of uid " + uid + "): raise LimitNPROC= in the unit (or ulimit -u)"));
        }
        return lines;
    }

    Limit openFiles() {
        return openFiles;
    }

    Limit processes() {
        return processes;
    }

    private static Limit limitOf(String name, String values) {
        String[] fields = values.trim().split("\\s+");
        if (fields.length < 2) {
            throw new IllegalArgumentException("\"" + name + "\" has no soft and hard limit: '" + values.trim() + "'");
        }
        return new Limit(valueOf(name, fields[0]), valueOf(name, fields[1]));
    }

    private static long valueOf(String name, String field) {
        if (field.equals("unlimited")) {
            return UNLIMITED;
        }
        try {
            return Long.parseLong(field);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + name + "\": '" + field + "' is not a number", e);
        }
    }

    private static long uidOf(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).trim().split("\\s+");
                try {
                    return Long.parseLong(ids[0]); // the real uid, the one RLIMIT_NPROC counts for
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("malformed Uid line: '" + line + "'", e);
                }
            }
        }
        throw new IllegalArgumentException("no Uid line in /proc/self/status");
    }

    private static String describe(Limit limit) {
        if (!limit.isLimited()) {
            return "unlimited";
        }
        // The JVM raises its own soft open-files limit to the hard one at start, so the two usually agree.
        return limit.soft() == limit.hard() ? Long.toString(limit.soft())
                : limit.soft() + " (hard " + (limit.hard() == UNLIMITED ? "unlimited" : limit.hard()) + ")";
    }
}
