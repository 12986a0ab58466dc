"""A herd worker that accepts the way selector-based servers do (Netty, Tomcat's poller, Jetty without acceptor
threads): it switches the shared listening socket on fd 0 to non-blocking, which every worker holding it then shares,
and waits in epoll until the socket is readable, then accepts until EAGAIN. It answers each connection with one
HTTP/1.1 response and closes it. It counts its wake-ups (epoll returned the socket as readable) and the futile ones
that accepted nothing (another worker had taken the connection: a thundering herd), and reports them in STATUS= and, at SIGTERM, on stdout: "wakeups W futile F accepted A".
Standard library only."""
import os
import select
import signal
import socket
import sys

listener = socket.socket(fileno=0)
listener.setblocking(False)  # O_NONBLOCK on the open file every worker shares
notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
counts = {"wakeups": 0, "futile": 0, "accepted": 0}


def report():
    return "wakeups %(wakeups)d futile %(futile)d accepted %(accepted)d" % counts


def stop(*_):
    print(report(), flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
for name in ("SIGINT", "SIGHUP", "SIGTTIN", "SIGTTOU"):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
notify.sendto(b"READY=1\nSTATUS=selector worker", os.environ["NOTIFY_SOCKET"])
body = b"hello from selector worker pid %d\n" % os.getpid()
response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
poller = select.epoll()
poller.register(listener.fileno(), select.EPOLLIN)
while True:
    poller.poll()
    counts["wakeups"] += 1
    accepted = 0
    while True:
        try:
            connection, _ = listener.accept()
        except BlockingIOError:
            break
        accepted += 1
        counts["accepted"] += 1
        with connection:
            connection.setblocking(True)
            connection.recv(65536)
            connection.sendall(response)
    if accepted == 0:
        counts["futile"] += 1
    notify.sendto(b"STATUS=" + report().encode(), os.environ["NOTIFY_SOCKET"])
