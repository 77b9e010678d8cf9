#!/bin/sh
# tests/image/compose.sh (part of make image-test): `compose up` of
# deploy/compose.yaml shows a working system: the setup service provisions
# the fleet, nusimd starts healthy, every simulated device registers over
# DTLS through the compose network, the REST API on the published port
# lists them, and `down` stops everything. Uses podman-compose with the
# image already built (NUSIMD_IMAGE), free host ports, and a private
# project name; cleans up what it created, anonymous volumes included.
# Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."

IMAGE=${IMAGE:-localhost/nusimd:dev}
DRIVER=${STORAGE_DRIVER:-vfs}
RUNTIME=${OCI_RUNTIME:-$(command -v runc >/dev/null 2>&1 && echo runc || echo crun)}
W=$(mktemp -d /tmp/nusimd-compose-test.XXXXXX)
PROJ=nusimdct$$
COUNT=8
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && sed 's/^/     | /' "$2" | tail -n 15; }

if ! command -v podman-compose >/dev/null 2>&1; then
	echo "compose test: podman-compose missing (deploy/install-image-deps.sh)"
	echo "0 passed, 1 failed"
	exit 1
fi

# podman-compose runs plain `podman`: give it the storage driver, the
# runtime and the rlimits run.sh passes as flags, through config files.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
printf '[storage]\ndriver = "%s"\nrunroot = "/run/containers/storage"\ngraphroot = "/var/lib/containers/storage"\n' \
	"$DRIVER" >"$W/storage.conf"
printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=4096:4096"]\n[engine]\nruntime = "%s"\n' \
	"$NOFILE" "$NOFILE" "$RUNTIME" >"$W/containers.conf"
export CONTAINERS_STORAGE_CONF="$W/storage.conf" CONTAINERS_CONF="$W/containers.conf"

free_port() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"
}
export NUSIMD_IMAGE="$IMAGE" FLEET_COUNT=$COUNT
export NUSIMD_HTTP_PORT=$(free_port tcp) NUSIMD_COAP_PORT=$(free_port udp) NUSIMD_COAPS_PORT=$(free_port udp)
export FLEET_PSK_KEY_BASE=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
PC="podman-compose -f deploy/compose.yaml -p $PROJ"

cleanup() {
	for c in $(podman ps -a -q --filter "label=io.podman.compose.project=$PROJ" 2>/dev/null); do
		podman rm -f -v "$c" >/dev/null 2>&1
	done
	for v in "${PROJ}_nusimd-state" $(cat "$W/volumes" 2>/dev/null); do
		podman volume rm -f "$v" >/dev/null 2>&1
	done
	podman network rm -f "${PROJ}_default" >/dev/null 2>&1
	[ "$fail" -gt 0 ] && echo "work directory kept: $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

echo "== compose test ($PROJ, API on 127.0.0.1:$NUSIMD_HTTP_PORT, $COUNT devices)"
if $PC up -d >"$W/up.log" 2>&1; then
	ok "compose up (setup, nusimd, fleet)"
else
	bad "compose up" "$W/up.log"
fi

# The setup service ran to completion and provisioned the fleet.
i=0
until podman logs "${PROJ}_setup_1" 2>/dev/null | grep -q "compose-setup: $COUNT devices"; do
	i=$((i + 1)); [ $i -gt 300 ] && break
	sleep 0.1
done
podman logs "${PROJ}_setup_1" >"$W/setup.log" 2>&1
code=$(podman inspect "${PROJ}_setup_1" --format '{{.State.ExitCode}}' 2>/dev/null)
grep -q "compose-setup: $COUNT devices" "$W/setup.log" && [ "$code" = 0 ] &&
	ok "setup provisioned $COUNT devices and exited 0" || bad "setup (exit '$code')" "$W/setup.log"

# Every device registers; seen through the published REST API port.
TOKEN=$(podman exec "${PROJ}_nusimd_1" nusimd token create --name compose --role admin 2>"$W/token.log")
n=0 i=0
while [ $i -lt 300 ]; do
	curl -s --max-time 5 -H "Authorization: Bearer $TOKEN" \
		"http://127.0.0.1:$NUSIMD_HTTP_PORT/api/v1/registrations?limit=100" >"$W/regs.json" 2>/dev/null
	n=$(grep -o '"endpoint": *"fleet-[0-9]*"' "$W/regs.json" | sort -u | wc -l)
	[ "$n" -ge $COUNT ] && break
	sleep 0.1
	i=$((i + 1))
done
podman logs "${PROJ}_fleet_1" >"$W/fleet.log" 2>&1
[ "$n" -ge $COUNT ] && ok "all $COUNT fleet devices registered over DTLS (GET /api/v1/registrations)" ||
	bad "$n of $COUNT devices registered" "$W/fleet.log"
code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$NUSIMD_HTTP_PORT/healthz")
[ "$code" = 200 ] && ok "GET /healthz on the published port" || bad "healthz: HTTP $code"

# The volumes of the project's containers (anonymous ones too: `down`
# leaves those behind), for the cleanup.
for c in $(podman ps -a -q --filter "label=io.podman.compose.project=$PROJ" 2>/dev/null); do
	podman inspect "$c" --format '{{range .Mounts}}{{.Name}} {{end}}' 2>/dev/null
done | tr ' ' '\n' | grep . | sort -u >"$W/volumes"

# stop first, so nusimd's exit status after SIGTERM can be read, then down.
$PC stop >"$W/stop.log" 2>&1
code=$(podman inspect "${PROJ}_nusimd_1" --format '{{.State.ExitCode}}' 2>/dev/null)
[ "$code" = 0 ] && ok "compose stop: nusimd exits 0 on SIGTERM" || bad "nusimd exit code '$code' after stop" "$W/stop.log"
$PC down >"$W/down.log" 2>&1 && ok "compose down" || bad "compose down" "$W/down.log"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
