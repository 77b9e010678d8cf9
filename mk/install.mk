# mk/install.mk: `make install-files PREFIX=... DESTDIR=...` puts on disk
# everything a packaged nusimd needs: the programs, their man pages (from
# --help), the SQL schema, the example configuration, and the systemd unit
# with its paths rewritten for PREFIX. It builds only the programs, not the
# tests, so the container build and packagers can use it as it is.
# The top-level `install: all` is meant to become `install: all install-files`.
#
#   SYSCONFDIR  /etc      configuration (nusimd/nusimd.conf, never overwritten)
#   UNITDIR     $(PREFIX)/lib/systemd/system; INSTALL_UNIT=no leaves it out
#   STATEDIR    /var/lib/nusimd, written into the installed configuration

SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
STATEDIR     ?= /var/lib/nusimd
INSTALL_UNIT ?= yes

INSTALL_BINDIR  := $(DESTDIR)$(PREFIX)/bin
INSTALL_SHARE   := $(DESTDIR)$(PREFIX)/share/nusimd
INSTALL_DOCDIR  := $(DESTDIR)$(PREFIX)/share/doc/nusimd
INSTALL_MANDIR  := $(DESTDIR)$(PREFIX)/share/man
INSTALL_ETCDIR  := $(DESTDIR)$(SYSCONFDIR)/nusimd

# One page per program: the daemon in section 8, the others in section 1.
MAN_PAGES = $(foreach p,$(notdir $(PROGS)),$(B)/man/$(p).$(if $(filter nusimd,$(p)),8,1))

$(B)/man/nusimd.8: $(B)/nusimd tools/mkman.sh
	@mkdir -p $(dir $@)
	sh tools/mkman.sh $< 8 "LwM2M server that switches the carrier of nuSIM devices" $@
$(B)/man/nusim-client.1: $(B)/nusim-client tools/mkman.sh
	@mkdir -p $(dir $@)
	sh tools/mkman.sh $< 1 "reference LwM2M client with a simulated nuSIM and a fleet mode" $@
$(B)/man/nusimctl.1: $(B)/nusimctl tools/mkman.sh
	@mkdir -p $(dir $@)
	sh tools/mkman.sh $< 1 "command-line client of the nusimd REST API" $@

# Paths in the unit and the configuration follow PREFIX, SYSCONFDIR and
# STATEDIR, so `PREFIX=/usr` gives a unit that points at /usr/bin/nusimd.
$(B)/deploy/nusimd.service: deploy/nusimd.service
	@mkdir -p $(dir $@)
	sed -e 's|/usr/local/bin/|$(PREFIX)/bin/|g' \
	    -e 's|/etc/nusimd/|$(SYSCONFDIR)/nusimd/|g' $< >$@
$(B)/deploy/nusimd.conf: deploy/nusimd.conf.example
	@mkdir -p $(dir $@)
	sed -e 's|/var/lib/nusimd/|$(STATEDIR)/|g' $< >$@

.PHONY: install-files
install-files: $(PROGS) $(MAN_PAGES) $(B)/deploy/nusimd.service $(B)/deploy/nusimd.conf
	install -d $(INSTALL_BINDIR) $(INSTALL_SHARE)/schema $(INSTALL_DOCDIR) \
	    $(INSTALL_MANDIR)/man1 $(INSTALL_MANDIR)/man8 $(INSTALL_ETCDIR)
	install -m 0755 $(PROGS) $(INSTALL_BINDIR)/
	install -m 0644 schema/*.sql $(INSTALL_SHARE)/schema/
	install -m 0644 $(filter %.1,$(MAN_PAGES)) $(INSTALL_MANDIR)/man1/
	install -m 0644 $(filter %.8,$(MAN_PAGES)) $(INSTALL_MANDIR)/man8/
	install -m 0644 deploy/nusimd.conf.example $(INSTALL_DOCDIR)/
	install -m 0644 $(wildcard docs/deploy.md README.md) $(INSTALL_DOCDIR)/
	install -m 0644 $(B)/deploy/nusimd.conf $(INSTALL_ETCDIR)/nusimd.conf.example
	@# An operator's configuration is never overwritten.
	test -e $(INSTALL_ETCDIR)/nusimd.conf || \
	    install -m 0644 $(B)/deploy/nusimd.conf $(INSTALL_ETCDIR)/nusimd.conf
ifeq ($(INSTALL_UNIT),yes)
	install -d $(DESTDIR)$(UNITDIR)
	install -m 0644 $(B)/deploy/nusimd.service $(DESTDIR)$(UNITDIR)/nusimd.service
endif
