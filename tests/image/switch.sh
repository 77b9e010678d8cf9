# tests/image/switch.sh: the carrier-switch step of tests/image/run.sh,
# sourced by it (uses its $P, $NAME, $IMAGE, $VOL, $W, $BASE, $TOKEN,
# $COAPS, $CLIENT, $ULIMITS and its api function). Written against the
# switch API of DESIGN §7/§9 (POST /profiles, POST /devices/{ep}/switch,
# GET /jobs/{id}) and the simulated nuSIM's flags (--nusim-dir, --eid,
# --iccid, --carrier NAME=RANGE); run.sh calls it only when the image's
# nusimd has --pki-dir and the client has --nusim-dir.

SW_EP=img-sw1
SW_KEY=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')

# A 32-digit EID with its MOD 97-10 check digits, and Luhn-valid ICCIDs.
SW_EID=$(python3 -c 'b = "890490320000000000000000004242"; print(b + "%02d" % (98 - int(b + "00") % 97))')
luhn() {
	python3 -c 'import sys
d = sys.argv[1]
s = sum(int(c) if i % 2 else sum(divmod(2 * int(c), 10)) for i, c in enumerate(reversed(d)))
print(d + str((10 - s % 10) % 10))' "$1"
}
SW_ICCID_A=$(luhn 898824700000000001)
SW_ICCID_B=$(luhn 898824700000000002)

# Whether this build has the switch: the image's server and the host's client.
switch_supported() {
	$P run --rm --network none --no-healthcheck $ULIMITS "$IMAGE" --help 2>/dev/null |
		grep -q -- '--pki-dir' &&
		$CLIENT --help 2>&1 | grep -q -- '--nusim-dir'
}

# Before the daemon starts: the demo PKI and the device's nuSIM key on the
# state volume, made by the image's own CLI; the device's files are copied
# out for the host's client.
switch_prepare() {
	$P run --name "$NAME-pki" --network none --no-healthcheck $ULIMITS \
		-v "$VOL:/var/lib/nusimd" --entrypoint /bin/sh "$IMAGE" -c \
		"nusimd pki init --dir /var/lib/nusimd/pki && nusimd pki device --dir /var/lib/nusimd/pki --eid $SW_EID" \
		>"$W/pki.log" 2>&1 || return 1
	$P cp "$NAME-pki:/var/lib/nusimd/pki" "$W/pki" >>"$W/pki.log" 2>&1
	rc=$?
	# The host side needs the device's files and the CI public key, not
	# the CI, DP or CM private keys.
	rm -f "$W/pki/ci.key.pem" "$W/pki/dp.key.pem" "$W/pki/cm.key.pem"
	$P rm -f "$NAME-pki" >/dev/null 2>&1
	return $rc
}

# The switch itself: a device on carrier A moves to carrier B.
switch_run() {
	$P exec "$NAME" nusimd device add --endpoint "$SW_EP" --psk-identity "$SW_EP" \
		--psk-key "$SW_KEY" || { echo "device add failed"; return 1; }
	code=$(api POST /api/v1/profiles "{\"iccid\":\"$SW_ICCID_B\",\"imsi\":\"001010000000002\",\"carrier\":\"B\",\"ki\":\"000102030405060708090a0b0c0d0e0f\",\"opc\":\"0f0e0d0c0b0a09080706050403020100\"}")
	case $code in 2??) ;; *) echo "POST /profiles: HTTP $code"; cat "$W/body"; return 1 ;; esac
	$CLIENT --server "coaps://$COAPS" --endpoint "$SW_EP" --psk-identity "$SW_EP" \
		--psk-key "$SW_KEY" --eid "$SW_EID" --iccid "$SW_ICCID_A" --nusim-dir "$W/pki" \
		--carrier A=127.0.1.1-127.0.1.254 --carrier B=127.0.2.1-127.0.2.254 \
		--lifetime 120 >"$W/sw-client.out" 2>"$W/sw-client.log" </dev/null &
	sw_pid=$!
	i=0
	until [ "$(api GET "/api/v1/devices/$SW_EP")" = 200 ] && grep -q '"registered": *true' "$W/body"; do
		i=$((i + 1)); [ $i -gt 100 ] && { echo "$SW_EP never registered"; kill $sw_pid; return 1; }
		sleep 0.1
	done
	code=$(api POST "/api/v1/devices/$SW_EP/switch" '{"carrier":"B"}')
	[ "$code" = 202 ] || { echo "POST switch: HTTP $code"; cat "$W/body"; kill $sw_pid; return 1; }
	job=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["id"])' "$W/body")
	i=0 state=""
	while [ $i -lt 600 ]; do
		api GET "/api/v1/jobs/$job" >/dev/null
		state=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("state", ""))' "$W/body" 2>/dev/null)
		case $state in done | failed | rolled_back | timed_out | cancelled) break ;; esac
		sleep 0.1
		i=$((i + 1))
	done
	echo "job $job: $state"
	cat "$W/body"
	[ "$state" = done ] || { kill $sw_pid; return 1; }
	# Back on carrier B: registered from B's addresses, 508/1 the new ICCID.
	api GET "/api/v1/devices/$SW_EP" >/dev/null
	grep -q '"addr": *"127\.0\.2\.' "$W/body" || { echo "not re-attached from carrier B"; cat "$W/body"; kill $sw_pid; return 1; }
	code=$(api GET "/api/v1/devices/$SW_EP/lwm2m/508/0/1?timeout=10000")
	kill $sw_pid 2>/dev/null
	echo "508/0/1: HTTP $code $(cat "$W/body")"
	[ "$code" = 200 ] && grep -q "$SW_ICCID_B" "$W/body"
}
