#!/bin/sh
# tests/image/run.sh (make image-test): the container image really runs.
# Starts localhost/nusimd:dev with podman (host network, loopback ports, a
# state volume, NUSIMD_* settings), waits for /healthz, creates a token and
# a device's credentials with the image's own CLI, registers a simulated
# device from the host's build/nusim-client over DTLS, reads it through the
# REST API, switches its carrier when this build has the switch, restarts
# on the same volume (the state survives), and stops with SIGTERM (exit 0,
# promptly); then runs tests/image/compose.sh (deploy/compose.yaml with a
# fleet). Ends with "N passed, N failed"; exit 1 on any failure.
#
# env: IMAGE (localhost/nusimd:dev), STORAGE_DRIVER (vfs), OCI_RUNTIME
#      (runc if installed: crun 1.8 refuses the hybrid cgroup layout some
#      VMs have), KEEP=1 keeps the work directory.
set -u
cd "$(dirname "$0")/../.."

IMAGE=${IMAGE:-localhost/nusimd:dev}
DRIVER=${STORAGE_DRIVER:-vfs}
RUNTIME=${OCI_RUNTIME:-$(command -v runc >/dev/null 2>&1 && echo runc || echo crun)}
P="podman --storage-driver $DRIVER --runtime $RUNTIME"
CLIENT=build/nusim-client
W=$(mktemp -d /tmp/nusimd-image-test.XXXXXX)
NAME=nusimd-image-test-$$
VOL=nusimd-image-test-$$
EP=img-dev1
PSK_KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
START=$(date +%s)

pass=0 fail=0 skip=0 client_pid=""
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && sed 's/^/     | /' "$2" | tail -n 15; }
skipped() { skip=$((skip + 1)); echo "SKIP $1"; }

cleanup() {
	[ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null
	$P rm -f -t 0 "$NAME" >/dev/null 2>&1
	$P volume rm -f "$VOL" >/dev/null 2>&1
	if [ "${KEEP:-0}" = 1 ] || [ "$fail" -gt 0 ]; then
		echo "work directory kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# Some sandboxes deny raising rlimits even to root (no CAP_SYS_RESOURCE):
# ask for the limits the caller already has instead of podman's defaults.
NOFILE=$(ulimit -Hn)
[ "$NOFILE" = unlimited ] && NOFILE=1048576
ULIMITS="--ulimit nofile=$NOFILE:$NOFILE --ulimit nproc=4096:4096"

free_tcp_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_container LOGNAME: runs the image detached; the podman CLI's own
# diagnostics (no systemd for healthcheck timers here) go to a file.
start_container() {
	$P run -d --name "$NAME" --network host $ULIMITS \
		-v "$VOL:/var/lib/nusimd" \
		-e NUSIMD_HTTP="127.0.0.1:$HTTP_PORT" \
		-e NUSIMD_COAP=127.0.0.1:0 -e NUSIMD_COAPS=127.0.0.1:0 \
		-e NUSIMD_LOG_LEVEL=info -e NUSIMD_PKI_DIR=/var/lib/nusimd/pki \
		"$IMAGE" >"$W/$1.cid" 2>"$W/$1.podman.log"
}

# wait_log REGEX SECONDS: polls the container's log for a line.
wait_log() {
	i=0
	while [ $i -lt $(($2 * 10)) ]; do
		$P logs "$NAME" >"$W/nusimd.log" 2>&1
		grep -q "$1" "$W/nusimd.log" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# api METHOD PATH [BODY]: HTTP status to stdout, body to $W/body.
api() {
	curl -sS -o "$W/body" -w '%{http_code}' --max-time 30 -X "$1" \
		-H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
		${3:+--data-binary "$3"} "$BASE$2" 2>>"$W/curl.log"
}

# stop_container WHAT: SIGTERM through podman stop; exit 0 within 10 s.
stop_container() {
	t0=$(date +%s)
	$P stop -t 10 "$NAME" >/dev/null 2>>"$W/podman.log"
	dt=$(($(date +%s) - t0))
	code=$($P inspect "$NAME" --format '{{.State.ExitCode}}' 2>/dev/null)
	$P logs "$NAME" >"$W/nusimd.log" 2>&1
	if [ "$code" = 0 ] && [ $dt -lt 10 ] && grep -q 'msg=stopping signal=SIGTERM' "$W/nusimd.log"; then
		ok "$1: SIGTERM stops nusimd with exit 0 in ${dt}s"
	else
		bad "$1: SIGTERM stop: exit code '$code' after ${dt}s" "$W/nusimd.log"
	fi
	$P rm -f "$NAME" >/dev/null 2>&1
}

echo "== image test of $IMAGE (podman, $DRIVER storage, $RUNTIME)"
[ -x "$CLIENT" ] || { echo "FAIL $CLIENT missing (make $CLIENT)"; echo "0 passed, 1 failed"; exit 1; }

# -- the image's metadata: what the issue asks of it.
meta=$($P image inspect "$IMAGE" --format \
	'{{.Config.User}}|{{json .Config.ExposedPorts}}|{{json .Config.Volumes}}|{{json .Config.Healthcheck}}|{{json .Config.Entrypoint}}|{{.Config.StopSignal}}' 2>"$W/inspect.log")
echo "$meta" >"$W/meta"
if echo "$meta" | grep -q '^nusimd|' && echo "$meta" | grep -q '5683/udp' &&
	echo "$meta" | grep -q '5684/udp' && echo "$meta" | grep -q '8080/tcp' &&
	echo "$meta" | grep -q '/var/lib/nusimd' && echo "$meta" | grep -q 'nusimd-healthcheck' &&
	echo "$meta" | grep -q '/usr/local/bin/nusimd'; then
	ok "image metadata: user nusimd, ports, volume, HEALTHCHECK, ENTRYPOINT"
else
	bad "image metadata: $meta" "$W/inspect.log"
fi
if $P run --rm --network none --no-healthcheck $ULIMITS --entrypoint /bin/sh "$IMAGE" -c \
	'if dpkg-query -W -f="\${Package}\n" | grep -- "-dev$"; then exit 1; fi; if command -v cc; then exit 1; fi; exit 0' >"$W/devpkgs" 2>&1; then
	ok "runtime stage carries no -dev packages and no compiler"
else
	bad "runtime stage has build tools" "$W/devpkgs"
fi

# -- the switch needs a PKI on the volume before the daemon starts.
. tests/image/switch.sh
SWITCH=0
if switch_supported; then
	if switch_prepare; then
		SWITCH=1
		ok "pki init and pki device with the image's CLI on the volume"
	else
		bad "pki init / pki device in the image" "$W/pki.log"
	fi
fi

# -- start, /healthz, the HEALTHCHECK command itself.
HTTP_PORT=$(free_tcp_port)
BASE="http://127.0.0.1:$HTTP_PORT"
TOKEN=""
if start_container first && wait_log 'msg=listening' 20; then
	ok "container starts (non-root, state volume $VOL)"
else
	bad "container did not start" "$W/nusimd.log"
	cat "$W/first.podman.log"
	echo "$pass passed, $fail failed"
	exit 1
fi
line=$(grep 'msg=listening' "$W/nusimd.log" | tail -n 1)
COAPS=$(echo "$line" | sed -n 's/.*coaps=\([^ ]*\).*/\1/p')
code=$(curl -s -o "$W/healthz" -w '%{http_code}' --max-time 5 "$BASE/healthz")
[ "$code" = 200 ] && ok "GET /healthz answers 200" || bad "GET /healthz: HTTP $code" "$W/healthz"
if $P healthcheck run "$NAME" >"$W/hc.log" 2>&1; then
	ok "the image's HEALTHCHECK reports healthy"
else
	bad "HEALTHCHECK: $(cat "$W/hc.log")"
fi
uid=$($P exec "$NAME" id -u 2>/dev/null)
[ -n "$uid" ] && [ "$uid" != 0 ] && ok "nusimd runs as uid $uid, not root" || bad "nusimd runs as uid '$uid'"

# -- the image's CLI on the live volume: a token and a device's PSK.
TOKEN=$($P exec "$NAME" nusimd token create --name image-test --role admin 2>"$W/token.err")
if echo "$TOKEN" | grep -q '^[^ ]\{16,\}$'; then
	ok "nusimd token create inside the container"
else
	bad "token create: '$TOKEN'" "$W/token.err"
fi
if $P exec "$NAME" nusimd device add --endpoint "$EP" --psk-identity "$EP" \
	--psk-key "$PSK_KEY" >"$W/device.log" 2>&1; then
	ok "nusimd device add inside the container"
else
	bad "device add" "$W/device.log"
fi

# -- a simulated device from the host registers over DTLS.
$CLIENT --server "coaps://$COAPS" --endpoint "$EP" --psk-identity "$EP" \
	--psk-key "$PSK_KEY" --lifetime 120 >"$W/client.out" 2>"$W/client.log" </dev/null &
client_pid=$!
registered=0
i=0
while [ $i -lt 100 ]; do
	if [ "$(api GET "/api/v1/devices/$EP")" = 200 ] && grep -q '"registered": *true' "$W/body"; then
		registered=1
		break
	fi
	sleep 0.1
	i=$((i + 1))
done
[ $registered = 1 ] && ok "nusim-client registers over DTLS; the API shows it registered" ||
	bad "registration not seen via GET /api/v1/devices/$EP" "$W/client.log"
code=$(api GET "/api/v1/devices/$EP/lwm2m/3/0?timeout=10000")
if [ "$code" = 200 ] && grep -q '"' "$W/body"; then
	ok "Read /3/0 through the REST API reaches the device"
else
	bad "Read /3/0: HTTP $code" "$W/body"
fi

# -- the carrier switch. It is being built in parallel; this step runs
# only when this build's API and client have it, and says so otherwise.
if [ $SWITCH = 1 ]; then
	if switch_run >"$W/switch.log" 2>&1; then
		ok "carrier switch A -> B completes: job done, re-attached from B, 508/1 = new ICCID"
	else
		bad "carrier switch" "$W/switch.log"
	fi
else
	skipped "carrier switch: this build has no nusimd --pki-dir and/or no nusim-client --nusim-dir yet (the switch is being built)"
fi
kill "$client_pid" 2>/dev/null
wait "$client_pid" 2>/dev/null
client_pid=""

stop_container "first run"

# -- a new container on the same volume: the database, its master key and
# the token survive; the old device is still provisioned.
if start_container second && wait_log 'msg=listening' 20; then
	code=$(api GET "/api/v1/devices/$EP")
	if [ "$code" = 200 ] && grep -q '"provisioned": *true' "$W/body"; then
		ok "state survives on the volume: token and device after a new container"
	else
		bad "after restart on the volume: HTTP $code" "$W/body"
	fi
	stop_container "second run"
else
	bad "second container did not start" "$W/nusimd.log"
fi

# -- deploy/compose.yaml with the same image: the fleet over a network.
sh tests/image/compose.sh 2>&1 | tee "$W/compose.out"
cp_=$(tail -n 1 "$W/compose.out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
if [ -n "$cp_" ]; then
	pass=$((pass + ${cp_% *}))
	fail=$((fail + ${cp_#* }))
else
	bad "tests/image/compose.sh printed no summary"
fi

echo "image test took $(($(date +%s) - START))s; $skip skipped"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
