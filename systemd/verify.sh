#!/usr/bin/env bash
# Checks herd.service and herd.socket, and the template units herd@.service and herd@.socket as an instance
# (herd@example, its socket's port in a drop-in as the unit's comment says), with `systemd-analyze verify` (works
# without systemd as PID 1).
# verify fails when ExecStart='s program does not exist, and /opt/herd/bin/herd exists only once installed; so it
# checks a copy of the units in a temporary directory with /opt/herd/ replaced by this checkout (or unpacked
# archive), whose bin/herd is the same launcher. Everything else is checked as shipped.
# verify exits 0 on warnings, so any output on stderr counts as a failure too.
set -euo pipefail
home=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze not found (Debian package systemd)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/herd-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
for unit in herd.service herd.socket herd@.service herd@.socket; do
    sed "s#/opt/herd/#$home/#g" "$home/systemd/$unit" >"$work/$unit"
done
# An instance's drop-in, found on the unit path (the trailing colon keeps the default directories after it).
mkdir "$work/herd@example.socket.d"
printf '[Socket]\nListenStream=127.0.0.1:9877\n' >"$work/herd@example.socket.d/listen.conf"
if ! SYSTEMD_UNIT_PATH="$work:" systemd-analyze verify --man=no "$work/herd.socket" "$work/herd.service" \
        "$work/herd@example.socket" "$work/herd@example.service" 2>"$work/stderr"; then
    echo "systemd-analyze verify failed:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
if [[ -s "$work/stderr" ]]; then
    echo "systemd-analyze verify warned:" >&2
    cat "$work/stderr" >&2
    exit 1
fi
echo "systemd-analyze verify: herd.service, herd.socket, herd@example.service and herd@example.socket OK ($(systemd-analyze --version | head -n 1))"
