"""bench/chaos.sh: herd under random faults, loopback only, bounded in time (issue 12).

For the echo app and then the http app: 4 workers (heartbeatTimeout 3s, gracefulTimeout 5s); 32 clients keep one
connection each busy (a new connection per exchange, so that a draining worker never closes one between two
exchanges) for SECONDS (60), while the chaos loop sends SIGKILL to a random worker every 500 ms, SIGSTOP to another
now and then (every 2-5 s, for 0.5-5 s, then SIGCONT: longer than the heartbeat timeout is a hang the master must
catch), and runs `bin/herd reload` every 10 s. Meanwhile the master's children are sampled every 20 ms for zombies.

With --slow-log BYTES the master's output is read at that many bytes a second (a slow journald, a paused
`herd run | less`), and no worker is SIGSTOPped: every worker the master finds hung is a healthy one it should not
have killed (the target is none). The app `chatty` is a Python echo worker (supervisor/src/test/resources/
chatty_worker.py) whose slot 1 prints as fast as its pipe takes lines: with --slow-log, the case of issue 19.

It prints per app: connections attempted, succeeded, failed (and how many failures no kill explains: a failed
connection is explained when a worker was SIGKILLed, by the chaos loop or by the master, while it was open); kills;
respawns; hung workers detected; reloads and their outcome; most zombies at once and the oldest one's age; the
master's descriptors, threads and RSS at the start (all ready) and at the end (the pool whole again); whether the
pool became whole after the chaos and how long that took; the stop time. Then the targets: no failure unexplained,
no zombie older than 1 s, descriptors and threads not grown (but for the Prometheus client's scheduler thread, which
the first reload starts once per JVM), the pool whole.

  bench/chaos.sh [--seconds S] [--apps echo,http,chatty] [--clients N] [--slow-log BYTES]"""
import argparse
import collections
import datetime
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

from herdbench import procs, servers, stats

from . import common

WORKERS = 4
CONFIG = {"heartbeatTimeout": "3s", "gracefulTimeout": "5s"}


def main():
    parser = argparse.ArgumentParser(prog="bench/chaos.sh")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--apps", default="echo,http")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--max-minutes", type=float, default=20)
    parser.add_argument("--slow-log", type=int, default=None, metavar="BYTES",
                        help="read the master's output at BYTES a second; no SIGSTOPs")
    args = parser.parse_args()
    sys.exit(common.drive("chaos", lambda bench: run(bench, args), args.max_minutes))


def run(bench, args):
    results = []
    for app in args.apps.split(","):
        print(f"-- {app}: {WORKERS} workers, {args.clients} busy clients, {args.seconds:g} s of chaos", flush=True)
        results.append(one_app(bench, app, args.seconds, args.clients, args.slow_log))
    print()
    print(report(results))
    met = all(r["targets_met"] for r in results)
    print(f"\ntargets {'met' if met else 'NOT met'}")


class Load:
    """Busy clients in a process of their own (so that the chaos loop and the samplers here never wait for the GIL
    behind them): each opens a connection, does one exchange, closes it, and starts over."""

    def __init__(self, port, app, clients):
        context = multiprocessing.get_context("spawn")
        self.stop_event = context.Event()
        self.results = context.Queue()
        self.process = context.Process(target=run_clients, args=(port, app, clients, self.stop_event, self.results),
                                       daemon=True)
        self.process.start()

    def stop(self):
        """Stops the clients; returns (attempted, succeeded, failures), a failure as (opened, failed, error)."""
        self.stop_event.set()
        result = self.results.get(timeout=120)
        self.process.join(30)
        return result


def run_clients(port, app, clients, stop_event, results):
    lock = threading.Lock()
    counts = {"attempted": 0, "succeeded": 0}
    failures = []

    def client():
        while not stop_event.is_set():
            opened = time.time()
            try:
                exchange(port, app)
                ok = True
            except (OSError, ValueError) as e:
                ok = False
                error = f"{type(e).__name__}: {e}"
            with lock:
                counts["attempted"] += 1
                if ok:
                    counts["succeeded"] += 1
                else:
                    failures.append((opened, time.time(), error))

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    results.put((counts["attempted"], counts["succeeded"], failures))


def exchange(port, app):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        if app == "echo":
            s.sendall(b"War and Peace")
            got = b""
            while len(got) < 13:
                data = s.recv(13 - len(got))
                if not data:
                    raise ValueError(f"closed after {got!r}")
                got += data
            if got != b"War and Peace":
                raise ValueError(f"echo {got!r}")
        else:
            s.sendall(b"GET / HTTP/1.1\r\nHost: chaos\r\nConnection: close\r\n\r\n")
            response = b""
            while data := s.recv(65536):
                response += data
            if not response.startswith(b"HTTP/1.1 200") or b"hello from herd" not in response:
                raise ValueError(f"response {response[:60]!r}")


class ReadySampler:
    """The pool's ready workers from status every 250 ms: the mean, and the share of samples with none."""

    def __init__(self, server):
        self.server = server
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append(self.server.admin({"command": "status"}, timeout=10)["readyWorkers"])
            except (OSError, ValueError, KeyError):
                pass
            self._stop.wait(0.25)

    def stop(self):
        self._stop.set()
        self._thread.join(15)


class Chaos:
    """SIGKILL to a random worker every 500 ms; SIGSTOP to another every 2-5 s for 0.5-5 s; a reload every 10 s."""

    def __init__(self, server, seconds, stops=True):
        self.server = server
        self.stops_wanted = stops
        self.until = time.monotonic() + seconds
        self.kills = []        # (wall time, pid)
        self.no_worker = 0     # kill times that found no live worker
        self.stops = []        # (wall time, pid, seconds)
        self.stopped = {}      # pid -> monotonic time of its SIGCONT
        self.reloads = []      # (exit code, last stderr line)
        self.reload_threads = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def workers(self):
        return [p for p in procs.children(self.server.master) if not procs.is_gone(p)]

    def run(self):
        now = time.monotonic()
        next_kill, next_stop, next_reload = now + 0.5, now + random.uniform(2, 5), now + 10
        while (now := time.monotonic()) < self.until:
            for pid, resume_at in list(self.stopped.items()):
                if now >= resume_at:
                    procs.signal_quietly(pid, signal.SIGCONT)
                    del self.stopped[pid]
            if now >= next_kill:
                candidates = self.workers()
                if candidates:
                    victim = random.choice(candidates)
                    self.kills.append((time.time(), victim))
                    procs.signal_quietly(victim, signal.SIGKILL)
                else:
                    self.no_worker += 1
                next_kill = max(next_kill + 0.5, time.monotonic())
            if now >= next_stop and self.stops_wanted:
                candidates = [p for p in self.workers() if p not in self.stopped]
                if candidates:
                    victim = random.choice(candidates)
                    length = random.uniform(0.5, 5)
                    self.stops.append((time.time(), victim, length))
                    procs.signal_quietly(victim, signal.SIGSTOP)
                    self.stopped[victim] = now + length
                next_stop = now + random.uniform(2, 5)
            if now >= next_reload:
                t = threading.Thread(target=self.reload, daemon=True)
                t.start()
                self.reload_threads.append(t)
                next_reload += 10
            time.sleep(0.01)  # the chaos loop's tick
        for pid in list(self.stopped):
            procs.signal_quietly(pid, signal.SIGCONT)
        self.stopped.clear()

    def reload(self):
        argv = [self.server.bench.herd, "reload", "--admin-socket", self.server.admin_socket]
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        self.reloads.append((done.returncode, (done.stderr.strip().splitlines() or [""])[-1]))

    def join(self):
        self.thread.join()
        for t in self.reload_threads:
            t.join(130)


def restarts_for(metrics_port, reason):
    """herd_worker_restarts_total{reason} from /metrics (the log may lag behind a slow reader; the counter not)."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    total = 0
    for line in text.splitlines():
        if line.startswith("herd_worker_restarts_total{") and (reason is None or f'reason="{reason}"' in line):
            total += int(float(line.rsplit(" ", 1)[1]))
    return total


def master_kills(lines):
    """Wall-clock times of the SIGKILLs the master sent itself (hung workers, drains past their deadline)."""
    times = []
    for line in lines:
        if "sending SIGKILL" in line and " master[" in line:
            stamp = line.split(" ", 1)[0]
            try:
                times.append(datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp())
            except ValueError:
                pass
    return times


CHATTY_WORKER = os.path.join(common.HOME, "supervisor/src/test/resources/chatty_worker.py")


def one_app(bench, app, seconds, clients, slow_log=None):
    config = dict(CONFIG)
    metrics_port = bench.ports.next()
    config["metricsListen"] = f"127.0.0.1:{metrics_port}"
    if app == "chatty":
        config["worker"] = {"command": ["/usr/bin/python3", CHATTY_WORKER]}
        server = servers.Herd(bench, WORKERS, app=None, config=config, protocol="echo", log_rate=slow_log)
    else:
        server = servers.Herd(bench, WORKERS, app=app, config=config, log_rate=slow_log)
    server.start()
    protocol = server.protocol
    try:
        common.wait_ready(server, WORKERS, 120)
        start = common.figures(server.master)
        zombies = common.ZombieWatch(server.master)
        load = Load(server.port, protocol, clients)
        ready = ReadySampler(server)
        chaos = Chaos(server, seconds, stops=slow_log is None)
        chaos.join()
        ready.stop()
        attempted, succeeded, failures = load.stop()
        chaos_end = time.monotonic()
        try:
            common.wait_ready(server, WORKERS, 120)
            whole_after = time.monotonic() - chaos_end
        except TimeoutError:
            whole_after = None
        # The output pipes of reaped workers stay open up to 2 s (WorkerIo): let those close before the count.
        time.sleep(3)
        end = common.figures(server.master)
        grown = collections.Counter(end["thread_names"]) - collections.Counter(start["thread_names"])
        if grown:
            print(f"   master threads at the end and not at the start (without the JIT's): "
                  f"{', '.join(sorted(grown.elements()))}", flush=True)
        # The Prometheus client's one scheduler thread ("prometheus-metrics-scheduler", 15 characters in comm) is
        # started by the first observation of the reload-duration histogram, the first reload's, once per JVM.
        grown_but_once = grown - collections.Counter({"prometheus-metr": 1})
        hang_restarts = restarts_for(metrics_port, "hang")
        all_restarts = restarts_for(metrics_port, None)
        zombies.stop()
        lines = common.log_lines(server)
        if zombies.oldest_pid is not None:
            first, last = zombies.oldest_seen
            print(f"   oldest zombie: pid {zombies.oldest_pid}, a zombie from "
                  f"{datetime.datetime.fromtimestamp(first, datetime.timezone.utc).isoformat()} to "
                  f"{datetime.datetime.fromtimestamp(last, datetime.timezone.utc).isoformat()}; the master said: "
                  + " | ".join(l for l in lines if f"pid {zombies.oldest_pid}" in l), flush=True)
        stop_ms = servers.measure_stop(server)
    finally:
        server.stop()
    kill_times = sorted([t for t, _ in chaos.kills] + master_kills(lines))
    unexplained = [f for f in failures
                   if not any(f[0] - 0.05 <= t <= f[1] + 0.05 for t in kill_times)]
    started = sum(1 for l in lines if " started worker-" in l)
    result = {
        "app": app, "seconds": seconds, "clients": clients,
        "attempted": attempted, "succeeded": succeeded, "failed": len(failures),
        "unexplained": len(unexplained), "unexplained_examples": [f[2] for f in unexplained[:3]],
        "kills": len(chaos.kills), "no_worker": chaos.no_worker,
        "ready_mean": stats.summary(ready.samples)["median"] if ready.samples else None,
        "ready_mean_avg": sum(ready.samples) / len(ready.samples) if ready.samples else None,
        "ready_none": sum(1 for r in ready.samples if r == 0) / len(ready.samples) if ready.samples else None,
        "master_kills": len(master_kills(lines)), "stops": len(chaos.stops),
        # With a slow log reader the log lags: the restart counter does not (every replacement, planned or not).
        "respawns": started - WORKERS if slow_log is None else all_restarts, "hung": hang_restarts, "slow_log": slow_log,
        "reloads": len(chaos.reloads), "reloads_ok": sum(1 for code, _ in chaos.reloads if code == 0),
        "reload_errors": sorted({err for code, err in chaos.reloads if code != 0}),
        "zombies_most": zombies.most, "zombie_oldest": zombies.oldest, "zombie_samples": zombies.samples,
        "start": start, "end": end, "whole_after": whole_after, "stop_ms": stop_ms,
    }
    result["targets_met"] = (result["unexplained"] == 0 and zombies.oldest <= 1.0 and whole_after is not None
                             and end["fds"] <= start["fds"] and not grown_but_once
                             and (slow_log is None or hang_restarts == 0))
    print(f"   {result}", flush=True)
    return result


def report(results):
    def row(name, fn):
        return [name] + [fn(r) for r in results]
    rows = [
        row("connections attempted", lambda r: r["attempted"]),
        row("connections succeeded", lambda r: r["succeeded"]),
        row("connections failed", lambda r: r["failed"]),
        row("failed with no kill while open", lambda r: r["unexplained"]),
        row("SIGKILLs sent (every 500 ms)", lambda r: f"{r['kills']} (+{r['no_worker']} times no worker to kill)"),
        row("SIGSTOPs sent (0.5-5 s each)", lambda r: r["stops"]),
        row("respawns (workers started after the first 4)", lambda r: r["respawns"]),
        row("ready workers during the chaos (mean of 4 Hz samples)", lambda r: stats.number(r["ready_mean_avg"])),
        row("samples with no worker ready", lambda r: f"{100 * r['ready_none']:.0f} %"),
        row("hung workers detected (herd_worker_restarts_total{reason=\"hang\"})", lambda r: r["hung"]),
        row("SIGKILLs sent by the master", lambda r: r["master_kills"]),
        row("herd reload: ok / run", lambda r: f"{r['reloads_ok']} / {r['reloads']}"),
        row("most zombies at once", lambda r: r["zombies_most"]),
        row("oldest zombie (s, 20 ms samples)", lambda r: stats.number(r["zombie_oldest"])),
        row("master descriptors start → end", lambda r: f"{r['start']['fds']} → {r['end']['fds']}"),
        row("master threads start → end (without the JIT's)", lambda r: f"{r['start']['threads']} → "
            f"{r['end']['threads']} ({r['start']['threads_but_jit']} → {r['end']['threads_but_jit']})"),
        row("master RSS start → end (MB)", lambda r: f"{r['start']['rss']:.0f} → {r['end']['rss']:.0f}"),
        row("pool whole after the chaos", lambda r: "no" if r["whole_after"] is None
            else f"yes, after {r['whole_after']:.1f} s"),
        row("stop (SIGTERM to all gone, ms)", lambda r: stats.number(r["stop_ms"])),
        row("targets met", lambda r: "yes" if r["targets_met"] else "NO"),
    ]
    text = common.table(rows, [""] + [f"{r['app']} ({r['seconds']:g} s, {r['clients']} clients"
                                      + (f", log read at {r['slow_log']} B/s" if r["slow_log"] else "") + ")"
                                      for r in results])
    for r in results:
        if r["reload_errors"]:
            text += f"\n{r['app']}: failed reloads said: " + "; ".join(r["reload_errors"])
        if r["unexplained_examples"]:
            text += f"\n{r['app']}: unexplained failures, e.g. " + "; ".join(r["unexplained_examples"])
    return text


if __name__ == "__main__":
    main()
