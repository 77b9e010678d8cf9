#!/bin/sh
# make demo: a small working system on this machine, under var/.
# Starts nusimd on var/demo/nusimd.db (DTLS PSK on loopback), provisions a
# fleet of simulated devices through the REST API, starts the fleet on
# "carrier A" addresses (127.0.1.x), shows the registrations through the
# REST API, and stops everything it started.
set -eu
cd "$(dirname "$0")/.."
B=build
N=${DEMO_DEVICES:-50}
D=var/demo
rm -rf "$D"
mkdir -p "$D"

pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

echo "== nusimd demo: $N devices over DTLS, state in $D/nusimd.db"
$B/nusimd migrate --db "$D/nusimd.db" >/dev/null
TOKEN=$($B/nusimd token create --db "$D/nusimd.db" --name demo --role admin)

$B/nusimd --db "$D/nusimd.db" --coap 127.0.0.1:0 --coaps 127.0.0.1:0 \
	--http 127.0.0.1:0 2>"$D/nusimd.log" &
pids="$pids $!"
i=0
while ! grep -q 'msg=listening' "$D/nusimd.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$D/nusimd.log"; exit 1; }
	sleep 0.1
done
line=$(grep 'msg=listening' "$D/nusimd.log" | head -n 1)
COAPS=$(echo "$line" | sed -n 's/.*coaps=\([^ ]*\).*/\1/p')
HTTP=$(echo "$line" | sed -n 's/.*http=\([^ ]*\).*/\1/p')
API="http://$HTTP/api/v1"
echo "nusimd: CoAPs on $COAPS, REST API on $API (log: $D/nusimd.log)"

KEYBASE=00112233445566778899aabbccddeeff
$B/nusim-client fleet-credentials --count "$N" --prefix demo \
	--psk-key-base "$KEYBASE" >"$D/credentials.csv"
echo "== provisioning $N devices: POST $API/devices (text/csv)"
curl -sS -o "$D/provision.json" -w 'HTTP %{http_code}\n' \
	-H "Authorization: Bearer $TOKEN" -H 'Content-Type: text/csv' \
	--data-binary @"$D/credentials.csv" "$API/devices"

echo "== starting the fleet on 127.0.1.x (carrier A)"
$B/nusim-client fleet --server "coaps://$COAPS" --count "$N" --prefix demo \
	--psk-key-base "$KEYBASE" --bind-range 127.0.1.1-127.0.1.254 \
	2>"$D/fleet.log" &
pids="$pids $!"
i=0
while ! grep -q 'msg=fleet-registered' "$D/fleet.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 600 ] && { tail -n 20 "$D/fleet.log"; exit 1; }
	sleep 0.1
done
grep 'msg=fleet-registered' "$D/fleet.log" | head -n 1

echo "== GET $API/registrations?limit=5"
curl -sS -H "Authorization: Bearer $TOKEN" "$API/registrations?limit=5"
echo
echo "== GET $API/devices/demo-000001/lwm2m/3/0 (Read of the Device object)"
curl -sS -H "Authorization: Bearer $TOKEN" "$API/devices/demo-000001/lwm2m/3/0?timeout=5000"
echo
echo "== done; stopping nusimd and the fleet (logs stay in $D/)"
