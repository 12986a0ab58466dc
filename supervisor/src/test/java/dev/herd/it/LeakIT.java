package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No leaks over time (issue 12): 50 worker restarts in a row, 40 rolling restarts through the admin socket and 10
 * SIGKILLs, and the master's descriptors, threads and heap after a full GC are where they were. bench/soak.sh does
 * the same 500 times.
 */
class LeakIT {

    private static final Duration START = Duration.ofSeconds(90);
    /** Each generation's "total NK, used NK" (G1 prints one line for its heap, the serial collector two). */
    private static final Pattern USED = Pattern.compile("total \\d+K, used (\\d+)K");

    @TempDir
    Path dir;

    @Test
    void fiftyRestartsLeaveTheMastersDescriptorsThreadsAndHeapWhereTheyWere() throws Exception {
        AdminFixture admin = new AdminFixture(dir);
        try (HerdProcess herd = admin.startHerd("--workers", "2")) {
            herd.awaitWorkersAccepting(2, START);
            for (int i = 0; i < 6; i++) { // warm up: the classes and code paths of a restart and of a crash
                restart(admin, herd, i);
            }
            double heapBefore = heapAfterGcMiB(herd.pid()); // also starts the JVM's attach listener thread
            int descriptorsBefore = settledDescriptors(herd.pid(), Integer.MAX_VALUE);
            int threadsBefore = threadsButJit(herd.pid());
            long from = System.nanoTime();
            for (int i = 0; i < 50; i++) {
                restart(admin, herd, i);
            }
            long took = System.nanoTime() - from;
            double heapAfter = heapAfterGcMiB(herd.pid());
            int descriptorsAfter = settledDescriptors(herd.pid(), descriptorsBefore);
            int threadsAfter = threadsButJit(herd.pid());
            System.out.printf("MEASURED 50 worker restarts (40 rolling, 10 SIGKILL) in %d ms: master descriptors %d -> %d,"
                            + " threads (without the JIT's compiler threads) %d -> %d, heap after full GC %.1f -> %.1f MiB%n", MasterFaultsIT.millis(took),
                    descriptorsBefore, descriptorsAfter, threadsBefore, threadsAfter, heapBefore, heapAfter);
            assertEquals(descriptorsBefore, descriptorsAfter, "descriptors:\n" + ProcFs.descriptors(herd.pid()));
            assertTrue(threadsAfter <= threadsBefore, "threads " + threadsBefore + " -> " + threadsAfter);
            assertTrue(heapAfter <= heapBefore + 2, "heap after GC " + heapBefore + " -> " + heapAfter + " MiB");
            assertEquals(EchoLoad.TITLE, EchoClient.roundTrip(herd.port(), EchoLoad.TITLE));
        }
    }

    /** Every fifth a SIGKILL of a worker, else a rolling restart of a slot; returns once its slot is ready again. */
    private static void restart(AdminFixture admin, HerdProcess herd, int i) throws IOException {
        int slot = 1 + i % 2;
        if (i % 5 == 4) {
            long pid = Poll.until(START, "slot " + slot + " ready", () -> admin.tryStatus().flatMap(s -> readyPid(s, slot)));
            Cli.run(Duration.ofSeconds(10), "kill", "-KILL", Long.toString(pid));
            Poll.until(START, "slot " + slot + " ready again after SIGKILL of " + pid, () -> admin.tryStatus()
                    .flatMap(s -> readyPid(s, slot)).filter(p -> p != pid).isPresent());
        } else {
            try (AdminSocketClient client = new AdminSocketClient(admin.socket())) {
                JsonNode reply = client.request("{\"command\":\"restart\",\"slot\":" + slot + "}");
                assertTrue(reply.path("ok").asBoolean(), "restart " + i + ": " + reply + "\n" + herd.output());
            }
        }
    }

    private static Optional<Long> readyPid(JsonNode status, int slot) {
        for (JsonNode worker : status.path("workers")) {
            if (worker.path("slot").asInt() == slot && worker.path("state").asText().equals("ready")
                    && status.path("workers").size() == 2) {
                return Optional.of(worker.path("pid").asLong());
            }
        }
        return Optional.empty();
    }

    /**
     * The master's descriptor count once it is down to {@code atMost} (a reaped worker's output pipes may stay open
     * for up to 2 s), or, when not there within 10 s, as it is then.
     */
    private static int settledDescriptors(long pid, int atMost) {
        try {
            return Poll.until(Duration.ofSeconds(10), "descriptors down to " + atMost, () -> {
                int now = ProcFs.descriptors(pid).size();
                return now <= atMost ? Optional.of(now) : Optional.empty();
            });
        } catch (AssertionError notThere) {
            return ProcFs.descriptors(pid).size();
        }
    }

    /**
     * The threads of a process but the JIT's compiler threads, which HotSpot starts and stops as it needs them
     * (UseDynamicNumberOfCompilerThreads): the count a leak would show in.
     */
    static int threadsButJit(long pid) throws IOException {
        int count = 0;
        try (var tasks = java.nio.file.Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String name = java.nio.file.Files.readString(task.resolve("comm"));
                    count += name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre") ? 0 : 1;
                } catch (java.nio.file.NoSuchFileException ended) {
                    // the thread ended while listing
                }
            }
        }
        return count;
    }

    /** jcmd PID GC.run, then the heap in use from jcmd PID GC.heap_info, with the jcmd of the master's own JDK. */
    static double heapAfterGcMiB(long pid) {
        String java = ProcessHandle.of(pid).orElseThrow().info().command().orElseThrow();
        String jcmd = Path.of(java).resolveSibling("jcmd").toString();
        Cli.Result gc = Cli.run(Duration.ofSeconds(60), jcmd, Long.toString(pid), "GC.run");
        assertEquals(0, gc.exitCode(), gc.toString());
        Cli.Result info = Cli.run(Duration.ofSeconds(60), jcmd, Long.toString(pid), "GC.heap_info");
        assertEquals(0, info.exitCode(), info.toString());
        Matcher used = USED.matcher(info.stdout());
        long kib = 0;
        boolean found = false;
        while (used.find()) {
            kib += Long.parseLong(used.group(1));
            found = true;
        }
        assertTrue(found, info.stdout());
        return kib / 1024.0;
    }

}
