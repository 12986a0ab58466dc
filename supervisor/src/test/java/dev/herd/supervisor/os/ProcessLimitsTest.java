package dev.herd.supervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.supervisor.os.ProcessLimits.Level;
import dev.herd.supervisor.os.ProcessLimits.Line;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessLimitsTest {

    /** /proc/self/limits of the master under herd.service in the systemd-nspawn test: LimitNOFILE=65536 lowered. */
    private static final String IN_CONTAINER = limits("20000                20000", "96365                96365");

    private static final String HERD_USER = "Name:\tjava\nUmask:\t0027\nState:\tS (sleeping)\nUid:\t999\t999\t999\t999\n"
            + "Gid:\t999\t999\t999\t999\n";
    private static final String ROOT = "Name:\tjava\nUid:\t0\t0\t0\t0\n";

    private static String limits(String openFiles, String processes) {
        return """
                Limit                     Soft Limit           Hard Limit           Units    \s
                Max cpu time              unlimited            unlimited            seconds  \s
                Max file size             unlimited            unlimited            bytes    \s
                Max data size             unlimited            unlimited            bytes    \s
                Max stack size            8388608              unlimited            bytes    \s
                Max core file size        0                    unlimited            bytes    \s
                Max resident set          unlimited            unlimited            bytes    \s
                Max processes             %s processes\s
                Max open files            %s files    \s
                Max locked memory         8388608              8388608              bytes    \s
                Max address space         unlimited            unlimited            bytes    \s
                Max file locks            unlimited            unlimited            locks    \s
                Max pending signals       96365                96365                signals  \s
                Max msgqueue size         819200               819200               bytes    \s
                Max nice priority         0                    0                   \s
                Max realtime priority     0                    0                   \s
                Max realtime timeout      unlimited            unlimited            us       \s
                """.formatted(processes, openFiles);
    }

    @Test
    void readsTheOpenFilesAndProcessesLimits() {
        ProcessLimits limits = ProcessLimits.parse(IN_CONTAINER, HERD_USER);

        assertEquals(new ProcessLimits.Limit(20000, 20000), limits.openFiles());
        assertEquals(new ProcessLimits.Limit(96365, 96365), limits.processes());
    }

    @Test
    void enoughForTheWorkersIsOneInfoLineWithTheEffectiveLimits() {
        List<Line> lines = ProcessLimits.parse(IN_CONTAINER, HERD_USER).linesFor(4);

        assertEquals(List.of(new Line(Level.INFO,
                "limits: open files 20000 per process, processes and threads 96365 for uid 999")), lines);
    }

    @Test
    void aSoftLimitBelowTheHardOneShowsBoth() {
        List<Line> lines = ProcessLimits.parse(limits("1024                 524288", "unlimited            unlimited"),
                HERD_USER).linesFor(2);

        assertEquals(List.of(new Line(Level.INFO, "limits: open files 1024 (hard 524288) per process")), lines);
    }

    @Test
    void tooFewOpenFilesForTheWorkersIsAWarning() {
        // 64 of the master's own + 4 per worker, one replacement included: 64 + 4 * 301 = 1268 > 1024.
        List<Line> lines = ProcessLimits.parse(limits("1024                 1024", "unlimited            unlimited"),
                HERD_USER).linesFor(300);

        assertEquals(2, lines.size());
        assertEquals(Level.WARN, lines.get(1).level());
        assertEquals("limits: open files 1024 is below the 1268 the master needs for 300 workers (about 4 per worker"
                + " and 64 of its own): raise LimitNOFILE= in the unit (or ulimit -n)", lines.get(1).text());
    }

    @Test
    void exactlyEnoughOpenFilesIsNoWarning() {
        // 64 + 4 * (239 + 1) = 1024.
        List<Line> lines = ProcessLimits.parse(limits("1024                 1024", "unlimited            unlimited"),
                HERD_USER).linesFor(239);

        assertEquals(1, lines.size());
    }

    @Test
    void tooFewProcessesForTheWorkersIsAWarning() {
        // 40 threads per JVM for 16 workers, a replacement and the master: 40 * 18 = 720 > 500.
        List<Line> lines = ProcessLimits.parse(limits("65536                65536", "500                  500"),
                HERD_USER).linesFor(16);

        assertEquals(List.of(
                new Line(Level.INFO, "limits: open files 65536 per process, processes and threads 500 for uid 999"),
                new Line(Level.WARN, "limits: processes and threads 500 is below the 720 threads that 16 workers need"
                        + " (about 40 per JVM, counted over every process of uid 999): raise LimitNPROC= in the unit"
                        + " (or ulimit -u)")), lines);
    }

    @Test
    void theProcessesLimitDoesNotApplyToRoot() {
        List<Line> lines = ProcessLimits.parse(limits("65536                65536", "500                  500"), ROOT)
                .linesFor(16);

        assertEquals(List.of(new Line(Level.INFO, "limits: open files 65536 per process")), lines);
    }

    @Test
    void anUnlimitedProcessesLimitIsLeftOut() {
        List<Line> lines = ProcessLimits.parse(limits("65536                65536", "unlimited            unlimited"),
                HERD_USER).linesFor(1024);

        assertEquals(1, lines.size());
        assertFalse(lines.get(0).text().contains("processes"), lines.get(0).text());
    }

    @Test
    void malformedTextIsRefusedWithWhatIsWrong() {
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> ProcessLimits.parse("Limit                     Soft Limit           Hard Limit\n", HERD_USER));
        assertTrue(missing.getMessage().contains("Max open files"), missing.getMessage());

        IllegalArgumentException notANumber = assertThrows(IllegalArgumentException.class,
                () -> ProcessLimits.parse(limits("lots                 1024", "500                  500"), HERD_USER));
        assertTrue(notANumber.getMessage().contains("'lots' is not a number"), notANumber.getMessage());

        IllegalArgumentException noUid = assertThrows(IllegalArgumentException.class,
                () -> ProcessLimits.parse(IN_CONTAINER, "Name:\tjava\n"));
        assertTrue(noUid.getMessage().contains("Uid"), noUid.getMessage());
    }

    @Test
    void thisProcessHasReadableLimits() {
        List<Line> lines = ProcessLimits.report(4);

        assertEquals(Level.INFO, lines.get(0).level(), lines.toString());
        assertTrue(lines.get(0).text().startsWith("limits: open files "), lines.toString());
    }
}
