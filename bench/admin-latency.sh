#!/usr/bin/env bash
# Admin channel latency: round-trip time of {"command":"status"} over one connection (p50, p99 over N requests),
# and the wall time of a whole `bin/herd status` (a JVM start, one request, the table), median over runs.
# Usage: bench/admin-latency.sh [REQUESTS] [CLI_RUNS]   (defaults 1000 and 11). Not run by CI.
set -euo pipefail
home=$(cd "$(dirname "$0")/.." && pwd)
requests=${1:-1000}
runs=${2:-11}
dir=$(mktemp -d)
socket="$dir/herd.sock"
"$home/bin/herd" run --listen 127.0.0.1:0 --workers 2 --admin-socket "$socket" 2>"$dir/herd.log" &
master=$!
trap 'kill -TERM $master 2>/dev/null; wait $master 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 600); do [[ -S "$socket" ]] && break; sleep 0.1; done

python3 - "$socket" "$requests" <<'PY'
import socket, statistics, sys, time
path, n = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rb")
times = []
for i in range(n + 50):
    t = time.perf_counter(); s.sendall(b'{"command":"status"}\n'); line = f.readline()
    assert b'"ok":true' in line, line
    if i >= 50: times.append((time.perf_counter() - t) * 1e6)   # the first 50 warm the JIT up
times.sort()
print(f"status round trip over {n} requests: p50 {times[n//2]:.0f} us, p99 {times[int(n*0.99)]:.0f} us, max {times[-1]:.0f} us")
PY

python3 - "$home/bin/herd" "$socket" "$runs" <<'PY'
import statistics, subprocess, sys, time
herd, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run([herd, "status", "--admin-socket", path], check=True, stdout=subprocess.DEVNULL)
    times.append((time.perf_counter() - t) * 1000)
print(f"bin/herd status wall time: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} ({runs} runs)")
PY
