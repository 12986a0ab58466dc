#!/usr/bin/env python3
"""Runs a server command N times on one shared listening socket, inetd-style, without a supervisor: the
"plain JVM" of the benchmarks (herd's own worker command, started without herd).

usage: plain-jvm.py --listen HOST:PORT [--processes N] [--backlog B] -- COMMAND [ARGS...]

Binds HOST:PORT (SO_REUSEADDR, backlog 511 like herd), then forks N children, each with the listening socket
on fd 0 and exec'ing COMMAND (a JVM takes it with System.inheritedChannel()). This process only waits: on
SIGTERM or SIGINT it sends SIGTERM to each child and exits once all have exited; if a child exits on its own,
it stops the others and exits 1. It never restarts anything.
"""
import argparse
import os
import signal
import socket
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--backlog", type=int, default=511)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")
    host, port = args.listen.rsplit(":", 1)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, int(port)))
    listener.listen(args.backlog)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children = set()
    for _ in range(args.processes):
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.dup2(listener.fileno(), 0)  # dup2 clears close-on-exec on fd 0
            os.execvp(command[0], command)
        children.add(pid)
    listener.close()  # the children hold it

    status = 0
    while children:
        try:
            pid, _ = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            print(f"plain-jvm: child {pid} exited on its own; stopping the others", file=sys.stderr)
            status = 1
            stop(None, None)
    sys.exit(status)


if __name__ == "__main__":
    main()
