# mk/install.mk — make install / make uninstall. Included by the Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=...] [SENDMAIL_LINKS=1]
#
# Installs $(B)/pinmail as $(PREFIX)/sbin/pinmail (mode 755), the manual
# pages pinmail(8) and pinmail.conf(5), and the example configuration as
# $(PREFIX)/share/doc/pinmail/pinmail.conf.example. Nothing is written to
# /etc: copy the example to /etc/pinmail.conf yourself. SENDMAIL_LINKS=1
# also makes sendmail, mailq and newaliases, relative symbolic links to
# pinmail beside it; a file of that name that is not already such a link is
# left alone and the install fails, rather than replace another MTA's
# program. DESTDIR is prepended to every path (for packaging).
#
# This file must not change the Makefile's default goal.
pm_saved_goal := $(.DEFAULT_GOAL)

B              ?= build
PREFIX         ?= /usr/local
DESTDIR        ?=
SBINDIR        ?= $(PREFIX)/sbin
MANDIR         ?= $(PREFIX)/share/man
DOCDIR         ?= $(PREFIX)/share/doc/pinmail
INSTALL        ?= install
SENDMAIL_LINKS ?= 0
PM_LINKS       := sendmail mailq newaliases

.PHONY: install uninstall

install: $(B)/pinmail man/pinmail.8 man/pinmail.conf.5 port/posix/pinmail.conf.example
	$(INSTALL) -d -m 755 "$(DESTDIR)$(SBINDIR)" "$(DESTDIR)$(MANDIR)/man8" \
	  "$(DESTDIR)$(MANDIR)/man5" "$(DESTDIR)$(DOCDIR)"
	$(INSTALL) -m 755 $(B)/pinmail "$(DESTDIR)$(SBINDIR)/pinmail"
	$(INSTALL) -m 644 man/pinmail.8 "$(DESTDIR)$(MANDIR)/man8/pinmail.8"
	$(INSTALL) -m 644 man/pinmail.conf.5 "$(DESTDIR)$(MANDIR)/man5/pinmail.conf.5"
	$(INSTALL) -m 644 port/posix/pinmail.conf.example \
	  "$(DESTDIR)$(DOCDIR)/pinmail.conf.example"
ifeq ($(SENDMAIL_LINKS),1)
	@set -e; for l in $(PM_LINKS); do \
	  f="$(DESTDIR)$(SBINDIR)/$$l"; \
	  if [ -e "$$f" ] || [ -L "$$f" ]; then \
	    if [ -L "$$f" ] && [ "$$(readlink "$$f")" = pinmail ]; then continue; fi; \
	    echo "install: $$f exists and is not a link to pinmail; remove it" \
	      "(another MTA's?) or install without SENDMAIL_LINKS=1" >&2; exit 1; \
	  fi; \
	  echo "ln -s pinmail $$f"; ln -s pinmail "$$f"; \
	done
endif

# Removes what install put there; links only when they point to pinmail.
uninstall:
	@for l in $(PM_LINKS); do \
	  f="$(DESTDIR)$(SBINDIR)/$$l"; \
	  if [ -L "$$f" ] && [ "$$(readlink "$$f")" = pinmail ]; then \
	    echo "rm -f $$f"; rm -f "$$f"; fi; \
	done
	rm -f "$(DESTDIR)$(SBINDIR)/pinmail" "$(DESTDIR)$(MANDIR)/man8/pinmail.8" \
	  "$(DESTDIR)$(MANDIR)/man5/pinmail.conf.5" \
	  "$(DESTDIR)$(DOCDIR)/pinmail.conf.example"
	rmdir "$(DESTDIR)$(DOCDIR)" 2>/dev/null || true

.DEFAULT_GOAL := $(pm_saved_goal)
