# make install / make uninstall (included by the Makefile):
#   make
#   sudo make install                                 # /usr/local
#   make install DESTDIR=$PWD/pkg PREFIX=/usr
#
#   $(DESTDIR)$(BINDIR)/synscope                 build/synscope, mode 0755
#   $(DESTDIR)$(MANDIR)/man8/synscope.8.gz       man/synscope.8, gzip -9n, mode 0644
#   $(DESTDIR)$(BASHCOMPDIR)/synscope            completion/synscope.bash, mode 0644
#
# The man page is installed gzipped, as Debian policy and most distributions
# ship them (gzip -n: no name or time stamp in it, so the same page gives
# the same bytes); man-db and mandoc read it as it is. bash-completion loads
# $(BASHCOMPDIR)/synscope the first time synscope is completed.
#
# install builds nothing: it installs what `make` left in build/ and fails,
# saying so, when that is missing. So `sudo make install` never compiles
# as root in the source tree.
# No capability is set on the binary (run it as root, or see synscope(8),
# PRIVILEGES: setcap cap_bpf,cap_net_admin+ep $(BINDIR)/synscope).
# tests/e2e/e2e_install.sh checks all of this in a DESTDIR.

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
BUILD       ?= build
INSTALL     ?= install
GZIP_MAN    ?= gzip -9n

PKG_BIN  := $(BUILD)/synscope
PKG_MAN  := man/synscope.8
PKG_COMP := completion/synscope.bash

.PHONY: install uninstall

install:
	@test -x $(PKG_BIN) || { echo "install: $(PKG_BIN) is missing: build it first with 'make'" >&2; exit 1; }
	$(INSTALL) -d -m 0755 '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(MANDIR)/man8' '$(DESTDIR)$(BASHCOMPDIR)'
	$(INSTALL) -m 0755 $(PKG_BIN) '$(DESTDIR)$(BINDIR)/synscope'
	$(GZIP_MAN) <$(PKG_MAN) >'$(DESTDIR)$(MANDIR)/man8/synscope.8.gz.tmp'
	chmod 0644 '$(DESTDIR)$(MANDIR)/man8/synscope.8.gz.tmp'
	mv -f '$(DESTDIR)$(MANDIR)/man8/synscope.8.gz.tmp' '$(DESTDIR)$(MANDIR)/man8/synscope.8.gz'
	$(INSTALL) -m 0644 $(PKG_COMP) '$(DESTDIR)$(BASHCOMPDIR)/synscope'

# Removes the three files only (and an uncompressed page an older install
# may have left); directories stay, they may hold others' files.
uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/synscope' \
	      '$(DESTDIR)$(MANDIR)/man8/synscope.8.gz' '$(DESTDIR)$(MANDIR)/man8/synscope.8' \
	      '$(DESTDIR)$(BASHCOMPDIR)/synscope'
