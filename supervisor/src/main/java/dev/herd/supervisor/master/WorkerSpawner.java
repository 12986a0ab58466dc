package dev.herd.supervisor.master;

import dev.herd.supervisor.os.OsException;

/** Starts the worker process for a slot and returns its pid; the loop's unit tests substitute a fake. */
interface WorkerSpawner {
    int spawn(int slot) throws OsException;
}
