"""A herd worker that abuses the shared socket the ways issue 19 lists (items 1 and 4), on purpose; otherwise it
echoes like echo_worker.py.

--helpers: before READY=1 it starts four helper processes, each holding the shared listening socket (it is their
  fd 0 too, as it is for any child a worker starts) and each harder to stop than the last: a plain child, one that
  ignores SIGTERM, one in a session of its own (setsid), and a double-forked grandchild whose parent has exited.
  It prints "helpers: PID PID PID PID" in that order.
--shutdown-on-term: on SIGTERM it calls shutdown(SHUT_RDWR) on the shared socket (a common way to wake a thread
  blocked in accept()), then exits 0.
"""
import os
import signal
import socket
import subprocess
import sys

listener = socket.socket(fileno=0)


def on_term(*_):
    if "--shutdown-on-term" in sys.argv:
        listener.shutdown(socket.SHUT_RDWR)
    os._exit(0)


def double_forked_sleeper():
    """A grandchild that sleeps, its parent gone at once: an orphan from its start. Returns its pid."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)
            os.execvp("sleep", ["sleep", "600"])
        os.write(write_end, str(grandchild).encode())
        os._exit(0)
    os.close(write_end)
    pid = int(os.read(read_end, 32))
    os.close(read_end)
    os.waitpid(child, 0)
    return pid


signal.signal(signal.SIGTERM, on_term)
if "--helpers" in sys.argv:
    # close_fds=True (the default) closes fds 3 and up; fd 0, the listening socket, is inherited by each.
    plain = subprocess.Popen(["sleep", "600"])
    deaf = subprocess.Popen(["sh", "-c", "trap '' TERM; exec sleep 600"])
    detached = subprocess.Popen(["sleep", "600"], start_new_session=True)
    orphan = double_forked_sleeper()
    print("helpers:", plain.pid, deaf.pid, detached.pid, orphan, flush=True)

notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.sendto(b"READY=1\nSTATUS=hostile python echo", os.environ["NOTIFY_SOCKET"])
while True:
    connection, _ = listener.accept()
    with connection:
        while data := connection.recv(4096):
            connection.sendall(data)
