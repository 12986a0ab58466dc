"""An idle pool of 4 workers (herd's echo app; nginx and gunicorn sync with their one-line apps), started afresh
for each run. Once all 4 serve and settle_seconds have passed, each run measures in this order:
  - memory: RSS and PSS (/proc/PID/smaps_rollup) of the master and of each worker;
  - herd only: the round trip of {"command":"status"} over the admin socket (p50 and p99 of status_requests
    requests on one connection, after 50 warm-up requests), and in the first run the wall time of
    `bin/herd status` (hyperfine, cli_runs runs after 2 warm-ups);
  - stop: SIGTERM to the master until the master and every worker have exited."""
import json
import os
import socket
import subprocess
import time

from . import servers, stats

SERVERS = [("herd", "echo"), ("nginx", "http"), ("gunicorn-sync", "http")]
WORKERS = 4


def run(bench, kinds):
    for kind, app in SERVERS:
        if kind not in kinds:
            continue
        memory = {"master": {"rss": [], "pss": []}, "worker": {"rss": [], "pss": []}, "total": {"pss": []}}
        stops, p50s, p99s, cli = [], [], [], []
        for i in range(bench.settings.runs):
            server = servers.make(bench, kind, WORKERS, app=app).start()
            try:
                workers = server.wait_serving()
                time.sleep(bench.settings.idle_settle_seconds)
                master, each = memory_of(server.master), [memory_of(w) for w in workers]
                memory["master"]["rss"].append(master[0])
                memory["master"]["pss"].append(master[1])
                memory["worker"]["rss"].append(sum(m[0] for m in each) / len(each))
                memory["worker"]["pss"].append(sum(m[1] for m in each) / len(each))
                memory["total"]["pss"].append(master[1] + sum(m[1] for m in each))
                if kind == "herd":
                    rtt = status_round_trips(server.admin_socket, bench.settings.status_requests)
                    p50s.append(stats.percentile(rtt, 50))
                    p99s.append(stats.percentile(rtt, 99))
                    if i == 0:
                        cli = cli_wall_times(bench, server.admin_socket, bench.settings.cli_runs)
                stops.append(servers.measure_stop(server))
            finally:
                server.stop()
        for role, figures in memory.items():
            for figure, samples in figures.items():
                bench.add(f"{role}-{figure}", kind, samples, "MB", workers=WORKERS, app=app)
        if kind == "herd":
            bench.add("status-rtt-p50", kind, p50s, "us", workers=WORKERS)
            bench.add("status-rtt-p99", kind, p99s, "us", workers=WORKERS)
            bench.add("cli-status", kind, cli, "ms", workers=WORKERS, note="hyperfine runs, one master")
        bench.add("stop-idle", kind, stops, "ms", workers=WORKERS, app=app)


def memory_of(pid):
    """(RSS, PSS) in MB from /proc/PID/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                values[key] = int(rest.split()[0]) / 1024
    return values["Rss"], values["Pss"]


def status_round_trips(path, requests, warmup=50):
    """Microseconds per {"command":"status"} round trip on one admin connection (the first warmup dropped)."""
    times = []
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        replies = s.makefile("rb")
        for i in range(requests + warmup):
            start = time.perf_counter()
            s.sendall(b'{"command":"status"}\n')
            line = replies.readline()
            elapsed = (time.perf_counter() - start) * 1e6
            if not json.loads(line).get("ok"):
                raise RuntimeError(f"status failed: {line!r}")
            if i >= warmup:
                times.append(elapsed)
    return times


def cli_wall_times(bench, path, runs):
    """Milliseconds of each `bin/herd status` run, timed by hyperfine (no shell in between)."""
    out = os.path.join(bench.scratch("hyperfine"), "hyperfine.json")
    argv = ["hyperfine", "-N", "--warmup", "2", "--runs", str(runs), "--export-json", out,
            f"{bench.herd} status --admin-socket {path}"]
    bench.record_command("hyperfine", argv)
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, timeout=300)
    with open(out) as f:
        return [t * 1000 for t in json.load(f)["results"][0]["times"]]
