package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many workers, few master threads (issue 12): one thread reads every worker's notify socket, notify pipe and
 * output, so the master's thread count does not grow with its workers. 64 echo workers here (small JVMs, to keep
 * CI short); bench/many-workers.sh runs 256.
 */
class ManyWorkersIT {

    private static final int WORKERS = 64;
    private static final Duration START = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    @Test
    void sixtyFourWorkersLeaveTheMasterUnderFortyThreads() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        Path config = Files.writeString(dir.resolve("herd.json"), "{\"workers\": " + WORKERS + ", \"readyTimeout\": "
                + "\"5m\", \"worker\": {\"jvmOptions\": [\"-Xmx32m\", \"-XX:+UseSerialGC\", "
                + "\"-XX:TieredStopAtLevel=1\"]}}");
        long from = System.nanoTime();
        try (HerdProcess herd = admin.startHerd("-c", config.toString())) {
            int mostThreads = 0;
            while (true) {
                if (!herd.process().isAlive()) {
                    throw new AssertionError("herd exited:\n" + herd.output());
                }
                mostThreads = Math.max(mostThreads, threads(herd.pid()));
                if (admin.tryStatus().map(s -> s.path("readyWorkers").asInt()).orElse(0) == WORKERS) {
                    break;
                }
                if (System.nanoTime() - from > START.toNanos()) {
                    throw new AssertionError(WORKERS + " workers not ready within " + START + ":\n" + herd.output());
                }
                Poll.pause();
            }
            long allReady = System.nanoTime() - from;
            mostThreads = Math.max(mostThreads, threads(herd.pid()));
            assertEquals(EchoLoad.TITLE, EchoClient.roundTrip(herd.port(), EchoLoad.TITLE));
            long rss = residentKiB(herd.pid());
            System.out.printf("MEASURED %d echo workers: all ready %d ms after bin/herd run; master threads at most %d, "
                    + "now %d; master RSS %d MB, descriptors %d%n", WORKERS, MasterFaultsIT.millis(allReady), mostThreads,
                    threads(herd.pid()), rss / 1024, ProcFs.descriptors(herd.pid()).size());
            assertTrue(mostThreads < 40, mostThreads + " master threads with " + WORKERS + " workers");

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START), herd.output());
        }
    }

    static int threads(long pid) {
        return AdminFloodIT.ProcFsThreads.of(pid);
    }

    /** VmRSS of /proc/PID/status, in KiB. */
    static long residentKiB(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
            }
        }
        throw new AssertionError("no VmRSS for " + pid);
    }
}
