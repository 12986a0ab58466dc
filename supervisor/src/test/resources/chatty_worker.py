"""A herd worker that is not a JVM and beats: READY=1, then WATCHDOG=1 every 200 ms on its NOTIFY_SOCKET (the
sd_notify protocol, standard library only). The worker of slot 1 also prints 200-byte lines to stdout as fast as
its pipe takes them, for at most 120 s; the others print nothing. SIGTERM ends it with exit 0."""
import os
import signal
import socket
import sys
import threading
import time

signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])


def beat():
    while True:
        notify.sendto(b"WATCHDOG=1", os.environ["NOTIFY_SOCKET"])
        time.sleep(0.2)


threading.Thread(target=beat, daemon=True).start()
if os.environ.get("HERD_WORKER_SLOT") == "1":
    end = time.monotonic() + 120
    line = "chatter " + "x" * 190 + "\n"
    while time.monotonic() < end:
        sys.stdout.write(line)
        sys.stdout.flush()
threading.Event().wait()
