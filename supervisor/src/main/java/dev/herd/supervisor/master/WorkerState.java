package dev.herd.supervisor.master;

import java.util.Set;

/**
 * The life of one worker process, as the master sees it: {@code STARTING} until it sends READY=1, {@code READY}
 * while it serves, {@code STOPPING} once the master asked it to drain (or it announced STOPPING=1 itself), and
 * {@code EXITED} once waitpid has reaped it. Illegal moves throw, so a bug shows at once.
 */
public enum WorkerState {
    STARTING, READY, STOPPING, EXITED;

    private Set<WorkerState> next() {
        return switch (this) {
            case STARTING -> Set.of(READY, STOPPING, EXITED);
            case READY -> Set.of(STOPPING, EXITED);
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

    /** Whether a worker in this state holds its slot: starting or ready, not on its way out. */
    boolean holdsSlot() {
        return this == STARTING || this == READY;
    }

    /** The lower-case name used in logs and status replies. */
    public String label() {
        return name().toLowerCase();
    }
}
