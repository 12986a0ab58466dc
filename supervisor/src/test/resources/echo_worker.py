"""A herd worker that is not a JVM: it finds the shared listening socket on fd 0 (inetd-style), says READY=1 on
the NOTIFY_SOCKET the master gave it (the sd_notify protocol, standard library only), and echoes every byte.
With --make-orphan it first leaves a grandchild behind whose parent has exited, as badly behaved programs do:
the kernel re-parents it to PID 1. With --print-env it first prints the names of its environment variables and its
uid. With --ready-when PATH it says READY=1 only once PATH-N exists (N: its slot), so that a test decides when
each slot turns ready. With --fail-while PATH it exits 1 at once, printing nothing, while PATH exists (a worker that
cannot boot for a while, then boots), and says READY=1 without a STATUS= text. SIGTERM ends it with exit 0."""
import os
import signal
import socket
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
if "--make-orphan" in sys.argv:
    if os.fork() == 0:
        if os.fork() == 0:
            time.sleep(0.5)  # an orphan by now: its parent has exited
            os._exit(7)
        os._exit(0)
    os.wait()  # reaps the child; the grandchild is not ours to reap

if "--print-env" in sys.argv:
    print("env:", " ".join(sorted(os.environ)), "uid:", os.getuid(), flush=True)

if "--ready-when" in sys.argv:
    marker = sys.argv[sys.argv.index("--ready-when") + 1] + "-" + os.environ["HERD_WORKER_SLOT"]
    while not os.path.exists(marker):
        time.sleep(0.05)  # the test creates the file when it wants this slot ready

if "--fail-while" in sys.argv:
    if os.path.exists(sys.argv[sys.argv.index("--fail-while") + 1]):
        sys.exit(1)
    status = b""
else:
    status = b"\nSTATUS=python echo"

notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(b"READY=1" + status, os.environ["NOTIFY_SOCKET"])
listener = socket.socket(fileno=0)
while True:
    connection, _ = listener.accept()
    with connection:
        while data := connection.recv(4096):
            connection.sendall(data)
