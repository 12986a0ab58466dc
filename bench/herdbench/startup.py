"""exec to N workers serving: from the exec of the server's command until N distinct worker processes wait for
connections on the listening socket (probe.py), for N in settings.startup_workers. herd runs its echo app;
nginx and gunicorn (sync) their one-line HTTP apps. A fresh server for every run, stopped after it."""
import time

from . import servers

SERVERS = [("herd", "echo"), ("nginx", "http"), ("gunicorn-sync", "http")]


def run(bench, kinds):
    for n in bench.settings.startup_workers:
        for kind, app in SERVERS:
            if kind not in kinds:
                continue
            samples = []
            for _ in range(bench.settings.runs):
                server = servers.make(bench, kind, n, app=app)
                start = time.monotonic()
                server.start()
                try:
                    server.wait_serving(timeout=60 + 10 * n)
                    samples.append((time.monotonic() - start) * 1000)
                finally:
                    server.stop()
            bench.add("startup", kind, samples, "ms", workers=n, app=app)
