#!/bin/sh
# Crash safety: pinmail is killed with SIGKILL at 200 random points, 100
# during submissions and 100 during -q flushes; then the queue is flushed
# until empty. Every message must end up delivered exactly once, with its
# whole body, or (killed before it was queued) not at all. A second copy
# is allowed only when the kill came in the one unavoidable window: after
# the final "." (or the LAST BDAT chunk) went out and before the message
# left the queue (the server may have accepted it without pinmail hearing
# the 250).
#
# Kill points are uniform over 0..1.5x a measured submission time; the
# random seed is printed, and PM_CRASH_SEED=N repeats a run.
. "$(dirname "$0")/lib.sh"

T=$WORK/crash
rm -rf "$T"
mkdir -p "$T/log"
chmod 755 "$T"
start_server ec ec || finish
PIN=$(tlsa_line ec 3 1 1)
Q=$T/q
conf "$T/up.conf" "$ec_PORT" "$PIN" "spool $Q"
conf "$T/down.conf" "$(free_port)" "$PIN" "spool $Q"
SEED=${PM_CRASH_SEED:-$(date +%s)}
echo "# seed $SEED (PM_CRASH_SEED=$SEED repeats this run)"

msg() { # msg N: a message whose body names N on 40 lines
	printf 'From: alice@pinmail.test\nSubject: crash-%s\n\n' "$1"
	i=0
	while [ $i -lt 40 ]; do echo "crash-$1 line $i ........................................"; i=$((i + 1)); done
}

# A submission's duration, in ms, to spread the kill points over.
t0=$(date +%s%N)
for k in 1 2 3; do msg 0 | "$PINMAIL" -C "$T/up.conf" bob@pinmail.test 2>/dev/null; done
t1=$(date +%s%N)
span=$(( (t1 - t0) / 3000000 * 3 / 2 ))
[ "$span" -ge 5 ] || span=5
echo "# kill points: 0..$span ms"
delays=$(awk -v s="$SEED" -v span="$span" 'BEGIN { srand(s); for (i = 0; i < 200; i++) printf "%.3f\n", rand() * span / 1000 }')

# killed N INPUT CMD...: run CMD in the background with INPUT on stdin,
# SIGKILL it after the N-th delay; the exit status lands in $T/log/N.st,
# stderr in $T/log/N.err. (A background command's stdin is /dev/null
# unless redirected on the command itself.)
killed() {
	n=$1 in=$2
	shift 2
	d=$(echo "$delays" | sed -n "${n}p")
	"$@" <"$in" 2>"$T/log/$n.err" &
	pid=$!
	sleep "$d"
	kill -9 $pid 2>/dev/null
	{ wait $pid; echo $? >"$T/log/$n.st"; } 2>/dev/null
}

mark "$ec_DIR"
n=1
while [ $n -le 100 ]; do
	msg $n >"$T/m"
	killed $n "$T/m" "$PINMAIL" -v -C "$T/up.conf" bob@pinmail.test
	n=$((n + 1))
done
while [ $n -le 200 ]; do
	msg $n | "$PINMAIL" -C "$T/down.conf" bob@pinmail.test 2>"$T/log/$n.queued"
	killed $n /dev/null "$PINMAIL" -v -C "$T/up.conf" --retry-now
	n=$((n + 1))
done
killed_count=$(cat "$T"/log/*.st | grep -c '^137$')
echo "# $killed_count of 200 runs were killed (the rest finished first)"

# Flush what is left, until the queue is empty (bounded).
k=0
while [ "$(ls "$Q" | grep -c '\.env$')" -gt 0 ] && [ $k -lt 5 ]; do
	"$PINMAIL" -C "$T/up.conf" --retry-now 2>>"$T/final.err"
	k=$((k + 1))
done
check "after the final flush the queue is empty" [ "$(ls "$Q" | grep -c '\.env$')" -eq 0 ]
check "nothing was given up (dead/ is empty)" [ -z "$(ls "$Q/dead")" ]

# Let Postfix finish delivering, then count copies per message.
prev=-1
while [ "$(new_files "$ec_DIR" | wc -l)" -ne "$prev" ]; do
	prev=$(new_files "$ec_DIR" | wc -l)
	sleep 1
done
for f in $(new_files "$ec_DIR"); do
	s=$(sed -n 's/^Subject: crash-//p' "$f")
	[ "$s" = 0 ] && continue
	msg "$s" | sed '1,/^$/d' >"$T/want"
	if sed '1,/^$/d' "$f" | cmp -s - "$T/want"; then echo "$s"; else echo "torn $s"; fi
done | sort -n | uniq -c >"$T/counts"

check "no delivered copy is torn (every body whole)" sh -c "! grep -q torn '$T/counts'"

# The queue id of each message: from -v ("delivering ID") for submissions,
# from "queued as ID" for those queued before a flush.
idof() {
	if [ "$1" -le 100 ]; then
		sed -n 's/^pinmail: delivering \([^ ]*\) .*/\1/p' "$T/log/$1.err" | head -n 1
	else
		sed -n 's/.*queued as \([^,]*\),.*/\1/p' "$T/log/$1.queued"
	fi
}
# Ids in the window: a killed run whose last "delivering ID" is followed
# by the end of the message going out: the final dot, or with CHUNKING the
# LAST chunk.
for st in "$T"/log/*.st; do
	[ "$(cat "$st")" = 137 ] || continue
	awk '/^pinmail: delivering / { id = $3; dot = 0 } /^--> (\.|BDAT [0-9]+ LAST)$/ { dot = 1 }
		END { if (dot) print id }' "${st%.st}.err"
done >"$T/window"
dups=0 bad_dups=0 lost=0
n=1
while [ $n -le 200 ]; do
	c=$(awk -v n=$n '$2 == n { print $1 }' "$T/counts")
	c=${c:-0}
	if [ "$c" -gt 1 ]; then
		dups=$((dups + 1))
		# Allowed only if a run was killed delivering it, after the dot.
		grep -qx "$(idof $n)" "$T/window" || bad_dups=$((bad_dups + 1))
	fi
	if [ "$c" -eq 0 ]; then
		# Never delivered: only if killed before the message was queued
		# (a submission that never said "delivering"; messages of the
		# flush runs were queued before the flush, so must arrive).
		if [ $n -gt 100 ] || grep -q '^pinmail: delivering' "$T/log/$n.err"; then
			lost=$((lost + 1))
		fi
	fi
	n=$((n + 1))
done
echo "# copies per message: $(awk '{ print $1 }' "$T/counts" | sort | uniq -c | tr '\n' ' ')"
check "no message queued or sent was lost" [ $lost -eq 0 ]
check "no second copy outside the final-dot window ($dups in it)" [ $bad_dups -eq 0 ]
check "runs that were not killed exited 0" sh -c "! grep -vqx -e 0 -e 137 $(echo "$T"/log/*.st)"

finish
