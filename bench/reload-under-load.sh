#!/usr/bin/env bash
# Errors seen by HTTP clients while the server is reloaded, restarted, scaled and has workers killed under load:
# bench/run.sh's zero-downtime section. Each phase is one `wrk -t2 -c64` run against 4 workers, with its
# actions spread over about DURATION seconds (an action that takes longer delays the next one):
#   herd      `bin/herd run --app http`: 10 reloads (SIGHUP), 10 `restart`s, `scale` 8, 2, 4 (admin socket),
#             SIGKILL of a random ready worker every 2 s (the master replaces it)
#   gunicorn  Debian's gunicorn, 4 sync workers, a one-line WSGI app: 10 reloads (SIGHUP)
#   nginx     Debian's nginx, 4 workers, `return 200`: 10 reloads (SIGHUP)
# It prints a table per phase: wrk's requests, req/s, non-2xx responses and socket errors (wrk counts a read
# error for each connection a server closes without having sent "Connection: close"), and the kill phase's
# open connections of the killed workers. A herd reload or restart under this load takes about 15 s here.
# Usage: bench/reload-under-load.sh [DURATION]   (seconds per phase, default 30)
# SERVERS="nginx gunicorn" limits the run to some servers; KEEP=1 keeps the logs (path printed). Not run by CI.
set -euo pipefail
servers=()
for server in ${SERVERS:-herd gunicorn nginx}; do
    servers+=("${server/#gunicorn/gunicorn-sync}")
done
exec "$(dirname "$0")/run.sh" --only zero-downtime --servers "$(IFS=,; echo "${servers[*]}")" \
    --zd-seconds "${1:-30}" --no-report ${KEEP:+--keep}
