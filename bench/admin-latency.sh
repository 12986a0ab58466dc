#!/usr/bin/env bash
# Admin channel latency, with bench/run.sh's idle-pool section for herd alone (4 idle echo workers): the round
# trip of {"command":"status"} over one admin connection (p50, p99 over REQUESTS requests) and the wall time of
# `bin/herd status` (hyperfine, CLI_RUNS runs); it prints the pool's memory and stop time too.
# Usage: bench/admin-latency.sh [REQUESTS] [CLI_RUNS]   (defaults 1000 and 11). Not run by CI.
set -euo pipefail
exec "$(dirname "$0")/run.sh" --only idle --servers herd --runs 1 --status-requests "${1:-1000}" \
    --cli-runs "${2:-11}" --no-report
