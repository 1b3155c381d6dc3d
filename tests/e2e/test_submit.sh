#!/bin/sh
# End-to-end: build/pinmail submits to a real, private Postfix (implicit TLS,
# SASL required, Maildir delivery) and each case asserts the exit status and
# exactly what was, or was not, delivered.
#
# Servers: "ec" (ECDSA P-256 leaf + intermediate), "rsa" (RSA leaf +
# intermediate), "expired" and "wrongname" (valid chains whose leaf is
# expired / names another host). Certificates come from certs/gen.sh, pins
# from certs/tlsa (openssl), which shares no code with pinmail.
. "$(dirname "$0")/lib.sh"

T=$WORK/submit
rm -rf "$T"
mkdir -p "$T"

start_server ec ec || finish
start_server rsa rsa || finish
start_server expired expired || finish
start_server wrongname wrongname || finish

# run NAME CONF [pinmail args...] < message: exit status in $st, stderr in
# $T/NAME.err.
run() {
	n=$1 c=$2
	shift 2
	"$PINMAIL" -C "$c" "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
expect_status() { # expect_status NAME WANT
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}

# The delivered file without the lines Postfix prepends (Return-Path,
# X-Original-To, Delivered-To, and Received with its continuation lines).
strip_trace() {
	awk 'BEGIN { top = 1 }
	top && /^(Return-Path|X-Original-To|Delivered-To|Received):/ { skip = 1; next }
	top && skip && /^[ \t]/ { next }
	{ top = 0; print }' "$1"
}
# The recipients of the new messages, one per line, sorted.
delivered_to() {
	for f in $(new_files "$1"); do sed -n 's/^Delivered-To: //p' "$f"; done | sort
}

# The message: dots at line starts, a line holding only ".", 8-bit UTF-8,
# CRLF and LF endings mixed, and no final newline. Sent with -i, so the
# lone "." is text. Bcc must not arrive. It has From, Date and Message-ID,
# so pinmail adds nothing (test_dropin.sh covers the fields it adds).
printf '%s\n' \
	'From: Alice <alice@pinmail.test>' \
	'To: Bob <bob@pinmail.test>, "Smith, Carol" <carol@pinmail.test>' \
	'Cc: dave@pinmail.test (Dave),' \
	' bob@pinmail.test' \
	'Bcc: undisclosed-recipients:;, erin@pinmail.test' \
	'Subject: =?UTF-8?Q?gr=C3=BC=C3=9Fe?=' \
	'Date: Sat, 28 Nov 2026 12:00:00 +0100' \
	'Message-ID: <submit-test@pinmail.test>' \
	'' \
	'first line' \
	'.one dot' \
	'..two dots' \
	'.' \
	'...' \
	'grüße, 日本語, ✓' >"$T/msg"
printf 'crlf line\r\nlast line, no newline' >>"$T/msg"
# What each recipient's Maildir copy must hold: the message without Bcc, with
# line ends as Postfix stores them (LF) and the final line terminated.
grep -v '^Bcc: ' "$T/msg" | tr -d '\r' >"$T/want"
ALL="bob@pinmail.test
carol@pinmail.test
dave@pinmail.test
erin@pinmail.test"

# deliver NAME SERVER TLSA-LINES...: -t -i submission of $T/msg, pinned by the
# given lines; asserts exit 0, one copy per recipient, identical bytes.
deliver() {
	n=$1 srv=$2
	shift 2
	eval "port=\$${srv}_PORT dir=\$${srv}_DIR"
	conf "$T/$n.conf" "$port" "$@"
	mark "$dir"
	run "$n" "$T/$n.conf" -t -i <"$T/msg"
	expect_status "$n" 0
	if wait_count_new "$dir" 4 && [ "$(delivered_to "$dir")" = "$ALL" ]; then
		ok "$n: one copy for each To, Cc and Bcc recipient"
	else
		bad "$n: one copy for each To, Cc and Bcc recipient" \
			"got $(delivered_to "$dir" | tr '\n' ' ')"
	fi
	same=1
	for f in $(new_files "$dir"); do
		strip_trace "$f" | cmp -s - "$T/want" || { same=0; cp "$f" "$T/$n.got"; }
	done
	if [ $same -eq 1 ]; then ok "$n: delivered bytes identical, Bcc absent"; else
		bad "$n: delivered bytes identical, Bcc absent" "see $T/$n.got"; fi
}
# wait_count_new DIR N: N messages arrived since mark.
wait_count_new() {
	i=0
	while [ "$(new_files "$1" | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(new_files "$1" | wc -l)" -eq "$2" ]
}
# nothing_new DIR: no message arrived since mark (after Postfix had time).
nothing_new() {
	sleep 0.5
	[ "$(new_files "$1" | wc -l)" -eq 0 ]
}

# --- pins that authenticate ------------------------------------------------
deliver "ec 3 1 1" ec "$(tlsa_line ec 3 1 1)"
deliver "ec 3 0 1" ec "$(tlsa_line ec 3 0 1)"
deliver "ec 3 1 2" ec "$(tlsa_line ec 3 1 2)"
deliver "ec 2 0 1 intermediate" ec "$(tlsa_line int 2 0 1)"
deliver "rsa 3 1 1" rsa "$(tlsa_line rsa 3 1 1)"
deliver "rsa 2 1 1 intermediate" rsa "$(tlsa_line int 2 1 1)"
deliver "several tlsa, one matching" rsa \
	"$(tlsa_line ec 3 1 1)" "$(tlsa_line rsa2 3 1 1)" "$(tlsa_line rsa 3 0 2)"
# DANE-EE checks neither dates nor names.
deliver "expired leaf, 3 1 1" expired "$(tlsa_line expired 3 1 1)"
deliver "wrong name, 3 1 1" wrongname "$(tlsa_line wrongname 3 1 1)"

# --- pins that do not --------------------------------------------------------
log_lines() { wc -l <"$("$PF" log "$1")"; }
new_log() { tail -n +"$(($2 + 1))" "$("$PF" log "$1")"; }

conf "$T/wrongpin.conf" "$ec_PORT" "$(tlsa_line rsa 3 1 1)"
mark "$ec_DIR"
l0=$(log_lines "$ec_DIR")
run wrongpin "$T/wrongpin.conf" -t -i <"$T/msg"
expect_status wrongpin 75
check "wrongpin: nothing delivered" nothing_new "$ec_DIR"
want="tlsa 3 1 1 $("$ROOT/certs/tlsa" -c 3 1 1 "$CERTS/ec.pem")"
if grep -q "matches no tlsa record" "$T/wrongpin.err" && grep -qF "$want" "$T/wrongpin.err" &&
	[ "$(wc -l <"$T/wrongpin.err")" -eq 1 ]; then
	ok "wrongpin: one line naming the presented key's 3 1 1 value"
else
	bad "wrongpin: one line naming the presented key's 3 1 1 value" "$(cat "$T/wrongpin.err")"
fi
sleep 0.5 # let Postfix log the disconnect
new_log "$ec_DIR" "$l0" >"$T/wrongpin.log"
if grep -q 'disconnect from' "$T/wrongpin.log" &&
	! grep -qE 'sasl_method|sasl_username|from=<|ehlo=|auth=' "$T/wrongpin.log"; then
	ok "wrongpin: Postfix saw no EHLO, AUTH or MAIL"
else
	bad "wrongpin: Postfix saw no EHLO, AUTH or MAIL" "$(cat "$T/wrongpin.log")"
fi

for srv in expired wrongname; do
	eval "port=\$${srv}_PORT dir=\$${srv}_DIR"
	conf "$T/$srv-ta.conf" "$port" "$(tlsa_line int 2 0 1)"
	mark "$dir"
	run "$srv-ta" "$T/$srv-ta.conf" -t -i <"$T/msg"
	expect_status "$srv-ta" 75
	check "$srv, 2 0 1: nothing delivered" nothing_new "$dir"
done
check "expired, 2 0 1: says the chain failed" grep -qi 'expired\|date\|valid' "$T/expired-ta.err"
check "wrongname, 2 0 1: says the name failed" grep -qi 'name' "$T/wrongname-ta.err"

# --- authentication, connection ---------------------------------------------
conf "$T/badpw.conf" "$ec_PORT" "$(tlsa_line ec 3 1 1)"
sed -i 's/^password .*/password not-the-password/' "$T/badpw.conf"
mark "$ec_DIR"
run badpw "$T/badpw.conf" -t -i <"$T/msg"
expect_status badpw 77
check "badpw: nothing delivered" nothing_new "$ec_DIR"
check "badpw: one line naming the server's refusal" \
	sh -c "[ \$(wc -l <'$T/badpw.err') -eq 1 ] && grep -q '535' '$T/badpw.err'"

closed=$(free_port)
conf "$T/closed.conf" "$closed" "$(tlsa_line ec 3 1 1)"
run closed "$T/closed.conf" bob@pinmail.test <"$T/msg"
expect_status closed 0
check "closed: queued, says so" grep -q 'Connection refused; queued as ' "$T/closed.err"

# A listener that accepts and never speaks: the timeout ends it, and the
# message waits in the queue (sendmail's "accepted for delivery": exit 0).
silent=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
c, _ = s.accept(); time.sleep(30)' "$silent" &
sp=$!
sleep 0.3
conf "$T/silent.conf" "$silent" "$(tlsa_line ec 3 1 1)"
sed -i 's/^timeout .*/timeout 2/' "$T/silent.conf"
t0=$(date +%s)
run silent "$T/silent.conf" bob@pinmail.test <"$T/msg"
t1=$(date +%s)
kill $sp 2>/dev/null
wait $sp 2>/dev/null
expect_status silent 0
check "silent server: gave up within the 2 s timeout (+1 s), queued" \
	sh -c "[ $((t1 - t0)) -le 3 ] && grep -q 'did not answer within 2 s.*queued as ' '$T/silent.err'"

# --- recipients as arguments, the sendmail name ----------------------------
conf "$T/args.conf" "$rsa_PORT" "$(tlsa_line rsa 3 1 1)"
mark "$rsa_DIR"
printf 'Subject: args\n\nbody\n' >"$T/args.msg"
run args "$T/args.conf" erin@pinmail.test carol@pinmail.test erin@pinmail.test <"$T/args.msg"
expect_status args 0
if wait_count_new "$rsa_DIR" 2 &&
	[ "$(delivered_to "$rsa_DIR" | tr '\n' ' ')" = "carol@pinmail.test erin@pinmail.test " ]; then
	ok "args: each argument recipient once"
else
	bad "args: each argument recipient once" "$(delivered_to "$rsa_DIR" | tr '\n' ' ')"
fi
f=$(new_files "$rsa_DIR" | head -n 1)
check "args: From: added from the configuration" grep -qx 'From: alice@pinmail.test' "$f"

mark "$rsa_DIR"
"$ROOT/build/sendmail" -C "$T/args.conf" -t <"$T/msg" >/dev/null 2>"$T/sendmail.err"
st=$?
expect_status sendmail 0
check "sendmail: delivered under that name" wait_count_new "$rsa_DIR" 4

# -f sets the envelope sender (Return-Path), -F the From: display name.
mark "$rsa_DIR"
run envelope "$T/args.conf" -f bounce@pinmail.test -F "Cron Daemon" carol@pinmail.test <"$T/args.msg"
expect_status envelope 0
wait_count_new "$rsa_DIR" 1
f=$(new_files "$rsa_DIR")
check "-f: envelope sender" grep -qx 'Return-Path: <bounce@pinmail.test>' "$f"
check "-F: From: with the name" grep -qx 'From: "Cron Daemon" <bounce@pinmail.test>' "$f"

# Without -i a line holding only "." ends the message (sendmail semantics).
mark "$rsa_DIR"
printf 'Subject: dot\n\nkept\n.\ndropped\n' >"$T/dot.msg"
run dot "$T/args.conf" carol@pinmail.test <"$T/dot.msg"
expect_status dot 0
wait_count_new "$rsa_DIR" 1
f=$(new_files "$rsa_DIR")
check "no -i: the lone dot ends the message" \
	sh -c "grep -qx kept '$f' && ! grep -q dropped '$f'"

# -v: the transcript is on stderr, and no secret is in it.
conf "$T/verbose.conf" "$ec_PORT" "$(tlsa_line ec 3 1 1)"
run verbose "$T/verbose.conf" -v -t -i <"$T/msg"
expect_status verbose 0
b64=$(printf '\000alice\000alice-secret-pw' | base64 -w0)
b64p=$(printf 'alice-secret-pw' | base64 -w0)
check "-v: transcript shows AUTH, MAIL and the final reply" \
	sh -c "grep -q '^--> AUTH PLAIN' '$T/verbose.err' && grep -q '^--> MAIL FROM:<alice@pinmail.test>' '$T/verbose.err' && grep -q '^<-- 250 .*queued' '$T/verbose.err'"
check "-v: no password, plain or base64, in the transcript" \
	sh -c "! grep -qF -e alice-secret-pw -e '$b64' -e '$b64p' '$T/verbose.err'"
check "-v: no message body in the transcript" sh -c "! grep -q 'two dots' '$T/verbose.err'"

# --- configuration and usage errors ----------------------------------------
cfg_error() { # cfg_error NAME WANT-TEXT LINE...: exit 78, file:line named
	n=$1 want=$2
	shift 2
	printf '%s\n' "$@" >"$T/$n.conf"
	chmod 600 "$T/$n.conf"
	run "$n" "$T/$n.conf" bob@pinmail.test <"$T/args.msg"
	expect_status "$n" 78
	check "$n: one error line naming $want" \
		sh -c "[ \$(grep -vc '^pinmail: warning: ' '$T/$n.err') -eq 1 ] &&
			tail -n 1 '$T/$n.err' | grep -qF '$want'"
}
pin=$(tlsa_line ec 3 1 1)
cfg_error unknown-key "$T/unknown-key.conf:2" "host localhost" "colour blue" "$pin"
cfg_error bad-tlsa "$T/bad-tlsa.conf:2" "host localhost" "tlsa 3 1 1 abc" "user a"
cfg_error no-value "$T/no-value.conf:1" "host" "$pin"
cfg_error no-tlsa "no usable tlsa" "host localhost" "port 465"
cfg_error only-unusable "no usable tlsa" "host localhost" "tlsa 1 1 1 $(printf '%064d' 0)"
cfg_error bad-port "$T/bad-port.conf:2" "host localhost" "port 99999" "$pin"
run missing "$T/does-not-exist.conf" bob@pinmail.test <"$T/args.msg"
expect_status missing 78

conf "$T/ok.conf" "$ec_PORT" "$(tlsa_line ec 3 1 1)"
chmod 644 "$T/ok.conf"
mark "$ec_DIR"
run readable "$T/ok.conf" bob@pinmail.test <"$T/args.msg"
expect_status readable 0
check "a password readable by others: warned" grep -q 'readable' "$T/readable.err"
wait_count_new "$ec_DIR" 1

run unknown-opt "$T/ok.conf" -X bob@pinmail.test <"$T/args.msg"
expect_status unknown-opt 64
check "unknown option: named, not taken as a recipient" grep -q -- '-X' "$T/unknown-opt.err"
run crlf-arg "$T/ok.conf" "$(printf 'bob@pinmail.test\nBcc: x@y')" <"$T/args.msg"
expect_status crlf-arg 64
run no-rcpt "$T/ok.conf" <"$T/args.msg"
expect_status no-rcpt 64
run bad-addr "$T/ok.conf" -t <<'EOF'
To: "unterminated <bob@pinmail.test>

x
EOF
expect_status bad-addr 65

# --- memory does not grow with the message -----------------------------------
# Peak RSS (kB) for a 1 KB, a 1 MB and a 64 MB body. Every buffer is fixed at
# build time; a 1 KB message leaves parts of the TLS and stdin buffers
# untouched, a 1 MB one fills them all, so from there on the peak must not
# move by more than a couple of pages.
conf "$T/mem.conf" "$ec_PORT" "$(tlsa_line ec 3 1 1)"
head -c 700 /dev/zero | tr '\0' 'a' | fold -w 70 >"$T/small.body"
awk 'BEGIN { l = sprintf("%075d", 0); for (i = 0; i < 13000; i++) print l }' >"$T/mid.body"
awk 'BEGIN { l = sprintf("%075d", 0); for (i = 0; i < 880000; i++) print l }' >"$T/big.body"
# The message comes from a file, not a pipe: a read from a pipe returns what
# the writer has put in so far, so how much of the (fixed) header buffer gets
# touched would depend on scheduling, not on the message. tests/tools/peakrss
# reads the process's own VmHWM at exit (ru_maxrss, as /usr/bin/time reports
# it, includes the parent's memory from before exec).
rss() { # rss BODY: peak RSS of one submission in kB
	{ printf 'Subject: mem\n\n'; cat "$1"; } >"$T/mem.msg"
	"$ROOT/build/tools/peakrss" "$T/rss" "$PINMAIL" -C "$T/mem.conf" bob@pinmail.test \
		<"$T/mem.msg" 2>/dev/null && cat "$T/rss"
}
mark "$ec_DIR"
small=$(rss "$T/small.body") || small=
mid=$(rss "$T/mid.body") || mid=
big=$(rss "$T/big.body") || big=
echo "# peak RSS: $small kB (1 KB message), $mid kB (1 MB), $big kB (64 MB)"
if [ -n "$small" ] && [ -n "$mid" ] && [ -n "$big" ] &&
	[ "$big" -le $((mid + 8)) ] && [ "$small" -le "$mid" ]; then
	ok "memory: the 64 MB message peaks within 8 kB of the 1 MB one"
else
	bad "memory: the 64 MB message peaks within 8 kB of the 1 MB one" "$small / $mid / $big"
fi
if wait_count_new "$ec_DIR" 3; then
	f=$(ls -S $(new_files "$ec_DIR") | head -n 1)
	check "memory: the 64 MB body arrived intact" \
		sh -c "sed '1,/^\$/d' '$f' | cmp -s - '$T/big.body'"
else
	bad "memory: all three messages delivered"
fi
rm -f "$T/big.body" "$T/mem.msg"

finish
