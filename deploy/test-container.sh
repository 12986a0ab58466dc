#!/usr/bin/env bash
# herd's container image and Kubernetes manifests, verified with podman: builds the image from
# deploy/container/Containerfile (herd's distribution archive and the example app, docs/example-app) on a local
# Debian 12 base (no registry is reachable), runs it (herd is PID 1, as a non-root user, mapping the class-data
# archive the build made; `herd upgrade` under load keeps the same PID 1, which still reaps orphans; SIGTERM stops it
# with exit 0), then plays deploy/kubernetes/herd.yaml with
# `podman kube play` and checks the probes, serving, the pod's securityContext as herd's process has it, a worker's
# crash, a reload under keep-alive load and a stop with requests in flight.
#
# Usage (as root): deploy/test-container.sh
# Environment:
#   HERD_TEST_CACHE   the cached Debian root file system (shared with systemd/test-under-systemd.sh) and this
#                     test's own podman storage, where the base image stays between runs (default /var/cache/herd-test)
#   HERD_TEST_MIRROR  the Debian mirror for debootstrap (default http://deb.debian.org/debian)
# Exit status: 0 every check passed, 1 a check or the setup failed, 77 skipped (the reason is printed): not Linux,
# not root (or root of a user namespace only), or podman, runc, debootstrap or /usr/bin/python3 missing.
#
# podman runs with runc and cgroupfs (crun fails on these hosts' hybrid cgroups) and without default ulimits, from
# a containers.conf of its own, and on a storage of its own under the cache: the base image (the imported root file
# system) is kept there for the next run; every other image, container and pod the script makes is removed on exit,
# on failure and on Ctrl+C alike.
set -uo pipefail

home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
suite=bookworm
# The systemd test's package list, so that both tests share one cached root file system.
packages=systemd,systemd-sysv,dbus,procps,python3,openjdk-17-jre-headless
mirror=${HERD_TEST_MIRROR:-http://deb.debian.org/debian}
cache=${HERD_TEST_CACHE:-/var/cache/herd-test}
image=localhost/herd-example-app:0.1.0 # the name deploy/kubernetes/herd.yaml gives
manifest=$home/deploy/kubernetes/herd.yaml
pod=herd-example-pod-0                  # podman kube play names a Deployment's pod NAME-pod-0
ctr=$pod-app
stop_seconds=40                         # podman pod stop -t: more than gracefulTimeout (25 s)

started=$SECONDS
run=""
child=""
partial=""
made_image=no
plain=""
played=no
passed=()
failed=()

# shellcheck source=../systemd/test-lib.sh
source "$home/systemd/test-lib.sh"
skip() {
    say "SKIP  herd in a container: $*"
    exit 77
}

[[ "$(uname -s)" == Linux ]] || skip "needs Linux"
((EUID == 0)) || skip "needs root (debootstrap, podman with runc and cgroupfs)"
[[ "$(awk '{ print $1, $2, $3; exit }' /proc/self/uid_map)" == "0 0 4294967295" ]] ||
    skip "runs in a user namespace (an unprivileged container?): rootful podman needs the host's root"
for tool in podman runc debootstrap; do
    command -v "$tool" >/dev/null || skip "$tool not found (Debian: apt-get install podman runc debootstrap)"
done
# The test client runs as /usr/bin/python3 (not a python3 first on PATH, such as a pyenv shim).
[[ -x /usr/bin/python3 ]] || skip "/usr/bin/python3 not found (Debian: apt-get install python3)"

storage=$cache/podman
runroot=/run/herd-test-podman
pm() { podman --root "$storage" --runroot "$runroot" "$@"; }

teardown() {
    local status=$? left
    trap - EXIT INT TERM
    if alive "$child"; then
        kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    [[ -n "$partial" ]] && remove_tree "$partial"
    if [[ -n "${CONTAINERS_CONF:-}" ]]; then
        [[ "$played" == yes ]] && pm kube down "$run/herd.yaml" >/dev/null 2>&1
        pm pod rm -f "$pod" >/dev/null 2>&1
        [[ -n "$plain" ]] && pm rm -f "$plain" >/dev/null 2>&1
        [[ "$made_image" == yes ]] && pm rmi -f "$image" >/dev/null 2>&1
        pm image prune -f >/dev/null 2>&1 # the build's dangling layers
        # What is left must be the cached base image only (and the pause image kube play builds itself).
        left=$(pm ps -a --format '{{.Names}}'; pm pod ls --format '{{.Name}}';
               pm images --format '{{.Repository}}:{{.Tag}}' | grep -v -e '^localhost/herd-test-base:' -e '^localhost/podman-pause:')
        if [[ -n "$left" ]]; then
            say "FAIL  teardown: left behind: $(echo $left)"
            status=1
        fi
        pm volume prune -f >/dev/null 2>&1
    fi
    [[ -n "$run" ]] && rm -rf "$run"
    say "== ${#passed[@]} passed, ${#failed[@]} failed (in $((SECONDS - started)) s)"
    for name in "${failed[@]}"; do say "   failed: $name"; done
    ((${#failed[@]} == 0)) || status=1
    exit "$status"
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

client() { /usr/bin/python3 "$home/deploy/container/test-client.py" "$@"; }

run=$(mktemp -d /var/tmp/herd-container-test.XXXXXX)
cat >"$run/containers.conf" <<'EOF'
[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
EOF
export CONTAINERS_CONF=$run/containers.conf
say "== herd in a container (podman $(podman --version | awk '{ print $3 }'), runc, cgroupfs)"

# What goes into the image: the archive and the example app, built when missing or older than their sources.
archive=$home/supervisor/target/herd-0.1.0.tar.gz
app=$home/docs/example-app/target
stale=""
[[ -f "$archive" && -f "$app/herd-example-app-0.1.0.jar" ]] &&
    stale=$(find "$home/pom.xml" "$home"/{config,worker-api,worker,supervisor}/src/main "$home/bin" \
                -newer "$archive" -type f -print -quit 2>/dev/null
            find "$home/docs/example-app" -path '*/target' -prune -o -newer "$app/herd-example-app-0.1.0.jar" \
                -type f -print -quit 2>/dev/null)
if [[ ! -f "$archive" || ! -f "$app/herd-example-app-0.1.0.jar" || -n "$stale" ]]; then
    say "building the archive and the example app (mvn -B -q -DskipTests package)"
    build_log=$run/package.log
    in_background mvn -B -q -DskipTests -f "$home/pom.xml" -pl supervisor,docs/example-app -am package \
        >"$build_log" 2>&1 || { tail -n 30 "$build_log" | indent; die "mvn package failed"; }
fi

# The base image: the cached Debian 12 root file system (with a JRE), imported once into this test's storage.
key=$(printf '%s %s %s\n' "$suite" minbase "$packages" | sha256sum | cut -c1-12)
rootfs=$cache/rootfs-$key
base=localhost/herd-test-base:$key
mkdir -p "$cache"
exec 9>"$cache/lock"
flock -w 900 9 || die "another run holds $cache/lock for more than 15 minutes"
if [[ -f "$rootfs/.complete" ]]; then
    say "rootfs: $rootfs (cached)"
else
    for partial in "$cache"/rootfs-*.partial; do remove_tree "$partial"; done
    partial=$rootfs.partial
    step=$SECONDS
    say "rootfs: building $rootfs (debootstrap --variant=minbase $suite from $mirror)"
    in_background debootstrap --variant=minbase --include="$packages" "$suite" "$partial" "$mirror" \
        >"$cache/debootstrap.log" 2>&1 || { tail -n 20 "$cache/debootstrap.log" | indent; die "debootstrap failed"; }
    rm -rf "$partial"/var/cache/apt/archives/*.deb "$partial"/var/lib/apt/lists/*_Packages
    touch "$partial/.complete"
    mv "$partial" "$rootfs"
    partial=""
    say "rootfs: built in $((SECONDS - step)) s"
fi
if pm image exists "$base"; then
    say "base image: $base (cached in $storage)"
else
    step=$SECONDS
    tar -C "$rootfs" --exclude=./.complete -c . |
        pm import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" \
            >/dev/null 2>&1 || die "podman import of $rootfs failed"
    say "base image: imported $base in $((SECONDS - step)) s"
fi
# Held to the end: one run at a time uses this storage and the pod's name.
pm pod rm -f "$pod" >/dev/null 2>&1

# The image
context=$run/context
mkdir -p "$context/app"
cp "$archive" "$context/"
cp "$app/herd-example-app-0.1.0.jar" "$context/app/"
cp -r "$app/lib" "$context/app/"
cp "$home/deploy/container/herd.json" "$context/herd.json"
step=$SECONDS
made_image=yes
pm build -q --build-arg BASE="$base" -f "$home/deploy/container/Containerfile" -t "$image" "$context" \
    >"$run/build.log" 2>&1 || { tail -n 30 "$run/build.log" | indent; die "podman build failed"; }
say "image: $image built in $((SECONDS - step)) s ($(pm image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }'))"

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# 0. The files as the docs show them
check_docs() {
    /usr/bin/python3 - "$manifest" "$home/deploy/container/herd.json" "$home/docs/deploy.md" <<'PY'
import json, re, sys
manifest, config, docs = (open(path).read() for path in sys.argv[1:])
shown = "```yaml\n" + manifest.rstrip("\n") + "\n```" in docs
print("docs/deploy.md shows deploy/kubernetes/herd.yaml as it is:", shown)
block = re.search(r"  herd.json: \|\n((?:    .*\n)+)", manifest).group(1)
same = json.loads(block) == json.loads(config)
print("the ConfigMap's herd.json is deploy/container/herd.json (the image's own):", same)
sys.exit(0 if shown and same else 1)
PY
}
check "docs/deploy.md shows the manifest as it is; the ConfigMap holds the image's herd.json" check_docs

# 1. The image alone, as `podman run` (or docker run) runs it
http_port=$(free_port)
probe_port=$(free_port)
plain=herd-test-run-$$
pm run -d --name "$plain" -p "127.0.0.1:$http_port:8080" -p "127.0.0.1:$probe_port:9100" "$image" >/dev/null ||
    die "podman run failed"
ready() { [[ "$(client get "http://127.0.0.1:$1/readyz")" == "200 "* ]]; }

check_pid1() {
    poll 120 ready "$probe_port" || { pm logs "$plain" | tail -n 20; return 1; }
    echo "podman exec $plain: $(pm exec "$plain" id)"
    echo "PID 1: $(pm exec "$plain" ps -o pid=,user=,comm= -p 1)"
    echo "PID 1's children (its workers; a class-data training run while one lasts): $(pm exec "$plain" ps -o pid=,ppid=,user= --ppid 1 | tr -s ' \n' ' ')"
    echo "PID 1 maps: $(pm exec "$plain" grep -o '/opt/herd[^ ]*/lib/class-data/[^ ]*' /proc/1/maps | sort -u)"
    echo "$(client get "http://127.0.0.1:$http_port/")"
    pm exec "$plain" grep -q 'lib/class-data/herd-17-.*\.jsa' /proc/1/maps &&
        [[ "$(pm exec "$plain" ps -o user= -p 1)" == herd && "$(pm exec "$plain" id -u)" == 10001 ]] &&
        [[ "$(pm exec "$plain" cat /proc/1/comm)" == java ]] &&
        [[ "$(client get "http://127.0.0.1:$http_port/")" == "200 hello from example worker-"* ]]
}
check "podman run: herd is PID 1 as user herd (uid 10001), maps the class-data archive of the build, serves" check_pid1

# herd upgrade with herd as PID 1: the re-executed master stays PID 1 (the same process: its start time in
# /proc/1/stat does not change), serves throughout, and still reaps the container's orphans.
plain_workers() { pm exec "$plain" ps -o pid= --ppid 1 | tr -s ' \n' ' ' | sed 's/^ //; s/ $//'; }
check_pid1_upgrade() {
    local started before after rc lrc out orphan
    started=$(pm exec "$plain" cut -d' ' -f22 /proc/1/stat)
    before=$(plain_workers)
    HERD_TEST_LOAD_STARTED=$run/upgrade-load.started \
        /usr/bin/python3 "$home/deploy/container/test-client.py" load "http://127.0.0.1:$http_port/" 4 120 \
        >"$run/upgrade-load.out" 2>&1 &
    local load=$!
    poll 30 test -s "$run/upgrade-load.started"
    out=$(pm exec "$plain" /opt/herd/bin/herd upgrade 2>&1)
    rc=$?
    kill -TERM "$load"
    wait "$load"
    lrc=$?
    after=$(plain_workers)
    echo "podman exec $plain herd upgrade: exit $rc: $(tr '\n' ' ' <<<"$out")"
    cat "$run/upgrade-load.out"
    echo "PID 1: $(pm exec "$plain" ps -o pid=,user=,comm= -p 1), started at tick $(pm exec "$plain" cut -d' ' -f22 /proc/1/stat)" \
        "(before: $started); workers before: $before; after: $after"
    pm logs "$plain" 2>&1 | grep -E 'master\[1\] (upgrade|listening on .*handed over)' | indent
    ((rc == 0 && lrc == 0)) || return 1
    [[ "$(pm exec "$plain" cut -d' ' -f22 /proc/1/stat)" == "$started" && "$(pm exec "$plain" cat /proc/1/comm)" == java ]] ||
        { echo "PID 1 is not the same herd master"; return 1; }
    for pid in $before; do [[ " $after " != *" $pid "* ]] || { echo "worker $pid was not replaced"; return 1; }; done
    # An orphan, as ContainerIT makes one: its parent (the exec'ed shell) exits first, so it is re-parented to PID 1,
    # which must reap it (nobody else would) once it exits.
    orphan=$(pm exec "$plain" sh -c 'sh -c "sleep 0.5; exit 7" >/dev/null 2>&1 & echo $!')
    reaped() { pm logs "$plain" 2>&1 | grep -q "master\[1\] reaped orphan process $orphan: "; }
    poll 30 reaped || { echo "orphan $orphan was not reaped by PID 1"; return 1; }
    echo "$(pm logs "$plain" 2>&1 | grep -o "master\[1\] reaped orphan process $orphan: .*")"
    echo "zombies under PID 1: $(pm exec "$plain" ps -o pid=,stat= --ppid 1 | awk '$2 ~ /Z/' | wc -l)"
    [[ -z "$(pm exec "$plain" ps -o pid=,stat= --ppid 1 | awk '$2 ~ /Z/')" ]] &&
        pm logs "$plain" 2>&1 | grep -q "master\[1\] reaped orphan process $orphan: exit 7"
}
check "podman exec herd upgrade under keep-alive load: PID 1 is the same herd (same start time), nothing lost, new \
workers; then PID 1 still reaps an orphan" check_pid1_upgrade

check_plain_stop() {
    pm stop -t "$stop_seconds" "$plain" >/dev/null || return 1
    echo "podman stop: exit code $(pm inspect -f '{{.State.ExitCode}}' "$plain")"
    pm logs "$plain" 2>&1 | grep -E 'master\[1\] (stopping|stopped|all)|exited: exit' | indent
    [[ "$(pm inspect -f '{{.State.ExitCode}}' "$plain")" == 0 ]] && pm logs "$plain" 2>&1 | grep -q 'master\[1\] stopped'
}
check "podman stop (SIGTERM) after the upgrade: herd drains and exits 0" check_plain_stop
pm rm -f "$plain" >/dev/null && plain=""

# 2. The Kubernetes manifests, played by podman
# podman 4.3's kube play has no --publish: it publishes a containerPort only where the manifest gives a hostPort.
# The played copy adds one per port, on 127.0.0.1 (what a Service's traffic would reach), and plays one replica
# (podman makes a pod per replica, and two could not bind one host port); nothing else changes.
http_port=$(free_port)
probe_port=$(free_port)
sed -e "s|^\( *\)containerPort: 8080$|&\n\1hostPort: $http_port\n\1hostIP: 127.0.0.1|" \
    -e "s|^\( *\)containerPort: 9100$|&\n\1hostPort: $probe_port\n\1hostIP: 127.0.0.1|" \
    -e "s|^\(  replicas:\) [0-9]*$|\1 1|" "$manifest" >"$run/herd.yaml"
say "kube play of deploy/kubernetes/herd.yaml; the played copy differs in:"
diff "$manifest" "$run/herd.yaml" | grep '^[<>]' | indent
played=yes
pm kube play "$run/herd.yaml" >"$run/play.log" 2>&1 || { indent <"$run/play.log"; die "podman kube play failed"; }
# podman turns the liveness probe into a healthcheck run by a systemd timer; without systemd as PID 1 it says so,
# as errors, and runs none (no probe of the manifest runs here: the test polls the endpoints itself).
grep -q 'systemd connection to add healthchecks' "$run/play.log" &&
    say "      (podman: no systemd here to time healthchecks: it runs none of the manifest's probes)"
grep -v -e 'healthchecks' -e 'failed to connect to syslog' -e '^$' "$run/play.log" | tr '\n' ' ' | indent
echo

check_readyz() {
    local answer last="" deadline=$((SECONDS + 120))
    # Every distinct answer of /readyz while the pod starts: refused (no master yet), 503 (workers starting), 200.
    while ((SECONDS < deadline)); do
        answer=$(client get "http://127.0.0.1:$probe_port/readyz" 2>&1)
        [[ "$answer" == "$last" ]] || echo "/readyz: $answer"
        last=$answer
        [[ "$answer" == "200 "* ]] && break
        sleep 0.2
    done
    [[ "$last" == "200 "* ]] || { pm logs "$ctr" | tail -n 20; return 1; }
    echo "/livez: $(client get "http://127.0.0.1:$probe_port/livez")"
    echo "/ on the published port: $(client get "http://127.0.0.1:$http_port/")"
    echo "config from the ConfigMap: $(pm exec "$ctr" grep -c readyMinimum /etc/herd/herd.json) readyMinimum line;" \
        "mounted: $(pm exec "$ctr" sh -c 'grep " /etc/herd " /proc/self/mountinfo | cut -d" " -f4-5')"
    [[ "$(client get "http://127.0.0.1:$probe_port/livez")" == "200 live"* ]] &&
        [[ "$(client get "http://127.0.0.1:$http_port/")" == "200 hello from example worker-"* ]]
}
check "kube play: the pod starts; /readyz turns 200, /livez is 200, the app serves on the published port" check_readyz

# The manifest's securityContext (Pod Security "restricted"), as the kernel sees herd's process: no_new_privs set
# (allowPrivilegeEscalation: false), no capability in its bounding or effective set (drop: [ALL]), a seccomp filter
# (mode 2), uid 10001.
check_security() {
    local status
    status=$(pm exec "$ctr" grep -E '^(Uid|NoNewPrivs|Seccomp|CapEff|CapBnd):' /proc/1/status) || return 1
    echo "PID 1: $(tr -s '\t\n' '  ' <<<"$status")"
    grep -qE '^Uid:\s+10001\s' <<<"$status" && grep -qE '^NoNewPrivs:\s+1$' <<<"$status" &&
        grep -qE '^Seccomp:\s+2$' <<<"$status" && grep -qE '^CapEff:\s+0+$' <<<"$status" &&
        grep -qE '^CapBnd:\s+0+$' <<<"$status"
}
check "the pod's securityContext holds: herd runs as uid 10001 with no_new_privs, no capabilities, a seccomp filter" \
    check_security

# The workers: herd's children that hold a slot (not the class-data training run, whose slot is "spare").
worker_pids() {
    pm exec "$ctr" ps -o pid=,args= --ppid 1 | grep -E -- '-Dherd\.worker\.slot=[0-9]' | awk '{print $1}' |
        tr -s ' \n' ' ' | sed 's/^ //; s/ $//'
}
app_archive() {
    pm exec "$ctr" sh -c 'ls /var/cache/herd/apps/ 2>/dev/null' | grep -E '^app-.*\.(jsa|aot)$' | head -n 1 |
        sed 's|^|/var/cache/herd/apps/|'
}
check_crash() {
    local before victim
    before=$(worker_pids)
    victim=${before%% *}
    pm exec "$ctr" kill -9 "$victim"
    echo "workers $before; kill -9 $victim"
    replaced() { [[ " $(worker_pids) " != *" $victim "* && "$(worker_pids | wc -w)" == 2 ]] && ready "$probe_port" &&
                 pm exec "$ctr" /opt/herd/bin/herd status --ready; }
    poll 120 replaced || { pm logs "$ctr" | tail -n 10; return 1; }
    pm logs "$ctr" 2>&1 | grep "(pid $victim)"
    echo "workers now $(worker_pids); $(pm exec "$ctr" /opt/herd/bin/herd status --ready)"
}
check "a worker killed with kill -9 inside the pod is replaced" check_crash

check_class_data() {
    has_archive() { [[ -n "$(app_archive)" ]]; }
    poll 180 has_archive || { pm logs "$ctr" 2>&1 | grep -i 'class' | tail -n 10; return 1; }
    pm logs "$ctr" 2>&1 | grep -E 'class-data: trained|classData' | indent
    echo "the app's archive, in the image's CACHE_DIRECTORY: $(app_archive)"
}
check "the app's class data is trained beside the pool into the image's cache directory (on by default)" \
    check_class_data

check_reload() {
    local before after
    before=$(worker_pids)
    # python itself in the background (not the client function's subshell), so that the TERM below reaches it.
    /usr/bin/python3 "$home/deploy/container/test-client.py" load "http://127.0.0.1:$http_port/" 4 120 \
        >"$run/load.out" 2>&1 &
    local load=$!
    poll 30 test -s "$run/load.started"
    pm exec "$ctr" /opt/herd/bin/herd reload
    local rc=$?
    kill -TERM "$load"
    wait "$load"
    local lrc=$?
    after=$(worker_pids)
    echo "herd reload: exit $rc; workers before: $before; after: $after"
    cat "$run/load.out"
    ((rc == 0 && lrc == 0)) || return 1
    for pid in $before; do [[ " $after " != *" $pid "* ]] || { echo "worker $pid was not replaced"; return 1; }; done
    # Started after the training: each new worker maps the app's archive.
    local archive
    archive=$(app_archive)
    [[ -n "$archive" ]] || { echo "no app archive"; return 1; }
    for pid in $after; do
        pm exec "$ctr" grep -q -F -- "$archive" "/proc/$pid/maps" || { echo "worker $pid does not map $archive"; return 1; }
    done
    echo "every new worker maps $archive"
}
export HERD_TEST_LOAD_STARTED=$run/load.started
check "herd reload inside the pod, under keep-alive load on the published port: nothing lost" check_reload

check_pod_stop() {
    local code
    # Requests in flight when the stop begins: each takes 3 s, sent on connections of their own.
    client inflight "http://127.0.0.1:$http_port/delay?ms=3000" 4 "http://127.0.0.1:$probe_port/metrics" >"$run/inflight.out" 2>&1 &
    local inflight=$!
    poll 30 test -s "$run/inflight.started" || { echo "the requests were not taken by workers within 30 s"; return 1; }
    # The app container first, as the kubelet stops it: SIGTERM, then SIGKILL after the grace period, with the pod's
    # network up all along. podman 4.3's pod stop takes the pod's port forwarding down while herd still drains
    # (seen here: four 3-second requests in flight, answered by herd, never reached the client).
    # (podman's complaint that it cannot remove a healthcheck timer it never had: no systemd here, see above)
    pm stop -t "$stop_seconds" "$ctr" >/dev/null 2>"$run/stop.err" || { cat "$run/stop.err"; return 1; }
    wait "$inflight"
    local irc=$?
    cat "$run/inflight.out"
    code=$(pm inspect -f '{{.State.ExitCode}}' "$ctr")
    echo "podman stop -t $stop_seconds $ctr: herd exited with $code"
    pm pod stop -t "$stop_seconds" "$pod" >/dev/null || return 1
    echo "podman pod stop -t $stop_seconds $pod: $(pm pod inspect -f '{{.State}}' "$pod")"
    pm logs "$ctr" 2>&1 | grep -E 'master\[1\] (stopping|stopped)|exited: exit' | indent
    ((irc == 0)) && [[ "$code" == 0 ]] && pm logs "$ctr" 2>&1 | grep -q 'master\[1\] stopped'
}
export HERD_TEST_INFLIGHT_STARTED=$run/inflight.started
check "stopping the pod: every request in flight finishes; herd exits 0" check_pod_stop
