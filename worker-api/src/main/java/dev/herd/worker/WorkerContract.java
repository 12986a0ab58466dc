package dev.herd.worker;

/**
 * What a herd master and its worker processes agree on (DESIGN.md §5): the descriptors a worker inherits, the
 * environment variables it is given, the layout of its counters file and the exit code of a worker that cannot
 * boot. The master builds a worker's process from these; {@link Herd} reads them inside the worker. Public for
 * herd's master and built-in apps; an app of your own needs none of it.
 */
public final class WorkerContract {

    /** The shared listening socket, as inetd passes one: {@link System#inheritedChannel()} finds it there. */
    public static final int LISTENER_FD = 0;
    /** The read end of the lifeline pipe; it reads end of file once the master is gone. */
    public static final int LIFELINE_FD = 3;
    /**
     * The write end of the worker's notify pipe: the sd_notify messages of {@link #NOTIFY_SOCKET}, each ended by a
     * NUL byte. herd's worker API writes here, which needs no native code in the worker; any other program uses
     * the socket.
     */
    public static final int NOTIFY_PIPE_FD = 4;

    /**
     * A hot spare's promotion pipe (read end), present only in a spare: the master writes the number of the slot it
     * promotes the spare into, in ASCII, ended by a newline. A spare must not accept before that line arrives; end
     * of file means it is not needed (the master retired it, or is gone), and it should exit 0.
     */
    public static final int PROMOTION_PIPE_FD = 5;

    /** This worker's slot, 1..N; 0 in a hot spare until it is promoted. */
    public static final String SLOT = "HERD_WORKER_SLOT";
    /** The master's pid; its presence means "started by herd". */
    public static final String MASTER_PID = "HERD_MASTER_PID";
    /** The path of the worker's counters file (see {@link #STATS_FILE_BYTES}). */
    public static final String STATS_FILE = "HERD_STATS_FILE";
    /** sd_notify(3): the datagram socket that reads READY=1, WATCHDOG=1, STATUS=... from this worker. */
    public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";
    /** The descriptor of the notify pipe ({@link #NOTIFY_PIPE_FD}), set when the worker has one. */
    public static final String NOTIFY_FD = "HERD_NOTIFY_FD";
    /** The descriptor of the promotion pipe ({@link #PROMOTION_PIPE_FD}): set in a hot spare only. */
    public static final String PROMOTION_FD = "HERD_PROMOTION_FD";
    /**
     * The notify message a hot spare sends once it is warm and waits for its promotion ({@code X_HERD_SPARE=1});
     * after the promotion it sends {@code READY=1} as any worker does.
     */
    public static final String SPARE_WARM = "X_HERD_SPARE=1";
    /** sd_watchdog_enabled(3): the heartbeat timeout in microseconds; beat at half of it. */
    public static final String WATCHDOG_USEC = "WATCHDOG_USEC";
    /** sd_watchdog_enabled(3): when set, only the process with this pid is asked to beat. */
    public static final String WATCHDOG_PID = "WATCHDOG_PID";

    /**
     * The counters file: two 64-bit counters in native byte order, updated in place with atomic adds through a
     * shared mapping: connections open now at {@link #OPEN_CONNECTIONS_OFFSET}, units served (requests, or
     * connections for a connection-oriented app) at {@link #SERVED_OFFSET}.
     */
    public static final int STATS_FILE_BYTES = 16;
    public static final int OPEN_CONNECTIONS_OFFSET = 0;
    public static final int SERVED_OFFSET = 8;

    /**
     * Exit status of a worker that could not boot (fd 0 is not a listening socket, the app cannot start). Its last
     * error line tells why; the master reports it as such rather than as an ordinary crash.
     */
    public static final int EXIT_BOOT_FAILURE = 3;

    /**
     * The main class of a built-in app's worker ({@code java -cp ... BUILT_IN_APP_MAIN APP}), by name: the master
     * starts it without linking against the module that holds it.
     */
    public static final String BUILT_IN_APP_MAIN = "dev.herd.worker.app.WorkerMain";

    private WorkerContract() {
    }
}
