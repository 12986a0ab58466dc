#!/usr/bin/env bash
# herd under the real systemd: boots systemd 252 (Debian 12) as PID 1 of a systemd-nspawn container, installs
# herd from the distribution archive exactly as the README's "Install" section says (its commands are read from
# the README and run as they are), and checks socket activation, readiness, reload, `herd upgrade` (under echo
# clients and a 5 s watchdog: same main pid, reloading meanwhile, no restart; a refused one), the watchdog, the
# journal and stop against what systemd itself reports; then two instances of herd@.service side by side (each on its own port
# and admin socket, reached with herd -i NAME, reloaded and stopped alone); then a SIGKILL of an instance's master
# whose worker left helpers holding the port (issue 19: the unit's control group ends them, the restart binds again).
#
# Usage (as root): systemd/test-under-systemd.sh [--keep]
#   --keep   leave the container's files (not its processes) in the run directory for a look afterwards
# Environment:
#   HERD_TEST_CACHE   where the container's root file system is cached (default /var/cache/herd-test)
#   HERD_TEST_MIRROR  the Debian mirror for debootstrap (default http://deb.debian.org/debian)
# Exit status: 0 every check passed, 1 a check or the setup failed, 77 skipped (the reason is printed): not root
# (or root of a user namespace only, or without CAP_SYS_ADMIN), or debootstrap, systemd-nspawn, nsenter or
# overlayfs missing, or no namespaces allowed here.
#
# The root file system (debootstrap: about a minute, 400 MB) is built once per package list and reused; each
# run boots an overlay on top of it, so the cached copy never changes. Everything the script starts (the
# container and every process in it) is torn down on exit, on failure and on Ctrl+C alike.
set -uo pipefail

home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
suite=bookworm
packages=systemd,systemd-sysv,dbus,procps,python3,openjdk-17-jre-headless
mirror=${HERD_TEST_MIRROR:-http://deb.debian.org/debian}
cache=${HERD_TEST_CACHE:-/var/cache/herd-test}
workers=2           # the test's herd.json; two JVMs start faster than four on a small CI machine
keep=no
[[ "${1:-}" == --keep ]] && keep=yes

started=$SECONDS
run=""              # the run directory: overlay layers and the merged root
root=""             # the container's root as the host sees it
nspawn_pid=""
child=""           # a long step running in the background (mvn, debootstrap), so that a signal interrupts the wait
partial=""         # a root file system being built
ct_pid=""           # the container's PID 1 (systemd), as the host numbers it
ct_pidns=""
passed=()
failed=()

# shellcheck source=test-lib.sh
source "$home/systemd/test-lib.sh"
now_ms() { echo $(($(date +%s%N) / 1000000)); }
skip() {
    say "SKIP  herd under systemd: $*"
    exit 77
}

# Can it run here?
[[ "$(uname -s)" == Linux ]] || skip "needs Linux"
((EUID == 0)) || skip "needs root (debootstrap, mount, systemd-nspawn)"
# Root of a user namespace (rootless podman, unprivileged LXC) may not mount an overlay or boot a container.
[[ "$(awk '{ print $1, $2, $3; exit }' /proc/self/uid_map)" == "0 0 4294967295" ]] ||
    skip "runs in a user namespace (an unprivileged container?): systemd-nspawn needs the host's root"
(((16#$(awk '/^CapEff:/ { print $2 }' /proc/self/status) >> 21) & 1)) ||
    skip "no CAP_SYS_ADMIN (a container without privileges?): systemd-nspawn cannot run"
for tool in debootstrap systemd-nspawn nsenter unshare mount; do
    command -v "$tool" >/dev/null ||
        skip "$tool not found (Debian: apt-get install debootstrap systemd-container util-linux)"
done
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || skip "no overlay file system in this kernel"
unshare --mount --pid --uts --ipc --fork true 2>/dev/null ||
    skip "cannot create namespaces here (an unprivileged container?), so systemd-nspawn cannot run"

# Teardown: always, whatever happened
# Processes in the container's PID namespace, as host pids (the container's systemd and all below it).
container_processes() {
    [[ -n "$ct_pidns" ]] || return 0
    local ns p
    for p in /proc/[0-9]*; do
        ns=$(readlink "$p/ns/pid" 2>/dev/null) || continue
        [[ "$ns" == "$ct_pidns" ]] && echo "${p#/proc/}"
    done
}

teardown() {
    local status=$? deadline p left
    trap - EXIT INT TERM
    if alive "$child"; then
        # Its own process group (setsid): debootstrap's dpkg and chroot children go with it.
        kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    [[ -n "$partial" ]] && remove_tree "$partial"
    if alive "$nspawn_pid"; then
        # SIGTERM makes nspawn power the container off: systemd stops herd (SIGTERM, drain) and everything else.
        kill -TERM "$nspawn_pid" 2>/dev/null
        deadline=$((SECONDS + 90))
        while alive "$nspawn_pid" && ((SECONDS < deadline)); do sleep 0.2; done
        if alive "$nspawn_pid"; then
            say "teardown: the container did not power off within 90 s; killing it"
            kill -KILL "$nspawn_pid" 2>/dev/null
        fi
    fi
    # Killing a PID namespace's init kills every process in it; then wait until the kernel has reaped them.
    alive "$ct_pid" && kill -KILL "$ct_pid" 2>/dev/null
    for p in $(container_processes); do kill -KILL "$p" 2>/dev/null; done
    deadline=$((SECONDS + 30))
    while [[ -n "$(container_processes)" ]] && ((SECONDS < deadline)); do sleep 0.2; done
    wait 2>/dev/null
    left=$(container_processes)
    if [[ -n "$left" ]]; then
        say "FAIL  teardown: processes of the container outlived it:"
        ps -o pid,user,cmd -p "$(echo $left | tr ' ' ,)" | indent
        status=1
    fi
    if [[ -n "$run" ]]; then
        if [[ "$keep" == yes ]]; then
            mountpoint -q "$run/root" && { umount "$run/root" 2>/dev/null || umount --lazy "$run/root"; }
            say "kept the container's files in $run (what it wrote: $run/upper)"
        else
            remove_tree "$run"
        fi
    fi
    exit "$status"
}

trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Helpers

# Runs a command inside the container, as root, with a clean environment.
in_ct() {
    nsenter -t "$ct_pid" -a -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER= "$@"
}

# poll, in_background and check are in test-lib.sh. Polling with a deadline, never a fixed sleep, is how every wait
# here is written.

show() { in_ct systemctl show --value -p "$2" "$1"; }
cursor() { in_ct python3 /root/herd-test.py cursor; }
# journal CURSOR: herd.service's journal since CURSOR (read by the helper: systemd 252's journalctl loses an entry
# when --after-cursor is combined with -u, systemd issue #30288).
journal() { in_ct python3 /root/herd-test.py journal "$1"; }
# The operator's view, the whole journal of the unit at a priority: journalctl -p PRIORITY -u herd.
journal_at() { in_ct journalctl --no-pager --sync && in_ct journalctl --no-pager -q -o cat -p "$1" -u herd; }
echo_client() { in_ct python3 /root/herd-test.py echo "$@"; }
worker_pids() { in_ct python3 /root/herd-test.py worker-pids "$@"; }
herd_ready() { in_ct python3 /root/herd-test.py ready; }

# The archive
archive=$(ls -t "$home"/supervisor/target/herd-*.tar.gz 2>/dev/null | head -n 1)
stale=""
if [[ -n "$archive" ]]; then
    # What goes into the archive (supervisor/src/assembly/dist.xml): is any of it newer?
    stale=$(find "$home/pom.xml" "$home"/{config,worker,supervisor}/pom.xml "$home"/{config,worker,supervisor}/src/main \
        "$home/supervisor/src/assembly" "$home/bin" "$home"/systemd/herd{,@}.{service,socket} "$home/systemd/herd.json" "$home/systemd/verify.sh" \
        "$home/docs" "$home/README.md" -newer "$archive" -type f -print -quit 2>/dev/null)
fi
say "== herd under the real systemd (systemd-nspawn)"
if [[ -z "$archive" || -n "$stale" ]]; then
    say "building the distribution archive (mvn -B -q -DskipTests package)"
    build_log=$(mktemp "${TMPDIR:-/tmp}/herd-package.XXXXXX")
    if ! in_background mvn -B -q -DskipTests -Dherd.frameworks.skip=true -f "$home/pom.xml" package >"$build_log" 2>&1; then
        tail -n 30 "$build_log" | indent
        rm -f "$build_log"
        die "mvn package failed"
    fi
    rm -f "$build_log"
    archive=$(ls -t "$home"/supervisor/target/herd-*.tar.gz | head -n 1)
fi
say "archive: ${archive#"$home"/} ($(du -h "$archive" | cut -f1))"

# The root file system, built once per package list
key=$(printf '%s %s %s\n' "$suite" minbase "$packages" | sha256sum | cut -c1-12)
rootfs="$cache/rootfs-$key"
mkdir -p "$cache"
exec 9>"$cache/lock"
flock -w 900 9 || die "another run holds $cache/lock for more than 15 minutes"
if [[ -f "$rootfs/.complete" ]]; then
    say "rootfs: $rootfs (cached; $suite, minbase + $packages)"
else
    for partial in "$cache"/rootfs-*.partial; do remove_tree "$partial"; done
    partial="$rootfs.partial"
    build_started=$SECONDS
    say "rootfs: building $rootfs (debootstrap --variant=minbase $suite from $mirror)"
    in_background debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs.partial" "$mirror" \
        >"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" | indent; die "debootstrap failed"; }
    # Nothing in the test reaches the network; an apt cache is just weight.
    rm -rf "$rootfs.partial"/var/cache/apt/archives/*.deb "$rootfs.partial"/var/lib/apt/lists/*_Packages
    touch "$rootfs.partial/.complete"
    mv "$rootfs.partial" "$rootfs"
    partial=""
    say "rootfs: built in $((SECONDS - build_started)) s ($(du -sh "$rootfs" | cut -f1))"
fi
flock -u 9

# Boot
run=$(mktemp -d /var/tmp/herd-systemd-test.XXXXXX)
mkdir "$run/upper" "$run/work" "$run/root"
# The cached tree is the lower layer; whatever the container writes lands in this run's upper layer.
mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$run/upper,workdir=$run/work" "$run/root" ||
    die "cannot mount an overlay on $rootfs"
root="$run/root"
cp "$archive" "$root/root/"
cp "$home/systemd/test-under-systemd.py" "$root/root/herd-test.py"
# The hostile worker of issue 19 for the strays check; not under /root, which ProtectHome= hides from herd's units.
install -D -m 0644 "$home/supervisor/src/test/resources/hostile_socket_worker.py" \
    "$root/usr/local/lib/herd-test/hostile_socket_worker.py"

boot_started=$(now_ms)
# --register=no --keep-unit: the host's PID 1 is not systemd, so there is no machined to register with and no
# unit to move into. --private-network: only a loopback inside; the test's clients run in the container.
systemd-nspawn -q -D "$root" --machine="herd-test-$$" --register=no --keep-unit --private-network \
    --console=read-only -b >"$run/console.log" 2>&1 </dev/null &
nspawn_pid=$!

# The container's PID 1 is the nspawn process's child, once it has exec'ed systemd.
container_systemd() {
    local pid
    alive "$nspawn_pid" || return 1
    for pid in $(pgrep -P "$nspawn_pid"); do
        [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == systemd ]] && { ct_pid=$pid; return 0; }
    done
    return 1
}
poll 60 container_systemd || { tail -n 20 "$run/console.log" | indent; die "the container's systemd did not start"; }
ct_pidns=$(readlink "/proc/$ct_pid/ns/pid")
booted() { [[ "$(in_ct systemctl is-system-running 2>/dev/null)" =~ ^(running|degraded)$ ]]; }
poll 120 booted || { in_ct systemctl --failed --no-legend | indent; die "the container did not finish booting"; }
say "container: $(in_ct systemctl --version | head -n 1), booted in $(($(now_ms) - boot_started)) ms ($(in_ct systemctl is-system-running))"

# Install, exactly as the README says
install_script=$(awk '/^## Install/ { section = 1; next }
                      section && /^## / { exit }
                      section && /^```sh$/ { block = 1; next }
                      block && /^```$/ { exit }
                      block { print }' "$home/README.md")
[[ -n "$install_script" ]] || die "no \`\`\`sh block in the README's Install section"
say "install (the README's \"Install\" commands, run in /root with the archive beside them):"
install_log=$(in_ct bash -c "cd /root && set -ex && $install_script" 2>&1) ||
    { echo "$install_log" | indent; die "the README's install commands failed"; }
echo "$install_log" | grep '^+' | sed 's/^+ /  # /'

# The test's herd.json: the sample with fewer workers (a small CI machine) and a shorter drain.
in_ct python3 - "$workers" <<'EOF' || die "cannot write /etc/herd/herd.json"
import json, sys
path = "/etc/herd/herd.json"
config = json.load(open(path))
config.update(workers=int(sys.argv[1]), gracefulTimeout="10s")
open(path, "w").write(json.dumps(config, indent=2) + "\n")
EOF

# The checks
say "checks:"

check_socket_first() {
    local socket service
    socket=$(in_ct systemctl is-active herd.socket)
    service=$(in_ct systemctl is-active herd.service)
    echo "herd.socket $socket, listening on $(show herd.socket Listen); herd.service $service"
    in_ct python3 /root/herd-test.py listening 9876 || return 1
    if in_ct pgrep -u herd >/dev/null; then
        echo "processes of user herd before the first connection:"
        in_ct ps -o pid,cmd -u herd
        return 1
    fi
    [[ "$socket" == active && "$service" == inactive ]]
}
check "herd.socket listens; herd.service is inactive (no herd process) before the first connection" check_socket_first

service_active() { [[ "$(in_ct systemctl is-active herd.service)" == active ]]; }

check_first_connection() {
    echo_client 120 || return 1
    # A worker serves as soon as it is ready; systemd waits for the master's READY=1, after every worker's.
    echo "herd.service when the echo came back: $(in_ct systemctl is-active herd.service)"
    poll 120 service_active || { echo "herd.service did not become active"; return 1; }
    echo "herd.service: active (main pid $(show herd MainPID))"
}
check "the first connection activates herd and is echoed" check_first_connection

check_ready() {
    local type status exec_start active ready_ms slowest
    type=$(show herd Type)
    status=$(show herd StatusText)
    exec_start=$(show herd ExecMainStartTimestampMonotonic)
    active=$(show herd ActiveEnterTimestampMonotonic)
    # This start's log: since the master's own "listening on" line.
    in_ct journalctl --sync
    in_ct journalctl --no-pager -q -o cat -u herd _SYSTEMD_INVOCATION_ID="$(show herd InvocationID)" \
        >"$run/start.log"
    grep -E 'listening on|ready|limits' "$run/start.log"
    slowest=$(grep -oE 'ready after [0-9]+ ms' "$run/start.log" | grep -oE '[0-9]+' | sort -n | tail -n 1)
    ready_ms=$(((active - exec_start) / 1000))
    echo "Type=$type; exec to active: $ready_ms ms; slowest worker's readiness: ${slowest:-?} ms after its spawn"
    echo "StatusText: $status"
    # A worker is spawned after the master has started, and the master sends READY=1 only after every worker
    # has sent its own: so the unit may turn active no sooner than the slowest worker's readiness after exec.
    [[ "$type" == notify && -n "$slowest" ]] && ((ready_ms >= slowest)) &&
        [[ "$status" =~ ^$workers/$workers\ workers\ ready ]] && grep -q "all $workers workers ready" "$run/start.log"
}
check "herd.service turns active only after READY=1, with herd's STATUS= text" check_ready

check_limits() {
    local main logged effective asked
    main=$(show herd MainPID)
    asked=$(show herd LimitNOFILE)
    effective=$(in_ct awk '/^Max open files/ { print $4 }' "/proc/$main/limits")
    logged=$(grep -m 1 'limits: open files' "$run/start.log") || { echo "no limits line in herd's start-up log"; return 1; }
    echo "herd logged: $logged"
    grep 'limits: .* is below' "$run/start.log"
    echo "the unit asks LimitNOFILE=$asked; the master's /proc/$main/limits: $effective open files"
    ((effective < asked)) && echo "(lowered by the container: its bounding set lacks CAP_SYS_RESOURCE)"
    [[ "$logged" == *"open files $effective"* ]]
}
check "herd logs its effective limits at start (the container's lowered LimitNOFILE)" check_limits

# The install's `herd --version` (as root) made the class-data archive beside the jars; the master, user herd,
# maps it from there.
check_class_data() {
    local main mapped
    main=$(show herd MainPID)
    in_ct ls -l /opt/herd/lib/class-data/
    mapped=$(in_ct grep -o '/opt/herd[^ ]*/lib/class-data/herd-[0-9]*-[0-9]*\.jsa' "/proc/$main/maps" | sort -u)
    echo "the master (pid $main) maps: ${mapped:-nothing of lib/class-data}"
    [[ -n "$mapped" ]]
}
check "the master maps the class-data archive the install made" check_class_data

# On a terminal, as an operator sees it (160 columns; without a terminal systemctl prints every classpath in full).
say "      systemctl status herd (on a 160-column terminal):"
in_ct script -qc 'stty cols 160; systemctl status --no-pager --lines=12 herd' /dev/null </dev/null | tr -d '\r' |
    sed 's/^/        /'

check_reload() {
    local before after mark timing rc start end old environment
    before=$(worker_pids)
    mark=$(cursor)
    environment=$(show herd Environment)
    timing=$(in_ct python3 /root/herd-test.py timed systemctl reload herd)
    rc=$?
    read -r start end <<<"$(tail -n 1 <<<"$timing")"
    after=$(worker_pids)
    echo "systemctl reload herd: exit $rc after $(((end - start) / 1000)) ms"
    # The unit sets no HERD_ADMIN_SOCKET: ExecReload's herd reload found the socket through $RUNTIME_DIRECTORY.
    echo "ExecReload=$(show herd ExecReload | sed -n 's/.*argv\[\]=\([^;]*\) ;.*/\1/p')" \
        "(Environment=${environment:-none}: it found the admin socket through \$RUNTIME_DIRECTORY)"
    echo "workers before: $before; right after it returned: $after"
    journal "$mark" >"$run/reload.log"
    grep -E 'reload|rolling restart|ready after' "$run/reload.log"
    ((rc == 0)) || return 1
    local done_at
    done_at=$(in_ct python3 /root/herd-test.py logged-at "$mark" 'rolling restart done')
    [[ -n "$done_at" ]] || { echo "herd's log has no 'rolling restart done' line yet"; return 1; }
    echo "herd logged 'rolling restart done' $(((done_at - start) / 1000)) ms after systemctl reload began;" \
        "systemctl returned $(((end - done_at) / 1000)) ms after that"
    # The proof that it waited: when it returned, no worker from before was still in the pool.
    for old in $before; do
        [[ " $after " == *" $old "* ]] && { echo "worker $old was still there"; return 1; }
    done
    herd_ready && ((done_at <= end))
}
check "systemctl reload waits for the rolling reload" check_reload

check "the echo still works after the reload" echo_client 30

check_broken_reload() {
    local before after mark rc errors
    before=$(worker_pids)
    in_ct cp /etc/herd/herd.json /root/herd.json.good
    in_ct sh -c 'printf "{\n  \"workers\": -3\n}\n" >/etc/herd/herd.json'
    mark=$(cursor)
    in_ct systemctl reload herd
    rc=$?
    in_ct cp /root/herd.json.good /etc/herd/herd.json
    after=$(worker_pids)
    echo "systemctl reload herd with a broken herd.json: exit $rc"
    echo "journalctl -u herd:"
    journal "$mark" | indent
    echo "workers before: $before; after: $after; herd.service $(in_ct systemctl is-active herd)"
    errors=$(journal_at err)
    echo "journalctl -p err -u herd: $(grep 'keeping the running configuration' <<<"$errors")"
    ((rc != 0)) && [[ "$before" == "$after" ]] && [[ "$errors" == *"keeping the running configuration"* ]] &&
        echo_client 30
}
check "a reload with a broken config fails systemctl reload; the old workers keep serving" check_broken_reload

check_worker_crash() {
    local victim
    victim=$(worker_pids | awk '{ print $1 }')
    in_ct kill -9 "$victim"
    crashed() { [[ "$(journal_at warning)" == *"(pid $victim) died"* ]]; }
    poll 30 crashed || { echo "no warning about pid $victim in journalctl -p warning -u herd"; return 1; }
    echo "journalctl -p warning -u herd: $(journal_at warning | grep "(pid $victim)")"
    poll 60 herd_ready || { echo "the pool did not recover"; return 1; }
    echo "workers now: $(worker_pids)"
}
check "a worker's crash (kill -9) shows in journalctl -p warning -u herd" check_worker_crash

check_stop() {
    local left
    in_ct systemctl stop herd || return 1
    echo "herd.service $(in_ct systemctl is-active herd); herd.socket $(in_ct systemctl is-active herd.socket)"
    left=$(in_ct ps -o pid=,cmd= -u herd)
    [[ -z "$left" ]] || { echo "left behind:"; echo "$left"; return 1; }
    echo "no process of user herd"
    [[ "$(in_ct systemctl is-active herd.socket)" == active ]] && in_ct python3 /root/herd-test.py listening 9876
}
# herd upgrade under the service: the master re-executes itself (same pid), under a 5 s watchdog, with echo
# clients coming all along; then a reload, an upgrade that the new herd refuses, and a stop.
herd_admin() { in_ct /usr/local/bin/herd "$@" --admin-socket /run/herd/herd.sock; }
# The processes in a unit's cgroup, herd.service's by default (the name=systemd hierarchy of hybrid cgroups, or the
# unified one).
unit_processes() {
    local group
    group=$(show "${1:-herd}" ControlGroup)
    in_ct sh -c "cat /sys/fs/cgroup/systemd$group/cgroup.procs 2>/dev/null || cat /sys/fs/cgroup$group/cgroup.procs" |
        sort -n | tr '\n' ' ' | sed 's/ $//'
}
say "upgrade: herd upgrade under herd.service, restarted under WatchdogSec=5s (a drop-in): a ping every 2.5 s"
in_ct sh -c 'mkdir -p /etc/systemd/system/herd.service.d &&
    printf "[Service]\nWatchdogSec=5s\n" >/etc/systemd/system/herd.service.d/watchdog.conf &&
    systemctl daemon-reload && systemctl restart herd' || die "cannot restart herd under WatchdogSec=5s"
poll 120 herd_ready || die "herd was not ready after its restart under WatchdogSec=5s"

check_upgrade() {
    local master restarts before after timing rc start end lrc mark expected pid
    master=$(show herd MainPID)
    restarts=$(show herd NRestarts)
    before=$(worker_pids)
    echo "before: MainPID=$master NRestarts=$restarts WatchdogUSec=$(show herd WatchdogUSec); workers $before"
    in_ct rm -f /root/load-started /root/load-stop
    in_ct python3 /root/herd-test.py echo-loop 300 /root/load-started /root/load-stop >"$run/load.out" 2>&1 &
    local load=$!
    poll 60 in_ct test -e /root/load-started || { echo "the echo clients were not served"; cat "$run/load.out"; return 1; }
    # What systemd shows while it goes on, each change once (a sample every few tens of milliseconds).
    rm -f "$run/states.stop"
    (
        last=""
        while [[ ! -e "$run/states.stop" ]]; do
            now=$(in_ct systemctl show -p MainPID,ActiveState,SubState,WatchdogUSec herd | sort | tr '\n' ' ')
            [[ "$now" == "$last" ]] || echo "$now"
            last=$now
        done
    ) >"$run/states" &
    local sampler=$!
    mark=$(cursor)
    timing=$(in_ct python3 /root/herd-test.py timed /usr/local/bin/herd upgrade --admin-socket /run/herd/herd.sock 2>&1)
    rc=$?
    touch "$run/states.stop"
    wait "$sampler"
    in_ct touch /root/load-stop
    wait "$load"
    lrc=$?
    read -r start end <<<"$(tail -n 1 <<<"$timing")"
    after=$(worker_pids)
    echo "herd upgrade: exit $rc after $(((end - start) / 1000)) ms: $(sed '$d' <<<"$timing")"
    echo "what systemd showed meanwhile:"
    indent <"$run/states"
    echo "after: MainPID=$(show herd MainPID) $(show herd ActiveState)/$(show herd SubState)" \
        "NRestarts=$(show herd NRestarts); workers $after"
    echo "StatusText: $(show herd StatusText)"
    cat "$run/load.out"
    journal "$mark" | grep -E 'upgrade|handed over|Watchdog|Main process' | indent
    ((rc == 0 && lrc == 0)) || return 1
    [[ "$(show herd MainPID)" == "$master" && "$(show herd ActiveState)/$(show herd SubState)" == active/running &&
        "$(show herd NRestarts)" == "$restarts" ]] || { echo "not the same active, running main process"; return 1; }
    grep -q 'ActiveState=reloading' "$run/states" || { echo "systemd never showed the unit reloading"; return 1; }
    # The master lengthens the watchdog for the new JVM's start (WATCHDOG_USEC=), the new master puts it back.
    grep -q 'WatchdogUSec=1min' "$run/states" && [[ "$(show herd WatchdogUSec)" == 5s ]] ||
        { echo "the watchdog's timeout was not a minute during the exec and 5s after"; return 1; }
    ! grep -qv "MainPID=$master " "$run/states" || { echo "systemd's MainPID changed meanwhile"; return 1; }
    for pid in $before; do
        [[ " $after " != *" $pid "* ]] || { echo "worker $pid was not replaced"; return 1; }
    done
    [[ "$(journal "$mark")" != *"Watchdog timeout"* ]] || return 1
    # Exactly one master (this java) in the unit's cgroup, and its new workers: no old worker, no launcher, no check.
    expected=$(printf '%s\n' "$master" $after | sort -n | tr '\n' ' ' | sed 's/ $//')
    same_processes() { [[ "$(unit_processes)" == "$expected" ]]; }
    poll 60 same_processes || { echo "herd.service's cgroup holds $(unit_processes), not $expected"; return 1; }
    echo "herd.service's cgroup: $(unit_processes) (the master $master, $(in_ct cat "/proc/$master/comm"), and its workers)"
    for pid in $after; do
        [[ "$(in_ct ps -o ppid= -p "$pid" | tr -d ' ')" == "$master" ]] || { echo "$pid is not the master's child"; return 1; }
    done
    [[ "$(in_ct cat "/proc/$master/comm")" == java ]]
}
check "herd upgrade under systemd: exit 0, the same MainPID active/running (reloading meanwhile), NRestarts \
unchanged, the watchdog a minute for the exec then 5s again, every echo client served, new workers, one master in \
the cgroup" check_upgrade

say "      systemctl status herd after the upgrade (on a 160-column terminal):"
in_ct script -qc 'stty cols 160; systemctl status --no-pager --lines=0 herd' /dev/null </dev/null | tr -d '\r' |
    sed 's/^/        /'

check "systemctl reload after the upgrade still waits for the rolling reload" check_reload

check_refused_upgrade() {
    local before after master out rc
    master=$(show herd MainPID)
    before=$(worker_pids)
    in_ct cp /etc/herd/herd.json /root/herd.json.good
    in_ct sh -c 'printf "{\n  \"workers\": -3\n}\n" >/etc/herd/herd.json'
    out=$(herd_admin upgrade 2>&1)
    rc=$?
    in_ct cp /root/herd.json.good /etc/herd/herd.json
    after=$(worker_pids)
    echo "herd upgrade with a broken herd.json: exit $rc: $out"
    echo "MainPID $master -> $(show herd MainPID), herd.service $(show herd ActiveState)/$(show herd SubState);" \
        "workers before: $before; after: $after"
    ((rc == 1)) && [[ "$out" == *"herd.json"*"(upgrade_failed)"* && "$(wc -l <<<"$out")" == 1 ]] &&
        [[ "$(show herd MainPID)" == "$master" && "$(show herd ActiveState)" == active && "$before" == "$after" ]] &&
        echo_client 30
}
check "an upgrade the new herd refuses (a broken herd.json) exits 1 with the reason; the same master and workers serve" \
    check_refused_upgrade

check "systemctl stop after the upgrade leaves no process of user herd; herd.socket keeps listening" check_stop

check_watchdog() {
    local master restarts mark stopped_at
    in_ct mkdir -p /etc/systemd/system/herd.service.d
    in_ct sh -c 'printf "[Service]\nWatchdogSec=5s\n" >/etc/systemd/system/herd.service.d/watchdog.conf'
    in_ct systemctl daemon-reload
    # The master reads WATCHDOG_USEC at start: restart it under the shorter watchdog.
    in_ct systemctl restart herd || return 1
    master=$(show herd MainPID)
    restarts=$(show herd NRestarts)
    echo "WatchdogUSec=$(show herd WatchdogUSec); master $master; $(show herd StatusText)"
    mark=$(cursor)
    in_ct kill -STOP "$master"
    stopped_at=$(now_ms)
    restarted() {
        [[ "$(show herd MainPID)" != "$master" && "$(show herd MainPID)" != 0 &&
            "$(show herd NRestarts)" -gt "$restarts" && "$(in_ct systemctl is-active herd)" == active ]]
    }
    poll 120 restarted || { echo "not restarted"; journal "$mark" | tail -n 20; return 1; }
    journal "$mark" | grep -E 'Watchdog|watchdog|Main process exited|Scheduled restart|Started|all [0-9]+ workers ready'
    echo "new master $(show herd MainPID), NRestarts=$(show herd NRestarts), active again" \
        "$(($(now_ms) - stopped_at)) ms after the SIGSTOP"
    if in_ct kill -0 "$master" 2>/dev/null; then
        echo "the stopped master $master is still there"
        return 1
    fi
    in_ct rm -r /etc/systemd/system/herd.service.d
    in_ct systemctl daemon-reload
    [[ "$(journal "$mark")" == *"Watchdog timeout"* ]] && echo_client 60
}
check "the watchdog (WatchdogSec=5s in a drop-in) restarts a SIGSTOPped master" check_watchdog

check "systemctl stop leaves no process of user herd; herd.socket keeps listening" check_stop

check_reactivation() {
    echo_client 120 || return 1
    poll 120 service_active || { echo "herd.service did not become active"; return 1; }
    echo "herd.service: active (main pid $(show herd MainPID))"
}
check "the next connection activates herd again" check_reactivation

# Several apps on one host: herd@.service instances a and b beside herd.service, one worker each. a takes its port
# from herd@a.socket (the drop-in that herd@.socket's comment shows), b binds the "listen" of its b.json itself.
say "instances (herd@.service): a on 9881 through herd@a.socket, b on 9882 bound by herd itself"
in_ct python3 - <<'EOF' || die "cannot write /etc/herd/a.json and b.json"
import json
config = json.load(open("/etc/herd/herd.json"))
for name, listen in (("a", "0.0.0.0:9881"), ("b", "127.0.0.1:9882")):
    config.update(workers=1, listen=listen)
    open(f"/etc/herd/{name}.json", "w").write(json.dumps(config, indent=2) + "\n")
EOF
in_ct sh -c 'install -d /etc/systemd/system/herd@a.socket.d &&
    printf "[Socket]\nListenStream=0.0.0.0:9881\n" >/etc/systemd/system/herd@a.socket.d/listen.conf &&
    systemctl daemon-reload' || die "cannot add herd@a.socket's drop-in"
sock_a=/run/herd-a/herd.sock
sock_b=/run/herd-b/herd.sock
herd_cli() { in_ct /usr/local/bin/herd "$@"; }
echo_at() { in_ct python3 /root/herd-test.py echo-at "$@"; }

check_instances() {
    local a b status_a status_b
    in_ct systemctl start herd@a.socket herd@a.service herd@b.service ||
        { in_ct systemctl status --no-pager herd@a herd@b; return 1; }
    a=$(show herd@a MainPID)
    b=$(show herd@b MainPID)
    echo "herd@a.service $(in_ct systemctl is-active herd@a) (master $a)," \
        "herd@a.socket $(in_ct systemctl is-active herd@a.socket); herd@b.service" \
        "$(in_ct systemctl is-active herd@b) (master $b); herd.service $(in_ct systemctl is-active herd)"
    in_ct journalctl --sync
    in_ct journalctl --no-pager -q -o short -u herd@a -u herd@b | grep 'listening on'
    echo_at 9881 60 && echo_at 9882 60 || return 1
    status_a=$(herd_cli -i a status) || { echo "herd -i a status failed"; return 1; }
    status_b=$(herd_cli --instance b status) || { echo "herd --instance b status failed"; return 1; }
    echo "herd -i a status:"
    head -n 3 <<<"$status_a" | indent
    echo "herd --instance b status:"
    head -n 3 <<<"$status_b" | indent
    [[ "$status_a" == *"master pid $a,"*"listening on 0.0.0.0:9881"* ]] &&
        [[ "$status_b" == *"master pid $b,"*"listening on 127.0.0.1:9882"* ]] &&
        [[ "$(in_ct journalctl --no-pager -q -o cat -u herd@a)" == *"socket from systemd"* ]] &&
        in_ct test -S "$sock_a" && in_ct test -S "$sock_b" && in_ct test -S /run/herd/herd.sock
}
check "two instances run beside herd.service, each on its own port and admin socket; herd -i NAME reaches each" \
    check_instances

check_instance_missing() {
    local out rc
    out=$(herd_cli -i c status 2>&1)
    rc=$?
    echo "herd -i c status: exit $rc: $out"
    ((rc == 3)) && [[ "$out" == "herd: no herd instance 'c' is running (no /run/herd-c; see systemctl status herd@c);"\
" running: a, b" ]]
}
check "herd -i with no such instance exits 3 and names the running ones" check_instance_missing

check_instance_reload() {
    local a_before b_before a_after b_after b_master
    a_before=$(worker_pids "$sock_a")
    b_before=$(worker_pids "$sock_b")
    b_master=$(show herd@b MainPID)
    in_ct systemctl reload herd@a || return 1
    a_after=$(worker_pids "$sock_a")
    b_after=$(worker_pids "$sock_b")
    echo "systemctl reload herd@a: a's workers $a_before -> $a_after; b's $b_before -> $b_after" \
        "(b's master $b_master -> $(show herd@b MainPID))"
    [[ -n "$a_after" && "$a_after" != "$a_before" && "$b_after" == "$b_before" ]] &&
        [[ "$(show herd@b MainPID)" == "$b_master" ]] && echo_at 9881 30 && echo_at 9882 30
}
check "systemctl reload herd@a replaces a's workers and leaves b's alone" check_instance_reload

check_instance_stop() {
    local a_master b_processes out rc pid
    a_master=$(show herd@a MainPID)
    b_processes="$(show herd@b MainPID) $(worker_pids "$sock_b")"
    in_ct systemctl stop herd@b || return 1
    out=$(herd_cli -i b status 2>&1)
    rc=$?
    echo "herd@b.service $(in_ct systemctl is-active herd@b); herd -i b status: exit $rc: $out"
    for pid in $b_processes; do
        in_ct kill -0 "$pid" 2>/dev/null && { echo "b's process $pid outlived its stop"; return 1; }
    done
    echo "b's master and worker ($b_processes) are gone; herd@a.service $(in_ct systemctl is-active herd@a)," \
        "master $(show herd@a MainPID)"
    ((rc == 3)) && [[ "$out" == *"; running: a" ]] && [[ "$(show herd@a MainPID)" == "$a_master" ]] &&
        ! in_ct test -e /run/herd-b && echo_at 9881 30 && herd_cli -i a status --ready
}
check "systemctl stop herd@b leaves a serving; b's runtime directory is gone" check_instance_stop

check_service_stop_keeps_instances() {
    in_ct systemctl stop herd.service || return 1
    echo "herd.service $(in_ct systemctl is-active herd);" \
        "/run/herd $(in_ct test -e /run/herd && echo is still there || echo removed)"
    herd_cli -i a status --ready && echo_at 9881 30
}
check "stopping herd.service (RuntimeDirectory=herd) leaves the instances' admin sockets" \
    check_service_stop_keeps_instances

# A worker's helpers after a SIGKILL of the master (issue 19, item 1). Outside systemd nothing of herd's is left to
# stop them (docs/reliability.md, "Strays"); under systemd the unit's control group must end them, so that the
# restarted unit can bind the port again.
say "strays: herd@s on 127.0.0.1:9883 (bound by herd), its worker hostile_socket_worker.py --helpers: four helpers" \
    "holding the socket (plain, ignoring SIGTERM, setsid, double-forked)"
in_ct python3 - <<'EOF' || die "cannot write /etc/herd/s.json"
import json
config = {"listen": "127.0.0.1:9883", "workers": 1, "gracefulTimeout": "10s",
          "worker": {"command": ["/usr/bin/python3", "/usr/local/lib/herd-test/hostile_socket_worker.py", "--helpers"]}}
open("/etc/herd/s.json", "w").write(json.dumps(config, indent=2) + "\n")
EOF

check_strays_after_master_kill() {
    local master restarts invocation helpers before pid killed_at gone_ms
    in_ct systemctl start herd@s || { in_ct systemctl status --no-pager herd@s; return 1; }
    master=$(show herd@s MainPID)
    restarts=$(show herd@s NRestarts)
    invocation=$(show herd@s InvocationID)
    # The worker prints "helpers: PID PID PID PID" once it has started them, before its READY=1.
    helpers_started() {
        helpers=$(in_ct journalctl --no-pager -q -o cat -u herd@s _SYSTEMD_INVOCATION_ID="$invocation" |
            grep -o 'helpers: [0-9 ]*' | tail -n 1 | cut -d' ' -f2-)
        [[ -n "$helpers" ]] || return 1
        for pid in $helpers; do
            [[ " $(unit_processes herd@s) " == *" $pid "* ]] || return 1
        done
    }
    poll 60 helpers_started || { echo "no helper of the worker in herd@s's cgroup: $(unit_processes herd@s)"; return 1; }
    before=$(unit_processes herd@s)
    echo "herd@s: master $master; its cgroup: $before (the master, its worker and the helpers $helpers)"
    in_ct ps -o pid,ppid,pgid,sid,cmd -p "$(tr ' ' , <<<"$before")" | indent
    in_ct kill -KILL "$master"
    killed_at=$(now_ms)
    # Every process that was in the cgroup, looked for anywhere in the container (a reaped pid is not reused so soon).
    all_gone() {
        for pid in $before; do
            in_ct kill -0 "$pid" 2>/dev/null && return 1
        done
        return 0
    }
    poll 60 all_gone || {
        echo "left 60 s after the master's SIGKILL:"
        for pid in $before; do in_ct ps -o pid=,ppid=,cmd= -p "$pid"; done
        return 1
    }
    gone_ms=$(($(now_ms) - killed_at))
    restarted() {
        [[ "$(show herd@s MainPID)" != "$master" && "$(show herd@s MainPID)" != 0 &&
            "$(show herd@s NRestarts)" -gt "$restarts" && "$(in_ct systemctl is-active herd@s)" == active ]]
    }
    poll 120 restarted || { echo "herd@s was not restarted"; in_ct systemctl status --no-pager herd@s; return 1; }
    echo "every one of them gone ${gone_ms} ms after the SIGKILL; herd@s restarted: master $(show herd@s MainPID)," \
        "NRestarts=$(show herd@s NRestarts), cgroup now $(unit_processes herd@s)"
    # What systemd did (its own lines carry no _SYSTEMD_INVOCATION_ID; this is herd@s's only unplanned exit).
    in_ct journalctl --sync
    in_ct journalctl --no-pager -q -o cat -u herd@s |
        grep -E 'Main process exited|Killing process|Failed with result|Scheduled restart' | indent
    # The new master bound 127.0.0.1:9883 itself: no process of the old pool holds the port.
    echo_at 9883 60 || return 1
    in_ct journalctl --no-pager -q -o cat -u herd@s _SYSTEMD_INVOCATION_ID="$(show herd@s InvocationID)" |
        grep -m 1 'listening on' | indent
}
check "a SIGKILL of herd@s's master: systemd ends its worker's helpers (plain, SIGTERM-deaf, setsid, double-forked) \
with the control group, and the restarted unit binds the port again" check_strays_after_master_kill

check_strays_stop() {
    local before pid
    before=$(unit_processes herd@s)
    in_ct systemctl stop herd@s || return 1
    for pid in $before; do
        in_ct kill -0 "$pid" 2>/dev/null && { echo "$pid outlived systemctl stop herd@s"; return 1; }
    done
    echo "systemctl stop herd@s: all of $before gone"
    ! in_ct python3 /root/herd-test.py listening 9883
}
check "systemctl stop herd@s leaves none of the restarted pool's processes, and nothing listens on 9883" check_strays_stop

say "== ${#passed[@]} passed, ${#failed[@]} failed (in $((SECONDS - started)) s)"
for name in "${failed[@]}"; do say "   failed: $name"; done
((${#failed[@]} == 0))
