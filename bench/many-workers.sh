#!/usr/bin/env bash
# One master with 256 echo workers (or --workers N): time to all ready, the master's threads (issue 12's target:
# under 40), its memory and descriptors, the workers' memory, stop time. About 2 minutes and 8 GB on the 2-core
# machine. Usage: bench/many-workers.sh [--workers N] [--jvm-option OPT]... [--runs R]. Not run by CI.
exec "$(dirname "$0")/reliability.sh" many "$@"
