#!/usr/bin/env bash
# Errors seen by HTTP clients while the server is reloaded, restarted, scaled and has workers killed under load.
# Each phase is one `wrk -t2 -c64` run against 127.0.0.1; during it the script performs the phase's actions,
# spread over DURATION seconds (actions slower than that run back to back and the phase lasts until the last one
# has finished, plus one second). The phases:
#   herd      4 workers of `bin/herd run --app http`: 10 `herd reload`; 10 `herd restart`; `herd scale` 8, 2, 4;
#             SIGKILL of a random ready worker every 2 s (the master replaces it)
#   gunicorn  Debian's gunicorn, 4 sync workers, a one-line WSGI app: 10 reloads (SIGHUP to the master)
#   nginx     Debian's nginx, 4 workers, `return 200`: 10 reloads (SIGHUP to the master)
# It prints one table row per phase: wrk's requests and req/s, the responses that were not 2xx or 3xx, and wrk's
# socket errors. wrk counts a "read" error for every connection that the server ends (FIN or RST) without having
# sent "Connection: close" on its last response: a server that closes an idle keep-alive connection produces one,
# as wrk sends its next request at once. In the kill phase, "killed conns" is how many connections the killed
# workers had open when they were killed: only those may fail.
# Usage: bench/reload-under-load.sh [DURATION]   (seconds per phase, default 30). A herd reload or restart under
# this load takes about 20 s here, so those two phases last 3-4 minutes each: about 10 minutes in all.
# SERVERS="nginx gunicorn" limits the run to some servers; KEEP=1 keeps wrk's output and the logs (path printed).
# Needs wrk, nginx, gunicorn and python3 (apt-get install wrk nginx-light gunicorn). Every process it starts is
# stopped on exit. Not run by CI.
# The machine's other work shows in the figures: compare errors, not req/s, between runs.
set -euo pipefail
home=$(cd "$(dirname "$0")/.." && pwd)
duration=${1:-30}
servers=${SERVERS:-herd gunicorn nginx}
workers=4
dir=$(mktemp -d "${TMPDIR:-/tmp}/herd-reload-bench.XXXXXX")
results="$dir/results.tsv"
server_pid=""   # the master of the server under test
wrk_pid=""

# Stops what is still running: wrk, then the server's master (TERM, which stops its workers; KILL after 30 s).
cleanup() {
    local status=$?
    if [[ -n "$wrk_pid" ]]; then kill -KILL "$wrk_pid" 2>/dev/null || true; fi
    stop_server
    if [[ -n "${KEEP:-}" ]]; then echo "wrk output and logs: $dir" >&2; else rm -rf "$dir"; fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until GET / answers 200, for at most $1 seconds.
wait_http() {
    local url=$1 deadline=$((SECONDS + $2))
    until [[ $(curl -s -o /dev/null -w '%{http_code}' "$url") == 200 ]]; do
        ((SECONDS < deadline)) || { echo "no 200 from $url after $2 s" >&2; return 1; }
        sleep 0.2
    done
}

# One wrk run with the phase's actions inside it; appends a row to $results.
# Usage: run_phase SERVER PHASE URL COUNT ACTION   (ACTION is called with the action's number, 1..COUNT)
run_phase() {
    local server=$1 phase=$2 url=$3 count=$4 action=$5
    local out="$dir/wrk-$server-$phase.txt" failed=0 start i
    echo "$server $phase: $count actions over ${duration}s of load" >&2
    # The -d cap (30 min) only bounds the run; the phase ends with SIGINT, after which wrk prints its summary.
    wrk -t2 -c64 -d 1800s "$url" >"$out" 2>&1 &
    wrk_pid=$!
    start=$(now_ms)
    killed_conns="-"
    for ((i = 1; i <= count; i++)); do
        sleep_until $((start + i * duration * 1000 / (count + 1)))
        "$action" "$i" >>"$dir/actions.log" 2>&1 || failed=$((failed + 1))
    done
    sleep 1
    sleep_until $((start + duration * 1000))
    kill -INT "$wrk_pid" 2>/dev/null || echo "$server $phase: wrk stopped at its 30 min cap, before the actions" >&2
    wait "$wrk_pid" || true
    wrk_pid=""
    parse_wrk "$server" "$phase" "$((count - failed))/$count" "$killed_conns" <"$out" >>"$results"
}

now_ms() {
    local us=${EPOCHREALTIME/[.,]/}
    echo $((us / 1000))
}

# Sleeps until the time $1 of now_ms (a past time returns at once).
sleep_until() {
    local ms=$(($1 - $(now_ms)))
    ((ms <= 0)) || sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# wrk's summary on stdin to one tab-separated row: server, phase, actions ok, seconds, requests, req/s,
# non-2xx/3xx, socket errors (connect, read, write, timeout), killed conns.
parse_wrk() {
    awk -v server="$1" -v phase="$2" -v actions="$3" -v killed="$4" '
        # wrk writes a duration as 812.34ms, 30.01s, 4.35m or 1.02h
        function seconds(d,   unit) {
            sub(/,$/, "", d)
            unit = d; sub(/^[0-9.]+/, "", unit)
            return sprintf("%.1f", d * (unit == "ms" ? 0.001 : unit == "m" ? 60 : unit == "h" ? 3600 : 1))
        }
        / requests in / { requests = $1; secs = seconds($4) }
        /^Requests\/sec:/ { rps = $2 }
        /Non-2xx or 3xx responses:/ { non2xx = $NF }
        /Socket errors:/ { gsub(/,/, ""); connect = $4; read = $6; write = $8; timeout = $10 }
        END {
            if (requests == "") { print "wrk printed no summary" > "/dev/stderr"; exit 1 }
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", server, phase, actions, secs, requests,
                   rps, non2xx, connect, read, write, timeout, killed
        }'
}

print_table() {
    {
        printf 'server\tphase\tactions ok\tsecs\trequests\treq/s\tnon-2xx\t'
        printf 'connect\tread\twrite\ttimeout\tkilled conns\n'
        cat "$results"
    } | column -t -s $'\t'
}

# --- herd ---

herd() { "$home/bin/herd" "$@"; }

# Prints "PID OPEN" for each ready worker, from the master's status reply on the admin socket (a direct
# request rather than `bin/herd status --json`, whose JVM start would take a good part of the 2 s interval).
herd_ready_workers() {
    python3 - "$HERD_ADMIN_SOCKET" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"command":"status"}\n')
reply = json.loads(s.makefile("rb").readline())
for w in reply["workers"]:
    if w["state"] == "ready":
        print(w["pid"], w.get("connectionsOpen", 0))
PY
}

herd_reload() { herd reload; }
herd_restart() { herd restart; }
herd_scale() { local to=(8 2 4); herd scale "${to[$1 - 1]}"; }

# SIGKILL of one ready worker, chosen at random; adds its open connections to $killed_conns.
herd_kill_worker() {
    local victim pid open
    victim=$(herd_ready_workers | shuf -n 1)
    [[ -n "$victim" ]] || { echo "kill $1: no ready worker" >&2; return 1; }
    read -r pid open <<<"$victim"
    kill -KILL "$pid"
    echo "kill $1: worker $pid with $open open connections"
    killed_conns=$((${killed_conns/-/0} + open))
}

bench_herd() {
    local port url
    port=$(free_port)
    url="http://127.0.0.1:$port/"
    export HERD_ADMIN_SOCKET="$dir/herd.sock"
    herd --version >/dev/null   # builds the jars first if needed
    # Not through the herd function: a backgrounded function is a subshell, and $! would be its pid.
    "$home/bin/herd" run --app http --workers "$workers" --listen "127.0.0.1:$port" 2>"$dir/herd.log" &
    server_pid=$!   # bin/herd execs the JVM: this is the master
    local deadline=$((SECONDS + 120))
    until [[ -S "$HERD_ADMIN_SOCKET" ]] && (($(herd_ready_workers 2>/dev/null | wc -l) == workers)); do
        kill -0 "$server_pid" 2>/dev/null || { tail -20 "$dir/herd.log" >&2; return 1; }
        ((SECONDS < deadline)) || { echo "herd: $workers workers not ready after 120 s" >&2; return 1; }
        sleep 0.2
    done
    wait_http "$url" 10
    run_phase herd reload "$url" 10 herd_reload
    run_phase herd restart "$url" 10 herd_restart
    run_phase herd scale "$url" 3 herd_scale
    run_phase herd sigkill "$url" $((duration / 2 - 1)) herd_kill_worker
    stop_server
}

# --- gunicorn ---

gunicorn_reload() { kill -HUP "$server_pid"; }

bench_gunicorn() {
    local port url
    port=$(free_port)
    url="http://127.0.0.1:$port/"
    cat >"$dir/app.py" <<'PY'
def app(environ, start_response):
    body = b"ok\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
PY
    gunicorn --chdir "$dir" --workers "$workers" --worker-class sync --bind "127.0.0.1:$port" \
        --log-level warning app:app 2>"$dir/gunicorn.log" &
    server_pid=$!
    wait_http "$url" 30
    run_phase gunicorn reload "$url" 10 gunicorn_reload
    stop_server
}

# --- nginx ---

nginx_reload() { kill -HUP "$server_pid"; }

bench_nginx() {
    local port url prefix="$dir/nginx"
    port=$(free_port)
    url="http://127.0.0.1:$port/"
    mkdir -p "$prefix/logs"
    {
        # Run as root, the master would start its workers as nobody; as another user it cannot switch.
        [[ $(id -u) == 0 ]] && echo "user nobody nogroup;"
        cat <<CONF
worker_processes $workers;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "ok\n"; }
    }
}
CONF
    } >"$prefix/nginx.conf"
    nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" &
    server_pid=$!
    wait_http "$url" 30
    run_phase nginx reload "$url" 10 nginx_reload
    stop_server
}

for server in $servers; do
    "bench_$server"
done
echo
print_table
