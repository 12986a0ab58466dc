package dev.herd.supervisor.cli;

/** herd's exit codes, a contract that scripts and systemd depend on (README, "Exit codes"). */
public final class ExitCodes {
    public static final int OK = 0;
    /** The command failed at run time (address in use, a failed echo, ...). */
    public static final int FAILURE = 1;
    /** A bad flag, a bad flag value, a missing argument. */
    public static final int USAGE = 2;
    /** No master is running at the admin socket (the LSB code for "program is not running"). */
    public static final int NOT_RUNNING = 3;
    /**
     * The master's loop failed (a bug past every guard): its workers were killed, since nobody is left to supervise
     * them (sysexits.h EX_SOFTWARE).
     */
    public static final int INTERNAL = dev.herd.supervisor.master.Master.EXIT_LOOP_FAILED;
    /**
     * A thread of the master died of an exception nothing caught (the admin thread, the worker I/O thread): it was
     * logged, and the master stopped its workers gracefully and exited.
     */
    public static final int THREAD_DIED = dev.herd.supervisor.master.Master.EXIT_THREAD_DIED;
    /** The configuration is invalid (sysexits.h EX_CONFIG). */
    public static final int CONFIG = 78;

    private ExitCodes() {
    }
}
