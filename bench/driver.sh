# Sourced by bench/run.sh and bench/reliability.sh: runs a benchmark driver (bench/herdbench, bench/herdrel) so that
# nothing it started outlives it. The driver makes itself a child subreaper in a session of its own and stops what
# it started however it ends; should the driver itself die, what is left in its session is stopped here.

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

# run_driver COMMAND...: runs the driver and exits with its status. Ctrl+C reaches this script, not the driver (a
# session of its own): it is passed on as SIGTERM, and the wait goes on until the driver has ended.
run_driver() {
    "$@" &
    driver=$! # global: the EXIT trap reads it
    trap 'sweep_session "$driver"' EXIT
    trap 'kill -TERM "$driver" 2>/dev/null || true' INT TERM HUP
    local status=0
    while true; do
        wait "$driver" && status=0 || status=$?
        kill -0 "$driver" 2>/dev/null || break
    done
    exit "$status"
}
