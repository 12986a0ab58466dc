#!/usr/bin/env bash
# Tries every hostile input of issues 12 and 19 on the herd of this checkout and prints what herd did, one Markdown
# table row each (docs/reliability.md holds the table of a run). As root (several inputs need another uid, a
# cgroup or a tmpfs); loopback only; about 3 minutes. Every master it starts leads its own process group, and
# on any exit each such group gets SIGKILL; the cgroup and the tmpfs it made are removed. Not run by CI.
#   bench/hostile-inputs.sh [--keep] [--issue19]   (--keep: leave the scratch directory with every log;
#                                                    --issue19: only the rows of issue 19, about a minute)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(dirname "$here")
herd="$home/bin/herd"
flood="$home/supervisor/src/test/resources/admin-flood.py"
hostile="$home/supervisor/src/test/resources/hostile_socket_worker.py"
[[ $(id -u) == 0 ]] || { echo "hostile-inputs: run as root" >&2; exit 1; }
"$herd" --version >/dev/null || exit 1   # builds the jars when missing or stale

S=$(mktemp -d /tmp/herd-hostile.XXXXXX)
chmod 755 "$S"
masters=()
helpers=()   # the sleep 600 helpers of issue 19's hostile workers: killed at exit if herd left any
cgroup=/sys/fs/cgroup/pids/herd-hostile-$$
cleanup() {
    local pid
    for pid in "${masters[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    for pid in "${helpers[@]}"; do
        [[ $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) == "sleep 600 " ]] && kill -KILL "$pid" 2>/dev/null
    done
    mountpoint -q "$S/full" 2>/dev/null && umount "$S/full"
    [[ -d $cgroup ]] && { sleep 0.5; rmdir "$cgroup" 2>/dev/null || true; }
    [[ " $* " == *" --keep "* ]] && echo "scratch: $S" >&2 || rm -rf "$S"
}
trap 'cleanup "$@"' EXIT
trap 'exit 130' INT TERM HUP

row() { printf '| %s | %s | %s |\n' "$1" "$2" "$3"; }

# admin SOCKET JSON: one request, the reply line (or the error).
admin() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(15)
try:
    s.connect(sys.argv[1])
    s.sendall(sys.argv[2].encode() + b"\n")
    print(s.makefile("rb").readline().decode().strip())
except OSError as e:
    print(f"({e})")
EOF
}

# start NAME ARGS...: bin/herd run in the background, its output in $S/NAME.out; sets $pid.
start() {
    local name=$1
    shift
    "$herd" run "$@" >"$S/$name.out" 2>&1 &
    pid=$!
    masters+=("$pid")
}

# ready SOCKET N: waits up to 90 s until status counts N ready workers.
ready() {
    local i
    for i in $(seq 1 900); do
        admin "$1" '{"command":"status"}' | grep -q "\"readyWorkers\":$2," && return 0
        sleep 0.1
    done
    return 1
}

stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# running PID: the process exists and has not exited (an exited child of this shell stays a zombie until waited for).
running() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)
    [[ -n $state && $state != Z ]]
}

last_line() { grep -v '^$' "$1" | tail -n 1; }

echo "herd: $("$herd" --version) at $(git -C "$home" rev-parse --short HEAD); $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| input | what herd did | as the issue asks |"
echo "|---|---|---|"

if [[ " $* " != *" --issue19 "* ]]; then

# 1. 1024 idle admin connections
sock=$S/a1/herd.sock
start idle --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock"
ready "$sock" 1
exec {holder}> >(python3 "$flood" "$sock" --count 1024 >"$S/idle-flood.out" 2>&1)
for _ in $(seq 1 100); do grep -q "held 1024" "$S/idle-flood.out" 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s%N)
out=$("$herd" status --admin-socket "$sock" 2>&1 | sed -n 3p)
t1=$(date +%s%N)
threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
exec {holder}>&-
row "1024 idle connections to the admin socket (one process of the same user)" \
    "\`herd status\` answered in $(((t1 - t0) / 1000000)) ms (JVM start included): \"$out\"; master threads: $threads" \
    "$([[ $out == *ready* && $threads -lt 50 ]] && echo yes || echo NO)"
stop "$pid"

# 2. a 2562048h stop timeout: in a request, and in the file
sock=$S/a2/herd.sock
start overflow --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock"
ready "$sock" 1
reply=$(admin "$sock" '{"command":"stop","timeout":"2562048h"}')
kill -TERM "$pid"
t0=$(date +%s%N)
wait "$pid"
code=$?
t1=$(date +%s%N)
row "\`{\"command\":\"stop\",\"timeout\":\"2562048h\"}\`, then SIGTERM" \
    "reply \`$reply\`; the master kept running, and SIGTERM stopped it in $(((t1 - t0) / 1000000)) ms, exit $code" \
    "$([[ $reply == *bad_argument* && $code == 0 ]] && echo yes || echo NO)"
printf '{"gracefulTimeout": "2562048h"}\n' >"$S/overflow.json"
out=$("$herd" run --listen 127.0.0.1:0 --admin-socket "$S/a2b/herd.sock" -c "$S/overflow.json" 2>&1)
code=$?
row "\`\"gracefulTimeout\": \"2562048h\"\` (or flappingWindow) in the file" "exit $code: \`$(echo "$out" | tail -n 1)\`" \
    "$([[ $code == 78 ]] && echo yes || echo NO)"

# 3. a symlinked admin directory, and one others may write to
mkdir -p "$S/elsewhere" && ln -s "$S/elsewhere" "$S/planted"
out=$("$herd" run --listen 127.0.0.1:0 --workers 1 --admin-socket "$S/planted/herd.sock" 2>&1)
code=$?
row "the admin socket's directory is a symlink (planted by another user)" "exit $code: \`$(echo "$out" | tail -n 1)\`" \
    "$([[ $code != 0 && ! -e $S/elsewhere/herd.sock ]] && echo yes || echo NO)"
mkdir -p "$S/open" && chmod 777 "$S/open"
out=$("$herd" run --listen 127.0.0.1:0 --workers 1 --admin-socket "$S/open/herd.sock" 2>&1)
code=$?
row "the admin socket's directory is writable by others (0777, not sticky)" "exit $code: \`$(echo "$out" | tail -n 1)\`" \
    "$([[ $code != 0 ]] && echo yes || echo NO)"
# A fake master, run by another user (nobody) at the place root's CLI looks by default: once behind a symlink
# planted as that place's directory, once in a directory of its own at that place.
fake_master() {  # fake_master SOCKET: answers every line with a pong, as uid 65534
    setsid setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
while True:
    c, _ = s.accept()
    c.recv(4096)
    c.sendall(b"{\"ok\":true,\"pong\":true}\n")
    c.close()
' "$1" >/dev/null 2>&1 &
    masters+=("$!")
    for _ in $(seq 1 50); do [[ -S $1 ]] && return 0; sleep 0.1; done
}
mkdir -p "$S/fake" && chown 65534:65534 "$S/fake" && chmod 700 "$S/fake"
fake_master "$S/fake/herd.sock"
mkdir -p "$S/xdg1" && ln -s "$S/fake" "$S/xdg1/herd"
out=$(env -u HERD_ADMIN_SOCKET -u RUNTIME_DIRECTORY XDG_RUNTIME_DIR="$S/xdg1" "$herd" ping 2>&1)
code=$?
row "root's \`herd ping\` where \`\$XDG_RUNTIME_DIR/herd\` is a symlink another user planted, to a fake master of theirs" \
    "exit $code: \`$out\`" "$([[ $code != 0 && $out != pong ]] && echo yes || echo NO)"
mkdir -p "$S/xdg2/herd" && chown 65534:65534 "$S/xdg2/herd" && chmod 700 "$S/xdg2/herd"
fake_master "$S/xdg2/herd/herd.sock"
out=$(env -u HERD_ADMIN_SOCKET -u RUNTIME_DIRECTORY XDG_RUNTIME_DIR="$S/xdg2" "$herd" ping 2>&1)
code=$?
row "the same with \`\$XDG_RUNTIME_DIR/herd\` a directory of that user's, holding their fake master" \
    "exit $code: \`$out\`" "$([[ $code != 0 && $out != pong ]] && echo yes || echo NO)"

# 4. a symlinked log file: at start, and planted before SIGUSR1
echo "root only" >"$S/secret" && chmod 600 "$S/secret"
ln -s "$S/secret" "$S/link.log"
out=$("$herd" run --listen 127.0.0.1:0 --workers 1 --admin-socket "$S/a4/herd.sock" --log-file "$S/link.log" 2>&1)
code=$?
row "\`--log-file\` names a symlink" "exit $code: \`$(echo "$out" | tail -n 1)\`; the link's target unchanged: $(
    [[ $(cat "$S/secret") == "root only" ]] && echo yes || echo no)" \
    "$([[ $code != 0 && $(cat "$S/secret") == "root only" ]] && echo yes || echo NO)"
sock=$S/a4b/herd.sock
start usr1 --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock" --log-file "$S/herd.log"
ready "$sock" 1
mv "$S/herd.log" "$S/herd.log.1" && ln -s "$S/secret" "$S/herd.log"
kill -USR1 "$pid"
sleep 1   # the reopen happens on the master's next turn; nothing to poll for when it refuses
admin "$sock" '{"command":"restart","slot":1}' >/dev/null
row "logrotate moved the log, a symlink to a root-only file planted in its place, then SIGUSR1" \
    "the target: \`$(cat "$S/secret")\`; the master's own stderr: \`$(last_line "$S/usr1.out")\`" \
    "$([[ $(cat "$S/secret") == "root only" ]] && echo yes || echo NO)"
stop "$pid"

# 5. a uid with no passwd entry
uid=4242
if ! getent passwd "$uid" >/dev/null && setpriv --reuid="$uid" --regid="$uid" --clear-groups test -r "$home/supervisor/target/herd.jar"; then
    mkdir -p "$S/u$uid" && chown "$uid:$uid" "$S/u$uid" && chmod 700 "$S/u$uid"
    sock=$S/u$uid/run/herd.sock
    setpriv --reuid="$uid" --regid="$uid" --clear-groups env HOME="$S/u$uid" "$herd" run --listen 127.0.0.1:0 \
        --workers 1 --admin-socket "$sock" >"$S/nouser.out" 2>&1 &
    pid=$!
    masters+=("$pid")
    ready "$sock" 1
    own=$(setpriv --reuid="$uid" --regid="$uid" --clear-groups env HOME="$S/u$uid" "$herd" ping --admin-socket "$sock" 2>&1)
    root=$("$herd" ping --admin-socket "$sock" 2>&1)
    row "herd runs as uid $uid, which has no passwd entry" "its own CLI: \`$own\`; root's CLI: \`$root\`" \
        "$([[ $own == pong && $root == pong ]] && echo yes || echo NO)"
    stop "$pid"
else
    row "herd runs as uid $uid, which has no passwd entry" "not tried: uid $uid exists or cannot read the checkout" "-"
fi

# 6. herd status against a SIGSTOPped master
sock=$S/a6/herd.sock
start stopped --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock"
ready "$sock" 1
kill -STOP "$pid"
t0=$(date +%s%N)
out=$("$herd" status --admin-socket "$sock" 2>&1)
code=$?
t1=$(date +%s%N)
kill -CONT "$pid"
row "\`herd status\` while the master is SIGSTOPped" "exit $code after $(((t1 - t0) / 1000000)) ms: \`$out\`" \
    "$([[ $code == 1 ]] && echo yes || echo NO)"
stop "$pid"

# 7. herd stop && herd run
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
sock=$S/a7/herd.sock
ok=0
for round in 1 2 3; do
    start "again$round" --listen "127.0.0.1:$port" --workers 1 --admin-socket "$sock"
    ready "$sock" 1 || break
    "$herd" stop --admin-socket "$sock" >/dev/null 2>&1 || break
    running "$pid" && break   # the master must be gone when stop returns
    ok=$round
done
start again4 --listen "127.0.0.1:$port" --workers 1 --admin-socket "$sock"
ready "$sock" 1 && ok=$((ok + 1))
row "\`herd stop && herd run\` on the same port and socket, 3 times" \
    "$ok of 4 runs started and the master was gone each time \`herd stop\` returned" "$([[ $ok == 4 ]] && echo yes || echo NO)"
stop "$pid"

# 8. 1024 workers under a pids limit
if mkdir "$cgroup" 2>/dev/null && echo 600 >"$cgroup/pids.max"; then
    sock=$S/a8/herd.sock
    printf '{"workers": 1024, "worker": {"jvmOptions": ["-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"]}}\n' >"$S/many.json"
    (echo "$BASHPID" >"$cgroup/cgroup.procs" && exec "$herd" run --listen 127.0.0.1:0 --admin-socket "$sock" \
        -c "$S/many.json" >"$S/pids.out" 2>&1) &
    pid=$!
    masters+=("$pid")
    sleep 45   # as long as an operator would watch it fill up; the question is what state it is in then
    status=$(admin "$sock" '{"command":"status"}' | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['summary'])" 2>&1)
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
    alive=$(running "$pid" && echo alive || echo dead)
    errors=$(grep -c "cannot start worker\|cannot boot" "$S/pids.out")
    row "\`\"workers\": 1024\` in a cgroup with pids.max 600" \
        "after 45 s the master is $alive with $threads threads, status says \"$status\"; $errors failed starts logged, e.g. \`$(grep -m1 "cannot start worker\|cannot boot" "$S/pids.out" | cut -c1-160)\`" \
        "$([[ $alive == alive ]] && echo yes || echo NO)"
    t0=$(date +%s%N)
    kill -TERM "$pid"
    for _ in $(seq 1 900); do running "$pid" || break; sleep 0.1; done
    t1=$(date +%s%N)
    row "... then SIGTERM (its JVM workers cannot start the threads a clean exit needs)" \
        "the master $(running "$pid" && echo "was still running" || echo "had stopped") after $(((t1 - t0) / 1000000)) ms: \`$(grep -v "^\s*at \|worker-" "$S/pids.out" | tail -n 1 | cut -c1-160)\`" \
        "$(running "$pid" && echo NO || echo yes)"
else
    row "\`\"workers\": 1024\` under a pids limit" "not tried: cannot make a pids cgroup here" "-"
fi

# 9. duplicate keys, trailing garbage, a second object in a request line
sock=$S/a9/herd.sock
start lenient --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock"
ready "$sock" 1
r1=$(admin "$sock" '{"command":"ping","command":"stop"}')
r2=$(admin "$sock" '{"command":"ping"} garbage')
r3=$(admin "$sock" '{"command":"ping"}{"command":"stop"}')
alive=$(running "$pid" && echo "still running" || echo "stopped")
row "\`{\"command\":\"ping\",\"command\":\"stop\"}\`, \`{...} garbage\`, \`{\"command\":\"ping\"}{\"command\":\"stop\"}\`" \
    "\`$r1\`; \`$r2\`; \`$r3\`; the master is $alive" \
    "$([[ $r1 == *bad_json* && $r2 == *bad_json* && $r3 == *bad_json* && $alive == "still running" ]] && echo yes || echo NO)"

# 10. the master's environment
worker=$(pgrep -P "$pid" | head -n 1)
stop "$pid"
sock=$S/a10/herd.sock
SECRET_TOKEN=s3cret AWS_SECRET_ACCESS_KEY=k start env --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock"
ready "$sock" 1
worker=$(pgrep -P "$pid" | head -n 1)
names=$(tr '\0' '\n' <"/proc/$worker/environ" | cut -d= -f1 | sort | tr '\n' ' ')
row "the master runs with SECRET_TOKEN and AWS_SECRET_ACCESS_KEY in its environment" "a worker's environment: \`$names\`" \
    "$([[ $names != *SECRET* && $names != *HERD_ADMIN* ]] && echo yes || echo NO)"
stop "$pid"

# 11. a 10 MB worker.env value
python3 -c "import json; print(json.dumps({'worker': {'env': {'BIG': 'v' * 10_000_000}}}))" >"$S/big.json"
t0=$(date +%s%N)
out=$("$herd" run --listen 127.0.0.1:0 --admin-socket "$S/a11/herd.sock" -c "$S/big.json" 2>&1)
code=$?
t1=$(date +%s%N)
row "a 10 MB \`worker.env\` value" "exit $code after $(((t1 - t0) / 1000000)) ms: \`$(echo "$out" | tail -n 1 | cut -c1-200)\`" \
    "$([[ $code == 78 ]] && echo yes || echo NO)"

# 12. a full disk under the log file
mkdir -p "$S/full"
if mount -t tmpfs -o size=256k tmpfs "$S/full" 2>/dev/null; then
    sock=$S/a12/herd.sock
    start full --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock" --log-file "$S/full/herd.log"
    ready "$sock" 1
    dd if=/dev/zero of="$S/full/filler" bs=4k 2>/dev/null
    # The log file's last block still has room for a few lines: enough restarts to fill it and lose some.
    for i in $(seq 1 15); do admin "$sock" '{"command":"restart","slot":1}' >/dev/null; done
    rm -f "$S/full/filler"
    admin "$sock" '{"command":"restart","slot":1}' >/dev/null
    said=$(grep -m1 "lost" "$S/full.out" | cut -c1-200)
    later=$(grep -m1 -E "^[0-9TZ:.-]+ WARN .* log lines were lost" "$S/full/herd.log" | cut -c1-200)
    row "the log file's disk is full (a 256 KB tmpfs, filled), then has room again" \
        "stderr said once: \`$said\`; the log file, when it had room again: \`$later\`; master $(running "$pid" && echo running || echo "not running")" \
        "$([[ -n $said && -n $later ]] && echo yes || echo NO)"
    stop "$pid"
    umount "$S/full"
else
    row "the log file's disk is full" "not tried: cannot mount a tmpfs here" "-"
fi

# 13. a reload that changes logFile and pidFile
sock=$S/a13/herd.sock
printf '{"workers": 1, "logFile": "%s", "pidFile": "%s"}\n' "$S/one.log" "$S/one.pid" >"$S/reload.json"
start reloadfiles --listen 127.0.0.1:0 --admin-socket "$sock" -c "$S/reload.json"
ready "$sock" 1
printf '{"workers": 1, "logFile": "%s", "pidFile": "%s"}\n' "$S/two.log" "$S/two.pid" >"$S/reload.json"
reply=$("$herd" reload --admin-socket "$sock" 2>&1)
pidfile=$(cat "$S/two.pid" 2>/dev/null)
row "a reload changes \`logFile\` and \`pidFile\`" \
    "\`herd reload\`: $reply; two.pid holds $pidfile (master $pid), one.pid $([[ -e $S/one.pid ]] && echo "still there" || echo removed); two.log has $(wc -l <"$S/two.log" 2>/dev/null || echo 0) lines, the first: \`$(head -n 1 "$S/two.log" 2>/dev/null | cut -c1-120)\`" \
    "$([[ $pidfile == "$pid" && -s $S/two.log ]] && echo yes || echo NO)"
stop "$pid"

fi   # the rows of issue 12

# ---- issue 19: hostile workers -------------------------------------------------------------------------------------

# helpers_of OUT: the pids of every "helpers: ..." line a hostile worker printed, remembered for the cleanup.
helpers_of() {
    local found
    found=$(grep -o "helpers: [0-9 ]*" "$1" | cut -d' ' -f2- | tr '\n' ' ')
    helpers+=($found)
    echo "$found"
}
alive_of() {  # alive_of PID...: those still running
    local p out=""
    for p in "$@"; do running "$p" && out+="$p "; done
    echo "${out:-none}"
}
listens() { python3 -c "
import sys
port = int(sys.argv[1])
for table in ('/proc/net/tcp', '/proc/net/tcp6'):
    for line in open(table).readlines()[1:]:
        f = line.split()
        if int(f[1].rsplit(':', 1)[1], 16) == port and f[3] == '0A':
            print('LISTEN'); sys.exit()
print('free')" "$1"; }

# 14. a worker that leaves helpers holding the socket: after its SIGKILL, after herd stop, after the master's SIGKILL
sock=$S/b14/herd.sock
printf '{"workers": 1, "worker": {"command": ["/usr/bin/python3", "%s", "--helpers"]}}\n' "$hostile" >"$S/helpers.json"
start helpers --listen 127.0.0.1:0 --admin-socket "$sock" -c "$S/helpers.json"
ready "$sock" 1
port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$S/helpers.out" | cut -d: -f2)
first=$(helpers_of "$S/helpers.out")
kill -KILL "$(pgrep -P "$pid" -f hostile_socket_worker | head -n 1)"
for _ in $(seq 1 100); do [[ $(alive_of $first) == none ]] && break; sleep 0.1; done
left_kill=$(alive_of $first)
ready "$sock" 1
second=$(helpers_of "$S/helpers.out" | cut -d' ' -f5-)
"$herd" stop --admin-socket "$sock" >/dev/null 2>&1
left_stop=$(alive_of $second)
row "a worker starts 4 helpers holding the socket (plain, ignoring SIGTERM, setsid, double-forked), then gets SIGKILL; then \`herd stop\`" \
    "helpers left after the worker's SIGKILL: $left_kill; after \`herd stop\`: $left_stop; port $port after the stop: $(listens "$port")" \
    "$([[ $left_kill == none && $left_stop == none && $(listens "$port") == free ]] && echo yes || echo NO)"
start helpers2 --listen 127.0.0.1:0 --admin-socket "$sock" -c "$S/helpers.json"
ready "$sock" 1
port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$S/helpers2.out" | cut -d: -f2)
third=$(helpers_of "$S/helpers2.out")
worker=$(pgrep -P "$pid" -f hostile_socket_worker | head -n 1)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 2   # a worker's lifeline drain; nothing of herd's is left to poll
row "... the same worker, then SIGKILL of the master (outside systemd)" \
    "helpers left: $(alive_of $third); the Python worker itself (it does not watch its lifeline, fd 3): $(alive_of "$worker"); port $port: $(listens "$port") (out of the master's reach, and this worker does not stop them itself; systemd's control group, checked by systemd/test-under-systemd.sh, or a container's PID namespace covers it: docs/reliability.md, Strays)" \
    "out of reach"
for p in $third $worker; do kill -KILL "$p" 2>/dev/null; done

# 15. a worker that calls shutdown(SHUT_RDWR) on the shared socket as it stops
sock=$S/b15/herd.sock
printf '{"workers": 2, "worker": {"command": ["/usr/bin/python3", "%s", "--shutdown-on-term"]}}\n' "$hostile" >"$S/shut.json"
start shut --listen 127.0.0.1:0 --admin-socket "$sock" -c "$S/shut.json"
ready "$sock" 2
port=$(grep -o "listening on 127.0.0.1:[0-9]*" "$S/shut.out" | cut -d: -f2)
"$herd" restart 1 --admin-socket "$sock" >/dev/null 2>&1
t0=$(date +%s%N)
answer=""
for _ in $(seq 1 100); do
    answer=$(python3 -c "
import socket, sys
s = socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=2)
s.sendall(b'ping'); print(s.recv(4).decode())" "$port" 2>/dev/null) && [[ $answer == ping ]] && break
    sleep 0.1
done
t1=$(date +%s%N)
row "a worker calls \`shutdown(SHUT_RDWR)\` on the shared socket on SIGTERM; then \`herd restart 1\`" \
    "port answered again after $(((t1 - t0) / 1000000)) ms: \`${answer:-no answer}\`; the log: \`$(grep -m1 "stopped listening" "$S/shut.out" | cut -c1-200)\`" \
    "$([[ $answer == ping ]] && echo yes || echo NO)"
stop "$pid"

# 16. out of descriptors: ulimit -n 96, 100 admin connections held
sock=$S/b16/herd.sock
("$herd" --version >/dev/null; ulimit -n 96 && exec "$herd" run --listen 127.0.0.1:0 --workers 2 --admin-socket "$sock" \
    >"$S/emfile.out" 2>&1) &
pid=$!
masters+=("$pid")
ready "$sock" 2
cpu=$(python3 - "$sock" "$pid" <<'EOF2'
import socket, sys, time
sock, pid = sys.argv[1], sys.argv[2]
def cpu():
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 10
held = []
for _ in range(100):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    held.append(s)
time.sleep(1)
before, t0 = cpu(), time.time()
time.sleep(10)
print(cpu() - before, int((time.time() - t0) * 1000))
EOF2
)
lines=$(grep -c "admin: cannot accept" "$S/emfile.out")
row "the master out of descriptors (\`ulimit -n 96\`, 2 workers, 100 admin connections held 10 s)" \
    "master CPU ${cpu% *} ms in ${cpu#* } ms; \"cannot accept\" said $lines times: \`$(grep -m1 "admin: cannot accept" "$S/emfile.out" | cut -c1-160)\`" \
    "$([[ ${cpu% *} -lt 1000 && $lines -le 1 ]] && echo yes || echo NO)"
stop "$pid"

# /metrics: clients that dribble half a request, then 200 scrapes aborted with a reset (issue 19, item 5)
sock=$S/a14/herd.sock
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start metrics --listen 127.0.0.1:0 --workers 1 --admin-socket "$sock" --metrics-listen "127.0.0.1:$mport"
ready "$sock" 1
verdict=$(python3 - "$mport" <<'PY'
import socket, sys, time, threading, urllib.request
port = int(sys.argv[1])
slow = []
for _ in range(6):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "); slow.append(s)
stop = time.time() + 30
def dribble():
    while time.time() < stop:
        for s in slow:
            try: s.send(b"x")
            except OSError: pass
        time.sleep(1)
threading.Thread(target=dribble, daemon=True).start()
t0 = time.time(); took = None
while time.time() < stop and took is None:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read(); took = time.time() - t0
    except Exception:
        pass
for _ in range(200):
    c = socket.create_connection(("127.0.0.1", port)); c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"); c.close()
print("first scrape answered after %s" % ("%.1f s" % took if took is not None else "never (30 s)"))
PY
)
severe=$(grep -c -E 'SEVERE|^\s+at ' "$S/metrics.out")
told=$(grep -c 'metrics server:' "$S/metrics.out")
row "6 clients send half a /metrics request and a byte a second; then 200 scrapes aborted with a reset" \
    "$verdict beside them; the log: $told line(s) about the metrics server, $severe lines of stack traces" \
    "$([[ $verdict == *"after "[0-9]* && $severe == 0 ]] && echo yes || echo NO)"

# ---- issue 19: hostile workers and untruthful commands (items 2, 6, 7, 8, 10) ----
hostile="$home/supervisor/src/test/resources/hostile_worker.py"
# worker_config FILE WORKERS ARGS...: a config running hostile_worker.py with ARGS (readyTimeout 20s, graceful 5s).
worker_config() {
    local file=$1 workers=$2
    shift 2
    python3 - "$file" "$workers" "$hostile" "$@" <<'PY'
import json, sys
file, workers, script, *args = sys.argv[1:]
json.dump({"workers": int(workers), "readyTimeout": "20s", "gracefulTimeout": "5s",
           "worker": {"command": ["/usr/bin/python3", script, *args]}}, open(file, "w"))
PY
}
# A master's child processes that still run: a zombie (one killed at its stop deadline, not yet reaped) runs no code
children() { ps --ppid "$1" -o stat= | grep -cv '^Z'; }

# 14. STOPPING=1 and exit, at once, again and again
sock=$S/b14/herd.sock
worker_config "$S/stopexit.json" 2 --stop-and-exit
start stopexit --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/stopexit.json"
sleep 10   # the question is how many starts 10 s hold
starts=$(grep -c "started worker-" "$S/stopexit.out")
row "a worker that sends READY=1, STOPPING=1 and exits, 2 workers, for 10 s" \
    "$starts starts; the last: \`$(grep "is stopping on its own" "$S/stopexit.out" | tail -n 1 | cut -c1-160)\`" \
    "$([[ $starts -le 24 ]] && echo yes || echo NO)"
stop "$pid"

# 15. STOPPING=1, then lingering (SIGTERM ignored)
sock=$S/b15/herd.sock
worker_config "$S/linger.json" 2 --stop-and-linger
start linger --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/linger.json"
most=0
for _ in $(seq 1 100); do   # 10 s, sampled every 100 ms
    n=$(children "$pid")
    ((n > most)) && most=$n
    sleep 0.1
done
starts=$(grep -c "started worker-" "$S/linger.out")
row "a worker that sends READY=1, STOPPING=1 and lingers (ignores SIGTERM), 2 workers, gracefulTimeout 5s, for 10 s" \
    "at most $most worker processes at once; $starts starts" "$([[ $most -le 3 ]] && echo yes || echo NO)"
stop "$pid"

# 16. herd scale with a hot spare
sock=$S/b16/herd.sock
start scalespare --admin-socket "$sock" --listen 127.0.0.1:0 --workers 2 --spare-workers 1
ready "$sock" 2
for _ in $(seq 1 300); do admin "$sock" '{"command":"status"}' | grep -q '1/1 spares warm' && break; sleep 0.1; done
t0=$(date +%s%N)
out=$("$herd" scale 3 --admin-socket "$sock" 2>&1)
code=$?
t1=$(date +%s%N)
row "\`--spare-workers 1\`, then \`herd scale 3\`" "exit $code after $(((t1 - t0) / 1000000)) ms (JVM start included): \`$out\`" \
    "$([[ $code == 0 ]] && echo yes || echo NO)"
stop "$pid"

# 17. a waited scale that a concurrent reload reverts
sock=$S/b17/herd.sock
touch "$S/ready-flag"
worker_config "$S/revert.json" 1 --ready-when "$S/ready-flag"
start revert --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/revert.json"
ready "$sock" 1
rm -f "$S/ready-flag"   # from now on new workers start but are not ready
"$herd" scale 4 --admin-socket "$sock" >"$S/revert-scale.out" 2>&1 &
scaler=$!
for _ in $(seq 1 300); do admin "$sock" '{"command":"status"}' | grep -q '"desiredWorkers":4' && break; sleep 0.1; done
admin "$sock" '{"command":"reload","wait":false}' >/dev/null
wait "$scaler"
code=$?
touch "$S/ready-flag"
row "a waited \`herd scale 4\` (new workers not ready yet), and a reload of a file that says 1 meanwhile" \
    "exit $code: \`$(tr '\n' ' ' <"$S/revert-scale.out" | cut -c1-200)\`" "$([[ $code == 1 ]] && echo yes || echo NO)"
stop "$pid"

# 18. a reload refused for its listen address, with a new pidFile and logFile
sock=$S/b18/herd.sock
printf '{"workers": 1, "listen": "127.0.0.1:0", "pidFile": "%s", "logFile": "%s"}\n' "$S/r1.pid" "$S/r1.log" >"$S/refused.json"
start refused --admin-socket "$sock" -c "$S/refused.json"
ready "$sock" 1
exec {taken}< <(python3 -c "
import socket, sys, time
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(60)")
read -r -u "$taken" busy
printf '{"workers": 1, "listen": "127.0.0.1:%s", "pidFile": "%s", "logFile": "%s"}\n' "$busy" "$S/r2.pid" "$S/r2.log" >"$S/refused.json"
out=$("$herd" reload --admin-socket "$sock" 2>&1)
code=$?
exec {taken}<&-
row "a reload with a new \`pidFile\` and \`logFile\` and a \`listen\` port in use" \
    "exit $code: \`$(echo "$out" | tail -n 1 | cut -c1-120)\`; r1.pid $([[ -e $S/r1.pid ]] && echo "still there" || echo gone), r2.pid $([[ -e $S/r2.pid ]] && echo written || echo "not written"), r2.log $([[ -e $S/r2.log ]] && echo created || echo "not created")" \
    "$([[ $code == 1 && -e $S/r1.pid && ! -e $S/r2.pid && ! -e $S/r2.log ]] && echo yes || echo NO)"
stop "$pid"

# 19. a reload that changes metricsListen
sock=$S/b19/herd.sock
printf '{"workers": 1, "metricsListen": "127.0.0.1:0"}\n' >"$S/metrics.json"
start metrics --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/metrics.json"
ready "$sock" 1
mport=$(grep -o -m1 'metrics on http://127.0.0.1:[0-9]*' "$S/metrics.out" | grep -o '[0-9]*$')
printf '{"workers": 1, "metricsListen": "127.0.0.1:1"}\n' >"$S/metrics.json"
out=$("$herd" reload --admin-socket "$sock" 2>&1)
code=$?
up=$(python3 -c "import urllib.request, sys; print([l for l in urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().splitlines() if l.startswith('herd_up')][0])" "http://127.0.0.1:$mport/metrics" 2>&1)
row "a reload that changes \`metricsListen\`" "exit $code: \`$(echo "$out" | tail -n 1 | cut -c1-120)\`; the old address: \`$up\`" \
    "$([[ $code == 1 && $up == "herd_up 1"* ]] && echo yes || echo NO)"
stop "$pid"

# 20. terminal escapes in STATUS= and on stdout
sock=$S/b20/herd.sock
worker_config "$S/escapes.json" 1 --status '\x1b]0;owned-title\x07serving\rforged'
start escapes --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/escapes.json"
ready "$sock" 1
"$herd" status --admin-socket "$sock" >"$S/escapes-status.out" 2>&1
raw_status=$(grep -c $'\x1b' "$S/escapes-status.out")
raw_log=$(grep -c $'\x1b' "$S/escapes.out")
row "a worker's \`STATUS=\\x1b]0;owned-title\\x07serving\\rforged\`, printed on its stdout too" \
    "ESC in \`herd status\`: $raw_status lines, in the master's log: $raw_log lines; status shows \`$(grep -o '\\x1b.*forged' "$S/escapes-status.out" | head -n 1)\`" \
    "$([[ $raw_status == 0 && $raw_log == 0 ]] && echo yes || echo NO)"
stop "$pid"

# 21. a reload whose config file is slow to come (a FIFO written 5 s later): the loop keeps answering
sock=$S/b21/herd.sock
printf '{"workers": 1}\n' >"$S/fifo.json"
start fifo --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/fifo.json"
ready "$sock" 1
rm "$S/fifo.json" && mkfifo "$S/fifo.json"
"$herd" reload --admin-socket "$sock" >"$S/fifo-reload.out" 2>&1 &
reloading=$!
answered=0 slowest=0
for _ in $(seq 1 10); do
    t0=$(date +%s%N)
    admin "$sock" '{"command":"ping"}' | grep -q '"pong":true' && answered=$((answered + 1))
    t1=$(date +%s%N)
    ((t1 - t0 > slowest)) && slowest=$((t1 - t0))
    sleep 0.5
done
running "$reloading" && pending="still waiting" || pending="already answered"
timeout 10 sh -c 'printf "{\"workers\": 2}\n" >"$1"' sh "$S/fifo.json"
wait "$reloading"
code=$?
row "a reload whose config file is a FIFO written 5 s later (a slow disk, a name service that does not answer)" \
    "while it waited: $answered of 10 pings answered, the slowest in $((slowest / 1000000)) ms, the reload $pending; once written: exit $code, \`$(last_line "$S/fifo-reload.out" | cut -c1-100)\`" \
    "$([[ $answered == 10 && $pending == "still waiting" && $code == 0 ]] && echo yes || echo NO)"
rm -f "$S/fifo.json" && mkfifo "$S/fifo.json"
t0=$(date +%s%N)
out=$("$herd" reload --admin-socket "$sock" 2>&1)
code=$?
t1=$(date +%s%N)
again=$("$herd" reload --admin-socket "$sock" 2>&1 | tail -n 1 | cut -c1-90)
timeout 10 sh -c ': >"$1"' sh "$S/fifo.json" # lets the stuck read return (a writer that closes: end of file)
row "... the FIFO is never written" \
    "exit $code after $(((t1 - t0) / 1000000)) ms: \`$(echo "$out" | tail -n 1 | cut -c1-160)\`; the next reload at once: \`$again\`" \
    "$([[ $code == 1 ]] && echo yes || echo NO)"
stop "$pid"

# 22. one chatty worker, and the master's output read at 2 KB/s (a slow journald, `herd run | less`): issue 19, item 3
sock=$S/b22/herd.sock
printf '{"workers": 3, "heartbeatTimeout": "2s", "worker": {"command": ["/usr/bin/python3", "%s"]}}\n' \
    "$home/supervisor/src/test/resources/chatty_worker.py" >"$S/chatty.json"
"$herd" run --admin-socket "$sock" --listen 127.0.0.1:0 -c "$S/chatty.json" > >(python3 -c '
import sys, time
out = open(sys.argv[1], "wb")
while True:
    chunk = sys.stdin.buffer.read(200)
    if not chunk:
        break
    out.write(chunk)
    time.sleep(0.1)  # 2 KB/s
' "$S/chatty.out") 2>&1 &
pid=$!
masters+=("$pid")
ready "$sock" 3
first=$(admin "$sock" '{"command":"status"}' | python3 -c 'import json, sys; print(sorted(w["pid"] for w in json.load(sys.stdin)["workers"]))')
answered=0
for _ in $(seq 1 20); do
    admin "$sock" '{"command":"status"}' | grep -q '"readyWorkers":3,' && answered=$((answered + 1))
    sleep 0.5
done
last=$(admin "$sock" '{"command":"status"}' | python3 -c 'import json, sys; s = json.load(sys.stdin); print(sorted(w["pid"] for w in s["workers"]), s["summary"])')
row "one worker prints as fast as its pipe takes, the master's output is read at 2 KB/s, heartbeatTimeout 2s, for 10 s" \
    "$answered of 20 status requests answered with 3/3 ready; workers before: \`$first\`, after: \`$last\`" \
    "$([[ $answered == 20 && $last == "$first"* ]] && echo yes || echo NO)"
stop "$pid"
