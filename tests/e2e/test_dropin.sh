#!/bin/sh
# End-to-end: the sendmail drop-in rules against the real private Postfix.
# Fields pinmail adds (Date with the local offset, Message-ID, From), what it
# leaves alone, domain qualification, aliases (config lines and an aliases
# file), rewrite_local_from, BODY=/SMTPUTF8/DSN parameters on the wire,
# overlong lines, the log line (logfile and syslog), and the modes that do
# not send (mailq, -q, newaliases, --version, --help).
. "$(dirname "$0")/lib.sh"

T=$WORK/dropin
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
start_server ec ec || finish
PIN=$(tlsa_line ec 3 1 1)

# run NAME CONF [args...] < message: status in $st, stderr in $T/NAME.err
run() {
	n=$1 c=$2
	shift 2
	"$PINMAIL" -C "$c" "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}
wait_new() { # wait_new N: N messages arrived since mark
	i=0
	while [ "$(new_files "$ec_DIR" | wc -l)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(new_files "$ec_DIR" | wc -l)" -eq "$1" ]
}
nothing_new() { sleep 0.5; [ "$(new_files "$ec_DIR" | wc -l)" -eq 0 ]; }
delivered_to() {
	for f in $(new_files "$ec_DIR"); do sed -n 's/^Delivered-To: //p' "$f"; done |
		sort | tr '\n' ' '
}
# The header section of a delivered file (Postfix's own lines included).
hdr() { sed '/^$/q' "$1"; }
count_field() { hdr "$1" | grep -ci "^$2:"; }

conf "$T/base.conf" "$ec_PORT" "$PIN"

# --- fields pinmail adds --------------------------------------------------
printf 'To: bob@pinmail.test\nSubject: bare\n\nhello\n' >"$T/bare.msg"
mark "$ec_DIR"
TZ=IST-5:30 run added "$T/base.conf" -t <"$T/bare.msg"
expect_status added 0
wait_new 1
f=$(new_files "$ec_DIR")
check "added: one Date, RFC 5322 form, local offset +0530" sh -c "
	[ $(count_field "$f" date) -eq 1 ] &&
	grep -qE '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) 20[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0530$' '$f'"
check "added: one Message-ID at the sender's domain" sh -c "
	[ $(count_field "$f" message-id) -eq 1 ] &&
	grep -qE '^Message-ID: <[0-9]+\.[0-9a-f]{32}@pinmail\.test>$' '$f'"
check "added: From: from the configuration" grep -qx 'From: alice@pinmail.test' "$f"
id1=$(sed -n 's/^Message-ID: //p' "$f")
mark "$ec_DIR"
run added2 "$T/base.conf" -t <"$T/bare.msg"
wait_new 1
id2=$(sed -n 's/^Message-ID: //p' "$(new_files "$ec_DIR")")
check "added: Message-IDs differ between messages" [ -n "$id1" ] && [ "$id1" != "$id2" ]

printf 'From: Carol <carol@pinmail.test>\nDate: Tue, 1 Dec 2026 09:00:00 +0100\nMessage-ID: <mine@pinmail.test>\n\nx\n' >"$T/full.msg"
mark "$ec_DIR"
run kept "$T/base.conf" bob@pinmail.test <"$T/full.msg"
expect_status kept 0
wait_new 1
f=$(new_files "$ec_DIR")
check "kept: the message's own From, Date, Message-ID, nothing added" sh -c "
	[ $(count_field "$f" date) -eq 1 ] && [ $(count_field "$f" message-id) -eq 1 ] &&
	[ $(count_field "$f" from) -eq 1 ] && grep -qx 'Message-ID: <mine@pinmail.test>' '$f' &&
	grep -qx 'Date: Tue, 1 Dec 2026 09:00:00 +0100' '$f'"

# A clock before the build date is not believed: no Date: (the server may
# add one), rather than 1970. build/future/pinmail is built "in 2100".
mark "$ec_DIR"
"$ROOT/build/future/pinmail" -C "$T/base.conf" -t <"$T/bare.msg" 2>"$T/future.err"
st=$?
expect_status future 0
wait_new 1
f=$(new_files "$ec_DIR")
check "untrusted clock: no Date: added, Message-ID still added" sh -c "
	[ $(count_field "$f" date) -eq 0 ] && [ $(count_field "$f" message-id) -eq 1 ]"

# --- domain, aliases, rewrite_local_from ------------------------------------
printf 'postmaster: root\nops: bob, carol@pinmail.test,\n  |/usr/bin/logger\nroot: alice@pinmail.test\n' >"$T/aliases"
conf "$T/local.conf" "$ec_PORT" "$PIN" "domain pinmail.test" \
	"alias root dave@pinmail.test, erin" "alias loop1 loop2" "alias loop2 loop1" \
	"aliases $T/aliases"
printf 'Subject: local\n\nx\n' >"$T/local.msg"
mark "$ec_DIR"
run alias "$T/local.conf" root bob <"$T/local.msg"
expect_status alias 0
wait_new 3
check "alias line first, then domain: root -> dave, erin@domain; bob@domain" \
	[ "$(delivered_to)" = "bob@pinmail.test dave@pinmail.test erin@pinmail.test " ]
mark "$ec_DIR"
run aliasfile "$T/local.conf" ops postmaster <"$T/local.msg"
expect_status aliasfile 0
wait_new 4
check "aliases file: ops and postmaster -> root -> the alias line, pipes skipped" \
	[ "$(delivered_to)" = "bob@pinmail.test carol@pinmail.test dave@pinmail.test erin@pinmail.test " ]
check "aliases file: the skipped pipe is named" grep -q 'aliases:2: alias to a program.*skipped' "$T/aliasfile.err"
mark "$ec_DIR"
run aliasloop "$T/local.conf" loop1 <"$T/local.msg"
expect_status aliasloop 78
check "alias loop: nothing delivered" nothing_new

# cron: From: root (Cron Daemon), envelope root. With rewrite_local_from
# both become the configured sender; without it the envelope is qualified.
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@router> /etc/backup\n\nbackup done\n' >"$T/cron.msg"
conf "$T/rewrite.conf" "$ec_PORT" "$PIN" "domain pinmail.test" "rewrite_local_from on" \
	"alias root bob@pinmail.test"
mark "$ec_DIR"
run rewrite "$T/rewrite.conf" -FCronDaemon -i -B8BITMIME -oem -f root root <"$T/cron.msg"
expect_status rewrite 0
wait_new 1
f=$(new_files "$ec_DIR")
check "rewrite_local_from: From: keeps the name, gets the configured address" \
	grep -qx 'From: "Cron Daemon" <alice@pinmail.test>' "$f"
check "rewrite_local_from: envelope sender is the configured from" \
	grep -qx 'Return-Path: <alice@pinmail.test>' "$f"
check "rewrite_local_from: To: header left as written" grep -qx 'To: root' "$f"
conf "$T/qualify.conf" "$ec_PORT" "$PIN" "domain pinmail.test"
mark "$ec_DIR"
run qualify "$T/qualify.conf" -f root bob <"$T/cron.msg"
expect_status qualify 0
wait_new 1
f=$(new_files "$ec_DIR")
check "domain: envelope sender root -> root@domain, From: untouched" sh -c "
	grep -qx 'Return-Path: <root@pinmail.test>' '$f' && grep -qx 'From: root (Cron Daemon)' '$f'"

# --- what goes on the wire ----------------------------------------------------
run wire8 "$T/base.conf" -v bob@pinmail.test <"$T/bare.msg"
check "8BITMIME offered: MAIL ... BODY=8BITMIME" grep -q '^--> MAIL FROM:<alice@pinmail.test> BODY=8BITMIME$' "$T/wire8.err"
run wire7 "$T/base.conf" -v -B 7BIT bob@pinmail.test <"$T/bare.msg"
check "-B 7BIT: MAIL ... BODY=7BIT" grep -q '^--> MAIL FROM:<alice@pinmail.test> BODY=7BIT$' "$T/wire7.err"
run dsn "$T/base.conf" -v -N failure,delay -R hdrs -V env-1+x bob@pinmail.test <"$T/bare.msg"
expect_status dsn 0
check "DSN: RET and ENVID (xtext) on MAIL" \
	grep -q '^--> MAIL FROM:<alice@pinmail.test> BODY=8BITMIME RET=HDRS ENVID=env-1+2Bx$' "$T/dsn.err"
check "DSN: NOTIFY on RCPT" grep -q '^--> RCPT TO:<bob@pinmail.test> NOTIFY=FAILURE,DELAY$' "$T/dsn.err"
mark "$ec_DIR"
run utf8 "$T/base.conf" -v 'jörg@pinmail.test' <"$T/bare.msg"
expect_status utf8 0
check "UTF-8 recipient: MAIL ... SMTPUTF8" grep -q '^--> MAIL FROM:<alice@pinmail.test> BODY=8BITMIME SMTPUTF8$' "$T/utf8.err"
if wait_new 1 && [ "$(delivered_to)" = "jörg@pinmail.test " ]; then
	ok "UTF-8 recipient: delivered to jörg@pinmail.test"
else
	bad "UTF-8 recipient: delivered to jörg@pinmail.test" "$(delivered_to)"
fi

# --- overlong lines: nothing delivered, exit 65 -------------------------------
long=$(head -c 999 /dev/zero | tr '\0' x)
printf 'Subject: long\n\nshort\n%s\nafter\n' "$long" >"$T/longbody.msg"
printf 'Subject: long\nX-Long: %s\n\nbody\n' "$long" >"$T/longhdr.msg"
mark "$ec_DIR"
run longbody "$T/base.conf" bob@pinmail.test <"$T/longbody.msg"
expect_status longbody 65
check "long body line: says which line" grep -q 'line 2 of the message body is longer than 998 octets.*nothing sent' "$T/longbody.err"
run longhdr "$T/base.conf" -v bob@pinmail.test <"$T/longhdr.msg"
expect_status longhdr 65
check "long header line: refused before connecting" sh -c "! grep -q '^<--' '$T/longhdr.err'"
check "long lines: nothing delivered" nothing_new
printf 'Subject: edge\n\n%s\n' "$(head -c 998 /dev/zero | tr '\0' y)" >"$T/edge.msg"
run edge "$T/base.conf" bob@pinmail.test <"$T/edge.msg"
expect_status edge 0

# --- the log line -----------------------------------------------------------
conf "$T/log.conf" "$ec_PORT" "$PIN" "logfile $T/pinmail.log"
run logok "$T/log.conf" -t <"$T/bare.msg"
expect_status logok 0
sed 's/^password .*/password wrong-password/' "$T/log.conf" >"$T/logbad.conf"
chmod 600 "$T/logbad.conf"
run logbad "$T/logbad.conf" -t <"$T/bare.msg"
expect_status logbad 77
check "logfile: two lines" [ "$(wc -l <"$T/pinmail.log")" -eq 2 ]
l1=$(sed -n 1p "$T/pinmail.log")
check "logfile: sender, recipients, relay, matched tlsa, status and reply" sh -c "
	echo '$l1' | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{4} pinmail\[[0-9]+\]: [0-9]{8}T[0-9]{6}\.[0-9]{6}-[0-9a-f]+-[0-9a-f]{8}: from=<alice@pinmail.test> to=<bob@pinmail.test> size=[0-9]+ relay=localhost:$ec_PORT tlsa=\"3 1 1\" \($T/log.conf:8\) status=sent exit=0 \(250 2\.0\.0 Ok: ([0-9]+ bytes )?queued as [0-9A-F]+\)$'"
check "logfile: the failure with its reason" \
	sh -c "sed -n 2p '$T/pinmail.log' | grep -q 'status=failed exit=77 (localhost rejected authentication as alice: 535'"
check "logfile: no secret" sh -c "! grep -qe alice-secret-pw -e wrong-password '$T/pinmail.log'"

# syslog: a private /dev/log in a mount namespace, read by a receiver.
cat >"$T/syslogd.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
s.settimeout(10)
with open(sys.argv[1], "wb") as out:
    out.write(s.recv(4096) + b"\n")
EOF
conf "$T/syslog.conf" "$ec_PORT" "$PIN" "syslog local3"
mkdir -p "$T/dev"
: >"$T/dev/null"
unshare -m sh -c "
	mount --bind /dev/null '$T/dev/null' && mount --bind '$T/dev' /dev || exit 99
	python3 '$T/syslogd.py' '$T/syslog.got' & i=0
	while [ ! -e '$T/syslog.got.ready' ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
	'$PINMAIL' -C '$T/syslog.conf' -L backup -t <'$T/bare.msg'; echo \$? >'$T/syslog.st'
	wait" 2>"$T/syslog.err"
# local3 (19) * 8 + info (6) = 158
check "syslog: one line, facility local3, tag from -L, status sent" sh -c "
	[ \"\$(cat '$T/syslog.st' 2>/dev/null)\" = 0 ] &&
	grep -qE '^<158>.*backup\[[0-9]+\]: [0-9T.]+-[0-9a-f]+-[0-9a-f]+: from=<alice@pinmail.test> to=<bob@pinmail.test> .* status=sent exit=0' '$T/syslog.got'"

# --- modes that do not send ----------------------------------------------------
ln -sf pinmail "$ROOT/build/mailq"
ln -sf pinmail "$ROOT/build/newaliases"
conf "$T/empty.conf" "$ec_PORT" "$PIN"
check "mailq: the queue is empty, exit 0" sh -c "PINMAIL_CONF='$T/empty.conf' '$ROOT/build/mailq' | grep -qx 'Mail queue is empty'"
check "-bp: same as mailq" sh -c "'$PINMAIL' -C '$T/empty.conf' -bp | grep -qx 'Mail queue is empty'"
check "-q on an empty queue: silent, exit 0" sh -c "[ -z \"\$('$PINMAIL' -C '$T/empty.conf' -q 2>&1)\" ]"
check "newaliases: exit 0, silent" sh -c "[ -z \"\$('$ROOT/build/newaliases' 2>&1)\" ]"
check "--version: BearSSL, buffer sizes, suites" sh -c "'$PINMAIL' --version |
	grep -q 'BearSSL 0.6' && '$PINMAIL' --version | grep -q 'TLS input 16709' &&
	'$PINMAIL' --version | grep -q 'ChaCha20-Poly1305'"
check "--help: usage on stdout, exit 0" sh -c "'$PINMAIL' --help | grep -q '^usage: pinmail'"
run bs "$T/base.conf" -bs <"$T/bare.msg"
expect_status bs 64
check "-bs: says pinmail does not offer it" grep -q 'mode pinmail does not offer' "$T/bs.err"

finish
