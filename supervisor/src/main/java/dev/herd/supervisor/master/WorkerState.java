package dev.herd.supervisor.master;

import java.util.Locale;
import java.util.Set;

/**
 * The life of one worker process, as the master sees it: {@code STARTING} until it sends READY=1, {@code READY}
 * while it serves, {@code STOPPING} once the master asked it to drain (SIGTERM) or it announced STOPPING=1
 * itself, {@code HUNG} once it missed its heartbeat and was sent SIGQUIT for a thread dump (a JVM gets a moment to
 * print it), {@code KILLED} once the master sent it SIGKILL (hung, not ready in time, not drained in time), and
 * {@code EXITED} once waitpid has reaped it. A hot spare starts like any worker and is {@code SPARE} once it says
 * it is warm ({@code X_HERD_SPARE=1}); its promotion into a slot makes it {@code STARTING} again, until its
 * READY=1. Only a starting or ready worker holds its slot; the others are on their way out, and the slot may
 * already have their replacement. Illegal moves throw, so a bug shows at once.
 */
public enum WorkerState {
    STARTING, SPARE, READY, STOPPING, HUNG, KILLED, EXITED;

    private Set<WorkerState> next() {
        return switch (this) {
            case STARTING -> Set.of(SPARE, READY, STOPPING, KILLED, EXITED);
            case SPARE -> Set.of(STARTING, STOPPING, KILLED, EXITED);
            case READY -> Set.of(STOPPING, HUNG, KILLED, EXITED);
            case STOPPING -> Set.of(KILLED, EXITED);
            case HUNG -> Set.of(KILLED, EXITED);
            case KILLED -> Set.of(EXITED);
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
        return name().toLowerCase(Locale.ROOT);
    }
}
