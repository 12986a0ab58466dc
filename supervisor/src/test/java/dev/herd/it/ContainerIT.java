package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * herd as a container's entrypoint: PID 1 of its own PID namespace (made with util-linux's unshare, as a
 * container runtime would), where every orphan is re-parented to it and nobody else would reap them.
 */
class ContainerIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void asPid1HerdReapsOrphansOfItsWorkersAndStillStopsCleanly() throws Exception {
        Cli.Result probe = Cli.run(Duration.ofSeconds(30), "unshare", "--pid", "--fork", "--mount-proc", "true");
        assumeTrue(probe.exitCode() == 0, "no PID namespaces here: " + probe.stderr());
        Path script = HerdProcess.HOME.resolve("supervisor/src/test/resources/echo_worker.py");
        Path config = dir.resolve("herd.json");
        Files.writeString(config, "{\"workers\": 1, \"heartbeatTimeout\": \"0\", \"worker\": {\"command\": "
                + "[\"/usr/bin/python3\", \"" + script + "\", \"--make-orphan\"]}}");
        ProcessBuilder builder = new ProcessBuilder("unshare", "--pid", "--fork", "--mount-proc",
                HerdProcess.LAUNCHER.toString(), "run", "--listen", "127.0.0.1:0", "-c", config.toString(),
                "--admin-socket", dir.resolve("run/herd.sock").toString()).redirectErrorStream(true);
        try (HerdProcess herd = HerdProcess.start(builder)) {
            herd.awaitLine("master\\[1\\] listening on", START); // PID 1 in its namespace

            herd.awaitLine("master\\[1\\] reaped orphan process \\d+: exit 7", START);

            long master = Poll.until(START, "the master's pid outside the namespace",
                    () -> herd.process().toHandle().children().findFirst().map(ProcessHandle::pid));
            assertEquals(List.of(), zombieChildren(master), "zombies left under PID 1");
            assertEquals("War and Peace", EchoClient.roundTrip(herd.port(), "War and Peace"));
            Cli.run(Duration.ofSeconds(10), "kill", "-TERM", Long.toString(master));
            assertEquals(0, herd.awaitExit(START), herd.output());
            assertTrue(herd.hasLine("master\\[1\\] worker-1 \\(pid \\d+\\) exited: exit 0"), herd.output());
        }
    }

    private static List<Long> zombieChildren(long parent) {
        return ProcessHandle.of(parent).map(p -> p.children()
                .filter(child -> ProcFs.state(child.pid()).equals(Optional.of("Z")))
                .map(ProcessHandle::pid).toList()).orElse(List.of());
    }
}
