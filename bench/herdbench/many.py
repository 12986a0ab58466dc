"""herd with many workers (32; 8 with --quick), echo app, a fresh master for each run:
  - time from exec to all workers serving (the start-up method of startup.py), and on to herd's own view of it:
    `status` (polled every 20 ms) says all are ready (READY=1 received; a worker accepts a little before that);
  - the master's CPU while idle: utime + stime from /proc/PID/stat over idle_cpu_seconds, once every worker
    serves and settle_seconds have passed, as a percentage of one core;
  - the `status` round trip over the admin socket (p50 and p99 of status_requests requests), after that window;
  - a scrape of /metrics (metricsListen), p50 and p99 of status_requests scrapes: what Prometheus costs the master;
  - SIGTERM to every process gone."""
import os
import time
import urllib.request

from . import idle, procs, servers, stats


def run(bench, kinds):
    if "herd" not in kinds:
        return
    s = bench.settings
    n = s.many_workers
    ready, ready_status, cpu, p50s, p99s, scrape50s, scrape99s, stops = [], [], [], [], [], [], [], []
    for _ in range(s.many_runs):
        metrics_port = bench.ports.next()
        server = servers.make(bench, "herd", n, app="echo", config={"metricsListen": f"127.0.0.1:{metrics_port}"})
        start = time.monotonic()
        server.start()
        try:
            server.wait_serving(timeout=300)
            ready.append((time.monotonic() - start) * 1000)
            procs.wait_until(lambda: all_ready(server, n), 120, interval=0.02, what=f"herd: status says {n} ready")
            ready_status.append((time.monotonic() - start) * 1000)
            time.sleep(s.idle_settle_seconds)
            cpu.append(cpu_percent(server.master, s.idle_cpu_seconds))
            rtt = idle.status_round_trips(server.admin_socket, s.status_requests)
            p50s.append(stats.percentile(rtt, 50))
            p99s.append(stats.percentile(rtt, 99))
            scrapes = scrape_times(metrics_port, s.status_requests)
            scrape50s.append(stats.percentile(scrapes, 50))
            scrape99s.append(stats.percentile(scrapes, 99))
            stops.append(servers.measure_stop(server))
        finally:
            server.stop()
    bench.add("many-ready", "herd", ready, "ms", workers=n)
    bench.add("many-ready-status", "herd", ready_status, "ms", workers=n)
    bench.add("many-master-cpu", "herd", cpu, "%", workers=n, window=s.idle_cpu_seconds)
    bench.add("many-status-p50", "herd", p50s, "us", workers=n)
    bench.add("many-status-p99", "herd", p99s, "us", workers=n)
    bench.add("many-scrape-p50", "herd", scrape50s, "ms", workers=n)
    bench.add("many-scrape-p99", "herd", scrape99s, "ms", workers=n)
    bench.add("many-stop", "herd", stops, "ms", workers=n)


def scrape_times(port, count):
    """Milliseconds of each GET /metrics, one after another, each on a new connection as Prometheus makes them."""
    times = []
    for _ in range(count):
        start = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            body = response.read()
        times.append((time.monotonic() - start) * 1000)
        if b"herd_up 1" not in body:
            raise RuntimeError("herd: /metrics did not say herd_up 1")
    return times


def all_ready(server, n):
    try:
        return server.admin({"command": "status"}, timeout=5)["readyWorkers"] >= n
    except (OSError, ValueError):
        return False  # the admin socket is not there yet


def cpu_percent(pid, seconds):
    """CPU time the process used over the next `seconds`, in percent of one core."""
    ticks = procs.cpu_ticks(pid)
    start = time.monotonic()
    time.sleep(seconds)
    used = procs.cpu_ticks(pid) - ticks
    return used / os.sysconf("SC_CLK_TCK") / (time.monotonic() - start) * 100
