package dev.herd.supervisor.master;

import java.util.Locale;

/**
 * Why a worker was replaced or stopped: shown in {@code status} and the log line of each restart, and the
 * {@code reason} label of {@code herd_worker_restarts_total}. The first group are faults, which count as the slot's
 * restarts and feed its backoff; the second are planned, and the replacement is ready before the old worker drains.
 */
public enum RestartReason {
    /** It exited or was killed by a signal on its own, after it was ready. */
    CRASH(true),
    /** It exited before it was ever ready: it cannot boot (a missing class, a port it wanted, a bad option). */
    BOOT_FAILURE(true),
    /** A JVM worker died of OutOfMemoryError. */
    OOM(true),
    /** It stopped sending heartbeats (or asked to be killed with WATCHDOG=trigger) and was killed. */
    HANG(true),
    /** It served maxRequests. */
    RECYCLE(false),
    /** Its resident memory stayed above maxWorkerMemory. */
    MEMORY(false),
    /** A reload replaced it with the new configuration. */
    RELOAD(false),
    /** {@code herd restart}. */
    RESTART(false),
    /** It announced STOPPING=1 and left on its own. */
    EXIT(false),
    /** A scale-down stopped it. */
    SCALE(false),
    /** {@code herd upgrade}: the upgraded master replaced it, a worker of the master before. */
    UPGRADE(false);

    private final boolean fault;

    RestartReason(boolean fault) {
        this.fault = fault;
    }

    /** Whether it is a fault: counted in the slot's restarts and crash window, and backed off from. */
    public boolean fault() {
        return fault;
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
