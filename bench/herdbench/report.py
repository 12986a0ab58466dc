"""Writes docs/benchmarks.md (and the reload plot beside it) from a run's results.

Everything in the document is generated: edit this file, not the document, and rerun bench/run.sh. It can also
be run on its own against a results directory: python3 -m herdbench.report RESULTS_DIR DOC.md
"""
import datetime
import json
import os
import re
import subprocess
import sys

from .stats import describe, number, ratio

HERE = os.path.dirname(os.path.abspath(__file__))
PLOT_SCRIPT = os.path.join(HERE, "reload-plot.gp")
NAMES = {"herd": "herd", "plain-jvm": "plain JVM", "nginx": "nginx", "gunicorn-sync": "gunicorn sync",
         "gunicorn-gthread": "gunicorn gthread"}


class Results:
    def __init__(self, data):
        self.data = data
        self.records = data["results"]

    def get(self, figure, server, workers=None):
        found = [r for r in self.records if r["figure"] == figure and r["server"] == server
                 and (workers is None or r["workers"] == workers)]
        return found[-1] if found else None

    def summary(self, figure, server, workers=None):
        record = self.get(figure, server, workers)
        return record["summary"] if record else None

    def workers_of(self, figure):
        return sorted({r["workers"] for r in self.records if r["figure"] == figure})


def cell(summary, unit=""):
    return describe(summary, unit) if summary else "—"


def times(value):
    return f"{number(value)}×" if value is not None else "—"


def at_most(limit, unit):
    def check(summary):
        return None if not summary else summary["median"] <= limit
    check.text = f"≤ {limit:g} {unit}"
    return check


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def plural(n, word):
    return f"{n} {word}" + ("" if n == 1 else "s")


def met(flag):
    return "—" if flag is None else ("yes" if flag else "**no**")


# --- sections of the document ---

# What each change of issue 14 bought, as measured when it was made (each on this machine, by the command named;
# the run above measures where they ended up together).
CHANGES = """### What each change bought

| change | what it bought | measured by |
|---|---|---|
| the stop: nothing timed between the last worker's reap and the master's exit (one I/O thread for every worker, whose pipes end with the workers, instead of a thread per worker in timed receives), and worker JVMs with less to tear down | SIGTERM to all gone, idle, 4 workers: about 370 ms (issue 14's figure) to the figure in the table | `bench/run.sh --only idle` |
| worker notifications through an inherited pipe (fd 4) instead of a datagram socket made with jnr-unixsocket: the worker API needs nothing but the JDK | about 250 ms of each JVM worker's start and its jnr memory | the worker's `ready after` in the log |
| lean JVM options for the built-in apps (serial collector, C1 only, `-Xms8m -Xmx256m -Xss512k`; a user's `jvmOptions` win) | worker RSS from about 62 MB to about 41 MB | `bench/run.sh --only idle` |
| class-data sharing: one archive per JDK and build (dynamic CDS on 17, the AOT cache on 25), made by a training run of herd's own paths, mapped by the master and the CLI | about a quarter of `herd status`'s CPU and a fifth of the master's start | `hyperfine 'bin/herd status'` with `HERD_CLASS_DATA=off` and without |
| workers do not map that archive | each worker's PSS down by about 10 MB (a relocated archive is touched in full) for no CPU gain | `/proc/PID/smaps_rollup` |
| jnr binds native functions by reflection at first call (`jnr.ffi.asm.enabled=false`) instead of generating stubs | about 100 ms of the master's CPU at start and 14 MB of its RSS | `/usr/bin/time -v`, `/proc/PID/status` |
| the master trims glibc's heap every 10 s (`-XX:TrimNativeHeapInterval`) | an idle master's RSS down by about 13 MB | `/proc/PID/status` after a minute idle |
| the CLI builds only the subcommand it runs | picocli builds each subcommand's model by reflection, several milliseconds each; `herd status` now builds two models instead of fourteen | `hyperfine 'bin/herd status'` |
| hot spares (`spareWorkers`), warmed up through the app's own serving code before the promotion | SIGKILL of a worker to a queued request served: about 150 ms to the figure in the table; without the warm-up it was 57 ms on a loaded machine, with it 23 ms | `bench/run.sh --only failover` |

"""


# What stands between herd and a target of issue 14's that a run does not meet: shown under the headline for each
# row whose median misses its target, keyed by the start of the row's label. Where a figure is "measured here", it
# was measured on this machine by the command named, not by this run.
LIMITS = {
    "exec to": "Two JVM starts in a row: the master's (the JVM, picocli and the config, the first native calls, "
               "the socket) before it spawns a worker, and then the worker's own (the JVM, herd's worker classes "
               "and the app's, the server's start) before `READY=1`; several workers start at once on 2 cores. Class-data sharing for the master and lean JVM options for both are in; what is "
               "left is the JVM's own start, which only a checkpoint/restore JVM (CRaC) or a native image would "
               "remove, both outside the design card. With `spareWorkers` a replacement does not pay it.",
    "the same with a hot spare": "The kernel's part is microseconds; the rest is four hand-offs between threads "
               "of two JVMs, each a wake-up on a busy 2-core machine: the master's signal thread to its loop "
               "(SIGCHLD), the loop reaping the worker and writing the slot's number down the spare's promotion "
               "pipe, the spare's waiting thread, its acceptor. The master's part, from SIGCHLD to the byte on the "
               "pipe, is about 1 ms (its log).",
    "worker RSS": "The JVM's floor: libjvm (about 13 MB mapped and touched), the JDK's class-data archive (shared, "
               "but counted in full in each RSS), metaspace, the code cache, the first 8 MB of heap and the threads' "
               "stacks; the built-in apps already run on the serial collector and C1 with `-Xms8m -Xss512k`. PSS, "
               "which counts shared pages once per sharer, is the fairer figure for a pool.",
    "worker PSS": "See worker RSS.",
    "master RSS": "The same JVM floor as a worker's, plus what the master loads that a worker does not: Jackson, "
               "picocli, the admin server, the Prometheus client's classes, jnr's native library (jffi) and its "
               "bound functions. glibc's heap is trimmed every 10 s, and jnr generates no stubs.",
    "`bin/herd status`": "A whole JVM start for one request: the JVM (about 40 ms here for `java -version`), "
               "picocli (its classes are Java 5's format, which no class-data archive can hold: the largest part), "
               "the subcommand's model, Jackson, the admin socket. Class-data sharing took a quarter of the CPU off; "
               "the admin protocol itself (the round trip below) is well under a millisecond. A script that runs "
               "many commands can talk JSON to the socket directly (docs/admin-protocol.md).",
    "`status` round trip": "Not analysed to the end. The median is a fraction of a millisecond; the tail is a "
               "steady one (its minimum over the runs is close to its median), which points at something periodic "
               "rather than at load: the likeliest are the serial collector's young collections in the master's "
               "small heap (`-Xms8m`, chosen for the master's memory) and the reply being made on the loop thread "
               "between its other work. A larger young generation would trade memory for this tail.",
    "32 workers: master's idle CPU": "Not analysed to the end. The loop wakes at least every 200 ms (the bound on "
               "reaping a worker whose SIGCHLD was missed) and walks every worker's deadlines and counters; 32 "
               "workers' heartbeats arrive every 15 s each; the JVM's own housekeeping (collections of a small heap, "
               "late compilations) comes on top, all on a machine whose two cores the workers share.",
    "32 workers: `status` round trip": "The reply reads each worker's CPU time and resident memory from /proc (two "
               "small files per worker, 64 here) on the loop thread, and serialises 32 rows.",
    "32 workers": "32 JVM starts on 2 cores: each worker's start costs a few hundred milliseconds of CPU, so the "
               "cores alone need several seconds before the last one is ready, whatever the master does (its own "
               "thread count stays flat: one I/O thread for every worker's pipes and sockets).",
    "SIGTERM": "The workers' JVMs exit on their own after their drain; the master exits as soon as the last one is "
               "reaped. What is left is the JVMs' own exit.",
    "SIGKILL of a worker": "A new worker JVM's start (see exec to N workers): use `spareWorkers`.",
    "HTTP req/s": "Not found. The data path is the kernel's and Jetty's: workers accept on the shared socket with "
               "no proxy in between, and the plain JVM runs herd's own worker command (the same JVM options); what "
               "a supervised worker does more per request is one increment of a counter in its memory-mapped stats "
               "file, and the master is idle. The medians' difference is within the runs' spread (see the ranges), "
               "on a machine where wrk itself takes one of the two cores.",
}


def headline(r):
    """The issue's table: nginx, gunicorn sync and herd side by side, with ratios and the targets."""
    rows = []
    r.missed = []

    def row(label, figure, workers, unit, target=None, scale=1.0, herd_figure=None):
        def scaled(s):
            return s and {k: (v * scale if k != "runs" else v) for k, v in s.items()}
        nginx, gunicorn = scaled(r.summary(figure, "nginx", workers)), scaled(r.summary(figure, "gunicorn-sync", workers))
        herd = scaled(r.summary(herd_figure or figure, "herd", workers))
        if not (nginx or gunicorn or herd):
            return
        verdict = target(herd) if target else None
        if verdict is False:
            r.missed.append(label)
        rows.append([label, cell(nginx, unit), cell(gunicorn, unit), cell(herd, unit), times(ratio(herd, nginx)),
                     times(ratio(herd, gunicorn)), target.text if target else "—", met(verdict)])

    row("exec to 1 worker serving", "startup", 1, "ms")
    row("exec to 2 workers serving", "startup", 2, "ms", at_most(300, "ms"))
    row("exec to 4 workers serving", "startup", 4, "ms", at_most(500, "ms"))
    row("exec to 16 workers serving", "startup", 16, "ms")
    row("SIGTERM to every process gone, idle, 4 workers", "stop-idle", 4, "ms", at_most(150, "ms"))
    row("SIGTERM to every process gone, 64 connections in flight, 4 workers", "stop-busy", 4, "ms")
    row("SIGKILL of a worker to a queued request served by its replacement", "failover", 1, "ms", at_most(150, "ms"))
    spare = r.summary("failover-spare", "herd", 1)
    unsupported = r.data["notes"].get("failover-spare")
    if spare or unsupported:
        verdict = at_most(10, "ms")(spare) if spare else False
        if verdict is False:
            r.missed.append("the same with a hot spare")
        rows.append(["the same with a hot spare (`spareWorkers: 1`)", "—", "—", cell(spare, "ms") if spare
                     else unsupported, "—", "—", "≤ 10 ms", met(verdict)])
    row("worker RSS, idle (mean of 4)", "worker-rss", 4, "MB", at_most(36, "MB"))
    row("worker PSS, idle (mean of 4)", "worker-pss", 4, "MB", at_most(30, "MB"))
    row("master RSS, idle, 4 workers", "master-rss", 4, "MB", at_most(45, "MB"))
    row("master PSS, idle, 4 workers", "master-pss", 4, "MB")
    row("all processes' PSS, idle, 4 workers", "total-pss", 4, "MB")
    row("`bin/herd status` wall time", "cli-status", 4, "ms", at_most(200, "ms"))
    row("`status` round trip p99 (admin socket)", "status-rtt-p99", 4, "ms", at_most(1, "ms"), scale=0.001)
    many = r.workers_of("many-ready")
    for n in many:
        row(f"{n} workers: exec to all serving", "many-ready", n, "ms", at_most(5000, "ms") if n == 32 else None)
        row(f"{n} workers: exec to all ready in `status`", "many-ready-status", n, "ms",
            at_most(5000, "ms") if n == 32 else None)
        row(f"{n} workers: master's idle CPU (% of one core)", "many-master-cpu", n, "%",
            at_most(1, "%") if n == 32 else None)
        row(f"{n} workers: `status` round trip p99", "many-status-p99", n, "ms",
            at_most(1, "ms") if n == 32 else None, scale=0.001)
    lost = {k: r.get("reload-durations", k) for k in ("nginx", "gunicorn-sync", "herd")}
    if any(lost.values()):
        def errors(record):
            if not record:
                return "—"
            t = record["totals"]
            return f"{t['errors'] + t['non2xx']} of {t['requests']:,}".replace(",", " ")
        n_reloads = len(next(x for x in lost.values() if x)["samples"])
        rows.append([f"{n_reloads} reloads under `wrk -t2 -c64` keep-alive load: socket errors + non-2xx",
                     errors(lost["nginx"]), errors(lost["gunicorn-sync"]), errors(lost["herd"]), "—", "—", "—", "—"])
    for n in r.workers_of("rps"):
        herd, plain = r.summary("rps", "herd", n), r.summary("rps", "plain-jvm", n)
        gthread = r.summary("rps", "gunicorn-gthread", n)
        to_plain, to_gthread = ratio(herd, plain), ratio(herd, gthread)
        flag = None if to_plain is None or to_gthread is None else (to_plain >= 0.95 and to_gthread >= 2)
        if flag is False:
            r.missed.append(f"HTTP req/s, {plural(n, 'worker')}")
        target = (f"≥ 0.95× plain JVM (now {times(to_plain)}); ≥ 2× gunicorn gthread (now {times(to_gthread)})")
        rows.append([f"HTTP req/s, {plural(n, 'worker')}, `wrk -t2 -c64`", cell(r.summary("rps", "nginx", n)),
                     cell(r.summary("rps", "gunicorn-sync", n)), cell(herd),
                     times(ratio(herd, r.summary("rps", "nginx", n))),
                     times(ratio(herd, r.summary("rps", "gunicorn-sync", n))), target, met(flag)])
    return table(["figure", "nginx", "gunicorn sync", "herd", "herd / nginx", "herd / gunicorn", "target",
                  "met"], rows)


def startup_table(r):
    rows = []
    for n in r.workers_of("startup"):
        herd, nginx, gunicorn = (r.summary("startup", k, n) for k in ("herd", "nginx", "gunicorn-sync"))
        rows.append([n, cell(nginx, "ms"), cell(gunicorn, "ms"), cell(herd, "ms"), times(ratio(herd, nginx)),
                     times(ratio(herd, gunicorn)), {2: "≤ 300 ms", 4: "≤ 500 ms"}.get(n, "—")])
    return table(["workers", "nginx", "gunicorn sync", "herd (echo)", "herd / nginx", "herd / gunicorn",
                  "target"], rows)


def servers_table(r, figures, unit, kinds=("nginx", "gunicorn-sync", "herd")):
    """One row per (label, figure, workers, target), one column per server, then herd's ratios."""
    rows = []
    for label, figure, workers, target in figures:
        cells = {k: r.summary(figure, k, workers) for k in kinds}
        if not any(cells.values()):
            continue
        rows.append([label] + [cell(cells[k], unit) for k in kinds]
                    + [times(ratio(cells["herd"], cells["nginx"])),
                       times(ratio(cells["herd"], cells["gunicorn-sync"])), target])
    return table([""] + [NAMES[k] for k in kinds] + ["herd / nginx", "herd / gunicorn", "target"], rows)


def throughput_table(r):
    kinds = ["herd", "plain-jvm", "nginx", "gunicorn-sync", "gunicorn-gthread"]
    rows = []
    for n in r.workers_of("rps"):
        herd = r.summary("rps", "herd", n)
        for kind in kinds:
            rps = r.summary("rps", kind, n)
            if not rps:
                continue
            record = r.get("rps", kind, n)
            rows.append([n, NAMES[kind] + (f" ({record['threads']} threads each)" if "threads" in record else ""),
                         cell(rps), cell(r.summary("p50", kind, n), "ms"), cell(r.summary("p99", kind, n), "ms"),
                         record.get("errors", 0), "—" if kind == "herd" else times(ratio(herd, rps))])
    return table(["workers", "server", "req/s", "p50", "p99", "errors + non-2xx", "herd req/s / this"], rows)


def reload_table(r, phase="reload"):
    rows = []
    for record in [x for x in r.records if x["figure"] == f"{phase}-durations"]:
        t = record["totals"]
        rows.append([NAMES.get(record["server"], record["server"]), len(record["samples"]),
                     cell(record["summary"], "ms"), f"{t['requests']:,}".replace(",", " "), number(t["rps"]),
                     t["non2xx"], t["connect"], t["read"], t["write"], t["timeout"],
                     "; ".join(record.get("notes") or []) or "—"])
    return table(["server", "actions", "duration of each", "requests", "req/s", "non-2xx", "connect errors",
                  "read errors", "write errors", "timeouts", "notes"], rows)


def zero_downtime_tables(r):
    phases = sorted({x["figure"][:-len("-durations")] for x in r.records
                     if x["figure"].startswith("zd-") and x["figure"].endswith("-durations")})
    return "".join(f"\n**{p[3:]}**\n\n" + reload_table(r, p) for p in phases)


def admin_table(r):
    rows = []
    for label, figure, workers, unit, target in [
            ("`status` round trip p50, 4 workers", "status-rtt-p50", 4, "µs", "—"),
            ("`status` round trip p99, 4 workers", "status-rtt-p99", 4, "µs", "< 1 ms"),
            ("`bin/herd status` wall time (hyperfine)", "cli-status", 4, "ms", "< 200 ms")]:
        summary = r.summary(figure, "herd", workers)
        if summary:
            rows.append([label, cell(summary, unit), target])
    return table(["", "herd", "target"], rows)


def many_table(r):
    rows = []
    for n in r.workers_of("many-ready"):
        for label, figure, unit, target in [
                ("exec to all serving (the start-up probe)", "many-ready", "ms", "≤ 5 s"),
                ("exec to all ready in herd's `status`", "many-ready-status", "ms", "≤ 5 s"),
                ("master's CPU while idle, % of one core", "many-master-cpu", "%", "< 1%"),
                ("`status` round trip p50", "many-status-p50", "µs", "—"),
                ("`status` round trip p99", "many-status-p99", "µs", "< 1 ms"),
                ("`GET /metrics` p50", "many-scrape-p50", "ms", "—"),
                ("`GET /metrics` p99", "many-scrape-p99", "ms", "—"),
                ("SIGTERM to every process gone", "many-stop", "ms", "—")]:
            summary = r.summary(figure, "herd", n)
            if summary:
                rows.append([n, label, cell(summary, unit), target if n == 32 else "—"])
    return table(["workers", "", "herd", "target (32 workers)"], rows)


def commands_block(r):
    """The first command line of each kind, relative to the checkout, the scratch directory written $SCRATCH."""
    home = os.path.dirname(os.path.dirname(HERE)) + "/"
    lines = [f"# the whole run\n{r.data.get('command_line', 'bench/run.sh')}"]
    for kind, argv in r.data["commands"].items():
        words = [re.sub(r"/tmp/herd-bench-[^/ ]+", "$SCRATCH", a).replace(home, "") for a in argv]
        lines.append(f"# {kind}\n" + " ".join(quote(w) for w in words))
    return "```sh\n" + "\n".join(lines) + "\n```\n"


def quote(word):
    if word and all(c.isalnum() or c in "-_./:=,@%+$" for c in word):
        return word
    return '"' + word + '"' if "$SCRATCH" in word else "'" + word.replace("'", "'\\''") + "'"


def make_plot(r, outdir, png, phase="reload"):
    kinds = [k for k in ("herd", "nginx", "gunicorn-sync", "gunicorn-gthread")
             if os.path.exists(os.path.join(outdir, f"timeseries-{k}-{phase}.dat"))]
    if not kinds:
        return None
    n = len(r.get(f"{phase}-durations", kinds[0])["samples"])
    workers = r.get(f"{phase}-durations", kinds[0])["workers"]
    title = f"{n} reloads (SIGHUP) of {workers} workers each, under wrk -t2 -c64 keep-alive load"
    subprocess.run(["gnuplot", "-c", PLOT_SCRIPT, png, outdir, " ".join(kinds), phase, title], check=True,
                   timeout=120)
    return png


def write(bench_or_dir, doc):
    """Writes doc and its plot (NAME-reload.png beside it) from a Bench or a results directory."""
    outdir = bench_or_dir if isinstance(bench_or_dir, str) else bench_or_dir.outdir
    with open(os.path.join(outdir, "results.json")) as f:
        r = Results(json.load(f))
    os.makedirs(os.path.dirname(os.path.abspath(doc)), exist_ok=True)
    png = os.path.splitext(doc)[0] + "-reload.png"
    plot = make_plot(r, outdir, png)
    kept = hand_measured(doc)
    with open(doc, "w") as f:
        f.write(render(r, os.path.basename(png) if plot else None))
        if kept:
            f.write("\n" + kept)
    return doc, png


HAND_MEASURED = "<!-- Measured by hand, below this line: bench/run.sh keeps it when it rewrites this file. -->"


def hand_measured(doc):
    """The sections measured by other scripts (frameworks, class data), from the marker line on, to keep."""
    try:
        with open(doc) as f:
            text = f.read()
    except FileNotFoundError:
        return ""
    at = text.find(HAND_MEASURED)
    return text[at:] if at >= 0 else ""


def render(r, png):
    d = r.data
    s = d["settings"]
    machine = d.get("machine", {})
    quick = s.get("quick")
    when = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    minutes = (d.get("total_seconds") or 0) / 60
    out = []
    w = out.append
    w("# Benchmarks: herd, nginx and gunicorn side by side\n\n")
    w(f"Generated by `{d.get('command_line', 'bench/run.sh')}` on {when}, in {minutes:.0f} minutes"
      f"{' (**--quick**: fewer runs, shorter loads; not for comparing)' if quick else ''}. "
      "Do not edit by hand: the text is in `bench/herdbench/report.py`; rerun `bench/run.sh` to regenerate.\n\n")
    heavy = f" ({s['heavy_runs']} for stop under load and throughput)" if s["heavy_runs"] != s["runs"] else ""
    w(f"Every figure is the **median of {s['runs']} runs{heavy}, with the minimum and maximum in parentheses** "
      "(a row that says otherwise says so). Every server ran on 127.0.0.1 on this machine, one at a time, started and "
      "stopped by the harness; nginx and gunicorn are Debian's packages with one-line apps. Ratios are herd's "
      "median divided by the other's: above 1 means herd takes longer or uses more (times, memory), or serves "
      "more (req/s).\n\n")
    w(f"Load average when the run began: {machine.get('load average at start', '?')}. Other work on the machine "
      "shows in the min–max spread; compare figures from one run with each other, not with another run's.\n\n")

    w("## Headline\n\n")
    w("The rows of issue 14's table (herd runs its echo app, as there), the targets it sets, and whether the "
      "median meets them.\n\n")
    w(headline(r) + "\n")
    if r.missed:
        w("### What limits the targets this run did not meet\n\n")
        for label in r.missed:
            why = next((text for key, text in LIMITS.items() if label.startswith(key)), "not analysed")
            w(f"- **{label}**: {why}\n")
        w("\n")
    w(CHANGES)

    w("## Machine and versions\n\n")
    w(table(["", ""], [[k, v] for k, v in machine.items()]) + "\n")

    w("## How to run\n\n")
    took = f"this run took {minutes:.0f} minutes" if not quick else "about 20-25 minutes on the 2-core machine"
    w(f"```sh\nbench/run.sh             # everything, 5 runs per figure ({took}); writes this file\n"
      "bench/run.sh --quick     # a reduced set in under 2 minutes; writes bench/out/quick/benchmarks.md\n"
      "bench/run.sh --only startup,idle --servers herd,nginx --runs 11   # a part of it\n"
      "bench/run.sh --help\n```\n\n")
    w("`bench/run.sh` builds herd when its jars are missing or older than the sources (`mvn -B -q -DskipTests "
      "package`), installs `wrk nginx-light gunicorn gnuplot-nox hyperfine` with apt-get when one is missing, then runs "
      "the Python driver (`bench/herdbench`, standard library only). Everything listens on 127.0.0.1, ports "
      "18000–18999; herd's admin socket is in a private scratch directory. The driver is a child subreaper "
      "in a session of its own: every process it starts stays in its tree, and is stopped (SIGTERM, then SIGKILL) "
      "when the run ends, fails or is interrupted; run.sh sweeps that session once more if the driver itself "
      "dies. Raw results and time series: `bench/out/run-*/` (not committed).\n\n")
    w("The older entry points still work and use the same code: `bench/startup.sh [RUNS]`, "
      "`bench/admin-latency.sh [REQUESTS] [RUNS]`, `bench/reload-under-load.sh [DURATION]`.\n\n")

    w("## Start-up: exec to N workers serving\n\n")
    w(startup_table(r) + "\n")
    w("**Method.** The clock starts just before the harness execs the server's command (`bin/herd run`, the "
      "launcher users run, which execs the JVM; `nginx`; `gunicorn`) and stops when N distinct worker processes "
      "are each **blocked in a system call that waits for a connection on the listening socket**, read from "
      "outside through `/proc`: the socket's inode from a sock_diag netlink query by port; for each descendant "
      "of the master, each thread's `/proc/PID/task/TID/syscall`: `accept`/`accept4` on a descriptor that is "
      "that socket (herd's JVM workers), `epoll_wait` on an epoll instance whose fdinfo lists it (nginx, gunicorn "
      "gthread), `select`/`poll` with it in the watched set, read from `/proc/PID/mem` (gunicorn sync). The "
      "master, a hot spare or a worker still starting does not count; a worker in such a call takes the next "
      "connection from the shared accept queue. The same probe for all three; it needs nothing from the server and "
      "sends it nothing. Why not \"until N distinct pids have answered\": herd's echo app (the app of issue "
      "14's rows) does not say which process answered; the count would depend on how the kernel spreads the "
      "prober's connections over the workers ready so far (round robin here, but nothing promises it); and the "
      "prober's requests would take CPU from the workers still starting on 2 cores. "
      "The probe polls with a pause of 2% of the time waited so far (0.5–20 ms) and at least 10× the cost of a "
      "poll, so it takes under a tenth of a core from a starting JVM. A fresh server for every run.\n\n")

    w("## Stop: SIGTERM to every process gone\n\n")
    w(servers_table(r, [("idle, 4 workers (herd: echo app)", "stop-idle", 4, "≤ 150 ms"),
                        ("64 connections in flight, 4 workers (HTTP apps)", "stop-busy", 4, "—")], "ms") + "\n")
    w("**Method.** The master's pid and all its descendants are noted; the clock runs from `kill(master, "
      "SIGTERM)` until every one of them has exited (no `/proc` entry, or a zombie with no thread left: a "
      "JVM's main thread turns zombie some milliseconds before its last thread has gone). Idle: 4 workers that "
      "serve and have been left alone for a moment. In flight: `wrk -t2 -c64` (keep-alive) has been sending to 4 "
      f"workers of the HTTP apps (herd's http app) for {s['stop_load_seconds']:g} s and keeps sending. "
      "SIGTERM means what each server "
      "makes of it: a graceful stop for herd (finish each exchange in progress) and gunicorn (its workers finish "
      "their request), a fast shutdown for nginx (its graceful one is SIGQUIT).\n\n")

    w("## Failover: SIGKILL of a worker to a queued request served by its replacement\n\n")
    w(servers_table(r, [("1 worker (herd: echo app)", "failover", 1, "≤ 150 ms")], "ms") + "\n")
    spare = r.summary("failover-spare", "herd", 1)
    w(f"With a hot spare (`\"spareWorkers\": 1`), herd: **{cell(spare, 'ms') if spare else d['notes'].get('failover-spare', 'not measured')}**"
      " (target ≤ 10 ms).\n\n")
    w("**Method.** One worker, a fresh server for every run (so that herd's crash back-off never carries over). "
      "Once the worker serves (the probe above) and 0.5 s more: SIGKILL to the worker that waits on the socket, "
      "then wait until it has exited, then connect and send a request (4 bytes to herd's echo app, `GET /` to "
      "nginx and gunicorn). With the only worker dead, the connection can only wait in the accept queue until a "
      "replacement accepts it. The time is from the kill to the answer; for HTTP the answer's pid is checked to "
      "be a new one. The hot spare row starts herd with `\"spareWorkers\": 1` and waits until `status` lists a "
      "worker in state `spare`; a herd that does not know the key exits 78 and the row says \"not supported "
      "yet\".\n\n")

    w("## Memory, idle, 4 workers\n\n")
    w(servers_table(r, [("master RSS", "master-rss", 4, "≤ 45 MB"), ("master PSS", "master-pss", 4, "—"),
                        ("worker RSS (mean of 4)", "worker-rss", 4, "≤ 36 MB"),
                        ("worker PSS (mean of 4)", "worker-pss", 4, "≤ 30 MB"),
                        ("all processes' PSS", "total-pss", 4, "—")], "MB") + "\n")
    w("**Method.** `Rss` and `Pss` from `/proc/PID/smaps_rollup` of the master and of each worker (MB = MiB), "
      "for an idle pool of 4 workers (herd: echo app) that has served nothing, measured after it has been "
      f"ready for {s.get('idle_settle_seconds')} s. PSS divides each shared page among the processes that map "
      "it, so the PSS of all processes is what the pool costs the machine.\n\n")

    w("## Throughput and latency: `wrk -t2 -c64`\n\n")
    w(throughput_table(r) + "\n")
    w(f"**Method.** `wrk -t2 -c64 -d{s['wrk_seconds']}s --latency http://127.0.0.1:PORT/` (keep-alive; each "
      f"response names the pid that served it). Each server first gets a {s['wrk_warmup_seconds']} s warm-up run "
      f"that is not counted (the JIT, Python's imports), then {s['heavy_runs']} runs; req/s, p50 and p99 are "
      "wrk's, each the median of the runs. **herd** is herd's http app (Jetty 12) under herd. **plain JVM** is "
      "the same worker command run without herd: the harness reads the exact command line of a live herd http "
      "worker from `/proc/PID/cmdline` (JVM, options, classpath, `dev.herd.worker.WorkerMain http`) and "
      "`bench/plain-jvm.py` binds the socket and execs that command N times with the socket as fd 0, with no "
      "master, no notify socket and no lifeline. At the same N they are the same JVMs with the same threads "
      "(Jetty's default pool, one acceptor, per JVM), so herd / plain JVM at equal N is the cost of supervision "
      "on the data path; that is the comparison the 0.95 target means. gunicorn gthread runs "
      f"{r.get('rps', 'gunicorn-gthread', r.workers_of('rps')[0])['threads'] if r.get('rps', 'gunicorn-gthread') else '?'} "
      "threads per worker (in a trial here, 16 and 32 threads per worker served no more: the GIL); gunicorn sync "
      "serves one request at a time per worker and closes the connection after each response, so wrk "
      "reconnects for every request. wrk runs on the same 2 cores as the server: the figures are what "
      "the pair achieves.\n\n")

    w("## Reloads under keep-alive load\n\n")
    w(reload_table(r) + "\n")
    if png:
        w(f"![requests per second and latency through the reloads]({png})\n\n")
    w(f"**Method.** {s['reload_workers']} workers of each HTTP app, under `wrk -t2 -c64` (keep-alive) from start "
      f"to end. After {s['reload_lead_seconds']:g} s, "
      f"{s['reloads']} reloads, one every {s['reload_interval']:g} s or right after the previous one when it "
      "takes longer: SIGHUP to the master (for herd the same as `herd reload`: a rolling restart, one slot at a "
      "time, the new worker ready before the old one drains), counted as done once every worker that ran before "
      f"it has exited and {s['reload_workers']} workers run (\"duration of each\"). "
      f"{s['reload_lead_seconds']:g} s after the last, wrk gets SIGINT. Requests, "
      "non-2xx and socket errors are wrk's totals for the whole phase; wrk counts a read error for each "
      "connection a server closes without having said `Connection: close`. The plot: responses per second "
      "counted by a wrk Lua script (`bench/herdbench/timeseries.lua`, every response of the 64 connections), and "
      "the p50/p99 per second of a 65th connection, `wrk -t1 -c1` with `latency.lua`, which timestamps each "
      "request and its response (wrk's own latencies are not visible per second; one closed-loop connection "
      "among 65 sees what each of them sees). Shaded: from each SIGHUP until that reload was done.\n\n")
    zd = zero_downtime_tables(r)
    if zd:
        w("### Zero-downtime phases (`bench/reload-under-load.sh`)\n" + zd + "\n")

    w("## Admin channel\n\n")
    w(admin_table(r) + "\n")
    w(f"**Method.** `status` round trip: a Python client on the admin socket sends `{{\"command\":\"status\"}}\\n` "
      f"and reads the reply line, {s['status_requests']} times on one connection after 50 warm-up requests; p50 "
      f"and p99 per run, then the median of the runs (4 idle echo workers). `bin/herd status`: `hyperfine -N "
      f"--warmup 2 --runs {s['cli_runs']} 'bin/herd status --admin-socket PATH'` against the first run's master; "
      "the figure is the median of hyperfine's runs, a whole JVM start of the CLI each.\n\n")

    w("## Many workers\n\n")
    w(many_table(r) + "\n")
    w(f"**Method.** herd with {s['many_workers']} echo workers, {plural(s['many_runs'], 'fresh master')}: exec to all "
      "serving with the start-up probe, and on until `status` (polled every 20 ms on the admin socket) counts all "
      "of them ready (their `READY=1` has reached the master; a worker already accepts a little before); then, "
      f"{s['idle_settle_seconds']} s later, the master's CPU time "
      f"(utime + stime from `/proc/PID/stat`) over {s['idle_cpu_seconds']} s of idleness, as a percentage of one "
      f"core; then {s['status_requests']} `status` round trips; then the stop.\n\n")

    w("## Exact commands\n\n")
    w("As run (ports and scratch paths differ between runs):\n\n")
    w(commands_block(r) + "\n")

    notes = {k: v for k, v in d["notes"].items() if k != "failover-spare"}
    if notes:
        w("## Problems in this run\n\n")
        w("".join(f"- {k}: {v}\n" for k, v in notes.items()) + "\n")
    w("## Time per section\n\n")
    w(table(["section", "seconds"], [[k, f"{v:.0f}"] for k, v in d.get("timings", {}).items()]))
    return "".join(out)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python3 -m herdbench.report RESULTS_DIR DOC.md")
    print(*write(sys.argv[1], sys.argv[2]))
