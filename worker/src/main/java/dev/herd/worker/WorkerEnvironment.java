package dev.herd.worker;

import java.util.Map;

/**
 * What the master tells a worker through its environment: the worker's slot (1..N) and the master's pid.
 * Outside herd (a developer starting a worker by hand) both read as 0.
 */
public record WorkerEnvironment(int slot, long masterPid) {

    public static final String SLOT = "HERD_WORKER_SLOT";
    public static final String MASTER_PID = "HERD_MASTER_PID";

    public static WorkerEnvironment fromSystem() {
        return from(System.getenv());
    }

    static WorkerEnvironment from(Map<String, String> env) {
        return new WorkerEnvironment(
                (int) parseOrZero(env.get(SLOT)),
                parseOrZero(env.get(MASTER_PID)));
    }

    private static long parseOrZero(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
