package dev.herd.supervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessStatsTest {

    @Test
    void cpuTimeIsUserPlusSystemTicksAndResidentMemoryIsPagesCountedAfterTheCommandName() {
        // the command name may hold blanks and parentheses: fields are counted after the last ')'
        String stat = "4242 (java (worker) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 30 0 123 "
                + "4096 512 18446744073709551615";
        assertEquals(new ProcessStats(512 * 4096, 1750), ProcessStats.parse(stat, 4096));
    }

    @Test
    void residentMemoryAgreesWithVmRssOfTheStatusFile() throws Exception {
        int self = (int) ProcessHandle.current().pid();
        long resident = new PosixOs().processStats(self).orElseThrow().residentBytes();
        long vmRss = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status")).stream()
                .filter(line -> line.startsWith("VmRSS:")).mapToLong(line -> Long.parseLong(
                        line.substring(6).trim().split("\\s+")[0]) * 1024).findFirst().orElseThrow();
        // Both are the same counter, read a moment apart while this JVM runs: within 10 %.
        assertTrue(Math.abs(resident - vmRss) < vmRss / 10, resident + " vs VmRSS " + vmRss);
    }

    @Test
    void thisProcessHasResidentMemoryAndCpuTime() {
        ProcessStats self = new PosixOs().processStats((int) ProcessHandle.current().pid()).orElseThrow();
        assertTrue(self.residentBytes() > 1024 * 1024, self.toString());
        assertTrue(self.cpuMillis() > 0, self.toString());
    }

    @Test
    void aProcessThatIsGoneHasNone() {
        assertEquals(Optional.empty(), ProcessStats.of(Integer.MAX_VALUE, 4096));
    }
}
