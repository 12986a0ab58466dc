#!/usr/bin/env bash
# herd under random faults (issue 12): 4 echo and then 4 HTTP workers, 32 busy clients for 60 s, SIGKILL to a
# random worker every 500 ms, SIGSTOP/SIGCONT to another now and then, `herd reload` every 10 s; prints
# connections, kills, respawns, hangs, zombies, the master's descriptors, threads and memory, and whether the pool
# is whole at the end. Loopback only, about 4 minutes; stops every process it started on any exit.
# Usage: bench/chaos.sh [--seconds S] [--apps echo,http] [--clients N]. Not run by CI.
exec "$(dirname "$0")/reliability.sh" chaos "$@"
