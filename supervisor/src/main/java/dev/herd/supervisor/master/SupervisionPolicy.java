package dev.herd.supervisor.master;

import dev.herd.config.HerdConfig;
import java.time.Duration;

/**
 * The timing rules the master loop applies to workers, taken from the configuration (and replaced by a reload).
 *
 * @param gracefulTimeout   how long a stopping worker may drain before SIGKILL
 * @param readyTimeout      how long a starting worker may take to send READY=1 before it is killed
 * @param heartbeatTimeout  how long a ready worker may stay silent (no WATCHDOG=1) before it is killed as hung;
 *                          zero turns hang detection off
 * @param maxRequests       how much a worker may serve before it is replaced (0: no limit)
 * @param maxRequestsJitter up to this much is added at random to each worker's limit, so they do not all recycle
 *                          at once
 * @param flappingCrashes   more crashes than this within {@code flappingWindow} put a slot in state backoff
 * @param flappingWindow    the window the flapping rule counts crashes in
 * @param hangDiagnostics   whether a hung JVM worker gets SIGQUIT (a thread dump in the log) before SIGKILL
 * @param maxWorkerMemory   resident memory above which a worker is recycled (0: no limit)
 */
record SupervisionPolicy(
        Duration gracefulTimeout,
        Duration readyTimeout,
        Duration heartbeatTimeout,
        long maxRequests,
        long maxRequestsJitter,
        int flappingCrashes,
        Duration flappingWindow,
        boolean hangDiagnostics,
        long maxWorkerMemory) {

    /** The policy a configuration asks for. */
    static SupervisionPolicy from(HerdConfig config) {
        return new SupervisionPolicy(config.gracefulTimeout(), config.readyTimeout(), config.heartbeatTimeout(),
                config.maxRequests(), config.maxRequestsJitter(), config.flappingCrashes(), config.flappingWindow(),
                config.hangDiagnostics(), config.maxWorkerMemory().orElse(0L));
    }
}
