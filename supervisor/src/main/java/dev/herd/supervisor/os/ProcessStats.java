package dev.herd.supervisor.os;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A process's resident memory and CPU time, read from /proc (no native call): {@code VmRSS} from
 * /proc/PID/status, which states its unit, and utime + stime from /proc/PID/stat in clock ticks of USER_HZ, which
 * Linux fixes at 100 for user space on every architecture herd runs on. Cheap enough to read for every worker on
 * every status request.
 *
 * @param residentBytes resident set size
 * @param cpuMillis     user and system CPU time used so far
 */
public record ProcessStats(long residentBytes, long cpuMillis) {

    private static final long USER_HZ = 100;

    /** The stats of {@code pid}, or empty if it has gone (or /proc is not there). */
    public static Optional<ProcessStats> of(int pid) {
        try {
            return Optional.of(new ProcessStats(residentBytes(pid), cpuMillis(pid)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** VmRSS from /proc/PID/status, e.g. {@code VmRSS:	   51234 kB}. */
    static long residentBytes(int pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                String[] fields = line.substring(6).trim().split("\\s+");
                return Long.parseLong(fields[0]) * 1024; // always kB
            }
        }
        return 0; // a zombie has no VmRSS line
    }

    /**
     * Fields 14 and 15 of /proc/PID/stat. The second field, the command name in parentheses, may itself contain
     * blanks and parentheses, so counting starts after the last ')'.
     */
    static long cpuMillis(int pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"), StandardCharsets.US_ASCII);
        return parseCpuMillis(stat);
    }

    static long parseCpuMillis(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // fields[0] is field 3 (state); utime is field 14, stime field 15.
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        return ticks * 1000 / USER_HZ;
    }
}
