package dev.herd.supervisor.os;

import java.util.List;
import java.util.Map;

/**
 * A process to start: an absolute executable path (PATH is not searched), its argv (argv[0] included), its whole
 * environment, and the descriptors it inherits: {@code descriptors.get(n)} is the master's descriptor that becomes
 * the child's fd n, for n = 0, 1, 2, ... Every other descriptor of the master is closed in the child. A
 * {@code background} process runs at the lowest CPU priority there is (SCHED_IDLE from its first instruction, and
 * nice 19): work that must never slow the processes that serve, such as a class-data training run.
 */
public record SpawnRequest(String executable, List<String> argv, Map<String, String> environment,
                           List<Integer> descriptors, boolean background) {

    public SpawnRequest(String executable, List<String> argv, Map<String, String> environment,
                        List<Integer> descriptors) {
        this(executable, argv, environment, descriptors, false);
    }

    public SpawnRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
        descriptors = List.copyOf(descriptors);
        if (descriptors.size() < 3) {
            throw new IllegalArgumentException("a child needs at least fds 0, 1 and 2, got " + descriptors);
        }
    }
}
