#!/bin/sh
# make demo: the main job of nusimd on one machine, under var/demo/.
#
# Creates a demo PKI and a master key, starts nusimd (DTLS PSK only, state
# in var/demo/nusimd.db), loads the profile pools of carriers A and B,
# starts a fleet of simulated nuSIM devices on carrier A's addresses
# (127.0.1.x) over DTLS, plus a few that will fall back (no coverage on B)
# and a few asleep (queue mode), runs a campaign from a CSV that moves
# every device to carrier B with `nusimctl campaign watch`, prints the
# final counts and where the report is, and stops everything it started.
set -eu
cd "$(dirname "$0")/.."
B=$PWD/build
N=${DEMO_DEVICES:-200}       # the fleet
NFB=${DEMO_FALLBACK:-3}      # devices with no coverage on B: they fall back
NQ=${DEMO_ASLEEP:-3}         # queue-mode devices, asleep most of the time
D=var/demo
KEYBASE=00112233445566778899aabbccddeeff
CARRIERS="--carrier A=127.0.1.1-127.0.1.254 --carrier B=127.0.2.1-127.0.2.254"

pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for() { # FILE REGEX TENTHS: wait until FILE has a line matching REGEX
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt "$3" ]; then
			echo "demo: no '$2' in $1:" >&2
			tail -n 20 "$1" >&2
			exit 1
		fi
		sleep 0.1
	done
}

rm -rf "$D"
mkdir -p "$D"
echo "== nusimd demo: $N devices + $NFB that fall back + $NQ asleep, over DTLS; state in $D/"

echo "== the demo PKI (CI, DP, chip maker) in $D/pki, the master key in $D/nusimd.db.key"
$B/nusimd pki init --dir "$D/pki" >/dev/null
$B/nusimd migrate --db "$D/nusimd.db" >/dev/null 2>&1
NUSIMCTL_TOKEN=$($B/nusimd token create --db "$D/nusimd.db" --name demo --role operator)
export NUSIMCTL_TOKEN

$B/nusimd --db "$D/nusimd.db" --pki-dir "$D/pki" --coap off \
	--coaps 127.0.0.1:0 --http 127.0.0.1:0 --awake-time 8000 \
	--switch-reattach-timeout 25 2>"$D/nusimd.log" &
pids="$pids $!"
wait_for "$D/nusimd.log" 'msg=listening' 100
line=$(grep 'msg=listening' "$D/nusimd.log" | head -n 1)
COAPS=$(echo "$line" | sed -n 's/.*coaps=\([^ ]*\).*/\1/p')
HTTP=$(echo "$line" | sed -n 's/.*http=\([^ ]*\).*/\1/p')
NUSIMCTL_URL="http://$HTTP"
export NUSIMCTL_URL
echo "nusimd: CoAPs $COAPS, REST API $NUSIMCTL_URL/api/v1 (log: $D/nusimd.log)"

# Profiles of both carriers, and the single devices' identities, made up
# here: Luhn-valid ICCIDs, EIDs with their MOD 97-10 check digits.
python3 - "$D" "$N" "$NFB" "$NQ" <<'EOF'
import sys
d, n, nfb, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def luhn(body):
    t = 0
    for i, ch in enumerate(reversed(body)):
        k = int(ch) * (2 if i % 2 == 0 else 1)
        t += k - 9 if k > 9 else k
    return body + str((10 - t % 10) % 10)
total = n + nfb + nq
for carrier, code in (("A", 1), ("B", 2)):
    with open("%s/profiles-%s.csv" % (d, carrier), "w") as f:
        f.write("iccid,imsi,carrier,ki,opc\n")
        for i in range(1, total + 11):
            f.write("%s,0010%d%09d,%s,%032x,%032x\n" % (
                luhn("89880%d%012d" % (code, i)), code, i, carrier, i, i + code))
with open("%s/singles.txt" % d, "w") as f:
    for kind, count, base in (("fb", nfb, 900000), ("q", nq, 910000)):
        for i in range(1, count + 1):
            body = "89049032%022d" % (base + i)
            eid = body + "%02d" % (98 - int(body + "00") % 97)
            f.write("demo-%s-%d %s %s\n" % (kind, i, eid, kind))
EOF

echo "== carrier profile pools (nusimctl profiles import)"
$B/nusimctl profiles import "$D/profiles-A.csv" >/dev/null
$B/nusimctl profiles import "$D/profiles-B.csv" >/dev/null
$B/nusimctl carriers

echo "== provisioning the DTLS credentials (nusimctl devices add, and the fleet's CSV)"
$B/nusim-client fleet-credentials --count "$N" --prefix demo \
	--psk-key-base "$KEYBASE" >"$D/credentials.csv"
curl -sS -o /dev/null -w 'POST /api/v1/devices (text/csv): HTTP %{http_code}\n' \
	-H "Authorization: Bearer $NUSIMCTL_TOKEN" -H 'Content-Type: text/csv' \
	--data-binary @"$D/credentials.csv" "$NUSIMCTL_URL/api/v1/devices"
while read -r ep eid kind; do
	$B/nusimctl devices add --endpoint "$ep" --psk-identity "$ep" \
		--psk-key "$KEYBASE" >/dev/null
	$B/nusimd pki device --dir "$D/pki" --eid "$eid" >/dev/null
done <"$D/singles.txt"

echo "== starting the fleet on carrier A (127.0.1.x)"
# shellcheck disable=SC2086
$B/nusim-client fleet --server "coaps://$COAPS" --count "$N" --prefix demo \
	--psk-key-base "$KEYBASE" --pki-dir "$D/pki" $CARRIERS \
	--lifetime 600 --rate 200 2>"$D/fleet.log" &
pids="$pids $!"
while read -r ep eid kind; do
	extra="--no-coverage B --attach-timeout 5"
	[ "$kind" = q ] && extra="--queue --awake 10 --wake-every 12"
	# shellcheck disable=SC2086
	$B/nusim-client --server "coaps://$COAPS" --endpoint "$ep" \
		--psk-identity "$ep" --psk-key "$KEYBASE" --nusim-dir "$D/pki" \
		--eid "$eid" $CARRIERS --lifetime 600 $extra 2>"$D/$ep.log" &
	pids="$pids $!"
done <"$D/singles.txt"
wait_for "$D/fleet.log" 'msg=fleet-registered' 1200
grep -m 1 'msg=fleet-registered' "$D/fleet.log"
while read -r ep eid kind; do wait_for "$D/$ep.log" 'msg=registered' 300; done <"$D/singles.txt"
echo "all $((N + NFB + NQ)) devices registered on carrier A"

echo "== the campaign: every device to carrier B ($D/campaign.csv)"
{
	echo "endpoint,carrier"
	i=1
	while [ "$i" -le "$N" ]; do printf 'demo-%06d,B\n' "$i"; i=$((i + 1)); done
	while read -r ep eid kind; do echo "$ep,B"; done <"$D/singles.txt"
} >"$D/campaign.csv"
ID=$($B/nusimctl campaign create "$D/campaign.csv" --name "demo A to B" \
	--max-in-flight 40 --max-starts-per-s 50 --start --quiet)
echo "campaign $ID started; nusimctl campaign watch $ID:"
$B/nusimctl campaign watch "$ID" || true

echo "== final counts (nusimctl campaign show $ID)"
$B/nusimctl campaign show "$ID"
echo
$B/nusimctl carriers
$B/nusimctl campaign report "$ID" --output "$D/report.csv"
echo "== the report, one line per row: $D/report.csv"
head -n 4 "$D/report.csv"
grep -v ',done,' "$D/report.csv" | tail -n +2 | head -n 8 || true
echo "== done; stopping nusimd and the devices (logs stay in $D/)"
