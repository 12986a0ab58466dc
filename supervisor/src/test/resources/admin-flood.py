"""Floods a herd admin socket the way a runaway or hostile process of the master's own user could: it opens COUNT
connections (raising its own descriptor limit as far as it may), sends nothing on them, and holds them. The master
closes most of them (with a JSON busy or idle reply); with --reopen SECONDS the flood reopens every connection the
master closed, that often, so that COUNT stay open from the flood's side for as long as it runs. With --trickle
SECONDS one more connection sends one byte (no newline) that often and reports when the master closes it.

It prints one line per event on stdout, flushed: "held N" once COUNT are open (and after each reopening round),
"reopened N" per round, "trickle closed after S s: REPLY" when the trickling connection is closed, and "done"
when told to stop (SIGTERM or end of stdin). Standard library only; exits 0."""
import argparse
import errno
import os
import resource
import select
import signal
import socket
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("socket")
parser.add_argument("--count", type=int, default=10_000)
parser.add_argument("--reopen", type=float, default=0, help="seconds between reopening rounds; 0: never")
parser.add_argument("--trickle", type=float, default=0, help="seconds between the trickler's bytes; 0: none")
args = parser.parse_args()

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
wanted = args.count + 64
if soft < wanted:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted, hard))

stop = False


def request_stop(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, request_stop)


def connect():
    """One non-blocking connection; waits (briefly, repeatedly) while the listen backlog is full."""
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        code = s.connect_ex(args.socket)
        if code == 0:
            return s
        s.close()
        if code not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNREFUSED):
            raise OSError(code, os.strerror(code))
        if stop:
            return None
        time.sleep(0.001)


def closed_by_peer(s):
    """True once the master has closed it: readable, and a read drains its reply to EOF."""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


held = []
for _ in range(args.count):
    s = connect()
    if s is None:
        break
    held.append(s)
print(f"held {len(held)}", flush=True)

trickler = None
trickle_started = trickle_next = 0.0
trickle_reply = b""
if args.trickle > 0:
    trickler = connect()
    trickle_started = time.monotonic()
    trickle_next = trickle_started

next_reopen = time.monotonic() + args.reopen if args.reopen > 0 else None
stdin_open = True
while not stop:
    now = time.monotonic()
    if trickler is not None and now >= trickle_next:
        try:
            trickler.send(b"{")
        except OSError:
            pass
        trickle_next = now + args.trickle
    if next_reopen is not None and now >= next_reopen:
        reopened = 0
        for i, s in enumerate(held):
            if closed_by_peer(s):
                s.close()
                fresh = connect()
                if fresh is None:
                    break
                held[i] = fresh
                reopened += 1
        print(f"reopened {reopened}", flush=True)
        next_reopen = time.monotonic() + args.reopen
    watch = [trickler] if trickler is not None else []
    if stdin_open:
        watch.append(sys.stdin)
    timeout = 0.2
    readable, _, _ = select.select(watch, [], [], timeout)
    if sys.stdin in readable and not sys.stdin.readline():
        stdin_open = False
        stop = True
    if trickler is not None and trickler in readable:
        try:
            while True:
                data = trickler.recv(65536)
                if not data:
                    break
                trickle_reply += data
        except BlockingIOError:
            continue
        except OSError:
            pass
        print(f"trickle closed after {time.monotonic() - trickle_started:.1f} s: "
              f"{trickle_reply.decode(errors='replace').strip()}", flush=True)
        trickler.close()
        trickler = None

for s in held:
    s.close()
print("done", flush=True)
