#!/bin/sh
# make install / make uninstall (mk/install.mk) into a DESTDIR under build/:
# the exact files, modes and link targets; the links run pinmail under
# their names; nothing under etc/; an existing sendmail that is not ours is
# refused, not replaced; the manual pages render without a single groff
# warning and document every configuration key; the example configuration
# is accepted by pinmail once it has a pin, and refused without one.
# Needs build/pinmail, man-db and groff-base.
. "$(dirname "$0")/lib.sh"

T=$WORK/install
rm -rf "$T"
mkdir -p "$T"
umask 022

if [ ! -x "$ROOT/build/pinmail" ]; then
	bad "build/pinmail exists" "run make first"
	finish
fi
for tool in man groff; do
	command -v $tool >/dev/null || bad "$tool is installed" "apt-get install man-db groff-base"
done

# Until the Makefile includes mk/install.mk, name both files. -o: install
# the binary as built, never rebuild it here.
if grep -q '^[-s]\{0,1\}include .*mk/install\.mk' "$ROOT/Makefile"; then
	MK="make -C $ROOT -o build/pinmail"
else
	MK="make -C $ROOT -f Makefile -f mk/install.mk -o build/pinmail"
fi

D=$T/dest
if $MK install DESTDIR="$D" PREFIX=/usr/local SENDMAIL_LINKS=1 >"$T/install.log" 2>&1; then
	ok "install: exit 0"
else
	bad "install: exit 0" "$(tail -5 "$T/install.log")"
fi

# Type, mode, path and link target of everything installed.
(cd "$D" && find . -mindepth 1 -printf '%y %m %P %l\n' | sed 's/ $//' | LC_ALL=C sort -k3) >"$T/got"
cat >"$T/want" <<'EOF'
d 755 usr
d 755 usr/local
d 755 usr/local/sbin
l 777 usr/local/sbin/mailq pinmail
l 777 usr/local/sbin/newaliases pinmail
f 755 usr/local/sbin/pinmail
l 777 usr/local/sbin/sendmail pinmail
d 755 usr/local/share
d 755 usr/local/share/doc
d 755 usr/local/share/doc/pinmail
f 644 usr/local/share/doc/pinmail/pinmail.conf.example
d 755 usr/local/share/man
d 755 usr/local/share/man/man5
f 644 usr/local/share/man/man5/pinmail.conf.5
d 755 usr/local/share/man/man8
f 644 usr/local/share/man/man8/pinmail.8
EOF
if diff "$T/want" "$T/got" >"$T/diff"; then
	ok "install: exactly the expected files, modes and relative links"
else
	bad "install: exactly the expected files, modes and relative links" "$(cat "$T/diff")"
fi

S=$D/usr/local/sbin
check "install: sbin/pinmail is build/pinmail" cmp -s "$ROOT/build/pinmail" "$S/pinmail"
check "install: the pages and the example are the sources" sh -c \
	"cmp -s '$ROOT/man/pinmail.8' '$D/usr/local/share/man/man8/pinmail.8' &&
	 cmp -s '$ROOT/man/pinmail.conf.5' '$D/usr/local/share/man/man5/pinmail.conf.5' &&
	 cmp -s '$ROOT/port/posix/pinmail.conf.example' '$D/usr/local/share/doc/pinmail/pinmail.conf.example'"

# The links run pinmail under their own names.
check "install: sendmail --version is pinmail" sh -c "'$S/sendmail' --version | grep -q '^pinmail '"
check "install: newaliases exits 0" "$S/newaliases"
printf 'spool %s\nhost localhost\ntlsa 3 1 1 %s\n' "$T/spool" \
	0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6 >"$T/mailq.conf"
check "install: mailq lists the (empty) queue" sh -c \
	"PINMAIL_CONF='$T/mailq.conf' '$S/mailq' | grep -qx 'Mail queue is empty'"

# Installing again over our own links is fine.
check "install: a second install over the first succeeds" \
	sh -c "$MK install DESTDIR='$D' PREFIX=/usr/local SENDMAIL_LINKS=1 >/dev/null 2>&1"

# Without SENDMAIL_LINKS: no links; PREFIX moves everything.
D2=$T/dest2
$MK install DESTDIR="$D2" PREFIX=/usr >/dev/null 2>&1
(cd "$D2" && find . -mindepth 1 ! -type d -printf '%y %m %P\n' | LC_ALL=C sort -k3) >"$T/got2"
printf '%s\n' 'f 755 usr/sbin/pinmail' \
	'f 644 usr/share/doc/pinmail/pinmail.conf.example' \
	'f 644 usr/share/man/man5/pinmail.conf.5' 'f 644 usr/share/man/man8/pinmail.8' >"$T/want2"
check "install PREFIX=/usr without SENDMAIL_LINKS: no links" cmp -s "$T/want2" "$T/got2"

# Another MTA's sendmail is never replaced.
D3=$T/dest3
mkdir -p "$D3/usr/sbin"
echo 'postfix sendmail' >"$D3/usr/sbin/sendmail"
ln -s ../lib/other/mailq "$D3/usr/sbin/mailq"
if $MK install DESTDIR="$D3" PREFIX=/usr SENDMAIL_LINKS=1 >"$T/install3.log" 2>&1; then
	bad "install over another sendmail: refused" "exit 0"
else
	ok "install over another sendmail: refused"
fi
check "install over another sendmail: it is left as it was" sh -c \
	"[ ! -L '$D3/usr/sbin/sendmail' ] && grep -qx 'postfix sendmail' '$D3/usr/sbin/sendmail' &&
	 [ \"\$(readlink '$D3/usr/sbin/mailq')\" = ../lib/other/mailq ]"
check "install over another sendmail: the error names the file" \
	grep -q "usr/sbin/sendmail exists and is not a link to pinmail" "$T/install3.log"

# Uninstall removes our files and links, and only those.
ln -s ../lib/other/mailq "$D2/usr/sbin/mailq"
$MK uninstall DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
check "uninstall: no file or link left" sh -c "[ -z \"\$(find '$D' ! -type d)\" ]"
$MK uninstall DESTDIR="$D2" PREFIX=/usr >/dev/null 2>&1
check "uninstall: a foreign mailq link survives" sh -c \
	"[ \"\$(find '$D2' ! -type d -printf '%P %l\n')\" = 'usr/sbin/mailq ../lib/other/mailq' ]"

# The manual pages as installed, checked as lintian does: no warning at all.
$MK install DESTDIR="$D" PREFIX=/usr/local >/dev/null 2>&1
for page in man8/pinmail.8 man5/pinmail.conf.5; do
	f=$D/usr/local/share/man/$page
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null)
	if [ $? -eq 0 ] && [ -z "$w" ]; then ok "man -l $page: no warnings"; else
		bad "man -l $page: no warnings" "$w"; fi
	w=$(groff -man -ww -z "$f" 2>&1)
	if [ -z "$w" ]; then ok "groff -ww $page: no warnings"; else
		bad "groff -ww $page: no warnings" "$w"; fi
done
check "man -l pinmail.8 renders its NAME line" sh -c \
	"MANWIDTH=200 man -l '$D/usr/local/share/man/man8/pinmail.8' 2>/dev/null |
	 grep -q 'pinmail - sendmail-compatible mail submission over TLS to a pinned server'"

# Every key the configuration parser knows is documented in pinmail.conf(5)
# and every option letter pm_args.c accepts appears in pinmail(8).
keys=$(sed -n 's/.*strcmp(key, "\([a-z_]*\)").*/\1/p' "$ROOT/port/posix/pm_conf.c" | sort -u)
missing=
for k in $keys; do
	grep -q "^\.B[IR]* $k\( \|$\)" "$ROOT/man/pinmail.conf.5" || missing="$missing $k"
done
if [ -n "$keys" ] && [ -z "$missing" ]; then
	ok "pinmail.conf(5) documents all $(echo $keys | wc -w) keys of pm_conf.c"
else
	bad "pinmail.conf(5) documents every key of pm_conf.c" "missing:$missing"
fi
missing=
for o in t i f r F v C B N R V L q b o O h e G U m n; do
	grep -q "\\\\-$o" "$ROOT/man/pinmail.8" || missing="$missing -$o"
done
for o in help version retry-now import-msmtprc; do
	grep -q "\\\\-\\\\-$(echo $o | sed 's/-/\\\\-/g')" "$ROOT/man/pinmail.8" || missing="$missing --$o"
done
if [ -z "$missing" ]; then ok "pinmail(8) names every option"; else
	bad "pinmail(8) names every option" "missing:$missing"; fi

# The example as shipped refuses to run: it has no pin yet.
EX=$D/usr/local/share/doc/pinmail/pinmail.conf.example
printf 'secret\n' >"$T/secret"
chmod 600 "$T/secret"
sed "s|^password_file .*|password_file $T/secret|" "$EX" >"$T/ex.conf"
echo "spool $T/ex.spool" >>"$T/ex.conf"
"$PINMAIL" -C "$T/ex.conf" -bp >"$T/ex.out" 2>"$T/ex.err"
st=$?
if [ $st -eq 78 ] && grep -q "no usable tlsa record" "$T/ex.err"; then
	ok "example as shipped: exit 78, no usable tlsa record"
else
	bad "example as shipped: exit 78, no usable tlsa record" "exit $st: $(cat "$T/ex.err")"
fi
# With every commented-out key line enabled (a pin among them), it loads.
sed -E "s|^#([a-z_]+[ \t])|\1|; s|^password_file .*|password_file $T/secret|" "$EX" >"$T/ex2.conf"
echo "spool $T/ex.spool" >>"$T/ex2.conf"
chmod 600 "$T/ex2.conf"
"$PINMAIL" -C "$T/ex2.conf" -bp >"$T/ex2.out" 2>"$T/ex2.err"
st=$?
if [ $st -eq 0 ] && grep -qx "Mail queue is empty" "$T/ex2.out" && [ ! -s "$T/ex2.err" ]; then
	ok "example with its commented keys enabled: loads, no warning"
else
	bad "example with its commented keys enabled: loads, no warning" "exit $st: $(cat "$T/ex2.err")"
fi

finish
