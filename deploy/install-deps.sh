#!/bin/sh
# Installs, from Debian 12's archive, what building and testing nusimd needs.
# Idempotent: packages already present are left alone. Run as root.
set -eu

BUILD="build-essential pkg-config libcoap3-dev libmicrohttpd-dev libjansson-dev
libcbor-dev libsqlite3-dev libssl-dev libcurl4-openssl-dev"
# Test tooling: libcoap's command-line client and server (interop and the
# CoAP ceiling in the benchmarks), the sqlite3 shell, curl, openssl, node/npm.
TEST="libcoap3-bin sqlite3 curl openssl ca-certificates nodejs npm python3"

missing=""
for p in $BUILD $TEST; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# node and npm may come from elsewhere than Debian; accept what is on PATH.
case "$missing" in *nodejs*) command -v node >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ nodejs//') ;; esac
case "$missing" in *npm*) command -v npm >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ npm//') ;; esac
case "$missing" in *python3*) command -v python3 >/dev/null 2>&1 && missing=$(echo "$missing" | sed 's/ python3//') ;; esac

[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
