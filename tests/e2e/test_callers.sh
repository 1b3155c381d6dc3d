#!/bin/sh
# End-to-end: pinmail as the sendmail that real callers use (issue 3).
#
# Each caller runs inside a private mount namespace (unshare -m) in which
# /usr/sbin/sendmail is bind-mounted over by pinmail; the system's own
# /usr/sbin/sendmail (Postfix's) is never modified, and the mount vanishes
# with the namespace. pinmail finds its configuration through PINMAIL_CONF,
# which every caller passes on. Messages go to a private Postfix (implicit
# TLS, SASL) and are read back from its Maildir: who got a copy (each file's
# Delivered-To), the envelope sender (Return-Path), Bcc absent, Date and
# Message-ID present exactly once, and each caller's own header fields.
#
# Callers: bsd-mailx, s-nail, mutt (batch), git send-email (a three-patch
# series), cron's exact command line, PHP's mail() with its default
# sendmail_path. Then a table of sendmail options run on build/pinmail
# directly. Every /usr/sbin/sendmail invocation goes through a logging
# wrapper (argv and pinmail's exit status, in $T/argv.log and printed as
# "# argv" lines), except cron's, whose command line is fixed and which runs
# build/pinmail itself as /usr/sbin/sendmail.
. "$(dirname "$0")/lib.sh"

# Per run: the work directory and the Postfix instance (tests/run may run
# this file while someone else does). Kept only when something failed.
T=$WORK/callers.$$
rm -rf "$T"
mkdir -p "$T" "$T/home"
chmod 755 "$T"
cleanup() {
	stop_servers
	[ -z "${DIR:-}" ] || rm -rf "$DIR"
	[ "$failures" -gt 0 ] || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# lib.sh keeps the mark list per script; this script may run twice at once.
mark() { ls "$("$PF" maildir "$1")" 2>/dev/null | sort >"$T/mark"; }
new_files() {
	ls "$("$PF" maildir "$1")" 2>/dev/null | sort | comm -13 "$T/mark" - |
		sed "s|^|$("$PF" maildir "$1")/|"
}

start_server "cl$$" ec || finish
eval "DIR=\$cl$$_DIR PORT=\$cl$$_PORT"
PIN=$(tlsa_line ec 3 1 1)

# The configurations: base (what every caller but cron uses), cron (local
# names: alias and domain) and cron-rewrite (rewrite_local_from on too).
conf "$T/base.conf" "$PORT" "$PIN"
conf "$T/cron.conf" "$PORT" "$PIN" "domain pinmail.test" \
	"alias root alice@pinmail.test" "alias ops bob@pinmail.test,carol@pinmail.test"
conf "$T/cron-rewrite.conf" "$PORT" "$PIN" "domain pinmail.test" \
	"alias root alice@pinmail.test" "rewrite_local_from on"

# --- reading the Maildir ------------------------------------------------------
# headers FILE: the header section, one field per line, folds joined (the
# line break removed, the continuation's white space kept: RFC 5322 unfolding).
headers() {
	awk '{ sub(/\r$/, "") }
	/^$/ { exit }
	/^[ \t]/ { h = h $0; next }
	{ if (n++) print h; h = $0 }
	END { if (n) print h }' "$1"
}
# hcount FILE NAME: how many NAME: fields; hval FILE NAME: the first one's value.
hcount() { headers "$1" | grep -ci "^$2:"; }
hval() { headers "$1" | sed -n "s/^$2:[ \t]*//Ip" | head -n 1; }
body() { sed '1,/^$/d' "$1"; }
# subject FILE: the Subject unfolded and its RFC 2047 encoded words decoded.
subject() {
	python3 -c '
import sys
from email.header import decode_header, make_header
print(str(make_header(decode_header(sys.argv[1]))))' "$(hval "$1" Subject)"
}

# files_for RCPT: the new files (since mark) delivered to RCPT.
files_for() {
	for f in $(new_files "$DIR"); do
		grep -qx "Delivered-To: $1" "$f" && echo "$f"
	done
}
# delivered_to: recipients of the new files, sorted, space separated.
delivered_to() {
	for f in $(new_files "$DIR"); do sed -n 's/^Delivered-To: //p' "$f"; done |
		sort | tr '\n' ' ' | sed 's/ $//'
}
# settle N: wait (bounded, 10 s) until N new files arrived, then a moment
# more so that a duplicate would show.
settle() {
	i=0
	while [ "$(new_files "$DIR" | wc -l)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 0.4
}
# expect_rcpts NAME "a b c": exactly these recipients, one copy each
# (a recipient may be listed several times: that many copies).
expect_rcpts() {
	want=$(printf '%s\n' $2 | sort | tr '\n' ' ' | sed 's/ $//')
	got=$(delivered_to)
	if [ "$got" = "$want" ]; then ok "$1: recipients $want"; else
		bad "$1: recipients $want" "got '$got'"; fi
}
# each_file NAME DESCRIPTION TEST...: TEST... FILE holds for every new file.
each_file() {
	n=$1 d=$2
	shift 2
	all=1 none=1
	for f in $(new_files "$DIR"); do
		none=0
		"$@" "$f" || { all=0; cp "$f" "$T/$n.bad"; }
	done
	if [ $all -eq 1 ] && [ $none -eq 0 ]; then ok "$n: $d"; else
		bad "$n: $d" "see $T/$n.bad"; fi
}
one_date_msgid() { [ "$(hcount "$1" Date)" -eq 1 ] && [ "$(hcount "$1" Message-ID)" -eq 1 ]; }
no_bcc() { [ "$(hcount "$1" Bcc)" -eq 0 ] && [ "$(hcount "$1" Resent-Bcc)" -eq 0 ]; }
# date_ok FILE: Date is RFC 5322 (day, date, time, numeric offset) with this
# machine's offset, and within 5 minutes of now.
date_ok() {
	python3 - "$(hval "$1" Date)" "$(date +%z)" <<-'EOF'
	import re, sys, time, email.utils
	d, off = sys.argv[1], sys.argv[2]
	m = re.fullmatch(r"(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?\d{1,2} "
	                 r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
	                 r"\d\d:\d\d(:\d\d)? ([+-]\d{4})", d)
	t = email.utils.parsedate_tz(d)
	sys.exit(0 if m and m.group(4) == off and t and
	         abs(email.utils.mktime_tz(t) - time.time()) < 300 else 1)
	EOF
}
# msgid_ok FILE: pinmail's Message-ID, <something@pinmail.test>.
msgid_ok() { hval "$1" Message-ID | grep -qE '^<[^<>@ ]+@pinmail\.test>$'; }
return_path() { [ "$(sed -n '1s/^Return-Path: //p' "$1")" = "<$2>" ]; }
rp_alice() { return_path "$1" alice@pinmail.test; }

# --- the mount namespace and the logging wrapper ----------------------------
SYS_SENDMAIL_SUM=$(sha256sum /usr/sbin/sendmail 2>/dev/null)
WRAP=$T/sendmail-wrapper
ARGV=$T/argv.log
cat >"$WRAP" <<EOF
#!/bin/bash
# Logs how the caller ran sendmail, runs pinmail under the same name.
{ printf 'argv:'; printf ' %q' "\$0" "\$@"; echo; } >>'$ARGV'
(exec -a "\$0" '$PINMAIL' "\$@")
st=\$?
echo "exit: \$st" >>'$ARGV'
exit \$st
EOF
chmod 755 "$WRAP"
export PINMAIL_CONF="$T/base.conf"

# in_ns FILE CMD...: CMD with FILE bind-mounted over /usr/sbin/sendmail.
in_ns() {
	f=$1; shift
	unshare -m sh -c 'mount --bind "$0" /usr/sbin/sendmail && exec "$@"' "$f" "$@"
}
# run_caller NAME RUNS CMD...: run CMD (in the namespace, through the wrapper,
# at most 30 s, stdin as given); its status in $st, output in
# $T/NAME.out/.err. Waits for pinmail to finish (a caller may not wait for
# it) and checks that the caller exited 0 and ran pinmail RUNS times, each
# exiting 0.
run_caller() {
	n=$1 runs=$2
	shift 2
	echo "== $n" >>"$ARGV"
	l0=$(grep -c '^exit: ' "$ARGV")
	timeout 30 unshare -m sh -c 'mount --bind "$0" /usr/sbin/sendmail && exec "$@"' \
		"$WRAP" "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
	i=0
	while [ "$(grep -c '^exit: ' "$ARGV")" -lt $((l0 + runs)) ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	sed -n "/^== $n\$/,\$p" "$ARGV" | sed -n 's/^/# /; /^# argv: /p'
	if [ "$st" -eq 0 ]; then ok "$n: caller exit 0"; else
		bad "$n: caller exit 0" "got $st: $(head -c 400 "$T/$n.err")"; fi
	pst=$(sed -n "/^== $n\$/,\$p" "$ARGV" | sed -n 's/^exit: //p' | tr '\n' ' ')
	want=$(printf '0 %.0s' $(seq "$runs"))
	if [ "$pst" = "$want" ]; then ok "$n: pinmail ran $runs time(s), exit 0"; else
		bad "$n: pinmail ran $runs time(s), exit 0" "exit statuses: '$pst'; $(head -c 400 "$T/$n.err")"; fi
}

NS=1
if out=$(in_ns "$WRAP" sh -c 'cmp -s "$0" /usr/sbin/sendmail' "$WRAP" 2>&1); then
	ok "private mount namespace: /usr/sbin/sendmail is pinmail inside it"
else
	NS=0
	bad "private mount namespace: /usr/sbin/sendmail is pinmail inside it" \
		"unshare -m / mount --bind failed (needs root or CAP_SYS_ADMIN): $out; every caller case is skipped"
fi

# --- bsd-mailx: mail -s SUBJECT -a HEADER -c CC -b BCC rcpt ------------------
if [ $NS -eq 1 ]; then
	printf 'Hello from bsd-mailx.\nsecond line\n' >"$T/mailx.body"
	mark "$DIR"
	run_caller bsd-mailx 1 bsd-mailx -s "bsd-mailx: status report" \
		-a "X-Pinmail-Test: bsd-mailx header" \
		-c carol@pinmail.test -b erin@pinmail.test bob@pinmail.test <"$T/mailx.body"
	settle 3
	expect_rcpts bsd-mailx "bob@pinmail.test carol@pinmail.test erin@pinmail.test"
	each_file bsd-mailx "Bcc absent" no_bcc
	each_file bsd-mailx "Date and Message-ID exactly once" one_date_msgid
	each_file bsd-mailx "Date: RFC 5322, local offset, now" date_ok
	mailx_hdrs() {
		[ "$(hval "$1" Subject)" = "bsd-mailx: status report" ] &&
			[ "$(hcount "$1" Subject)" -eq 1 ] &&
			[ "$(hval "$1" X-Pinmail-Test)" = "bsd-mailx header" ] &&
			hval "$1" To | grep -q 'bob@pinmail.test' &&
			hval "$1" Cc | grep -q 'carol@pinmail.test' &&
			body "$1" | cmp -s - "$T/mailx.body"
	}
	each_file bsd-mailx "Subject, -a header, To, Cc and body intact" mailx_hdrs
	each_file bsd-mailx "envelope sender from the configuration" rp_alice
	each_file bsd-mailx "From: added (none given)" \
		sh -c '[ "$(grep -ci "^From:" "$0")" -eq 1 ] && grep -qi "^From:.*alice@pinmail.test" "$0"'
fi

# --- s-nail: -a attaches a file in s-nail; a header is -C 'Name: value' -------
if [ $NS -eq 1 ]; then
	printf 'Hello from s-nail.\n' >"$T/snail.body"
	mark "$DIR"
	run_caller s-nail 1 env MAILRC=/dev/null HOME="$T/home" s-nail -:/ -Sv15-compat=yes \
		-Sfrom='Alice <alice@pinmail.test>' -Sttycharset=utf-8 \
		-s "s-nail: status report" -C "X-Pinmail-Test: s-nail header" \
		-c carol@pinmail.test -b erin@pinmail.test bob@pinmail.test <"$T/snail.body"
	settle 3
	expect_rcpts s-nail "bob@pinmail.test carol@pinmail.test erin@pinmail.test"
	each_file s-nail "Bcc absent" no_bcc
	each_file s-nail "Date and Message-ID exactly once" one_date_msgid
	snail_hdrs() {
		[ "$(hval "$1" Subject)" = "s-nail: status report" ] &&
			[ "$(hval "$1" X-Pinmail-Test)" = "s-nail header" ] &&
			hval "$1" From | grep -q 'alice@pinmail.test' &&
			body "$1" | cmp -s - "$T/snail.body"
	}
	each_file s-nail "Subject, -C header, From and body intact" snail_hdrs
	each_file s-nail "envelope sender from the configuration" rp_alice
fi

# --- mutt in batch mode: mutt -s SUBJECT -c CC -b BCC rcpt < body ------------
if [ $NS -eq 1 ]; then
	printf 'Hello from mutt.\n' >"$T/mutt.body"
	mark "$DIR"
	run_caller mutt 1 env HOME="$T/home" MAIL=/dev/null mutt -n -F /dev/null \
		-e 'set from="Alice <alice@pinmail.test>" record="" spoolfile="" folder="'"$T"'/home"' \
		-s "mutt: status report" -c carol@pinmail.test -b erin@pinmail.test \
		bob@pinmail.test <"$T/mutt.body"
	settle 3
	expect_rcpts mutt "bob@pinmail.test carol@pinmail.test erin@pinmail.test"
	each_file mutt "Bcc absent" no_bcc
	each_file mutt "Date and Message-ID exactly once" one_date_msgid
	mutt_hdrs() {
		[ "$(hval "$1" Subject)" = "mutt: status report" ] &&
			hval "$1" From | grep -q 'alice@pinmail.test' &&
			[ "$(hcount "$1" From)" -eq 1 ] &&
			[ "$(hval "$1" Content-Disposition)" = inline ] &&
			! hval "$1" Message-ID | grep -q '@pinmail\.test>$' &&
			body "$1" | cmp -s - "$T/mutt.body"
	}
	each_file mutt "Subject, From, Content-Disposition, mutt's own Message-ID and body intact" mutt_hdrs
	each_file mutt "envelope sender from the configuration" rp_alice
fi

# --- git send-email: a three-patch series, threaded ---------------------------
if [ $NS -eq 1 ]; then
	R=$T/repo
	G() { env HOME="$T/home" GIT_CONFIG_NOSYSTEM=1 git -C "$R" "$@"; }
	mkdir -p "$R"
	G init -q -b main && G config user.name "Alice Example" &&
		G config user.email alice@pinmail.test &&
		printf 'one\n' >"$R/file" && G add file && G commit -q -m "Add file" &&
		printf 'one\ntwo\n' >"$R/file" && G commit -q -am "Add a second line" &&
		printf 'one\ntwo\n.\nthree\n' >"$R/file" && G commit -q -am "Add a dot line and a third" &&
		printf 'grüße\n' >"$R/utf8" && G add utf8 && G commit -q -m "Add UTF-8 text: grüße" &&
		G format-patch -q -3 -o "$T/patches" >/dev/null
	if [ "$(ls "$T/patches" 2>/dev/null | wc -l)" -eq 3 ]; then
		ok "git: format-patch made a series of three"
	else
		bad "git: format-patch made a series of three" "$(ls "$T/patches" 2>&1)"
	fi
	mark "$DIR"
	run_caller git-send-email 3 env HOME="$T/home" GIT_CONFIG_NOSYSTEM=1 \
		git -C "$R" send-email --smtp-server=/usr/sbin/sendmail \
		--from='Alice Example <alice@pinmail.test>' --envelope-sender=patches@pinmail.test \
		--to=bob@pinmail.test --cc=carol@pinmail.test --bcc=erin@pinmail.test \
		--suppress-cc=all --no-validate --confirm=never --thread --no-chain-reply-to \
		--8bit-encoding=UTF-8 --transfer-encoding=8bit "$T"/patches/*.patch
	settle 9
	expect_rcpts git-send-email "bob@pinmail.test bob@pinmail.test bob@pinmail.test
		carol@pinmail.test carol@pinmail.test carol@pinmail.test
		erin@pinmail.test erin@pinmail.test erin@pinmail.test"
	each_file git-send-email "Bcc absent" no_bcc
	each_file git-send-email "Date and Message-ID exactly once" one_date_msgid
	rp_patches() { return_path "$1" patches@pinmail.test; }
	each_file git-send-email "envelope sender from --envelope-sender (-f)" rp_patches
	# For each recipient: the three subjects, and the thread (2 and 3 answer
	# 1) with the Message-IDs git logged (it spells the field Message-Id).
	git_ids=$(sed -n 's/^Message-I[dD]: //p' "$T/git-send-email.out")
	for r in bob carol erin; do
		p1='' p2='' p3=''
		for f in $(files_for "$r@pinmail.test"); do
			case $(subject "$f") in
			"[PATCH 1/3] Add a second line") p1=$f ;;
			"[PATCH 2/3] Add a dot line and a third") p2=$f ;;
			"[PATCH 3/3] Add UTF-8 text: grüße") p3=$f ;;
			esac
		done
		if [ -n "$p1" ] && [ -n "$p2" ] && [ -n "$p3" ]; then
			ok "git-send-email: $r got [PATCH 1/3], [PATCH 2/3] and [PATCH 3/3]"
			id1=$(hval "$p1" Message-ID)
			if [ "$(hcount "$p1" In-Reply-To)" -eq 0 ] &&
				[ "$(hval "$p2" In-Reply-To)" = "$id1" ] &&
				[ "$(hval "$p3" In-Reply-To)" = "$id1" ] &&
				hval "$p2" References | grep -qF "$id1" &&
				hval "$p3" References | grep -qF "$id1" &&
				[ "$(for p in "$p1" "$p2" "$p3"; do hval "$p" Message-ID; done)" = "$git_ids" ]; then
				ok "git-send-email: $r: git's Message-IDs kept, 2/3 and 3/3 answer 1/3 (In-Reply-To, References)"
			else
				bad "git-send-email: $r: git's Message-IDs kept, 2/3 and 3/3 answer 1/3 (In-Reply-To, References)" \
					"1: $id1; 2: $(hval "$p2" In-Reply-To) / $(hval "$p2" References); 3: $(hval "$p3" In-Reply-To) / $(hval "$p3" References)"
			fi
			# The patch text arrives as git made it (the lone "." line needs -i).
			if body "$p2" | grep -qx '+\.' && body "$p3" | grep -qx '+grüße' &&
				hval "$p1" From | grep -q 'Alice Example <alice@pinmail.test>'; then
				ok "git-send-email: $r: patch bodies intact (a '+.' line, 8-bit text), From kept"
			else
				bad "git-send-email: $r: patch bodies intact (a '+.' line, 8-bit text), From kept"
			fi
		else
			bad "git-send-email: $r got [PATCH 1/3], [PATCH 2/3] and [PATCH 3/3]" \
				"$(for f in $(files_for "$r@pinmail.test"); do subject "$f"; done | tr '\n' '|')"
		fi
	done
fi

# --- cron: its exact command line, with alias and domain ---------------------
# Debian's cron runs "/usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root"
# (MAILARGS in cron's config.h) and writes this header section.
HOST=$(hostname)
cron_msg() {
	printf '%s\n' \
		'From: root (Cron Daemon)' \
		'To: root' \
		"Subject: Cron <root@$HOST> /usr/local/bin/nightly --verbose" \
		'MIME-Version: 1.0' \
		'Content-Type: text/plain; charset=UTF-8' \
		'Content-Transfer-Encoding: 8bit' \
		'X-Cron-Env: <SHELL=/bin/sh>' \
		'X-Cron-Env: <HOME=/root>' \
		'X-Cron-Env: <PATH=/usr/bin:/bin>' \
		'X-Cron-Env: <LOGNAME=root>' \
		'' \
		'nightly: 3 files rotated' \
		'.' \
		'grüße: done'
}
cron_msg >"$T/cron.msg"
sed '1,/^$/d' "$T/cron.msg" >"$T/cron.body"
cron_hdrs() {
	[ "$(hval "$1" To)" = root ] && [ "$(hcount "$1" To)" -eq 1 ] &&
		[ "$(hval "$1" Subject)" = "Cron <root@$HOST> /usr/local/bin/nightly --verbose" ] &&
		[ "$(hval "$1" Content-Type)" = 'text/plain; charset=UTF-8' ] &&
		[ "$(headers "$1" | grep -c '^X-Cron-Env: <')" -eq 4 ] &&
		headers "$1" | grep -qx 'X-Cron-Env: <PATH=/usr/bin:/bin>' &&
		body "$1" | cmp -s - "$T/cron.body"
}
# cron_run NAME CONF: the exact argv, build/pinmail bind-mounted itself.
cron_run() {
	n=$1
	mark "$DIR"
	if [ $NS -eq 1 ]; then
		PINMAIL_CONF=$2 timeout 30 unshare -m sh -c \
			'mount --bind "$0" /usr/sbin/sendmail && exec /usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem root' \
			"$PINMAIL" <"$T/cron.msg" >"$T/$n.out" 2>"$T/$n.err"
	else # without a namespace: the same argv after argv[0], through the symlink
		PINMAIL_CONF=$2 "$ROOT/build/sendmail" -FCronDaemon -i -B8BITMIME -oem root \
			<"$T/cron.msg" >"$T/$n.out" 2>"$T/$n.err"
	fi
	st=$?
	if [ "$st" -eq 0 ]; then ok "$n: exit 0"; else
		bad "$n: exit 0" "got $st: $(head -c 400 "$T/$n.err")"; fi
	settle 1
	expect_rcpts "$n" "alice@pinmail.test"
}
cron_run cron "$T/cron.conf"
each_file cron "Date and Message-ID exactly once" one_date_msgid
each_file cron "Date: RFC 5322, local offset, now" date_ok
each_file cron "Message-ID: <random@pinmail.test>" msgid_ok
each_file cron "From: root (Cron Daemon) kept as cron wrote it (-F does not replace it)" \
	sh -c '[ "$(grep -ci "^From:" "$0")" -eq 1 ] && grep -qx "From: root (Cron Daemon)" "$0"'
each_file cron "To, Subject, Content-Type, X-Cron-Env and body (with a lone '.', -i) intact" cron_hdrs
each_file cron "envelope sender from the configuration" rp_alice

cron_run cron-rewrite "$T/cron-rewrite.conf"
f=$(new_files "$DIR" | head -n 1)
echo "# cron-rewrite: $(grep -i '^From:' "$f" 2>/dev/null)"
each_file cron-rewrite "rewrite_local_from: the bare local From: names alice@pinmail.test" \
	sh -c '[ "$(grep -ci "^From:" "$0")" -eq 1 ] && grep -i "^From:" "$0" | grep -q "alice@pinmail.test"'
each_file cron-rewrite "To, Subject, X-Cron-Env and body intact" cron_hdrs

# alias to a list, domain for a bare name, a full address untouched.
mark "$DIR"
printf 'Subject: local names\n\nx\n' >"$T/local.msg"
"$PINMAIL" -C "$T/cron.conf" ops dave dave@example.net <"$T/local.msg" >"$T/local.out" 2>"$T/local.err"
st=$?
if [ "$st" -eq 0 ]; then ok "local names: exit 0"; else
	bad "local names: exit 0" "got $st: $(head -c 400 "$T/local.err")"; fi
settle 4
expect_rcpts "local names (alias ops -> bob,carol; dave -> dave@pinmail.test)" \
	"bob@pinmail.test carol@pinmail.test dave@pinmail.test dave@example.net"

# --- PHP mail() with the default sendmail_path ("/usr/sbin/sendmail -t -i") --
# PHP does not fold the Subject itself; iconv_mime_encode() (PHP's own
# folding) makes encoded words on folded lines, and mail() keeps a fold
# (CRLF + white space) in the subject. PHP writes headers with CRLF and the
# body as given (LF).
SUBJ='Überwachung: the nightly backup of every database on db1.pinmail.test finished with 3 warnings — see the attached log for details'
if [ $NS -eq 1 ]; then
	printf '%s' "$SUBJ" >"$T/php.subject"
	cat >"$T/mail.php" <<-'EOF'
	<?php
	$subj = file_get_contents($argv[1]);
	$enc = iconv_mime_encode("Subject", $subj, ["scheme" => "Q",
		"input-charset" => "UTF-8", "output-charset" => "UTF-8",
		"line-length" => 76, "line-break-chars" => "\r\n"]);
	$enc = substr($enc, strlen("Subject: "));
	fwrite(STDERR, "sendmail_path=" . ini_get("sendmail_path") . "\n");
	$ok = mail("Bob <bob@pinmail.test>", $enc, "Hello from PHP.\nsecond line\n", [
		"From" => "Web App <alice@pinmail.test>",
		"Cc" => "carol@pinmail.test",
		"Bcc" => "erin@pinmail.test, Frank <frank@pinmail.test>",
		"MIME-Version" => "1.0",
		"Content-Type" => "text/plain; charset=UTF-8",
		"X-Mailer" => "PHP/" . phpversion(),
	]);
	exit($ok ? 0 : 1);
	EOF
	mark "$DIR"
	run_caller php 1 env -u PHPRC php "$T/mail.php" "$T/php.subject"
	grep '^sendmail_path=' "$T/php.err" | sed 's/^/# php: /'
	check "php: the default sendmail_path is /usr/sbin/sendmail -t -i" \
		grep -qx 'sendmail_path=/usr/sbin/sendmail -t -i' "$T/php.err"
	settle 4
	expect_rcpts php "bob@pinmail.test carol@pinmail.test erin@pinmail.test frank@pinmail.test"
	each_file php "Bcc absent" no_bcc
	each_file php "Date and Message-ID exactly once" one_date_msgid
	each_file php "Date: RFC 5322, local offset, now" date_ok
	each_file php "Message-ID: <random@pinmail.test>" msgid_ok
	php_subject() {
		# folded in the file (more than one line), unfolds and decodes to SUBJ
		awk '/^Subject:/ { s = 1; n = 1; next } s && /^[ \t]/ { n++; next } { s = 0 } END { exit !(n > 1) }' "$1" &&
			[ "$(subject "$1")" = "$SUBJ" ]
	}
	each_file php "Subject folded by PHP unfolds to the original text" php_subject
	php_hdrs() {
		[ "$(hval "$1" From)" = "Web App <alice@pinmail.test>" ] &&
			[ "$(hval "$1" To)" = "Bob <bob@pinmail.test>" ] &&
			[ "$(hval "$1" Cc)" = "carol@pinmail.test" ] &&
			hval "$1" X-Mailer | grep -q '^PHP/' &&
			[ "$(body "$1")" = "$(printf 'Hello from PHP.\nsecond line')" ]
	}
	each_file php "From, To, Cc, X-Mailer and body intact" php_hdrs
	each_file php "envelope sender from the configuration" rp_alice
fi

if [ "$(sha256sum /usr/sbin/sendmail 2>/dev/null)" = "$SYS_SENDMAIL_SUM" ] &&
	! grep -q "$WRAP" /proc/self/mountinfo; then
	ok "the system's /usr/sbin/sendmail untouched, no mount left behind"
else
	bad "the system's /usr/sbin/sendmail untouched, no mount left behind"
fi

# --- the option parser, table-driven ------------------------------------------
# ID STATUS COPIES RETURN-PATH OPTIONS...: build/pinmail -C base.conf OPTIONS
# opt-ID@pinmail.test < a message To: that address. COPIES 0 with STATUS 0:
# a mode that sends nothing (no recipient given, stdin empty). RETURN-PATH
# "." means the configured from. Options hold no spaces.
cat >"$T/opts.table" <<'EOF'
t          0 1 . -t
i          0 1 . -i
oi         0 1 . -oi
f          0 1 bounce@pinmail.test -f bounce@pinmail.test
r          0 1 bounce@pinmail.test -r bounce@pinmail.test
fattached  0 1 bounce@pinmail.test -fbounce@pinmail.test
F          0 1 . -F Name
Fattached  0 1 . -FName
v          0 1 . -v
C          0 1 . -C base.conf
bm         0 1 . -bm
bp         0 0 . -bp
q          0 0 . -q
bi         0 0 . -bi
Nsf        0 1 . -N success,failure
Nnever     0 1 . -N never
Rhdrs      0 1 . -R hdrs
Rfull      0 1 . -R full
V          0 1 . -V pinmail-envid-1
dsn        0 1 . -N success -R hdrs -V pinmail-envid-42
B7         0 1 . -B 7BIT
B8         0 1 . -B 8BITMIME
B8attached 0 1 . -B8BITMIME
L          0 1 . -L tag
oem        0 1 . -oem
oep        0 1 . -oep
odi        0 1 . -odi
odb        0 1 . -odb
O          0 1 . -O DeliveryMode=b
h          0 1 . -h 10
G          0 1 . -G
U          0 1 . -U
dashdash   0 1 . --
ti         0 1 . -ti
oi-oem-odi 0 1 . -oi -oem -odi
cronlike   0 1 . -FCronDaemon -i -B8BITMIME -oem
mutt       0 1 . -oem -oi -B8BITMIME --
all        0 1 bounce@pinmail.test -t -i -v -f bounce@pinmail.test -F Name -N failure -R hdrs -V id -B 8BITMIME -L tag -oem -odi -O DeliveryMode=b -h 10 -G -U
bs         64 0 . -bs
bd         64 0 . -bd
X          64 0 . -X
EOF
mark "$DIR"
total=0
while read -r id want copies rp opts; do
	[ -n "$id" ] || continue
	rcpt=opt-$id@pinmail.test
	printf 'To: %s\nSubject: option row %s\n\nrow %s\n' "$rcpt" "$id" "$id" >"$T/opt-$id.msg"
	set -f
	set -- $opts
	set +f
	[ "$1" = -C ] && set -- -C "$T/base.conf" && opts="-C base.conf"
	if [ "$want" -eq 0 ] && [ "$copies" -eq 0 ]; then
		"$PINMAIL" -C "$T/base.conf" "$@" </dev/null >"$T/opt-$id.out" 2>"$T/opt-$id.err"
	else
		"$PINMAIL" -C "$T/base.conf" "$@" "$rcpt" <"$T/opt-$id.msg" >"$T/opt-$id.out" 2>"$T/opt-$id.err"
	fi
	st=$?
	if [ "$st" -eq "$want" ]; then ok "option $opts: exit $want"; else
		bad "option $opts: exit $want" "got $st: $(head -c 300 "$T/opt-$id.err")"; fi
	if [ "$want" -eq 64 ]; then
		check "option $opts: the error names it" grep -qF -- "$opts" "$T/opt-$id.err"
	fi
	total=$((total + copies))
done <"$T/opts.table"
# -N success: Postfix sends a success notice (to alice), one per such row.
settle $((total + 2))
while read -r id want copies rp opts; do
	[ -n "$id" ] || continue
	n=$(files_for "opt-$id@pinmail.test" | wc -l)
	[ "$rp" = . ] && rp=alice@pinmail.test
	if [ "$n" -eq "$copies" ]; then
		ok "option $opts: $copies cop$([ "$copies" -eq 1 ] && echo y || echo ies) delivered"
	else
		bad "option $opts: $copies cop$([ "$copies" -eq 1 ] && echo y || echo ies) delivered" "got $n"
	fi
	if [ "$copies" -eq 1 ] && [ "$n" -eq 1 ]; then
		f=$(files_for "opt-$id@pinmail.test")
		check "option $opts: Return-Path <$rp>" return_path "$f" "$rp"
		case $id in F | Fattached | all)
			check "option $opts: From: added with the name" \
				sh -c 'grep -i "^From:" "$0" | grep -q "Name.*@pinmail.test"' "$f" ;;
		esac
	fi
done <"$T/opts.table"
# -N/-R/-V reach the server: Postfix's success notice for the "dsn" row
# carries the envelope id and names the recipient.
dsn_found=0
i=0
while [ $i -lt 30 ] && [ $dsn_found -eq 0 ]; do
	for f in $(files_for alice@pinmail.test); do
		grep -q 'Final-Recipient: rfc822; *opt-dsn@pinmail.test' "$f" &&
			grep -q 'Original-Envelope-Id: pinmail-envid-42' "$f" && dsn_found=1
	done
	[ $dsn_found -eq 1 ] || { sleep 0.1; i=$((i + 1)); }
done
check "-N success -R hdrs -V id: Postfix's success notice carries the envelope id" [ $dsn_found -eq 1 ]

# PINMAIL_CONF is read when there is no -C; -C wins over it.
mark "$DIR"
printf 'Subject: conf\n\nx\n' >"$T/conf.msg"
PINMAIL_CONF="$T/base.conf" "$PINMAIL" conf-env@pinmail.test <"$T/conf.msg" >/dev/null 2>"$T/conf-env.err"
st1=$?
PINMAIL_CONF="$T/does-not-exist.conf" "$PINMAIL" -C "$T/base.conf" conf-c@pinmail.test \
	<"$T/conf.msg" >/dev/null 2>"$T/conf-c.err"
st2=$?
settle 2
n1=$(files_for conf-env@pinmail.test | wc -l)
n2=$(files_for conf-c@pinmail.test | wc -l)
if [ "$st1" -eq 0 ] && [ "$n1" -eq 1 ]; then ok "PINMAIL_CONF: used without -C (exit 0, delivered)"; else
	bad "PINMAIL_CONF: used without -C (exit 0, delivered)" "exit $st1, $n1 copies: $(head -c 300 "$T/conf-env.err")"; fi
if [ "$st2" -eq 0 ] && [ "$n2" -eq 1 ]; then ok "-C wins over PINMAIL_CONF (exit 0, delivered)"; else
	bad "-C wins over PINMAIL_CONF (exit 0, delivered)" "exit $st2, $n2 copies: $(head -c 300 "$T/conf-c.err")"; fi

finish
