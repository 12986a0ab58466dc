"""The benchmark driver: python3 -m herdbench (run it through bench/run.sh, which builds herd first).

Runs the sections in order, each against herd, nginx and gunicorn started by this process, then writes the
report. Every process it starts is its descendant (procs.py) and is stopped when it ends, however it ends:
normally, on an error, on SIGINT/SIGTERM/SIGHUP, or at the --max-minutes deadline."""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback

from . import (bench as bench_module, failover, idle, machine, many, procs, reload, report, startup,
               stop_busy, throughput)

SECTIONS = {
    "startup": startup.run,
    "idle": idle.run,
    "stop-busy": stop_busy.run,
    "failover": failover.run,
    "throughput": throughput.run,
    "reload": reload.run,
    "many": many.run,
}
OPTIONAL_SECTIONS = ["zero-downtime"]   # only when named with --only
SERVERS = ["herd", "plain-jvm", "nginx", "gunicorn-sync", "gunicorn-gthread"]


class Interrupted(BaseException):
    pass


def parse_args(home):
    parser = argparse.ArgumentParser(prog="bench/run.sh", description="herd, nginx and gunicorn side by side")
    parser.add_argument("--quick", action="store_true", help="a reduced set in under 2 minutes")
    parser.add_argument("--runs", type=int, help="runs per figure (default 5; 3 with --quick)")
    parser.add_argument("--only", help="comma-separated sections: " + ", ".join(list(SECTIONS) + OPTIONAL_SECTIONS))
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated: " + ", ".join(SERVERS))
    parser.add_argument("--startup-workers", help="comma-separated worker counts for the start-up section")
    parser.add_argument("--gthread-threads", type=int, default=4, help="threads per gunicorn gthread worker")
    parser.add_argument("--zd-seconds", type=float, default=30, help="seconds per zero-downtime phase")
    parser.add_argument("--status-requests", type=int, help="status round trips per run")
    parser.add_argument("--cli-runs", type=int, help="hyperfine runs of bin/herd status")
    parser.add_argument("--doc", help="report to write (default docs/benchmarks.md; bench/out/quick/benchmarks.md "
                                      "with --quick); the plot goes beside it as NAME-reload.png")
    parser.add_argument("--no-report", action="store_true", help="print the figures only")
    parser.add_argument("--out", help="directory for results.json and time series (default bench/out/run-TIME)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, configs)")
    parser.add_argument("--max-minutes", type=float, default=120, help="stop everything after this long")
    parser.add_argument("--command-line", default="bench/run.sh", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.sections = args.only.split(",") if args.only else list(SECTIONS)
    for name in args.sections:
        if name not in SECTIONS and name not in OPTIONAL_SECTIONS:
            parser.error(f"unknown section {name}")
    args.kinds = args.servers.split(",")
    for kind in args.kinds:
        if kind not in SERVERS:
            parser.error(f"unknown server {kind}")
    if args.doc is None:
        args.doc = os.path.join(home, "bench", "out", "quick", "benchmarks.md") if args.quick \
            else os.path.join(home, "docs", "benchmarks.md")
    if args.out is None:
        args.out = os.path.join(home, "bench", "out", time.strftime("run-%Y%m%d-%H%M%S"))
    return args


def main():
    home = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parse_args(home)
    procs.become_subreaper_and_session_leader()

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, interrupt)
    signal.alarm(int(args.max_minutes * 60))

    settings = bench_module.Settings(quick=args.quick, runs=args.runs)
    if args.status_requests:
        settings.status_requests = args.status_requests
    if args.cli_runs:
        settings.cli_runs = args.cli_runs
    if args.startup_workers:
        settings.startup_workers = [int(n) for n in args.startup_workers.split(",")]
    scratch = tempfile.mkdtemp(prefix="herd-bench-")
    os.makedirs(args.out, exist_ok=True)
    bench = bench_module.Bench(home, scratch, args.out, settings, gthread_threads=args.gthread_threads)
    bench.machine = machine.describe(home)
    bench.command_line = args.command_line
    failed = []
    began = time.monotonic()
    try:
        for name in args.sections:
            print(f"== {name}", flush=True)
            section_began = time.monotonic()
            try:
                if name == "zero-downtime":
                    reload.zero_downtime(bench, args.kinds, args.zd_seconds)
                else:
                    SECTIONS[name](bench, args.kinds)
            except Interrupted:
                raise
            except Exception as e:
                traceback.print_exc()
                failed.append(name)
                bench.note(f"failed-{name}", f"{type(e).__name__}: {e}")
            bench.timings[name] = time.monotonic() - section_began
            print(f"   ({name}: {bench.timings[name]:.0f} s)", flush=True)
    except Interrupted as e:
        print(f"bench: interrupted ({e}); stopping every process this run started", file=sys.stderr)
        failed.append(f"interrupted ({e})")
    finally:
        signal.alarm(0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)   # the clean-up runs to its end
        bench.stop_all()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"bench: scratch directory kept: {scratch}")
    bench.total_seconds = time.monotonic() - began
    bench.save()
    print(f"bench: results in {os.path.join(args.out, 'results.json')} ({bench.total_seconds:.0f} s)")
    if not args.no_report and not any(f.startswith("interrupted") for f in failed):
        doc, plot = report.write(bench, args.doc)
        print(f"bench: wrote {doc} and {plot}")
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
