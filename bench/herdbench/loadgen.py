"""HTTP load with wrk, and what comes out of it.

  Wrk(...)             one wrk run in the background: the load (-t2 -c64 by default) or a probe connection
  Wrk.result()         wrk's summary: requests, req/s, p50/p99 latency, non-2xx responses, socket errors
  per_second_counts()  responses per second, from timeseries.lua (every response of the load)
  per_second_latency() latency percentiles per second, from latency.lua on a probe connection (wrk -t1 -c1)
"""
import os
import re
import signal
import subprocess

from . import stats

HERE = os.path.dirname(os.path.abspath(__file__))
TIMESERIES_LUA = os.path.join(HERE, "timeseries.lua")
LATENCY_LUA = os.path.join(HERE, "latency.lua")
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


class Wrk:
    """wrk against url for at most seconds (stopped earlier with stop()); with series, a Lua script writes its
    per-second or per-request data there."""

    def __init__(self, bench, url, seconds, threads=2, connections=64, script=None, series=None, origin=None,
                 label="wrk"):
        self.argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{int(seconds)}s", "--latency"]
        if script:
            self.argv += ["-s", script]
        self.argv.append(url)
        self.series = series
        self.origin = origin
        self.bench = bench
        self.label = label
        self.proc = None
        self.output = None

    def start(self):
        env = dict(os.environ)
        if self.series:
            env["WRK_SERIES"] = self.series
            env["WRK_ORIGIN_US"] = str(int((self.origin or 0) * 1e6))
        self.bench.record_command(self.label, self.argv)
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     env=env)
        return self

    def stop(self):
        """SIGINT: wrk stops and prints its summary as after -d (and the Lua done() runs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        return self.wait()

    def wait(self, timeout=None):
        try:
            self.output, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
            raise
        return self

    def result(self):
        return parse(self.output)


def run(bench, url, seconds, **kwargs):
    """A whole wrk run; its parsed summary."""
    return Wrk(bench, url, seconds, **kwargs).start().wait(timeout=seconds + 60).result()


def duration_ms(text):
    number, unit = re.fullmatch(r"([0-9.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def parse(text):
    """wrk's summary as a dict; raises ValueError if it has none (wrk failed)."""
    found = {"non2xx": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}
    m = re.search(r"(\d+) requests in ([0-9.]+[a-z]+)", text)
    if not m:
        raise ValueError(f"wrk printed no summary:\n{text}")
    found["requests"] = int(m.group(1))
    found["seconds"] = duration_ms(m.group(2)) / 1000
    found["rps"] = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        m = re.search(rf"^\s+{pct}%\s+([0-9.]+[a-z]+)", text, re.M)
        found[key] = duration_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        found["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        found.update(zip(("connect", "read", "write", "timeout"), map(int, m.groups())))
    found["errors"] = found["connect"] + found["read"] + found["write"] + found["timeout"]
    return found


def per_second_counts(path):
    """{second: (responses, non-2xx)} from timeseries.lua's file (seconds since the Wrk's origin)."""
    counts = {}
    with open(path) as f:
        for line in f:
            second, n, bad = map(int, line.split())
            counts[second] = (n, bad)
    return counts


def per_second_latency(path, origin):
    """{second since origin: (p50 ms, p99 ms, responses)} from latency.lua's file (origin: a time.monotonic())."""
    buckets = {}
    with open(path) as f:
        for line in f:
            done_us, latency_us, _status = map(int, line.split())
            buckets.setdefault(int((done_us / 1e6 - origin) // 1), []).append(latency_us / 1000)
    return {s: (stats.percentile(v, 50), stats.percentile(v, 99), len(v)) for s, v in buckets.items()}
