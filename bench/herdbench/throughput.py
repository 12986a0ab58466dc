"""Throughput and latency with `wrk -t2 -c64` (keep-alive, GET /), for N = 1, 2, 4 workers of:
  herd              herd's http app (Jetty 12) under herd
  plain-jvm         the same worker command, N processes on one socket, without herd (servers.PlainJvm)
  nginx             `return 200`
  gunicorn-sync     N sync workers (one request at a time each; closes the connection after each response)
  gunicorn-gthread  N gthread workers with gthread_threads threads each (keep-alive)
Each server gets a warm-up run first (the JVM's JIT, Python's imports), not counted, then runs of wrk_seconds;
req/s, p50 and p99 are each the median of the runs (with min and max). herd and plain-jvm at the same N run
the same JVMs with the same threads (Jetty's default pool in each), so their ratio is the cost of supervision
on the data path."""
from . import loadgen, servers

SERVERS = ["herd", "plain-jvm", "nginx", "gunicorn-sync", "gunicorn-gthread"]


def run(bench, kinds):
    s = bench.settings
    for n in s.throughput_workers:
        for kind in SERVERS:
            if kind not in kinds:
                continue
            server = servers.make(bench, kind, n, app="http").start()
            try:
                server.wait_serving()
                loadgen.run(bench, server.url, s.wrk_warmup_seconds, label="wrk (throughput)")
                results = [loadgen.run(bench, server.url, s.wrk_seconds, label="wrk (throughput)")
                           for _ in range(s.heavy_runs)]
            finally:
                server.stop()
            errors = sum(r["errors"] + r["non2xx"] for r in results)
            extra = {"threads": bench.gthread_threads} if kind == "gunicorn-gthread" else {}
            bench.add("rps", kind, [r["rps"] for r in results], "req/s", workers=n, errors=errors, **extra)
            bench.add("p50", kind, [r["p50_ms"] for r in results], "ms", workers=n, **extra)
            bench.add("p99", kind, [r["p99_ms"] for r in results], "ms", workers=n, **extra)
