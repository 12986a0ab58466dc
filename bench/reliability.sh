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

source "$here/driver.sh"

case " $* " in
    *" -h "* | *" --help "*) exec env PYTHONPATH="$here" python3 -m "herdrel.$module" "$@" ;;
esac

"$home/bin/herd" --version >/dev/null   # builds the jars when missing or older than the sources

run_driver env PYTHONPATH="$here" python3 -m "herdrel.$module" "$@"
