#!/usr/bin/env bash
# herd, nginx and gunicorn side by side: start-up, stop, failover, memory, throughput, reloads under load, the
# admin channel and many workers; writes docs/benchmarks.md and docs/benchmarks-reload.png (issue 14).
#
#   bench/run.sh            everything, 5 runs per figure (about 25 minutes on the 2-core machine)
#   bench/run.sh --quick    a reduced set in under 2 minutes; writes bench/out/quick/benchmarks.md instead
#   bench/run.sh --help     every option (--only SECTIONS, --servers KINDS, --runs N, ...)
#
# It builds herd first when its jars are missing or stale (bin/herd does that: mvn -B -q -DskipTests package),
# installs the Debian packages it needs when one is missing, then runs the driver, bench/herdbench (Python 3,
# standard library only). Loopback only, ports 18000-18999. The driver makes itself a child subreaper in a session
# of its own and stops every process it started when it ends, fails or is interrupted (Ctrl+C, SIGTERM); should
# the driver itself die, this script stops whatever is left in the driver's session. Not run by CI.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
home=$(dirname "$here")

# command -> Debian package
declare -A packages=([wrk]=wrk [nginx]=nginx-light [gunicorn]=gunicorn [gnuplot]=gnuplot-nox
                     [hyperfine]=hyperfine [python3]=python3 [mvn]=maven [java]=openjdk-17-jdk-headless
                     [ps]=procps [lscpu]=util-linux)

install_missing() {
    local missing=() command
    for command in "${!packages[@]}"; do
        command -v "$command" >/dev/null || missing+=("${packages[$command]}")
    done
    ((${#missing[@]} == 0)) && return 0
    if [[ $(id -u) != 0 ]]; then
        echo "bench: missing: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
    echo "bench: installing ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

source "$here/driver.sh"

case " $* " in
    *" -h "* | *" --help "*) exec env PYTHONPATH="$here" python3 -m herdbench "$@" ;;
esac

install_missing
"$home/bin/herd" --version >/dev/null   # builds the jars when missing or older than the sources

run_driver env PYTHONPATH="$here" python3 -m herdbench --command-line "bench/run.sh${*:+ $*}" "$@"
