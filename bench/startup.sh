#!/usr/bin/env bash
# Time from `bin/herd run` to all N workers serving, for N = 1, 2, 4: herd alone, with bench/run.sh's start-up
# section (its method is in docs/benchmarks.md; `bench/run.sh --only startup` measures nginx and gunicorn beside
# it, with N up to 16). Usage: bench/startup.sh [RUNS]   (default 11; prints median, min and max in ms for each N)
# Set JAVA_HOME to measure another JDK. Not run by CI.
set -euo pipefail
exec "$(dirname "$0")/run.sh" --only startup --servers herd --startup-workers 1,2,4 --runs "${1:-11}" --no-report
