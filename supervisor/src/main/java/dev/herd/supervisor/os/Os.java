package dev.herd.supervisor.os;

import java.util.List;
import java.util.Optional;

/**
 * The process operations the master loop needs, named after the system calls behind them. {@link PosixOs} is
 * the real one (it also spawns); the loop's unit tests use a fake. Nothing outside this package calls native code.
 */
public interface Os {

    /** kill(pid, signal). Returns false if the process no longer exists (ESRCH). */
    boolean kill(int pid, Signal signal) throws OsException;

    /** kill(0, signal): the master's own process group, the master included. */
    void killProcessGroup(Signal signal) throws OsException;

    /** waitpid(pid, WNOHANG): the child's exit status once it has exited (and is now reaped), else empty. */
    Optional<ExitStatus> reap(int pid) throws OsException;

    /**
     * Processes in the master's process group that it did not start (neither it nor a descendant): for example
     * {@code tee} in {@code herd run | tee log} typed in an interactive shell, where herd leads the pipeline's
     * group. kill(0, ...) would hit them too.
     */
    List<Integer> strangersInProcessGroup();

    /** The pids of this process's children, whoever started them (orphans re-parented to PID 1 included). */
    List<Integer> children();

    /** This process's pid. */
    int pid();
}
