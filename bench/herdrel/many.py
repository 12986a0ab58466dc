"""bench/many-workers.sh: one master with many echo workers (256 by default): the time from `bin/herd run` to
status counting every worker ready, the master's threads (sampled all along; issue 12's target: under 40),
its resident memory and descriptors once all are ready, the workers' memory, one echo through the pool, and the
time SIGTERM takes to stop them all.

  bench/many-workers.sh [--workers N] [--jvm-option OPT]... [--runs R]"""
import argparse
import socket
import sys
import time

from herdbench import procs, servers, stats

from . import common

LIGHT_JVM = ["-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]


def main():
    parser = argparse.ArgumentParser(prog="bench/many-workers.sh")
    parser.add_argument("--workers", type=int, default=256)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--jvm-option", action="append", dest="jvm_options",
                        help=f"a worker JVM option (repeatable; default: {' '.join(LIGHT_JVM)})")
    parser.add_argument("--max-minutes", type=float, default=30)
    args = parser.parse_args()
    options = args.jvm_options if args.jvm_options is not None else LIGHT_JVM
    sys.exit(common.drive("many-workers", lambda bench: run(bench, args.workers, options, args.runs),
                          args.max_minutes))


def run(bench, workers, options, runs):
    rows = []
    for i in range(runs):
        rows.append(one_run(bench, workers, options))
        print(f"run {i + 1}: {rows[-1]}", flush=True)
    header = ["workers", "all ready (s)", "master threads (max)", "master RSS (MB)", "master fds",
              "worker RSS (MB, mean)", "workers' RSS (GB, sum)", "stop (s)"]
    keys = ["workers", "ready", "threads", "rss", "fds", "worker_rss", "workers_rss", "stop"]
    print()
    print(f"worker JVM options: {' '.join(options)}")
    print(common.table([[fmt(r[k]) for k in keys] for r in rows], header))


def one_run(bench, workers, options):
    began = time.monotonic()
    server = common.start_herd(bench, workers, "echo", {"readyTimeout": "10m", "worker": {"jvmOptions": options}})
    most_threads = 0
    try:
        def all_ready():
            nonlocal most_threads
            if server.proc.poll() is not None:
                raise RuntimeError(f"herd exited:\n{server.log_tail()}")
            try:
                most_threads = max(most_threads, common.threads(server.master))
                return server.admin({"command": "status"}, timeout=30)["readyWorkers"] == workers
            except (OSError, ValueError, KeyError):
                return False
        procs.wait_until(all_ready, 600, interval=0.1, what=f"{workers} workers ready")
        ready = time.monotonic() - began
        most_threads = max(most_threads, common.threads(server.master))
        master = common.figures(server.master)
        worker_rss = [common.rss_mb(w) for w in procs.children(server.master) if not procs.is_gone(w)]
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"War and Peace")
            assert s.recv(64) == b"War and Peace", "echo through the pool"
        stop = servers.measure_stop(server, timeout=300) / 1000
    finally:
        server.stop()
    return {"workers": workers, "ready": ready, "threads": most_threads, "rss": master["rss"], "fds": master["fds"],
            "worker_rss": stats.summary(worker_rss)["median"], "workers_rss": sum(worker_rss) / 1024, "stop": stop}


def fmt(value):
    return stats.number(value) if isinstance(value, float) else value


if __name__ == "__main__":
    main()
