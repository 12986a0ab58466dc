package dev.herd.worker;

import dev.herd.log.Log;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * The processes a worker started, stopped by the worker itself when its master is gone (issue 19, item 1). While
 * the master lives it stops a worker's helpers once the worker has exited (it is their subreaper); a SIGKILLed
 * master cannot, and outside systemd's control group or a container's PID namespace they would keep the shared
 * port. So the worker does it on its way out: SIGTERM to each, SIGKILL to what is left after a grace.
 *
 * <p>A helper is a descendant of the worker (a child in a session of its own included) or a member of the process
 * group the worker leads (a double-forked grandchild, re-parented away). The JDK has no call that signals a group
 * ({@code kill(0, SIGTERM)} would need native code), so each is signalled by pid through a {@link ProcessHandle},
 * which checks the process's start time before it signals: a pid reused since it was found is left alone.
 */
final class HelperProcesses {

    private static final Path PROC = Path.of("/proc");
    private static final long POLL_MILLIS = 20;

    private final long leader;

    private HelperProcesses(long leader) {
        this.leader = leader;
    }

    /** The helpers of this process. */
    static HelperProcesses ofThisWorker() {
        return new HelperProcesses(ProcessHandle.current().pid());
    }

    /** The helpers of {@code leader}, a process of this user (for the tests, which cannot be a worker). */
    static HelperProcesses of(long leader) {
        return new HelperProcesses(leader);
    }

    /**
     * SIGTERM to every helper, then SIGKILL to every helper still there after {@code grace} (found again: a helper
     * may have started another meanwhile). Returns how many were sent SIGTERM.
     */
    int stop(Duration grace) {
        List<ProcessHandle> helpers = find();
        if (helpers.isEmpty()) {
            return 0;
        }
        Log.info("the master is gone: SIGTERM to the %d processes this worker started (%s), SIGKILL after %d ms to "
                + "any left", helpers.size(), pids(helpers), grace.toMillis());
        helpers.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + grace.toNanos();
        while (helpers.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            try {
                // A deadline, not synchronisation: a helper that is not our child has no exit to wait on.
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<ProcessHandle> left = find();
        if (!left.isEmpty()) {
            Log.info("SIGKILL to %s, still there %d ms after their SIGTERM", pids(left), grace.toMillis());
            left.forEach(ProcessHandle::destroyForcibly);
        }
        return helpers.size();
    }

    /** The leader's descendants and the other live members of the group it leads, each once, by pid. */
    List<ProcessHandle> find() {
        Map<Long, ProcessHandle> found = new LinkedHashMap<>();
        ProcessHandle.of(leader).ifPresent(self -> self.descendants().forEach(p -> found.put(p.pid(), p)));
        if (processGroupOf(leader).equals(OptionalLong.of(leader))) {
            try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
                all.filter(p -> p.pid() != leader && processGroupOf(p.pid()).equals(OptionalLong.of(leader)))
                        .forEach(p -> found.putIfAbsent(p.pid(), p));
            }
        }
        found.values().removeIf(p -> !p.isAlive() || exited(p.pid()));
        return List.copyOf(found.values());
    }

    /** Field 5 of /proc/PID/stat, or empty for a process that is gone. */
    private static OptionalLong processGroupOf(long pid) {
        String[] fields = statFieldsAfterName(pid);
        return fields.length > 2 ? OptionalLong.of(Long.parseLong(fields[2])) : OptionalLong.empty();
    }

    /** A zombie has run all its code: signalling it is pointless, and waiting for it would wait for its reaper. */
    private static boolean exited(long pid) {
        String[] fields = statFieldsAfterName(pid);
        return fields.length == 0 || fields[0].equals("Z") || fields[0].equals("X");
    }

    /** The fields after the command name, which may hold spaces and parentheses: state, ppid, pgrp, ... */
    private static String[] statFieldsAfterName(long pid) {
        try {
            String stat = Files.readString(PROC.resolve(Long.toString(pid)).resolve("stat"));
            return stat.substring(stat.lastIndexOf(')') + 1).trim().split(" ");
        } catch (IOException gone) {
            return new String[0]; // it exited meanwhile: nothing to stop
        }
    }

    private static List<Long> pids(List<ProcessHandle> processes) {
        return processes.stream().map(ProcessHandle::pid).toList();
    }
}
