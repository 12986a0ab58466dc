package dev.herd.supervisor.master;

import java.util.Set;

/**
 * The master's own life, as its loop sees it: {@code RUNNING} (keeping the wanted workers) until a stop begins
 * (SIGTERM, SIGINT, {@code herd stop}), {@code STOPPING} while its workers drain and it reaps them and what they
 * left behind, {@code STOPPED} once nothing is left and the loop ends. Illegal moves throw, so a bug shows at once.
 */
enum MasterState {
    RUNNING, STOPPING, STOPPED;

    private Set<MasterState> next() {
        return switch (this) {
            case RUNNING -> Set.of(STOPPING);
            case STOPPING -> Set.of(STOPPED);
            case STOPPED -> Set.of();
        };
    }

    MasterState moveTo(MasterState target) {
        if (!next().contains(target)) {
            throw new IllegalStateException("the master cannot go from " + this + " to " + target);
        }
        return target;
    }
}
