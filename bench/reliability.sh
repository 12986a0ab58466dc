#!/usr/bin/env bash
# Runs one of herd's reliability benchmarks (bench/herdrel; issue 12): chaos, soak or many.
#   bench/reliability.sh chaos|soak|many [OPTIONS]   (bench/chaos.sh, bench/soak.sh, bench/many-workers.sh)
# It builds herd first when its jars are missing or stale (bin/herd does that), then runs the driver, which makes
# itself a child subreaper in a session of its own and stops every process it started when it ends, fails or is
# interrupted; should the driver itself die, this script stops whatever is left in the driver's session.
# Loopback only (ports 18000-18999). Not run by CI.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(dirname "$here")
module=${1:?usage: bench/reliability.sh chaos|soak|many [OPTIONS]}
shift

for command in python3 java; do
    command -v "$command" >/dev/null || { echo "bench: $command is missing" >&2; exit 1; }
done

# What is left in the driver's session: SIGTERM, then SIGKILL after 5 s. Nothing outside that session is touched.
sweep_session() {
    local sid=$1 left
    left=$(ps -s "$sid" -o pid= 2>/dev/null | tr -s ' \n' ' ' || true)
    [[ -n "${left// /}" ]] || return 0
    echo "bench: stopping what the run left behind: $left" >&2
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM $left 2>/dev/null || true
    for _ in $(seq 1 50); do
        [[ -z "$(ps -s "$sid" -o pid= 2>/dev/null)" ]] && return 0
        sleep 0.1
    done
    left=$(ps -s "$sid" -o pid= 2>/dev/null | tr -s ' \n' ' ' || true)
    # shellcheck disable=SC2086
    [[ -z "${left// /}" ]] || kill -KILL $left 2>/dev/null || true
}

case " $* " in
    *" -h "* | *" --help "*) exec env PYTHONPATH="$here" python3 -m "herdrel.$module" "$@" ;;
esac

"$home/bin/herd" --version >/dev/null   # builds the jars when missing or older than the sources

PYTHONPATH="$here" python3 -m "herdrel.$module" "$@" &
driver=$!
trap 'sweep_session "$driver"' EXIT
trap 'kill -TERM "$driver" 2>/dev/null || true' INT TERM HUP
status=0
while true; do
    wait "$driver" && status=0 || status=$?
    kill -0 "$driver" 2>/dev/null || break
done
exit "$status"
