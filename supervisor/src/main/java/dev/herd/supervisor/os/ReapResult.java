package dev.herd.supervisor.os;

/** What waitpid(pid, WNOHANG) found for one child. */
public sealed interface ReapResult {

    /** The child has not exited yet. */
    record Running() implements ReapResult {
    }

    /** The child exited and is now reaped: no zombie is left. */
    record Exited(ExitStatus status) implements ReapResult {
    }

    /**
     * ECHILD: the pid is not (or no longer) a child of this process, so nothing here can ever reap it. Only a bug or
     * someone else's waitpid(-1) in this process leads here.
     */
    record NotAChild(String reason) implements ReapResult {
    }
}
