package dev.herd.supervisor.os;

import java.util.List;
import java.util.Map;

/**
 * A process to start: an absolute executable path, its argv (argv[0] included) and its whole environment, and
 * the descriptors it inherits: {@code stdinFd} becomes its fd 0, {@code outputFd} its fd 1 and 2, and
 * {@code lifelineFd} its fd 3. Every other descriptor of the master is closed in the child.
 */
public record SpawnRequest(String executable, List<String> argv, Map<String, String> environment,
                           int stdinFd, int outputFd, int lifelineFd) {

    public SpawnRequest {
        argv = List.copyOf(argv);
        environment = Map.copyOf(environment);
    }
}
