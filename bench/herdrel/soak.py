"""bench/soak.sh: no leaks over time (issue 12). One master with 3 echo workers goes through RESTARTS worker
restarts in a row (500): rolling restarts of slots 1 and 2 in turn through the admin socket (the planned path:
replacement ready first, then drain), and a SIGKILL of slot 3's worker whenever it has been up for 10 s (the crash
path: reap, output facts, crash count; a worker killed younger would put its slot in a growing backoff, which is
not what this measures); each waits until its slot serves a new ready worker. Every 50 restarts, and at the start (after a warm-up
of 10), the master's descriptors, threads, resident memory and heap after a full GC (jcmd GC.run, GC.heap_info)
are recorded; the table and the growth from start to end are printed. The target: descriptors and threads as at
the start, the heap after GC within a few MB.

  bench/soak.sh [--restarts N] [--every N]"""
import argparse
import signal
import sys
import time

from herdbench import procs

from . import common


def main():
    parser = argparse.ArgumentParser(prog="bench/soak.sh")
    parser.add_argument("--restarts", type=int, default=500)
    parser.add_argument("--every", type=int, default=50, help="restarts between two rows of figures")
    parser.add_argument("--max-minutes", type=float, default=60)
    args = parser.parse_args()
    sys.exit(common.drive("soak", lambda bench: run(bench, args), args.max_minutes))


def ready_pid(status, slot, workers):
    rows = status["workers"]
    if len(rows) != workers:
        return None
    for row in rows:
        if row["slot"] == slot and row["state"] == "ready":
            return row["pid"]
    return None


class Restarter:
    """Restarts one worker at a time; see the module's docstring for which and how."""

    KILLED_SLOT = 3
    STABLE = 10.5   # herd resets a slot's crash count when the crashed worker was up 10 s

    def __init__(self, server):
        self.server = server
        self.planned = 0
        self.kills = 0
        self.killed_slot_since = time.monotonic()

    def status(self):
        return self.server.admin({"command": "status"}, timeout=60)

    def next(self):
        if time.monotonic() - self.killed_slot_since >= self.STABLE:
            old = procs.wait_until(lambda: ready_pid(self.status(), self.KILLED_SLOT, 3), 120, interval=0.02,
                                   what=f"slot {self.KILLED_SLOT} ready")
            procs.signal_quietly(old, signal.SIGKILL)
            procs.wait_until(lambda: (ready_pid(self.status(), self.KILLED_SLOT, 3) or old) != old, 120,
                             interval=0.02, what=f"slot {self.KILLED_SLOT} ready after SIGKILL of {old}")
            self.killed_slot_since = time.monotonic()
            self.kills += 1
            return
        slot = 1 + self.planned % 2
        reply = self.server.admin({"command": "restart", "slot": slot}, timeout=300)
        if not reply.get("ok"):
            raise RuntimeError(f"restart of slot {slot}: {reply}")
        self.planned += 1


def settled_fds(pid, at_most):
    """Descriptors once down to at_most (a reaped worker's output pipes may stay open 2 s), or as they are after 10 s."""
    try:
        return procs.wait_until(lambda: (n := common.descriptors(pid)) <= at_most and n, 10, interval=0.05)
    except TimeoutError:
        return common.descriptors(pid)


def run(bench, args):
    server = common.start_herd(bench, 3, "echo")
    rows = []
    try:
        common.wait_ready(server, 3, 120)
        restarter = Restarter(server)
        while restarter.kills < 1 or restarter.planned < 10:   # warm-up: both paths once at least
            restarter.next()
        warm = restarter.planned + restarter.kills
        warm_kills = restarter.kills
        began = time.monotonic()
        first = None
        for done in range(args.restarts + 1):
            if done % args.every == 0 or done == args.restarts:
                row = common.figures(server.master, heap=True)
                row["fds"] = settled_fds(server.master, first["fds"] if first else 10 ** 6)
                row.update(restarts=done, kills=restarter.kills - warm_kills, minutes=(time.monotonic() - began) / 60)
                first = first or row
                rows.append(row)
                print(f"  {row}", flush=True)
            if done < args.restarts:
                restarter.next()
        with_status = restarter.status()
    finally:
        server.stop()
    header = ["restarts", "of which SIGKILL", "minutes", "descriptors", "threads (without the JIT's)", "RSS (MB)",
              "heap after GC (MB)"]
    print()
    print(f"3 echo workers; {warm} warm-up restarts before the first row")
    print(common.table([[r["restarts"], r["kills"], f"{r['minutes']:.1f}", r["fds"],
                         f"{r['threads']} ({r['threads_but_jit']})", r["rss"], r["heap"]] for r in rows], header))
    start, end = rows[0], rows[-1]
    print(f"\ngrowth over {end['restarts']} restarts: descriptors {end['fds'] - start['fds']:+d}, threads "
          f"{end['threads'] - start['threads']:+d} ({end['threads_but_jit'] - start['threads_but_jit']:+d} without "
          f"the JIT's compiler threads), RSS {end['rss'] - start['rss']:+.1f} MB, heap after GC "
          f"{end['heap'] - start['heap']:+.1f} MB; status: {with_status['summary']}")
    met = (end["fds"] <= start["fds"] and end["threads_but_jit"] <= start["threads_but_jit"]
           and end["heap"] <= start["heap"] + 5)
    print(f"targets {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
