package dev.herd.supervisor.master;

import dev.herd.supervisor.os.OsException;

/**
 * Starts worker processes and keeps what belongs to each one outside the loop's state (its notify socket, its
 * stats file). The loop's unit tests substitute a fake.
 */
interface WorkerSpawner {

    /** Starts a worker for {@code slot}, known to the loop by {@code serial}; returns its pid. */
    int spawn(int slot, int serial) throws OsException;

    /** How much the worker has served so far (requests or connections, as its app counts), 0 if unknown. */
    long served(int serial);

    /** The worker has been reaped: close and remove what was made for it. */
    void release(int serial);
}
