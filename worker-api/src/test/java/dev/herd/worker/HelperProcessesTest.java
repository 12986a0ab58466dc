package dev.herd.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herd.log.Log;
import dev.herd.log.LogCapture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an orphaned worker stops on its way out: its children (one in a session of its own, one deaf to SIGTERM)
 * and a double-forked grandchild that is no longer its descendant but still in its process group; never itself.
 * A shell that leads a group of its own (setsid) stands for the worker, which herd starts as a group leader.
 */
class HelperProcessesTest {

    private static final String HELPERS = String.join("\n",
            "sleep 600 & plain=$!",
            "sh -c \"trap '' TERM; exec sleep 600\" & deaf=$!",
            "setsid sleep 600 & detached=$!",
            "orphan=$(sh -c 'sleep 600 >/dev/null 2>&1 & echo $!')",
            "echo \"$plain $deaf $detached $orphan\"",
            "read forever");

    @RegisterExtension
    final LogCapture log = new LogCapture();

    @Test
    void aWorkersChildrenAndTheRestOfItsGroupGetSigtermThenSigkillAndTheWorkerItselfNothing() throws Exception {
        Process leader = new ProcessBuilder("setsid", "sh", "-c", HELPERS).redirectErrorStream(true).start();
        List<Long> helpers = List.of();
        try {
            String line = new BufferedReader(new InputStreamReader(leader.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            helpers = Arrays.stream(line.trim().split(" ")).map(Long::parseLong).toList();
            List<Long> started = helpers;
            // The deaf one has set its trap once it is sleep.
            await("every helper sleeping", () -> started.stream().allMatch(pid -> "sleep".equals(comm(pid))));
            assertEquals(leader.pid(), processGroupOf(helpers.get(3)), "the orphan is in the leader's group");

            int signalled = HelperProcesses.of(leader.pid()).stop(Duration.ofMillis(300));

            assertEquals(4, signalled);
            await("every helper gone", () -> started.stream().allMatch(HelperProcessesTest::gone));
            assertTrue(leader.isAlive(), "the worker itself was signalled");
            log.expect(Log.Level.INFO, "SIGKILL to [" + helpers.get(1) + "], still there 300 ms after their SIGTERM");
            assertEquals(List.of(), HelperProcesses.of(leader.pid()).find());
        } finally {
            helpers.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            leader.destroyForcibly().waitFor();
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what);
            Thread.sleep(20);
        }
    }

    private static String comm(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim();
        } catch (IOException gone) {
            return "";
        }
    }

    /** Exited: no /proc entry, or a zombie waiting for its parent. */
    private static boolean gone(long pid) {
        String[] fields = stat(pid);
        return fields.length == 0 || fields[0].equals("Z");
    }

    private static long processGroupOf(long pid) {
        return Long.parseLong(stat(pid)[2]);
    }

    private static String[] stat(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
        } catch (IOException gone) {
            return new String[0];
        }
    }
}
