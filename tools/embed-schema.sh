#!/bin/sh
# Turns schema/NNN_name.sql files into a C table (db/schema.h) so that
# nusimd carries its migrations inside the binary.
# usage: embed-schema.sh OUT.c schema/001_a.sql schema/002_b.sql ...
set -eu
out=$1; shift
{
	echo '/* Generated from the SQL files of schema/ by tools/embed-schema.sh. Do not edit. */'
	echo '#include "db/schema.h"'
	echo 'const struct schema_migration schema_migrations[] = {'
	for f in "$@"; do
		name=$(basename "$f" .sql)
		ver=$(expr "${name%%_*}" + 0)
		echo "	{ $ver, \"$name\","
		sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/	"/' -e 's/$/\\n"/' "$f"
		echo '	},'
	done
	echo '	{ 0, 0, 0 }'
	echo '};'
} >"$out.tmp"
mv "$out.tmp" "$out"
