#!/bin/sh
# compose-setup.sh: the one-shot `setup` service of deploy/compose.yaml,
# run in the nusimd image on the state volume before nusimd starts.
# Creates or upgrades the database (and its master key), then provisions
# the DTLS credentials of the simulated fleet: identity = endpoint name,
# key derived from FLEET_PSK_KEY_BASE exactly as `nusim-client fleet`
# derives it. Idempotent: `device add` replaces a device's credentials.
# The keys go from one program to the other through a pipe, never to a log.
set -eu
: "${FLEET_COUNT:=20}" "${FLEET_PREFIX:=fleet}"
: "${FLEET_PSK_KEY_BASE:?set FLEET_PSK_KEY_BASE (hex)}"

nusimd migrate
nusim-client fleet-credentials --count "$FLEET_COUNT" --prefix "$FLEET_PREFIX" \
	--psk-key-base "$FLEET_PSK_KEY_BASE" |
	tail -n +2 |
	while IFS=, read -r ep id key; do
		nusimd device add --log-level warn --endpoint "$ep" --psk-identity "$id" --psk-key "$key"
	done
echo "compose-setup: $FLEET_COUNT devices ${FLEET_PREFIX}-NNNNNN provisioned"
