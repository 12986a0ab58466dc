"""What a benchmark run shares: its settings, its scratch directory, its ports, the servers it has running, the
results it has measured and the commands it ran (quoted in docs/benchmarks.md)."""
import json
import os
import random
import socket

from . import procs, stats

PORTS = range(18000, 19000)   # the benchmarks' own range: other tests here use kernel-chosen ports


class Ports:
    """Hands out ports of PORTS that are free at the time, round robin from a random start, so that two runs
    rarely collide and a port is not reused while its old connections sit in TIME_WAIT."""

    def __init__(self):
        self.cursor = random.randrange(len(PORTS))

    def next(self):
        for _ in range(len(PORTS)):
            port = PORTS[self.cursor % len(PORTS)]
            self.cursor += 1
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    s.bind(("127.0.0.1", port))
                    return port
                except OSError:
                    continue
        raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


class Settings:
    """How much to measure. --quick shrinks runs, worker counts and durations to stay under 2 minutes; its
    figures show that everything works, they are not for comparing."""

    def __init__(self, quick=False, runs=None):
        self.quick = quick
        self.runs = runs or (2 if quick else 5)
        self.heavy_runs = runs or (1 if quick else 5)          # stop under load, throughput
        self.startup_workers = [2, 4] if quick else [1, 2, 4, 16]
        self.throughput_workers = [2] if quick else [1, 2, 4]
        self.wrk_seconds = 1 if quick else 5
        self.wrk_warmup_seconds = 1 if quick else 5
        self.stop_load_seconds = 1 if quick else 2
        self.reload_servers = ["herd", "nginx", "gunicorn-sync"] if quick else \
            ["herd", "nginx", "gunicorn-sync", "gunicorn-gthread"]
        self.reload_workers = 2 if quick else 4
        self.reloads = 2 if quick else 10
        self.reload_interval = 1.5 if quick else 4.0
        self.reload_lead_seconds = 1.0 if quick else 2.0
        self.status_requests = 200 if quick else 1000
        self.cli_runs = 5 if quick else 10
        self.many_workers = 8 if quick else 32
        self.many_runs = 1 if quick else self.runs
        self.idle_cpu_seconds = 3 if quick else 30
        self.idle_settle_seconds = 0.5 if quick else 2.0


class Bench:
    def __init__(self, home, workdir, outdir, settings, gthread_threads=4):
        self.home = home
        self.bench_dir = os.path.join(home, "bench")
        self.herd = os.path.join(home, "bin", "herd")
        self.workdir = workdir   # scratch: the servers' configs, logs and sockets
        self.outdir = outdir     # what the report is made from: results.json, time series
        self.settings = settings
        self.gthread_threads = gthread_threads
        self.ports = Ports()
        self.running = []
        self.commands = {}
        self.results = []
        self.notes = {}
        self.machine = {}
        self.timings = {}
        self.total_seconds = None
        self.command_line = "bench/run.sh"
        self._plain_jvm_argv = None
        self._counter = 0

    # --- scratch files and processes ---

    def scratch(self, name):
        self._counter += 1
        path = os.path.join(self.workdir, f"{self._counter:03d}-{name}")
        os.makedirs(path)
        return path

    def started(self, server):
        self.running.append(server)

    def stopped(self, server):
        if server in self.running:
            self.running.remove(server)

    def popen_pids(self):
        return {s.proc.pid for s in self.running if s.proc is not None}

    def stop_all(self):
        for server in list(self.running):
            try:
                server.stop(timeout=10)
            except Exception as e:  # the clean-up goes on: kill_everything_started follows
                print(f"bench: stopping {server.kind}: {e}")
        procs.kill_everything_started()

    def record_command(self, kind, argv):
        """The first command line of each kind of server (ports and scratch paths differ between runs)."""
        self.commands.setdefault(kind, argv)

    def plain_jvm_argv(self):
        """The exact command herd runs for an http worker, read from a live one: JVM, options, classpath, main
        class. Taken from herd itself so that it stays the same command when herd's defaults change."""
        if self._plain_jvm_argv is None:
            from .servers import Herd
            herd = Herd(self, 1, app="http").start()
            try:
                worker = herd.wait_serving().pop()
                with open(f"/proc/{worker}/cmdline", "rb") as f:
                    self._plain_jvm_argv = [a.decode() for a in f.read().split(b"\0") if a]
            finally:
                herd.stop()
        return self._plain_jvm_argv

    # --- results ---

    def add(self, figure, server, samples, unit, workers=None, **extra):
        record = {"figure": figure, "server": server, "workers": workers, "unit": unit,
                  "samples": [round(s, 3) if isinstance(s, float) else s for s in samples],
                  "summary": stats.summary(samples)}
        record.update(extra)
        self.results.append(record)
        self.save()
        label = f"{figure} {server}" + (f" ({workers} worker{'s' if workers != 1 else ''})"
                                        if workers is not None else "")
        print(f"  {label}: {stats.describe(record['summary'], unit)} [{len(samples)} runs]", flush=True)
        return record

    def note(self, key, text):
        self.notes[key] = text
        self.save()

    def save(self):
        with open(os.path.join(self.outdir, "results.json"), "w") as f:
            json.dump({"results": self.results, "notes": self.notes, "commands": self.commands,
                       "settings": vars(self.settings), "machine": self.machine, "timings": self.timings,
                       "total_seconds": self.total_seconds, "command_line": self.command_line}, f, indent=1)
