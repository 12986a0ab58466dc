package dev.herd.worker.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.herd.worker.WorkerContract;
import org.junit.jupiter.api.Test;

/**
 * The master names the built-in apps' main class as a string (it does not link against this module): it must be
 * this one.
 */
class WorkerMainNameTest {

    @Test
    void theContractNamesTheBuiltInAppsMainClass() {
        assertEquals(WorkerMain.class.getName(), WorkerContract.BUILT_IN_APP_MAIN);
    }
}
