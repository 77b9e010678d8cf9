#!/bin/sh
# Makes the Debian 12 base image localhost/nusimd-base:bookworm with
# mmdebstrap, for machines where no container registry is reachable, and
# imports it into the containers storage that buildah and podman share.
# Cached twice: nothing is done when the image exists, and the tarball is
# kept under var/cache/ so a wiped storage is refilled without a download.
# The mirror is the one this machine's apt uses (/etc/apt/sources.list*).
#
# usage: tools/mkbase.sh [--force]
# env:   BASE_IMAGE (localhost/nusimd-base:bookworm), IMAGE_CACHE (var/cache),
#        STORAGE_DRIVER (vfs)
set -eu
cd "$(dirname "$0")/.."

IMAGE=${BASE_IMAGE:-localhost/nusimd-base:bookworm}
CACHE=${IMAGE_CACHE:-var/cache}
DRIVER=${STORAGE_DRIVER:-vfs}
TAR="$CACHE/nusimd-base-bookworm.tar"
PODMAN="podman --storage-driver $DRIVER"

[ "${1:-}" = --force ] && { rm -f "$TAR"; $PODMAN rmi -f "$IMAGE" >/dev/null 2>&1 || true; }

sh deploy/install-image-deps.sh

if $PODMAN image exists "$IMAGE"; then
	echo "mkbase: $IMAGE exists (tools/mkbase.sh --force remakes it)"
	exit 0
fi

# One "deb URI SUITE COMPONENTS" line per suite of the host's Debian
# sources, from the deb822 files and the one-line lists alike.
sources() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '
		function flush() {
			if (deb && uris != "" && suites != "")
				for (i = split(uris, u, " "); i > 0; i--)
					for (j = split(suites, s, " "); j > 0; j--)
						print "deb " u[i] " " s[j] " " comps
			deb = 0; uris = ""; suites = ""; comps = "main"
		}
		BEGIN { comps = "main" }
		/^[ \t]*$/ { flush(); next }
		/^#/ { next }
		tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		tolower($1) == "uris:" { $1 = ""; uris = $0 }
		tolower($1) == "suites:" { $1 = ""; suites = $0 }
		tolower($1) == "components:" { $1 = ""; comps = $0 }
		END { flush() }' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -n 's/^[ \t]*deb[ \t]\+\(\[[^]]*\][ \t]\+\)\?/deb /p'
}
# Only Debian's own archive: third-party repositories stay out of the image.
MIRRORS=$(sources | awk '$3 ~ /^bookworm(-updates|-security)?$/ { $1 = ""; sub(/^ /, ""); print }' | sort -u)
if [ -z "$MIRRORS" ]; then
	echo "mkbase: no bookworm entry in /etc/apt/sources.list*" >&2
	exit 1
fi

mkdir -p "$CACHE"
if [ ! -s "$TAR" ]; then
	echo "mkbase: mmdebstrap bookworm from:" >&2
	echo "$MIRRORS" | sed 's/^/  deb /' >&2
	# The base image's apt uses the same mirror lines, so the Dockerfile's
	# apt-get works where this machine's does. Docs, man pages and locales
	# are left out: the storage driver copies every layer in full.
	set --
	while IFS= read -r line; do set -- "$@" "deb $line"; done <<-LINES
	$MIRRORS
	LINES
	mmdebstrap --variant=minbase --mode=root --format=tar \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--aptopt='APT::Install-Recommends "false"' \
		bookworm "$TAR.tmp" "$@"
	mv "$TAR.tmp" "$TAR"
fi
echo "mkbase: importing $TAR as $IMAGE" >&2
$PODMAN import --change 'CMD ["/bin/bash"]' "$TAR" "$IMAGE" >/dev/null
echo "mkbase: $IMAGE ready"
