#!/usr/bin/env bash
# Time from `bin/herd run` to all N workers accepting on the shared socket, for N = 1, 2, 4.
# Each run starts herd on a free port, waits for N "worker-K[pid] accepting" log lines (each worker logs it
# right before its first accept), records the elapsed time, and stops herd with SIGTERM.
# Usage: bench/startup.sh [RUNS]   (default 11; prints the median, min and max in ms for each N)
# Set JAVA_HOME to measure another JDK. Not run by CI.
set -euo pipefail
home=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-11}
"$home/bin/herd" --version >/dev/null   # builds the jars first if needed, outside the measurement

python3 - "$home/bin/herd" "$runs" <<'PY'
import os, re, signal, statistics, subprocess, sys, time
herd, runs = sys.argv[1], int(sys.argv[2])
for n in (1, 2, 4):
    times = []
    for _ in range(runs):
        start = time.monotonic()
        p = subprocess.Popen([herd, "run", "--listen", "127.0.0.1:0", "--workers", str(n)],
                             stderr=subprocess.PIPE, text=True)
        accepting = set()
        deadline = start + 60
        try:
            for line in p.stderr:
                m = re.search(r"worker-(\d+)\[\d+\] accepting", line)
                if m:
                    accepting.add(m.group(1))
                    if len(accepting) == n:
                        times.append((time.monotonic() - start) * 1000)
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("timed out")
        finally:
            p.send_signal(signal.SIGTERM)
            p.stderr.read()
            p.wait(timeout=30)
    print(f"N={n}: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} "
          f"({runs} runs)")
PY
