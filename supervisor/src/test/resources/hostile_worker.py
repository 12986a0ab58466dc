"""A herd worker that misbehaves on purpose (issue 19's hostile workers), standard library only. Like
echo_worker.py it takes the shared listening socket on fd 0 and speaks sd_notify on NOTIFY_SOCKET; then:
  --stop-and-exit     READY=1, STOPPING=1, and exits 0 at once
  --stop-and-linger   READY=1, STOPPING=1, and stays, ignoring SIGTERM, until SIGKILL
  --ready-when PATH   says READY=1 only once PATH exists, then echoes
  --status TEXT       READY=1 with STATUS=TEXT (Python escapes such as \\x1b decoded), prints TEXT to stdout,
                      then echoes
Without a mode it is ready at once and echoes; SIGTERM ends it with exit 0 (except --stop-and-linger)."""
import os
import signal
import socket
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)


def tell(message):
    notify.sendto(message.encode("utf-8", "surrogateescape"), os.environ["NOTIFY_SOCKET"])


args = sys.argv[1:]
if args[:1] == ["--stop-and-exit"]:
    tell("READY=1")
    tell("STOPPING=1")
    sys.exit(0)
if args[:1] == ["--stop-and-linger"]:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    tell("READY=1")
    tell("STOPPING=1")
    while True:
        time.sleep(60)
if args[:1] == ["--ready-when"]:
    while not os.path.exists(args[1]):
        time.sleep(0.05)
    tell("READY=1")
elif args[:1] == ["--status"]:
    text = args[1].encode("latin-1").decode("unicode_escape")
    tell("READY=1\nSTATUS=" + text)
    print(text, flush=True)
else:
    tell("READY=1")

listener = socket.socket(fileno=0)
while True:
    connection, _ = listener.accept()
    with connection:
        while data := connection.recv(4096):
            connection.sendall(data)
