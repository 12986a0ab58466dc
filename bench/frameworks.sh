#!/usr/bin/env bash
# A real app under herd (1 worker) against the same jar under java -jar (issue 18): Spring Boot 4.1 with herd's
# starter, Quarkus through herd's agent. Needs the apps built (mvn -B -DskipTests package) and wrk. Not run by CI.
#   bench/frameworks.sh [--rounds N] [--apps spring-boot4,quarkus]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 1; }
exec python3 "$here/frameworks.py" "$@"
