"""The processes a benchmark run starts, seen through /proc, and how they are stopped.

The driver makes itself a child subreaper (prctl PR_SET_CHILD_SUBREAPER) and the leader of its own session
at start. Every process the run starts is then a descendant of the driver for as long as it lives (an orphaned
worker is re-parented to the driver, not to PID 1), so "everything this run started" is exactly the driver's
process tree, and the clean-up never needs to guess by name. run.sh sweeps the driver's session as a second
line of defence, for the case where the driver itself is SIGKILLed.
"""
import ctypes
import os
import signal
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper_and_session_leader():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")
    try:
        os.setsid()
    except PermissionError:
        pass  # already a process group leader (started by hand from an interactive shell): the tree still works


def children(pid):
    """Direct children of pid (any of its threads may have started them)."""
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return found
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                found.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            pass
    return found


def descendants(pid):
    """Every descendant of pid, parents before their children."""
    found, queue = [], [pid]
    while queue:
        for child in children(queue.pop(0)):
            found.append(child)
            queue.append(child)
    return found


def stat_fields(pid):
    """/proc/PID/stat split after the command name (which may hold spaces): [state, ppid, pgrp, session, ...];
    None when the process does not exist."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2:].split()


def is_gone(pid):
    """True once the process has exited: no /proc entry, or a zombie waiting to be reaped whose threads have all
    exited. (A JVM's main thread shows Z for some milliseconds while its other threads are still dying, and one
    of them may still be in accept.)"""
    fields = stat_fields(pid)
    if fields is None:
        return True
    if fields[0] not in ("Z", "X"):
        return False
    try:
        return len(os.listdir(f"/proc/{pid}/task")) <= 1
    except FileNotFoundError:
        return True


def cpu_ticks(pid):
    """utime + stime of the process, in clock ticks (os.sysconf('SC_CLK_TCK') per second)."""
    fields = stat_fields(pid)
    return int(fields[11]) + int(fields[12])


def wait_until(condition, timeout, interval=None, what="condition"):
    """Polls condition() until it returns a true value, which is returned; raises TimeoutError after timeout
    seconds. By default the pause between polls is 2% of the time waited so far (0.5 ms to 20 ms), and at
    least 10 times what the last poll cost: fine enough to time nginx's 5 ms start, while the probe never takes
    more than a tenth of one core from a JVM starting on a 2-core machine (a poll of a JVM's /proc entries
    costs about 1 ms)."""
    start = time.monotonic()
    deadline = start + timeout
    while True:
        polled = time.monotonic()
        value = condition()
        if value:
            return value
        now = time.monotonic()
        if now > deadline:
            raise TimeoutError(f"{what}: not within {timeout:g} s")
        if interval is not None:
            time.sleep(interval)
        else:
            time.sleep(max(min(0.02, max(0.0005, 0.02 * (now - start))), 10 * (now - polled)))


def reap_orphans(keep=()):
    """Reaps the driver's zombie children that no subprocess.Popen owns (orphans re-parented to the driver).
    Never waitpid(-1): that would steal the exit status of children Popen is waiting for."""
    for child in children(os.getpid()):
        if child not in keep and is_gone(child):
            try:
                os.waitpid(child, os.WNOHANG)
            except ChildProcessError:
                pass


def signal_quietly(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def kill_tree(root, grace=5.0):
    """SIGTERM root, wait up to grace seconds for root and its descendants to exit, then SIGKILL whatever is left.
    Only root's own tree is touched."""
    tree = [root] + descendants(root)
    signal_quietly(root, signal.SIGTERM)
    try:
        wait_until(lambda: all(is_gone(p) for p in tree), grace, interval=0.01)
    except TimeoutError:
        for pid in [root] + descendants(root) + tree:
            if not is_gone(pid):
                signal_quietly(pid, signal.SIGKILL)


def kill_everything_started(grace=5.0):
    """The last clean-up: every descendant of the driver (which is all this run started) gets SIGTERM, then
    SIGKILL after grace seconds; then every zombie child is reaped."""
    me = os.getpid()
    tops = children(me)
    for pid in tops:
        signal_quietly(pid, signal.SIGTERM)
    try:
        wait_until(lambda: all(is_gone(p) for p in descendants(me)), grace, interval=0.02)
    except TimeoutError:
        pass
    for pid in descendants(me):
        if not is_gone(pid):
            signal_quietly(pid, signal.SIGKILL)
    time.sleep(0.05)
    for child in children(me):
        try:
            os.waitpid(child, os.WNOHANG)
        except ChildProcessError:
            pass
