# Shared by systemd/test-under-systemd.sh and deploy/test-container.sh (sourced, not run): output, polling, the
# children teardown can stop, and the PASS/FAIL bookkeeping. The sourcing script defines `passed` and `failed`
# (arrays), `child` and `run` (its scratch directory), and its own skip().

say() { printf '%s\n' "$*"; }
indent() { sed 's/^/      /'; }
die() {
    say "FAIL  setup: $*"
    failed+=("setup: $*")
    exit 1
}

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# remove_tree DIR: unmounts whatever is mounted inside DIR (deepest first: the overlay, or the proc and sys that an
# interrupted debootstrap left), then removes it without crossing into another file system.
remove_tree() {
    local mnt
    [[ -e "$1" ]] || return 0
    for mnt in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
        umount "$mnt" 2>/dev/null || umount --lazy "$mnt"
    done
    rm -rf --one-file-system "$1"
}

# poll SECONDS COMMAND...: until COMMAND succeeds, or fails after SECONDS.
poll() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}

# in_background COMMAND...: runs a long step as a child that teardown can stop; its exit status.
in_background() {
    setsid "$@" &
    child=$!
    wait "$child"
    local status=$?
    child=""
    return "$status"
}

# check NAME FUNCTION: runs one check; its output is shown indented under PASS or FAIL.
check() {
    local name=$1 out
    shift
    out=$(mktemp "$run/check.XXXXXX")
    if "$@" >"$out" 2>&1; then
        say "PASS  $name"
        passed+=("$name")
    else
        say "FAIL  $name"
        failed+=("$name")
    fi
    indent <"$out"
    rm -f "$out"
}
