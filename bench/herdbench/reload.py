"""Reloads (and other disruptions) under keep-alive load, with a time series for the plot.

A phase is one wrk run against the workers of an HTTP app (4; 2 with --quick) with a list of actions
performed during it:
  - the load: `wrk -t2 -c64` with timeseries.lua, which counts the responses of every second;
  - the probe: one more connection, `wrk -t1 -c1` with latency.lua, which times each of its requests: its
    per-second p50/p99 are the latencies of one closed-loop client like each of the 64 (wrk's own latencies
    are not visible per second);
  - lead_seconds after the load starts, the actions, one every interval seconds, or right after the previous
    one when it took longer; lead_seconds after the last, both wrk runs get SIGINT and print their summaries.
Figures: wrk's requests, req/s, socket errors (connect, read, write, timeout) and non-2xx responses for the
whole phase, and the durations of the actions. A reload is SIGHUP to the master (for herd the same as
`herd reload`) and counts as done once every worker that ran before it has exited and N workers run.

The run.sh section "reload" does 10 reloads of herd, nginx, gunicorn sync and gunicorn gthread; the section
"zero-downtime" (bench/reload-under-load.sh) adds herd's restart, scale and worker-kill phases.
"""
import os
import random
import time

from . import loadgen, procs, report, servers

ZD_WORKERS = 4


def run(bench, kinds):
    s = bench.settings
    for kind in s.reload_servers:
        if kind in kinds:
            server = servers.make(bench, kind, s.reload_workers, app="http").start()
            try:
                server.wait_serving()
                run_phase(bench, server, "reload", [reload_action] * s.reloads, s.reload_interval,
                          s.reload_lead_seconds)
            finally:
                server.stop()


def run_phase(bench, server, phase, actions, interval, lead_seconds=2.0):
    """Runs the actions (each a function of the server that returns a note, or None) during load; records the
    figures and writes the time series to the run's directory as timeseries-SERVER-PHASE.dat."""
    scratch = bench.scratch(f"{phase}-{server.kind}")
    counts_file, latency_file = os.path.join(scratch, "counts.txt"), os.path.join(scratch, "latency.txt")
    origin = time.monotonic()
    cap = 2 * lead_seconds + len(actions) * max(interval, 60) + 60
    load = loadgen.Wrk(bench, server.url, cap, script=loadgen.TIMESERIES_LUA, series=counts_file,
                       origin=origin, label="wrk (reloads: the load)").start()
    probe = loadgen.Wrk(bench, server.url, cap, threads=1, connections=1, script=loadgen.LATENCY_LUA,
                        series=latency_file, origin=origin, label="wrk (reloads: the probe connection)").start()
    events, durations, notes = [], [], []
    try:
        next_at = origin + lead_seconds
        for action in actions:
            time.sleep(max(0.0, next_at - time.monotonic()))
            start = time.monotonic()
            note = action(server)
            end = time.monotonic()
            events.append((start - origin, end - origin))
            durations.append((end - start) * 1000)
            if note:
                notes.append(note)
            next_at = max(start + interval, end)
        time.sleep(lead_seconds)
    finally:
        load.stop()
        probe.stop()
    totals = load.result()
    series = write_series(os.path.join(bench.outdir, f"timeseries-{server.kind}-{phase}.dat"), counts_file,
                          latency_file, origin)
    with open(series[:-len(".dat")] + ".events", "w") as f:
        f.write("# begin_s end_s of each action, seconds since the load began\n")
        f.writelines(f"{begin:.3f} {end:.3f}\n" for begin, end in events)
    bench.add(f"{phase}-durations", server.kind, durations, "ms", workers=server.workers, totals=totals,
              series=series, events=events, notes=notes)
    print(f"    wrk: {totals['requests']} requests, {totals['rps']:.0f} req/s, {totals['non2xx']} non-2xx, "
          f"socket errors: connect {totals['connect']}, read {totals['read']}, write {totals['write']}, "
          f"timeout {totals['timeout']}", flush=True)
    return totals


def write_series(path, counts_file, latency_file, origin):
    """One line per whole second of the phase: second, responses, non-2xx, probe p50 ms, probe p99 ms. The last,
    partial second (wrk stopped within it) is left out."""
    counts = loadgen.per_second_counts(counts_file)
    latency = loadgen.per_second_latency(latency_file, origin)
    last = max(list(counts) + list(latency) + [1])
    with open(path, "w") as f:
        f.write("# second responses non2xx probe_p50_ms probe_p99_ms\n")
        for second in range(0, last):
            n, bad = counts.get(second, (0, 0))
            p50, p99, _ = latency.get(second, (None, None, 0))
            f.write(f"{second} {n} {bad} {fmt(p50)} {fmt(p99)}\n")
    return path


def fmt(value):
    return "NaN" if value is None else f"{value:.3f}"


# --- actions ---

def reload_action(server):
    """SIGHUP, then wait until every worker that ran before has exited and N workers run."""
    before = [p for p in server.worker_pids() if not procs.is_gone(p)]
    server.reload()

    def renewed():
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.kind} exited during a reload; the end of its log:\n{server.log_tail()}")
        live = [p for p in server.worker_pids() if not procs.is_gone(p)]
        return all(procs.is_gone(p) for p in before) and len(live) >= server.workers

    procs.wait_until(renewed, 300, what=f"{server.kind}: reload done")


def herd_restart(server):
    reply = server.admin({"command": "restart"}, timeout=300)
    if not reply.get("ok"):
        raise RuntimeError(f"herd restart: {reply}")


def herd_scale_to(workers):
    def scale(server):
        reply = server.admin({"command": "scale", "workers": workers}, timeout=300)
        if not reply.get("ok"):
            raise RuntimeError(f"herd scale {workers}: {reply}")
    scale.__name__ = f"scale to {workers}"
    return scale


def herd_kill_worker(server):
    """SIGKILL of one ready worker chosen at random; returns how many connections it had open."""
    ready = [w for w in server.admin({"command": "status"})["workers"] if w["state"] == "ready" and w["pid"]]
    if not ready:
        return "no ready worker to kill"
    victim = random.choice(ready)
    procs.signal_quietly(victim["pid"], 9)
    return f"killed worker {victim['pid']} with {victim.get('connectionsOpen', 0)} open connections"


def zero_downtime(bench, kinds, seconds):
    """The phases of bench/reload-under-load.sh, each spreading its actions over about `seconds` seconds:
    herd: 10 reloads, 10 restarts, scale 8 -> 2 -> 4, SIGKILL of a random ready worker every 2 s;
    nginx and gunicorn sync: 10 reloads."""
    plans = {
        "herd": [("reload", [reload_action] * 10), ("restart", [herd_restart] * 10),
                 ("scale", [herd_scale_to(8), herd_scale_to(2), herd_scale_to(4)]),
                 ("sigkill", [herd_kill_worker] * max(1, int(seconds // 2) - 1))],
        "nginx": [("reload", [reload_action] * 10)],
        "gunicorn-sync": [("reload", [reload_action] * 10)],
    }
    for kind, phases in plans.items():
        if kind not in kinds:
            continue
        server = servers.make(bench, kind, ZD_WORKERS, app="http").start()
        try:
            server.wait_serving()
            for phase, actions in phases:
                print(f"  {kind} {phase}: {len(actions)} actions over about {seconds:g} s of load", flush=True)
                run_phase(bench, server, f"zd-{phase}", actions, seconds / (len(actions) + 1))
        finally:
            server.stop()
    print(report.zero_downtime_tables(report.Results({"results": bench.results})))
