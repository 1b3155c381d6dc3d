#!/bin/sh
# End-to-end: the spool. A message is on disk before pinmail connects and
# leaves it only after the server's final 250; temporary failures wait in
# the queue with a backoff, permanent ones go to dead/ (or dead.letter with
# queue off); -q delivers oldest first under a lock; mailq lists the queue;
# spool_max and max_queue_age bound it.
. "$(dirname "$0")/lib.sh"

T=$WORK/spool
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
start_server ec ec || finish
PIN=$(tlsa_line ec 3 1 1)
CLOSED=$(free_port)
Q=$T/q            # the spool every configuration here shares

# cfg NAME PORT [extra...]: a configuration using the shared spool $Q.
cfg() { n=$1 p=$2; shift 2; conf "$T/$n.conf" "$p" "$PIN" "spool $Q" "$@"; }
run() { # run NAME CONF [args...] < message
	n=$1 c=$2
	shift 2
	"$PINMAIL" -C "$c" "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}
queued() { ls "$Q" 2>/dev/null | grep -c '\.env$'; }
wait_new() {
	i=0
	while [ "$(new_files "$ec_DIR" | wc -l)" -lt "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(new_files "$ec_DIR" | wc -l)" -eq "$1" ]
}
body_of() { sed '1,/^$/d' "$1"; }

cfg down "$CLOSED"
cfg up "$ec_PORT" "logfile $T/up.log"

# --- a temporary failure queues the message -----------------------------------
printf 'From: alice@pinmail.test\nDate: Sat, 28 Nov 2026 12:00:00 +0000\nMessage-ID: <q1@pinmail.test>\nSubject: queued\n\nline one\n.dot\nFrom here on, a body line\nline three\n' >"$T/m1"
run defer "$T/down.conf" bob@pinmail.test <"$T/m1"
expect_status defer 0
check "defer: says it was queued" grep -q 'Connection refused; queued as ' "$T/defer.err"
check "defer: one message in the queue" [ "$(queued)" -eq 1 ]
id=$(ls "$Q" | sed -n 's/\.env$//p')
check "defer: the spooled message is the message, byte for byte" cmp -s "$Q/$id.msg" "$T/m1"
check "defer: files 0600, directory 0700" sh -c "
	[ \$(stat -c %a '$Q/$id.msg') = 600 ] && [ \$(stat -c %a '$Q/$id.env') = 600 ] &&
	[ \$(stat -c %a '$Q') = 700 ]"
check "defer: envelope holds sender, recipient, attempt 1 and the error" sh -c "
	grep -qx 'from alice@pinmail.test' '$Q/$id.env' && grep -qx 'rcpt bob@pinmail.test' '$Q/$id.env' &&
	grep -qx 'attempts 1' '$Q/$id.env' && grep -q '^error cannot connect' '$Q/$id.env'"
"$PINMAIL" -C "$T/down.conf" -bp >"$T/mailq.out"
check "mailq: id, size, sender, recipient, last error" sh -c "
	grep -qE '^$id +$(stat -c %s "$T/m1") +[0-9]+s  alice@pinmail.test$' '$T/mailq.out' &&
	grep -q 'Connection refused; 1 attempt, next in' '$T/mailq.out' &&
	grep -qE '^ +bob@pinmail.test$' '$T/mailq.out' && grep -q '^-- $(stat -c %s "$T/m1") bytes in 1 message$' '$T/mailq.out'"

# -q respects the backoff: nothing is tried before the next attempt time.
run early "$T/down.conf" -q
expect_status early 0
check "-q before the backoff: not attempted" grep -qx 'attempts 1' "$Q/$id.env"
# --retry-now ignores it; a second failure doubles the wait (60 s, 120 s).
now=$(date +%s)
run retry "$T/down.conf" --retry-now
expect_status retry 0
next=$(sed -n 's/^next //p' "$Q/$id.env")
check "backoff: attempt 2, next in 120 s" sh -c "
	grep -qx 'attempts 2' '$Q/$id.env' && [ $((next - now)) -ge 119 ] && [ $((next - now)) -le 122 ]"

# The server is back: the flush delivers it, byte-identical, and empties the queue.
mark "$ec_DIR"
run flush "$T/up.conf" --retry-now
expect_status flush 0
if wait_new 1; then
	f=$(new_files "$ec_DIR")
	check "flush: delivered body identical" sh -c "body_of() { sed '1,/^\$/d' \"\$1\"; };
		[ \"\$(body_of '$f')\" = \"\$(body_of '$T/m1')\" ] && grep -qx 'Message-ID: <q1@pinmail.test>' '$f'"
else
	bad "flush: delivered"
fi
check "flush: queue empty, no file left (but the TLS session)" \
	sh -c "[ -z \"\$(ls '$Q' | grep -v -e '^tmp\$' -e '^dead\$' -e '^tls.session\$')\" ]"
check "flush: logged as sent with its queue id" grep -q ": $id: from=<alice@pinmail.test> .* status=sent" "$T/up.log"
mark "$ec_DIR"
run again "$T/up.conf" --retry-now
check "flush again: nothing sent twice" sh -c "sleep 0.5; [ -z \"\$(ls '$("$PF" maildir "$ec_DIR")' | sort | comm -13 '$MARK' -)\" ]"

# --- a pin that does not match: queued, but loud -------------------------------
conf "$T/wrongpin.conf" "$ec_PORT" "$(tlsa_line rsa 3 1 1)" "spool $Q"
run wrongpin "$T/wrongpin.conf" bob@pinmail.test <"$T/m1"
expect_status wrongpin 75
check "wrong pin: still queued" [ "$(queued)" -eq 1 ]
check "wrong pin: one line, the key and the queue id" sh -c "
	[ \$(wc -l <'$T/wrongpin.err') -eq 1 ] && grep -q 'matches no tlsa record.*queued as' '$T/wrongpin.err'"
mark "$ec_DIR"
run wrongpin-flush "$T/up.conf" --retry-now
check "wrong pin: delivered once the pin is right" wait_new 1

# --- permanent failures: dead/, with the reason --------------------------------
cfg badpw "$ec_PORT"
sed -i 's/^password .*/password not-the-password/' "$T/badpw.conf"
run badpw "$T/badpw.conf" bob@pinmail.test <"$T/m1"
expect_status badpw 77
check "auth rejected: not queued" [ "$(queued)" -eq 0 ]
did=$(ls "$Q/dead" | sed -n 's/\.env$//p' | tail -n 1)
check "auth rejected: in dead/ with the server's reply" sh -c "
	cmp -s '$Q/dead/$did.msg' '$T/m1' && grep -q '^error .*535' '$Q/dead/$did.env'"
check "auth rejected: the line says where the message is" grep -q "kept in $Q/dead/$did.msg" "$T/badpw.err"

# --- queue off: no retry, dead.letter ----------------------------------------------
mkdir -p "$T/off"
conf "$T/off.conf" "$CLOSED" "$PIN" "spool $T/off/spool" "queue off"
run off "$T/off.conf" bob@pinmail.test <"$T/m1"
expect_status off 75
check "queue off: not queued" sh -c "[ \$(ls '$T/off/spool' | grep -c env) -eq 0 ]"
check "queue off: the message is in dead.letter beside the spool" sh -c "
	head -n 1 '$T/off/dead.letter' | grep -q '^From alice@pinmail.test ' &&
	grep -qx 'From: alice@pinmail.test' '$T/off/dead.letter' &&
	grep -qx '>From here on, a body line' '$T/off/dead.letter' && grep -qx 'line three' '$T/off/dead.letter'"

# --- spool_max: refuse, never truncate ---------------------------------------------
conf "$T/small.conf" "$CLOSED" "$PIN" "spool $T/small" "spool_max 2K"
head -c 1500 /dev/zero | tr '\0' a | fold -w 60 >"$T/big"
{ printf 'Subject: 1\n\n'; cat "$T/big"; } >"$T/m2"
run small1 "$T/small.conf" bob@pinmail.test <"$T/m2"
expect_status small1 0
run small2 "$T/small.conf" bob@pinmail.test <"$T/m2"
expect_status small2 73
check "spool_max: says so; the first message still queued, whole" sh -c "
	grep -q 'would exceed spool_max' '$T/small2.err' && [ \$(ls '$T/small' | grep -c env) -eq 1 ] &&
	[ \"\$(sed '1,/^\$/d' '$T/small'/*.msg)\" = \"\$(cat '$T/big')\" ]"

# --- max_queue_age -------------------------------------------------------------------
conf "$T/old.conf" "$CLOSED" "$PIN" "spool $T/old" "max_queue_age 1s"
run old1 "$T/old.conf" bob@pinmail.test <"$T/m1"
sleep 2
run old2 "$T/old.conf" -q
expect_status old2 0
check "max_queue_age: moved to dead/ by -q, and said so" sh -c "
	[ \$(ls '$T/old' | grep -c env) -eq 0 ] && [ \$(ls '$T/old/dead' | grep -c msg) -eq 1 ] &&
	grep -q 'queued longer than max_queue_age' '$T/old2.err'"

# --- two flushes at once, oldest first --------------------------------------------
for k in 1 2 3 4 5 6; do
	printf 'Subject: order %s\n\nmessage %s\n' "$k" "$k" >"$T/o$k"
	run "o$k" "$T/down.conf" bob@pinmail.test <"$T/o$k"
done
check "six queued" [ "$(queued)" -eq 6 ]
mark "$ec_DIR"
: >"$T/up.log"
"$PINMAIL" -C "$T/up.conf" --retry-now 2>"$T/f1.err" &
p1=$!
"$PINMAIL" -C "$T/up.conf" --retry-now 2>"$T/f2.err" &
p2=$!
wait $p1 $p2
wait_new 6
check "two flushes: each message delivered exactly once" sh -c "
	[ \$(for f in $(echo $(new_files "$ec_DIR")); do grep '^Subject: order' \$f; done | sort -u | wc -l) -eq 6 ] &&
	[ $(new_files "$ec_DIR" | wc -l) -eq 6 ]"
check "two flushes: queue empty" [ "$(queued)" -eq 0 ]
ids=$(sed -n 's/.*: \([0-9T.]*-[0-9a-f]*-[0-9a-f]*\): from=.*/\1/p' "$T/up.log")
check "oldest first" [ "$ids" = "$(echo "$ids" | sort)" ]

finish
