package dev.herd.supervisor.os;

import java.io.IOException;

/** A failed system call, with the call's name, what it was applied to and the C library's error text. */
public final class OsException extends IOException {

    private final int errno;

    public OsException(String call, int errno, String reason) {
        super(call + ": " + reason);
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
