"""SIGKILL of a worker to a queued request served by its replacement. One worker (herd's echo app, nginx and
gunicorn sync with their HTTP apps), started afresh for each run so that no crash history (herd's back-off)
carries over. Once it serves and settle_seconds have passed: SIGKILL to the worker waiting on the socket, wait
until it has exited (a zombie counts), then connect and send a request (4 bytes to echo, or GET /); the time
is from the kill to the first byte of the answer. With one worker the request can only wait in the accept queue
until the replacement accepts it; for HTTP the answer's pid is checked to be a new one.

With a hot spare: the same for herd with "spareWorkers": 1, once `status` lists a worker in state "spare". herd
versions without it exit 78 on the unknown key; then the row says "not supported yet"."""
import os
import signal
import socket
import time

from . import probe, procs, servers

SERVERS = [("herd", "echo"), ("nginx", "http"), ("gunicorn-sync", "http")]
SETTLE_SECONDS = 0.5


def run(bench, kinds):
    for kind, app in SERVERS:
        if kind in kinds:
            measure(bench, "failover", kind, lambda: servers.make(bench, kind, 1, app=app), app)
    if "herd" in kinds:
        if spare_supported(bench):
            measure(bench, "failover-spare", "herd",
                    lambda: servers.make(bench, "herd", 1, app="echo", config={"spareWorkers": 1}), "echo", spare=True)
        else:
            bench.note("failover-spare", "not supported yet (herd exits 78 on \"spareWorkers\")")
            print("  failover-spare herd: not supported yet")


def measure(bench, figure, kind, make_server, app, spare=False):
    """Runs kill_to_served settings.runs times; a request that fails (reset, closed) is counted, not timed."""
    samples, lost = [], []
    for _ in range(bench.settings.runs):
        try:
            samples.append(kill_to_served(make_server(), spare=spare))
        except OSError as e:
            lost.append(f"{type(e).__name__}: {e}")
            print(f"  {figure} {kind}: the request failed: {e}", flush=True)
    bench.add(figure, kind, samples, "ms", workers=1, app=app, lost=lost)
    if lost:
        bench.note(f"{figure}-{kind}", f"{len(lost)} of {bench.settings.runs} queued requests failed: {lost[0]}")


def spare_supported(bench):
    """herd checks its configuration before it binds: an exit (78) before the socket listens means no."""
    server = servers.make(bench, "herd", 1, app="echo", config={"spareWorkers": 1}).start()
    try:
        procs.wait_until(lambda: server.proc.poll() is not None or probe.listening_inode(server.port), 60,
                         what="herd with spareWorkers: exit or listen")
        status = server.proc.poll()
    finally:
        server.stop()
    if status is None:
        return True
    if status == 78:
        return False
    raise RuntimeError(f"herd with spareWorkers exited with status {status} (log in {server.dir})")


def kill_to_served(server, spare=False):
    server.start()
    try:
        victim = server.wait_serving(1).pop()
        if spare:
            procs.wait_until(lambda: any(w["state"] == "spare" for w in server.admin({"command": "status"})["workers"]),
                             60, interval=0.05, what="herd: a worker in state spare")
        time.sleep(SETTLE_SECONDS)
        start = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        procs.wait_until(lambda: procs.is_gone(victim), 10, interval=0.0001, what="killed worker gone")
        answer = request(server)
        elapsed = (time.monotonic() - start) * 1000
        if server.protocol == "http" and f"pid {victim})".encode() in answer:
            raise RuntimeError(f"{server.kind}: the killed worker {victim} answered")
        return elapsed
    finally:
        server.stop()


def request(server, timeout=30):
    """Connects, sends one request and returns the first bytes of the answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        if server.protocol == "echo":
            s.sendall(b"ping")
            answer = b""
            while len(answer) < 4:
                chunk = s.recv(4 - len(answer))
                if not chunk:
                    raise RuntimeError(f"{server.kind}: connection closed before the echo")
                answer += chunk
            return answer
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while b"\r\n\r\n" not in answer or b"pid" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"{server.kind}: unexpected answer {answer[:80]!r}")
        return answer
