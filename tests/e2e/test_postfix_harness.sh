#!/bin/sh
# Smoke test of tests/e2e/postfix itself, with swaks as an independent
# client: TLS greeting, AUTH PLAIN and LOGIN deliver into the Maildir, a
# wrong password gets 535 and delivers nothing, relaying without AUTH is
# refused, the log shows it all, two instances run side by side (one under
# build/e2e, one under /tmp), restart and stop work.
#
#   tests/e2e/test_postfix_harness.sh [CERT_CHAIN_PEM KEY_PEM]
#
# Without arguments a throwaway self-signed RSA certificate is generated.
# Prints "ok NAME" / "FAIL NAME" lines; exits non-zero on any failure.
# Needs root, postfix, sasl2-bin, swaks, libnet-ssleay-perl, openssl, socat.
. "$(dirname "$0")/lib.sh"

TMP=$(mktemp -d)
chmod 755 "$TMP" # the second instance lives here: postfix must traverse it
cleanup() { stop_servers; rm -rf "$TMP"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

if [ $# -ge 2 ]; then
	CHAIN=$1 KEY=$2
else
	CHAIN=$TMP/cert.pem KEY=$TMP/key.pem
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
		-addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
		-keyout "$KEY" -out "$CHAIN" 2>/dev/null || { bad "make test certificate"; finish; }
fi
for t in swaks openssl socat saslpasswd2 postfix; do
	command -v "$t" >/dev/null || { bad "tool $t missing"; finish; }
done

PASS=alice-secret-pw
count() { ls "$("$PF" maildir "$1")" 2>/dev/null | wc -l; }
wait_n() { # wait_n DIR N: the Maildir holds N messages (bounded wait)
	i=0
	while [ "$(count "$1")" -lt "$2" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(count "$1")" -eq "$2" ]
}
send() { # send PORT AUTH PASSWORD [swaks args...]: swaks transcript on stdout
	p=$1 a=$2 w=$3
	shift 3
	swaks --server "127.0.0.1:$p" --tlsc --to bob@pinmail.test --from alice@pinmail.test \
		--auth "$a" --auth-user alice --auth-password "$w" --timeout 20 "$@" 2>&1
}
greets() { printf 'QUIT\r\n' | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$1" 2>/dev/null |
	head -n 1 | grep -q '^220 '; }
listening() { socat -u OPEN:/dev/null "TCP:127.0.0.1:$1,connect-timeout=1" 2>/dev/null; }

# --- instance A under build/e2e ------------------------------------------
A=$WORK/pf-harness
PA=$(free_port)
L0=$(cat "$A/log/postfix.log" 2>/dev/null | wc -l) # earlier runs' lines
t0=$(date +%s.%N)
if "$PF" start "$A" "$PA" "$CHAIN" "$KEY"; then
	STARTED="$A"
	ok "start $A port $PA"
	echo "# start took $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
else
	bad "start $A port $PA"
	finish
fi
check "paths are absolute" test "$("$PF" maildir "$A")" = "$A/maildir/new" -a \
	"$("$PF" log "$A")" = "$A/log/postfix.log"
check "credentials file" test "$(cat "$A/credentials")" = "$(printf 'alice\n%s' "$PASS")"
chain_out=$(echo | openssl s_client -connect "127.0.0.1:$PA" -showcerts 2>/dev/null)
if greets "$PA" && printf '%s\n' "$chain_out" | grep -q 'BEGIN CERTIFICATE'; then
	ok "TLS greeting and certificate"
else bad "TLS greeting and certificate"; fi

ehlo=$(swaks --server "127.0.0.1:$PA" --tlsc --quit-after EHLO 2>&1)
if printf '%s\n' "$ehlo" | grep -q '250-AUTH PLAIN LOGIN$'; then
	ok "AUTH offers exactly PLAIN LOGIN"
else bad "AUTH offers exactly PLAIN LOGIN" "$(printf '%s\n' "$ehlo" | grep AUTH)"; fi

n=$(count "$A")
for mech in PLAIN LOGIN; do
	out=$(send "$PA" $mech "$PASS" --header "Subject: harness $mech")
	if printf '%s\n' "$out" | grep -q '^<~  235 ' &&
		printf '%s\n' "$out" | grep -q '^<~  250 2.0.0 Ok: queued' && wait_n "$A" $((n + 1)) &&
		grep -l "^Subject: harness $mech" "$("$PF" maildir "$A")"/* >/dev/null 2>&1; then
		ok "AUTH $mech delivers to the Maildir"
	else
		bad "AUTH $mech delivers to the Maildir" "$(printf '%s\n' "$out" | grep '^<~\*' | head -3)"
	fi
	n=$(count "$A")
done

out=$(send "$PA" PLAIN wrong-password)
sleep 0.5
if printf '%s\n' "$out" | grep -q '^<~\* 535 ' && [ "$(count "$A")" -eq "$n" ]; then
	ok "wrong password: 535, nothing delivered"
else bad "wrong password: 535, nothing delivered"; fi

out=$(swaks --server "127.0.0.1:$PA" --tlsc --to carol@example.org --from alice@pinmail.test 2>&1)
sleep 0.5
if printf '%s\n' "$out" | grep -q '^<~\* 554 .*Access denied' && [ "$(count "$A")" -eq "$n" ]; then
	ok "no AUTH: recipient refused, nothing delivered"
else bad "no AUTH: recipient refused, nothing delivered"; fi

log=$(tail -n +$((L0 + 1)) "$("$PF" log "$A")")
has() { printf '%s\n' "$log" | grep -q "$1"; }
if has 'sasl_method=PLAIN, sasl_username=alice' && has 'sasl_method=LOGIN, sasl_username=alice' &&
	has 'from=<alice@pinmail.test>' && has 'status=sent (delivered to maildir)' &&
	has 'SASL PLAIN authentication failed'; then
	ok "log shows AUTH, MAIL and delivery"
else bad "log shows AUTH, MAIL and delivery" "$("$PF" log "$A")"; fi

# --- instance B under /tmp, alongside A, with the same certificate --------
B=$TMP/pf-b
PB=$(free_port)
if "$PF" start "$B" "$PB" "$CHAIN" "$KEY"; then
	STARTED="$A $B"
	out=$(send "$PB" LOGIN "$PASS" --header "Subject: harness B")
	if wait_n "$B" 1 && greets "$PA"; then
		ok "second instance in /tmp alongside the first"
	else bad "second instance in /tmp alongside the first"; fi
else
	bad "second instance in /tmp alongside the first" "start failed"
fi

# --- restart a running instance on another port, then stop --------------
OLD=$PA
PA=$(free_port)
if "$PF" start "$A" "$PA" "$CHAIN" "$KEY" && greets "$PA" && ! listening "$OLD" &&
	send "$PA" PLAIN "$PASS" | grep -q '^<~  250 2.0.0 Ok: queued' && wait_n "$A" $((n + 1)); then
	ok "start on a running instance restarts it (new port)"
else bad "start on a running instance restarts it (new port)"; fi

"$PF" stop "$A" && "$PF" stop "$B"
if ! listening "$PA" && ! listening "$PB" && ! postfix -c "$A/etc" status 2>/dev/null; then
	ok "stop closes the ports"
else bad "stop closes the ports"; fi
check "stop is idempotent" "$PF" stop "$A"
finish
