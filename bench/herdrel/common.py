"""What the reliability benchmarks share: a driver that owns every process it starts and stops them however it
ends, a herd master (herdbench.servers.Herd, so started as bench/run.sh starts it), and the figures of a master
read from /proc and jcmd: descriptors, threads, resident memory, heap after a full GC, and its zombie children."""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from herdbench import bench as bench_module, machine, procs, servers

HOME = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Interrupted(BaseException):
    pass


def drive(name, run, max_minutes):
    """Runs run(bench) as the owner of every process it starts: a child subreaper in a session of its own; on
    any end (normal, error, SIGINT/SIGTERM/SIGHUP, the max_minutes alarm) every descendant is stopped."""
    procs.become_subreaper_and_session_leader()

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM):
        signal.signal(sig, interrupt)
    signal.alarm(int(max_minutes * 60))
    scratch = tempfile.mkdtemp(prefix=f"herd-{name}-")
    bench = bench_module.Bench(HOME, scratch, scratch, bench_module.Settings(quick=True))
    status = 0
    try:
        print(f"== {name} on {describe_machine()}", flush=True)
        run(bench)
    except Interrupted as e:
        print(f"{name}: interrupted ({e}); stopping every process this run started", file=sys.stderr)
        status = 130
    except Exception:
        traceback.print_exc()
        status = 1
    finally:
        signal.alarm(0)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)  # the clean-up runs to its end
        bench.stop_all()
        left = procs.descendants(os.getpid())
        if left:
            print(f"{name}: left after the clean-up: {left}", file=sys.stderr)
            status = status or 1
        shutil.rmtree(scratch, ignore_errors=True)
    return status


def describe_machine():
    m = machine.describe(HOME)
    return (f"{m['CPU']}, {m['cores']} cores, {m['memory']}, {m['OS']}, kernel {m['kernel']}; {m['JDK herd ran on']};"
            f" {m['herd']}; load average at start {m['load average at start']}")


def start_herd(bench, workers, app="echo", config=None):
    """A master with its own admin socket under the scratch directory, on a port of the bench range."""
    server = servers.Herd(bench, workers, app=app, config=config or {})
    server.start()
    return server


def wait_ready(server, count, timeout):
    """Waits until status counts `count` ready workers and lists no other worker; returns the status."""
    def ready():
        if server.proc.poll() is not None:
            raise RuntimeError(f"herd exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            status = server.admin({"command": "status"}, timeout=10)
        except (OSError, ValueError):
            return None
        alive = [w for w in status["workers"] if w.get("pid") is not None]
        return status if status["readyWorkers"] == count and len(alive) == count else None
    return procs.wait_until(ready, timeout, interval=0.05, what=f"{count} ready workers")


def log_lines(server):
    with open(server.log.name, "rb") as f:
        return f.read().decode(errors="replace").splitlines()


# ---- the master's figures ------------------------------------------------------------------------------------------

def descriptors(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def status_field(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def threads(pid):
    return status_field(pid, "Threads")


def threads_but_jit(pid):
    """Threads other than the JIT's compiler threads, which HotSpot starts and stops as it needs them
    (UseDynamicNumberOfCompilerThreads): the count a leak would show in."""
    return len(thread_names_but_jit(pid))


def thread_names_but_jit(pid):
    """The names (comm, 15 characters at most) of those threads, sorted: what a grown count is made of."""
    names = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().rstrip("\n")
        except FileNotFoundError:
            continue
        if not name.startswith(("C1 CompilerThre", "C2 CompilerThre")):
            names.append(name)
    return sorted(names)


def rss_mb(pid):
    return status_field(pid, "VmRSS") / 1024


def jcmd_of(pid):
    java = os.readlink(f"/proc/{pid}/exe")
    jcmd = os.path.join(os.path.dirname(java), "jcmd")
    return jcmd if os.path.exists(jcmd) else shutil.which("jcmd")


def heap_after_gc_mb(pid):
    """Heap in use right after a full GC (jcmd PID GC.run, then GC.heap_info's 'used'), in MB."""
    jcmd = jcmd_of(pid)
    subprocess.run([jcmd, str(pid), "GC.run"], check=True, stdout=subprocess.DEVNULL, timeout=120)
    info = subprocess.run([jcmd, str(pid), "GC.heap_info"], check=True, stdout=subprocess.PIPE, text=True,
                          timeout=120).stdout
    # Each generation's "total NK, used NK": G1 prints one line for its heap, the serial collector two.
    used = [int(k) for k in re.findall(r"total \d+K, used (\d+)K", info)]
    if not used:
        raise RuntimeError(f"no heap use in: {info}")
    return sum(used) / 1024


def figures(pid, heap=False):
    """{"fds", "threads", "rss"} of the master now (and "heap" after a full GC when asked)."""
    # The heap first: jcmd's first call starts the JVM's Attach Listener thread, which is the measurement's own and
    # would otherwise show as one thread more from the second row on.
    heap_mb = round(heap_after_gc_mb(pid), 1) if heap else None
    names = thread_names_but_jit(pid)
    result = {"fds": descriptors(pid), "threads": threads(pid), "threads_but_jit": len(names),
              "thread_names": names, "rss": round(rss_mb(pid), 1)}
    if heap:
        result["heap"] = heap_mb
    return result


class ZombieWatch:
    """Samples the master's children every `interval` seconds and remembers each zombie's first sighting: the most
    zombies seen at once, and the oldest age any one reached (the time from its first to its last sighting,
    plus one interval: it may have died just after the previous sample). A zombie is a child that has exited and
    waits for its parent's waitpid: state Z with every thread gone (herdbench.procs.is_gone). A JVM's main thread
    shows Z while its other threads are still dying; waitpid cannot reap it before they are, so that is not
    counted against the master."""

    def __init__(self, master, interval=0.02):
        self.master = master
        self.interval = interval
        self.first_seen = {}
        self.most = 0
        self.oldest = 0.0
        self.oldest_pid = None
        self.oldest_seen = None   # wall-clock (first, last) sighting of the oldest
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            now = time.monotonic()
            zombies = []
            for child in procs.children(self.master):
                fields = procs.stat_fields(child)
                if fields is not None and fields[0] == "Z" and procs.is_gone(child):
                    zombies.append(child)
            for pid in list(self.first_seen):
                if pid not in zombies:
                    del self.first_seen[pid]
            for pid in zombies:
                self.first_seen.setdefault(pid, now)
                age = now - self.first_seen[pid] + self.interval
                if age > self.oldest:
                    self.oldest = age
                    self.oldest_pid = pid
                    self.oldest_seen = (time.time() - age, time.time())
            self.most = max(self.most, len(zombies))
            self.samples += 1
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._thread.join(5)


def table(rows, header):
    """A Markdown table: header is a list of column names, rows lists of cells."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
