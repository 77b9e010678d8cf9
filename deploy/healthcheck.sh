#!/bin/sh
# The container's HEALTHCHECK: GET /healthz on the REST API address nusimd
# was given (NUSIMD_HTTP), with a wildcard host replaced by loopback.
# Exit 0 healthy, 1 not (Docker's convention).
set -eu
addr=${NUSIMD_HTTP:-127.0.0.1:8080}
port=${addr##*:}
host=${addr%:*}
case $host in
0.0.0.0 | "") host=127.0.0.1 ;;
"[::]") host="[::1]" ;;
esac
exec curl -fsS -o /dev/null --max-time 3 "http://$host:$port/healthz"
