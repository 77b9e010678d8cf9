#!/bin/sh
# Writes a plain man page from a program's --help text, so every program
# ships a manual that cannot drift from its real options (help2man's idea,
# without the dependency). The help text goes in verbatim (no filling);
# roff's special characters are escaped.
#
# usage: tools/mkman.sh PROGRAM SECTION "one-line summary" OUT
# SOURCE_DATE_EPOCH, when set, fixes the date (reproducible builds).
set -eu
[ $# -eq 4 ] || { echo "usage: $0 PROGRAM SECTION SUMMARY OUT" >&2; exit 2; }
prog=$1 sect=$2 summary=$3 out=$4
name=$(basename "$prog")
upper=$(echo "$name" | tr '[:lower:]' '[:upper:]')
date=$(date -u ${SOURCE_DATE_EPOCH:+-d "@$SOURCE_DATE_EPOCH"} +%Y-%m-%d)
case $sect in 8) title="System Administration" ;; *) title="User Commands" ;; esac

help=$("$prog" --help) || { echo "mkman: $prog --help failed" >&2; exit 1; }
tmp="$out.tmp"
{
	printf '.TH %s %s "%s" "nusimd" "%s"\n' "$upper" "$sect" "$date" "$title"
	printf '.SH NAME\n%s \\- %s\n' "$name" "$summary"
	printf '.SH SYNOPSIS AND OPTIONS\n'
	printf 'This page is the output of \\fB%s \\-\\-help\\fR.\n' "$name"
	printf '.PP\n.nf\n'
	# Backslashes first, then lines that roff would read as requests.
	printf '%s\n' "$help" | sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/" -e 's/-/\\-/g'
	printf '.fi\n'
	printf '.SH SEE ALSO\n'
	case $name in
	nusimd) printf '\\fBnusim\\-client\\fR(1), /usr/share/doc/nusimd/nusimd.conf.example\n' ;;
	*) printf '\\fBnusimd\\fR(8)\n' ;;
	esac
} >"$tmp"
mv "$tmp" "$out"
