"""SIGTERM to every process gone with 64 connections in flight: 4 workers of an HTTP app (herd's http app,
nginx, gunicorn sync) under `wrk -t2 -c64` keep-alive load; after stop_load_seconds of load, SIGTERM to the master,
timed until the master and every worker have exited. wrk keeps sending throughout. What SIGTERM asks for is
each server's own: a graceful stop for herd (finish the requests in progress, then close) and gunicorn, nginx's
fast shutdown (nginx stops gracefully on SIGQUIT)."""
import time

from . import loadgen, servers

SERVERS = ["herd", "nginx", "gunicorn-sync"]
WORKERS = 4


def run(bench, kinds):
    for kind in SERVERS:
        if kind not in kinds:
            continue
        samples = []
        for _ in range(bench.settings.heavy_runs):
            server = servers.make(bench, kind, WORKERS, app="http").start()
            wrk = None
            try:
                server.wait_serving()
                wrk = loadgen.Wrk(bench, server.url, 120, label="wrk (load during the stop)").start()
                time.sleep(bench.settings.stop_load_seconds)
                samples.append(servers.measure_stop(server))
            finally:
                if wrk:
                    wrk.stop()
                server.stop()
        bench.add("stop-busy", kind, samples, "ms", workers=WORKERS, app="http")
