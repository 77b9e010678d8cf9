# mk/image.mk: the container image, built and tested without a Docker
# daemon. `make image` builds deploy/Dockerfile with buildah (vfs storage,
# chroot isolation: no daemon, no overlay or cgroup delegation needed)
# against a Debian 12 base made locally by tools/mkbase.sh when none is
# given. `make image-test` builds it and runs tests/image/run.sh, which
# starts the image with podman and drives a real device against it.
# Layers are cached (--layers) in the shared containers storage, and the
# base tarball under var/cache/, so a second run rebuilds only what changed.

IMAGE          ?= localhost/nusimd:dev
IMAGE_BASE     ?= localhost/nusimd-base:bookworm
IMAGE_RUNTIME_BASE ?= $(IMAGE_BASE)
STORAGE_DRIVER ?= vfs
BUILDAH        ?= buildah --storage-driver $(STORAGE_DRIVER)

.PHONY: image image-base image-deps image-test install-test

image-deps:
	@sh deploy/install-image-deps.sh

# Only the locally made base needs making; a registry base is pulled by buildah.
image-base: image-deps
	@case "$(IMAGE_BASE)" in localhost/*) \
	    BASE_IMAGE=$(IMAGE_BASE) STORAGE_DRIVER=$(STORAGE_DRIVER) sh tools/mkbase.sh ;; esac

IMAGE_BUD = $(BUILDAH) bud --isolation chroot --layers --format docker \
	    --ulimit nofile=$$(ulimit -Hn):$$(ulimit -Hn) \
	    --build-arg BASE=$(IMAGE_BASE) --build-arg RUNTIME_BASE=$(IMAGE_RUNTIME_BASE) \
	    --ignorefile deploy/Dockerfile.dockerignore -f deploy/Dockerfile

# The build stage is tagged too ($(IMAGE)-build), so that pruning the
# untagged leftovers of earlier builds (vfs keeps a full copy of every
# layer: about 1 GB a rebuild) keeps the cached apt layers of this one.
image: image-base
	$(IMAGE_BUD) --target build -t $(IMAGE)-build .
	$(IMAGE_BUD) -t $(IMAGE) .
	$(BUILDAH) rmi --prune >/dev/null

# The device side runs from the host's build, against the image's server.
image-test: image $(B)/nusim-client
	IMAGE=$(IMAGE) STORAGE_DRIVER=$(STORAGE_DRIVER) sh tests/image/run.sh

# `make install-files` into a scratch DESTDIR, then systemd-analyze verify.
install-test: $(PROGS)
	sh tests/image/test_install.sh
