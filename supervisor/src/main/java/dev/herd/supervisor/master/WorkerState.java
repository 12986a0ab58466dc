package dev.herd.supervisor.master;

import java.util.Set;

/**
 * The life of one worker process, as the master sees it. {@code RUNNING -> STOPPING} when the master asks it to
 * drain; either ends in {@code EXITED} once waitpid has reaped it. Illegal moves throw, so a bug shows at once.
 */
public enum WorkerState {
    RUNNING, STOPPING, EXITED;

    private Set<WorkerState> next() {
        return switch (this) {
            case RUNNING -> Set.of(STOPPING, EXITED);
            case STOPPING -> Set.of(EXITED);
            case EXITED -> Set.of();
        };
    }

    WorkerState moveTo(WorkerState target) {
        if (!next().contains(target)) {
            throw new IllegalStateException("worker cannot go from " + this + " to " + target);
        }
        return target;
    }

    /** The lower-case name used in logs and status replies. */
    public String label() {
        return name().toLowerCase();
    }
}
