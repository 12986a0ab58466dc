package dev.herd.worker;

import java.io.IOException;

/** Where a worker's sd_notify messages go: herd's notify pipe, or a NOTIFY_SOCKET (systemd's, or herd's). */
interface Notifier {

    /** Sends one message of newline-separated {@code KEY=VALUE} lines, whole or not at all. */
    void send(String message) throws IOException;

    /** What it sends to, for messages. */
    String describe();
}
