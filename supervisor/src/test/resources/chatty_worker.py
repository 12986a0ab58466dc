"""A herd worker that is not a JVM, beats and echoes: READY=1, then WATCHDOG=1 every 200 ms on its NOTIFY_SOCKET
(the sd_notify protocol, standard library only), and every byte sent on a connection of the shared socket (fd 0)
comes back. The worker of slot 1 also prints 200-byte lines to stdout as fast as its pipe takes them, for at most
120 s; the others print nothing. SIGTERM stops the accepting, lets the connections open finish, and exits 0."""
import os
import signal
import socket
import sys
import threading
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # raised in the main thread, out of accept()
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])


def beat():
    while True:
        notify.sendto(b"WATCHDOG=1", os.environ["NOTIFY_SOCKET"])
        time.sleep(0.2)


def chatter():
    end = time.monotonic() + 120
    line = "chatter " + "x" * 190 + "\n"
    while time.monotonic() < end:
        sys.stdout.write(line)
        sys.stdout.flush()


def echo(connection):
    with connection:
        while data := connection.recv(4096):
            connection.sendall(data)


threading.Thread(target=beat, daemon=True).start()
if os.environ.get("HERD_WORKER_SLOT") == "1":
    threading.Thread(target=chatter, daemon=True).start()
listener = socket.socket(fileno=0)
while True:
    connection, _ = listener.accept()
    # Not a daemon: at exit the interpreter waits for each connection's thread, which ends when its client closes.
    threading.Thread(target=echo, args=(connection,)).start()
