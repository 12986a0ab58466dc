#!/usr/bin/env bash
# The CPU a start costs, which bounds `exec to N workers serving` on a machine with few cores whatever its load:
# runs `bin/herd run` with N echo workers RUNS times and, as soon as the master logs "all N workers ready", prints
# the wall time from exec and the CPU time (utime + stime, /proc/PID/stat) the master and its workers have used.
# On C cores, total CPU / C is the least wall time that start can take. Usage: bench/cpu-at-ready.sh [N] [RUNS]
# (defaults 2 and 5). Loopback only, port 18990; every master it starts is stopped. Not run by CI.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
herd="$(dirname "$here")/bin/herd"
workers=${1:-2} runs=${2:-5}
scratch=$(mktemp -d)
master=""
trap '[[ -z "$master" ]] || kill "$master" 2>/dev/null; rm -rf "$scratch"' EXIT
"$herd" --version >/dev/null # builds herd and its class-data archive first, outside the timing
ticks=$(getconf CLK_TCK)
cpu_ms() { awk -v t="$ticks" '{ s += $14 + $15 } END { print int(s * 1000 / t) }' "$@"; }
for run in $(seq "$runs"); do
    log="$scratch/$run.log"
    start=$(date +%s%N)
    "$herd" run --listen 127.0.0.1:18990 --workers "$workers" --admin-socket "$scratch/herd.sock" --app echo \
        >"$log" 2>&1 &
    master=$!
    deadline=$((SECONDS + 120))
    until grep -q "all $workers workers ready" "$log"; do
        ((SECONDS < deadline)) || { echo "bench: no 'all $workers workers ready' within 120 s; log: $log" >&2; exit 1; }
        sleep 0.005
    done
    ready=$(date +%s%N)
    children=$(pgrep -P "$master" | sed 's|.*|/proc/&/stat|')
    # shellcheck disable=SC2086 # one path per worker
    echo "run $run: wall $(((ready - start) / 1000000)) ms, master CPU $(cpu_ms "/proc/$master/stat") ms," \
        "workers' CPU $(cpu_ms $children) ms"
    kill "$master"
    wait "$master" 2>/dev/null || true
    master=""
done
