package dev.herd.supervisor.os;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessStatsTest {

    @Test
    void cpuTimeIsUserPlusSystemTicksCountedAfterTheCommandName() {
        // the command name may hold blanks and parentheses: fields are counted after the last ')'
        String stat = "4242 (java (worker) 1) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 30 0 123 "
                + "4096 512 18446744073709551615";
        assertEquals(1750, ProcessStats.parseCpuMillis(stat));
    }

    @Test
    void thisProcessHasResidentMemoryAndCpuTime() {
        ProcessStats self = ProcessStats.of((int) ProcessHandle.current().pid()).orElseThrow();
        assertTrue(self.residentBytes() > 1024 * 1024, self.toString());
        assertTrue(self.cpuMillis() > 0, self.toString());
    }

    @Test
    void aProcessThatIsGoneHasNone() {
        assertEquals(Optional.empty(), ProcessStats.of(Integer.MAX_VALUE));
    }
}
