package dev.herd.supervisor.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process's resident memory and CPU time, read from /proc (no native call): one read of /proc/PID/stat, whose
 * utime and stime count clock ticks of USER_HZ (which Linux fixes at 100 for user space on every architecture herd
 * runs on) and whose rss counts pages (the same counter as VmRSS in /proc/PID/status). One file, not also
 * /proc/PID/status: a status request reads every worker's, on the master's loop thread, and rendering the status
 * file (about 55 lines, signal masks among them) was the larger part of a 32-worker status reply's cost.
 *
 * @param residentBytes resident set size
 * @param cpuMillis     user and system CPU time used so far
 */
public record ProcessStats(long residentBytes, long cpuMillis) {

    private static final long USER_HZ = 100;

    /** The stats of {@code pid}, or empty if it has gone (or /proc is not there). */
    public static Optional<ProcessStats> of(int pid, long pageSize) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
            return Optional.of(parse(stat, pageSize));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Fields 14 and 15 (utime, stime) and 24 (rss) of /proc/PID/stat. The second field, the command name in
     * parentheses, may itself contain blanks and parentheses, so counting starts after the last ')'.
     */
    static ProcessStats parse(String stat, long pageSize) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state); utime is field 14, stime 15, rss 24.
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return new ProcessStats(Long.parseLong(fields[21]) * pageSize, ticks * 1000 / USER_HZ);
    }
}
