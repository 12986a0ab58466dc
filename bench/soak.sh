#!/usr/bin/env bash
# No leaks over time (issue 12): 500 worker restarts in a row under one master (every fifth a SIGKILL, the others
# rolling restarts), with the master's descriptors, threads, memory and heap after a full GC every 50 restarts.
# About 4 minutes on the 2-core machine. Usage: bench/soak.sh [--restarts N] [--every N]. Not run by CI.
exec "$(dirname "$0")/reliability.sh" soak "$@"
