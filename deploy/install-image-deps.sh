#!/bin/sh
# Installs, from Debian 12's archive, what building and testing the container
# image needs: buildah (builds the Dockerfile without a daemon), podman (runs
# the image), podman-compose (runs deploy/compose.yaml), mmdebstrap (makes
# the Debian 12 base locally when no registry is reachable), runc (crun 1.8
# refuses hybrid cgroup hierarchies) and the network plugins podman uses
# rootful. Idempotent. Run as root.
set -eu

PKGS="buildah podman podman-compose mmdebstrap uidmap runc crun netavark
aardvark-dns containernetworking-plugins fuse-overlayfs slirp4netns curl
ca-certificates python3"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-image-deps: missing:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-image-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
