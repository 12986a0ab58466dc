"""The inside half of test-under-systemd.sh: runs in the container (Debian's python3, nothing else) and plays the
echo client, reads herd's admin socket and the journal, and times commands on CLOCK_MONOTONIC, the clock the
journal's __MONOTONIC_TIMESTAMP uses.

Usage: python3 test-under-systemd.py COMMAND [ARGS...]
  echo TIMEOUT [TITLE...]    the original socket example's client: writes each title without a newline to
                             127.0.0.1:9876 and reads its echo; exit 1 if one differs or does not come in time
  echo-at PORT TIMEOUT       the same on 127.0.0.1:PORT (an instance of herd@.service)
  echo-loop SECONDS STARTED STOP
                             echo clients one after another, each with one title on a new connection to
                             127.0.0.1:9876 (a drain closes a connection idle between two titles), until
                             the file STOP exists or SECONDS pass; creates the file STARTED after the first echo;
                             prints how many were served and failed; exit 1 if one failed or none was served
  listening PORT             exit 0 if a TCP socket listens on PORT
  worker-pids [SOCKET]       the pids of herd's ready workers, by slot (from the admin socket, /run/herd/herd.sock
                             unless SOCKET is given)
  ready [SOCKET]             exit 0 if every wanted worker is ready and no rolling restart is in progress
  cursor                     the journal's current cursor
  journal CURSOR [PRIORITY]  herd.service's journal after CURSOR (up to PRIORITY, a number), one message a line
  logged-at CURSOR TEXT      __MONOTONIC_TIMESTAMP of herd.service's first journal entry after CURSOR containing TEXT
  timed COMMAND...           runs COMMAND; prints "START END" (CLOCK_MONOTONIC, microseconds) last; exits with its status

systemd 252's journalctl skips an entry when --after-cursor is combined with a match such as -u (systemd issue
#30288, fixed in 255), so entries after a cursor are read without matches and filtered here.
"""
import json
import os
import socket
import subprocess
import sys
import time

ADMIN_SOCKET = "/run/herd/herd.sock"
TITLES = ["War and Peace", "Pride and Prejudice", "The Sound and the Fury"]


def echo(timeout, *titles, port=9876):
    deadline = time.monotonic() + float(timeout)
    with socket.create_connection(("127.0.0.1", port), timeout=float(timeout)) as conn:
        for title in titles or TITLES:
            sent = title.encode()
            conn.sendall(sent)
            received = b""
            while len(received) < len(sent):
                conn.settimeout(max(0.1, deadline - time.monotonic()))
                chunk = conn.recv(len(sent) - len(received))
                if not chunk:
                    print(f"echo: the connection closed after {received!r}")
                    return 1
                received += chunk
            print(f"echo: sent {title!r}, received {received.decode(errors='replace')!r}")
            if received != sent:
                return 1
    return 0


def echo_loop(seconds, started, stop):
    deadline = time.monotonic() + float(seconds)
    served = failed = 0
    while time.monotonic() < deadline and not os.path.exists(stop):
        try:
            with socket.create_connection(("127.0.0.1", 9876), timeout=10) as conn:
                sent = TITLES[(served + failed) % len(TITLES)].encode()
                conn.sendall(sent)
                received = b""
                while len(received) < len(sent):
                    chunk = conn.recv(len(sent) - len(received))
                    if not chunk:
                        raise OSError(f"the connection closed after {received!r}")
                    received += chunk
                if received != sent:
                    raise OSError(f"sent {sent!r}, received {received!r}")
            served += 1
            if served == 1:
                open(started, "w").close()
        except OSError as e:
            failed += 1
            print(f"echo-loop: client {served + failed}: {e}")
    print(f"echo-loop: {served} clients served, {failed} failed")
    return 0 if served and not failed else 1


def echo_at(port, timeout):
    return echo(timeout, port=int(port))


def listening(port):
    wanted = f"{int(port):04X}"
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[1].endswith(":" + wanted) and fields[3] == "0A":
                    print(f"a socket listens on port {port} ({table})")
                    return 0
    print(f"nothing listens on port {port}")
    return 1


def status(admin_socket=ADMIN_SOCKET):
    with socket.socket(socket.AF_UNIX) as conn:
        conn.settimeout(10)
        conn.connect(admin_socket)
        conn.sendall(b'{"command":"status"}\n')
        return json.loads(conn.makefile().readline())


def worker_pids(admin_socket=ADMIN_SOCKET):
    workers = sorted((w for w in status(admin_socket)["workers"] if w["state"] == "ready"), key=lambda w: w["slot"])
    print(" ".join(str(w["pid"]) for w in workers))
    return 0


def ready(admin_socket=ADMIN_SOCKET):
    reply = status(admin_socket)
    ok = (not reply["stopping"] and reply["readyWorkers"] >= reply["desiredWorkers"]
          and "rolling restart" not in reply["summary"])
    print(reply["summary"])
    return 0 if ok else 1


def entries(*args):
    out = subprocess.run(["journalctl", "--no-pager", "-o", "json", *args], check=True, capture_output=True,
                         text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def herd_entries(after, priority=7):
    """herd.service's entries after the cursor: its processes' lines, and systemd's lines about the unit."""
    subprocess.run(["journalctl", "--sync"], check=True)
    for entry in entries("--after-cursor=" + after):
        if "herd.service" not in (entry.get("_SYSTEMD_UNIT"), entry.get("UNIT")):
            continue
        if int(entry.get("PRIORITY", 6)) > int(priority):
            continue
        message = entry.get("MESSAGE")
        if isinstance(message, list):  # not valid UTF-8: journalctl gives the bytes
            message = bytes(message).decode(errors="replace")
        yield entry, message or ""


def cursor():
    print(entries("-n", "1")[-1]["__CURSOR"])
    return 0


def journal(after, priority=7):
    for _, message in herd_entries(after, priority):
        print(message)
    return 0


def logged_at(after, text):
    for entry, message in herd_entries(after):
        if text in message:
            print(entry["__MONOTONIC_TIMESTAMP"])
            return 0
    return 1


def timed(*command):
    start = time.monotonic_ns() // 1000
    code = subprocess.run(command).returncode
    end = time.monotonic_ns() // 1000
    sys.stdout.flush()
    print(start, end)
    return code


COMMANDS = {"echo": echo, "echo-loop": echo_loop, "echo-at": echo_at, "listening": listening, "worker-pids": worker_pids, "ready": ready, "cursor": cursor,
            "journal": journal, "logged-at": logged_at, "timed": timed}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        sys.exit(COMMANDS[sys.argv[1]](*sys.argv[2:]))
    except (OSError, ValueError, KeyError, subprocess.CalledProcessError) as e:
        print(f"{sys.argv[1]}: {e}")
        sys.exit(1)
