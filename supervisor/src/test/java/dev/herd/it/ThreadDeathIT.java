package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A thread of the master that dies of an uncaught exception stops the master, which exits 71 (issue 19, item 11;
 * README, "Exit codes"): end to end, in a real master whose JVM runs {@link DyingThreadAgent}'s thread. The unit
 * test (ThreadDeathsTest) holds the handler; this one holds its wiring: installed in the master, the stop it
 * starts (the workers drain and go), and the exit status that reaches the process's parent.
 */
class ThreadDeathIT {

    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aThreadOfTheMasterThatDiesStopsTheMasterAndItsWorkersWithExit71() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path trigger = dir.resolve("die-now");
        String agent = "-javaagent:" + DyingThreadAgent.jar(dir) + "=" + trigger;
        try (HerdProcess herd = HerdProcess.start(List.of("run", "--listen", "127.0.0.1:0", "--workers", "2",
                "--admin-socket", admin.socket().toString()), Map.of("HERD_JAVA_OPTS", agent))) {
            int port = herd.port();
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);

            Files.createFile(trigger);

            assertEquals(71, herd.awaitExit(START), herd.output());
            herd.awaitLine("the " + DyingThreadAgent.THREAD + " thread died: java.lang.IllegalStateException: "
                    + DyingThreadAgent.FAILURE.replace("(", "\\(").replace(")", "\\)")
                    + "; stopping the master \\(it will exit 71\\)", START);
            for (long worker : workers.values()) {
                assertTrue(ProcFs.exited(worker), "worker " + worker + " outlived its master:\n" + herd.output());
                assertTrue(herd.hasLine("\\[" + worker + "\\] .*draining"), "worker " + worker + " did not drain:\n"
                        + herd.output());
            }
            assertEquals(Set.of(), Connections.listening(port), "something still listens on the port");
        }
    }
}
