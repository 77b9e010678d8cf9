#!/bin/sh
# tests/image/test_install.sh (make install-test): `make install-files
# DESTDIR=<scratch> PREFIX=/usr` places everything the systemd unit needs,
# the installed unit passes `systemd-analyze verify` (any warning fails,
# since verify exits 0 on unknown keys) and its hardening scores well in
# `systemd-analyze security`, the installed configuration passes
# `nusimd check`, and the example configuration documents every key that
# `nusimd --help` lists. Ends with "N passed, N failed". INSTALL_PROGS
# overrides the Makefile's PROGS (the programs to build and install).
set -u
cd "$(dirname "$0")/../.."

D=$(mktemp -d /tmp/nusimd-install-test.XXXXXX)
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && sed 's/^/     | /' "$2" | tail -n 15; }
trap 'rm -rf "$D"' EXIT

command -v systemd-analyze >/dev/null 2>&1 || {
	echo "test_install: systemd-analyze missing: apt-get install systemd" >&2
	exit 1
}

if make -s -o deps install-files DESTDIR="$D/root" PREFIX=/usr ${INSTALL_PROGS:+"PROGS=$INSTALL_PROGS"} >"$D/make.log" 2>&1; then
	ok "make install-files DESTDIR=... PREFIX=/usr"
else
	bad "make install-files" "$D/make.log"
	echo "$pass passed, $fail failed"
	exit 1
fi
R=$D/root

missing=""
for f in usr/bin/nusimd usr/bin/nusim-client usr/lib/systemd/system/nusimd.service \
	usr/share/man/man8/nusimd.8 usr/share/man/man1/nusim-client.1 \
	etc/nusimd/nusimd.conf etc/nusimd/nusimd.conf.example \
	usr/share/doc/nusimd/nusimd.conf.example; do
	[ -e "$R/$f" ] || missing="$missing $f"
done
ls "$R"/usr/share/nusimd/schema/*.sql >/dev/null 2>&1 || missing="$missing schema"
[ -z "$missing" ] && ok "binaries, man pages, schema, configuration and unit installed" ||
	bad "missing after install:$missing"

grep -q '^ExecStart=/usr/bin/nusimd -c /etc/nusimd/nusimd.conf$' "$R/usr/lib/systemd/system/nusimd.service" &&
	ok "the installed unit runs PREFIX's nusimd with /etc/nusimd/nusimd.conf" ||
	bad "ExecStart not rewritten for PREFIX=/usr" "$R/usr/lib/systemd/system/nusimd.service"

# verify resolves the unit's dependencies (sysinit.target, ...) and checks
# that every command exists, inside --root: give the scratch root the
# host's stock units and /bin/kill (ExecReload), without replacing ours.
cp -an /usr/lib/systemd/system/. "$R/usr/lib/systemd/system/"
[ -e "$R/bin" ] || ln -s usr/bin "$R/bin"
[ -e "$R/usr/bin/kill" ] || cp /bin/kill "$R/usr/bin/kill"
MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" \
	/usr/lib/systemd/system/nusimd.service >"$D/verify.log" 2>&1
rc=$?
if [ $rc = 0 ] && [ ! -s "$D/verify.log" ]; then
	ok "systemd-analyze verify passes, without a warning"
else
	bad "systemd-analyze verify (exit $rc)" "$D/verify.log"
fi

# The control: a misspelt key must make the same check fail.
sed 's/^NoNewPrivileges=/NoNewPrivilegs=/' "$R/usr/lib/systemd/system/nusimd.service" \
	>"$R/usr/lib/systemd/system/nusimd-typo.service"
MANPATH=$R/usr/share/man systemd-analyze verify --root="$R" \
	/usr/lib/systemd/system/nusimd-typo.service >"$D/typo.log" 2>&1
[ -s "$D/typo.log" ] && ok "the verify check catches a misspelt key" ||
	bad "a misspelt key went unnoticed by the verify check"
rm -f "$R/usr/lib/systemd/system/nusimd-typo.service"

systemd-analyze security --offline=yes --root="$R" --threshold=20 nusimd.service \
	>"$D/security.log" 2>&1
rc=$?
score=$(sed -n 's/.*Overall exposure level for nusimd.service: \([0-9.]*\).*/\1/p' "$D/security.log")
if [ $rc = 0 ] && [ -n "$score" ]; then
	ok "systemd-analyze security: exposure $score (threshold 2.0)"
else
	bad "systemd-analyze security: exposure '$score'" "$D/security.log"
fi

for k in DynamicUser=yes StateDirectory=nusimd ProtectSystem=strict NoNewPrivileges=yes \
	'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' LimitNOFILE=; do
	grep -q "^$k" deploy/nusimd.service || missing_key="${missing_key:-} $k"
done
[ -z "${missing_key:-}" ] && ok "unit hardening directives present" ||
	bad "unit lacks:$missing_key"

# The installed configuration is valid, and names the StateDirectory db.
if "$R/usr/bin/nusimd" check -c "$R/etc/nusimd/nusimd.conf" >"$D/check.log" 2>&1 &&
	grep -q '^db = /var/lib/nusimd/nusimd.db$' "$R/etc/nusimd/nusimd.conf"; then
	ok "nusimd check -c /etc/nusimd/nusimd.conf"
else
	bad "nusimd check of the installed configuration" "$D/check.log"
fi
# Every key of --help is in the example, with its flag and its variable;
# uncommented, every key together still passes check.
"$R/usr/bin/nusimd" --help >"$D/help" 2>&1
undocumented=""
# (test hooks excepted; tools/mkconf.sh regenerates the example).
for k in $(awk '/TEST HOOK/ { skip = 1; next } skip { skip = 0; next } 1' "$D/help" | sed -n 's/^ *key \([a-z_]*\), env \(NUSIMD_[A-Z_]*\),.*/\1:\2/p'); do
	key=${k%%:*} env=${k#*:}
	grep -q "^#\{0,1\}$key =" deploy/nusimd.conf.example && grep -q "$env" deploy/nusimd.conf.example ||
		undocumented="$undocumented $key"
done
[ -z "$undocumented" ] && ok "nusimd.conf.example documents every key of nusimd --help" ||
	bad "keys missing from deploy/nusimd.conf.example (run tools/mkconf.sh):$undocumented"
sed -n 's/^#\([a-z_]* = .\)/\1/p; /^[a-z_]* = ./p' deploy/nusimd.conf.example >"$D/all.conf"
"$R/usr/bin/nusimd" check -c "$D/all.conf" >"$D/all.log" 2>&1 &&
	ok "every example value, uncommented, passes nusimd check" ||
	bad "example values rejected" "$D/all.log"

# A second install keeps an operator's configuration.
echo "log_level = debug" >>"$R/etc/nusimd/nusimd.conf"
make -s -o deps install-files DESTDIR="$R" PREFIX=/usr ${INSTALL_PROGS:+"PROGS=$INSTALL_PROGS"} >"$D/make2.log" 2>&1
grep -q '^log_level = debug' "$R/etc/nusimd/nusimd.conf" &&
	ok "a second install leaves /etc/nusimd/nusimd.conf alone" ||
	bad "a second install overwrote /etc/nusimd/nusimd.conf" "$D/make2.log"

if man -l "$R/usr/share/man/man8/nusimd.8" 2>/dev/null | grep -q -- '--coaps'; then
	ok "man nusimd(8) renders and lists the flags"
else
	bad "nusimd.8 does not render"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
