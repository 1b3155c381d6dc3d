#!/bin/sh
# End-to-end: build/pinmail against hostile servers (issue 4).
#
# Each case starts tests/hostile/server.py playing one behaviour (TLS 1.2
# with Python's ssl module, certificates from build/certs or made here with
# openssl) behind tests/hostile/relay.py, which records every byte that
# crosses the wire in both directions. Then one submission (-v, timeout 3,
# queue off) and these assertions:
#
#   NAME: exit N        the exact exit status, from README's exit-code table
#                       (with "queue off" every failure is reported in the
#                       status: 75 temporary or security, 76 protocol, 69
#                       permanent, 67 recipients, 77 authentication)
#   NAME: no crash      status below 128, no sanitizer or valgrind report
#   NAME: within 3 s    over within the configured timeout plus a margin
#   NAME: wire clean    neither the body marker, nor the password, nor the
#                       base64 of "\0user\0password" or of the password,
#                       in cleartext in what the relay recorded
#
# plus checks of what the server received after the handshake (nothing at
# all when no pin matched) and of what pinmail said. Network: 127.0.0.1 only.
# PINMAIL (default build/pinmail) may be the ASan or valgrind build;
# HOSTILE_MARGIN (seconds, default 1.5) widens the time limit for slow ones.
. "$(dirname "$0")/lib.sh"

H=$ROOT/tests/hostile
T=$WORK/hostile
PKI=$T/pki
TIMEOUT=3
MARGIN=${HOSTILE_MARGIN:-1.5}
LIMIT_MS=$(awk -v t=$TIMEOUT -v m="$MARGIN" 'BEGIN { printf "%d", (t + m) * 1000 }')
USER_=alice
PASS=Hostile-Pa55word-9d7c31
MARKER=HOSTILE-BODY-MARKER-5e1f0c
B64PLAIN=$(printf '\000%s\000%s' "$USER_" "$PASS" | base64 -w0)
B64PASS=$(printf '%s' "$PASS" | base64 -w0)
RCPTS="bob@pinmail.test carol@pinmail.test dave@pinmail.test"

rm -rf "$T"
mkdir -p "$T" "$PKI"
PIDS=         # the current case's server and relay, while they may run
cleanup_case() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	PIDS=
}
cleanup() {
	cleanup_case
	stop_servers
}
trap cleanup EXIT

for tool in python3 openssl timeout base64; do
	command -v $tool >/dev/null || { bad "hostile: $tool is needed"; finish; }
done
if [ ! -x "$PINMAIL" ] || [ ! -f "$CERTS/ec.pem" ]; then
	bad "hostile: make all certs first"
	finish
fi

# --- the message: a body of about 100 KB, every line carrying the marker, so
# a connection dropped in DATA drops it mid-stream.
{
	printf 'From: Alice <alice@pinmail.test>\nTo: bob@pinmail.test\nSubject: hostile\n\n'
	awk -v m="$MARKER" 'BEGIN { for (i = 0; i < 1400; i++) printf "%05d %s the body must never be seen on the wire\n", i, m }'
} >"$T/msg"
# And of about 3 MB, for a drop in the middle of DATA: more than the
# socket buffers between pinmail and the server hold, so pinmail is still
# sending when the server goes.
{
	printf 'From: Alice <alice@pinmail.test>\nTo: bob@pinmail.test\nSubject: hostile, big\n\n'
	awk -v m="$MARKER" 'BEGIN { for (i = 0; i < 40000; i++) printf "%06d %s the body must never be seen on the wire\n", i, m }'
} >"$T/bigmsg"
MSG=$T/msg

# --- certificates made here ---------------------------------------------------
# self: a self-signed P-256 certificate for localhost (no relation to the PKI).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$PKI/self.key" -out "$PKI/self.pem" -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost -days 30 2>/dev/null
# forged: a leaf claiming issuer "pinmail test intermediate", with the real
# intermediate's key identifier as its authority key identifier, but signed
# by another key (a fake intermediate with the same name and identifier);
# sent with the real intermediate behind it.
ski=$(openssl x509 -in "$CERTS/int.pem" -noout -ext subjectKeyIdentifier | sed -n '2s/ //gp')
cat >"$PKI/ext.cnf" <<EOF
[ fakeint ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = $ski
[ leaf ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = DNS:localhost
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ bigleaf ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = @names
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
[ names ]
DNS.1 = localhost
EOF
awk 'BEGIN { for (i = 2; i <= 700; i++) printf "DNS.%d = h%04d.padding.hostile.example\n", i, i }' >>"$PKI/ext.cnf"
for k in fakeint forged big; do
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/$k.key" 2>/dev/null
done
openssl req -x509 -new -key "$PKI/fakeint.key" -subj "/CN=pinmail test intermediate" \
	-config "$PKI/ext.cnf" -extensions fakeint -days 30 -out "$PKI/fakeint.pem" 2>/dev/null
openssl req -new -key "$PKI/forged.key" -subj /CN=localhost -out "$PKI/forged.csr" 2>/dev/null
openssl x509 -req -in "$PKI/forged.csr" -CA "$PKI/fakeint.pem" -CAkey "$PKI/fakeint.key" \
	-set_serial 4242 -days 30 -extfile "$PKI/ext.cnf" -extensions leaf \
	-out "$PKI/forged.pem" 2>/dev/null
cat "$PKI/forged.pem" "$CERTS/int.pem" >"$PKI/forged.chain.pem"
# evil: a leaf for localhost issued with the key of "wrongname", an end-entity
# certificate (CA:false) from the pinned intermediate: what the holder of any
# certificate from that CA could make.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PKI/evil.key" 2>/dev/null
openssl req -new -key "$PKI/evil.key" -subj /CN=localhost -out "$PKI/evil.csr" 2>/dev/null
openssl x509 -req -in "$PKI/evil.csr" -CA "$CERTS/wrongname.pem" -CAkey "$CERTS/wrongname.key" \
	-set_serial 4444 -days 30 -extfile "$PKI/ext.cnf" -extensions leaf \
	-out "$PKI/evil.pem" 2>/dev/null
cat "$PKI/evil.pem" "$CERTS/wrongname.pem" "$CERTS/int.pem" >"$PKI/evil.chain.pem"
# Chains whose first certificate is the attacker's own (self.key), with the
# pinned leaf or the pinned CA behind it.
cat "$PKI/self.pem" "$CERTS/ec.pem" >"$PKI/self+ec.chain.pem"
cat "$PKI/self.pem" "$CERTS/int.pem" >"$PKI/self+int.chain.pem"
# big: a leaf with 700 DNS names, signed by the real intermediate: with it,
# a chain of over 20 KB (one Certificate message over several records).
openssl req -new -key "$PKI/big.key" -subj /CN=localhost -out "$PKI/big.csr" 2>/dev/null
openssl x509 -req -in "$PKI/big.csr" -CA "$CERTS/int.pem" -CAkey "$CERTS/int.key" \
	-set_serial 4343 -days 30 -extfile "$PKI/ext.cnf" -extensions bigleaf \
	-out "$PKI/big.pem" 2>/dev/null
cat "$PKI/big.pem" "$CERTS/int.pem" >"$PKI/big.chain.pem"
# many: the ec leaf and the intermediate, then 22 more certificates (over 20
# KB, and more than the verifier follows).
{
	cat "$CERTS/ec.pem" "$CERTS/int.pem"
	for i in $(seq 22); do cat "$CERTS/rsa4096.pem"; done
} >"$PKI/many.chain.pem"

der_size() { # der_size CHAIN.pem: total DER bytes of its certificates
	awk '/-----BEGIN/ { f = 1; b = ""; next } /-----END/ { print b; f = 0; next } f { b = b $0 }' "$1" |
		while read -r b64; do printf '%s' "$b64" | base64 -d | wc -c; done |
		awk '{ s += $1 } END { print s }'
}
# The made certificates are what they claim to be (else the cases below
# would test something else).
forged_issuer=$(openssl x509 -in "$PKI/forged.pem" -noout -issuer | sed 's/^issuer=//')
int_subject=$(openssl x509 -in "$CERTS/int.pem" -noout -subject | sed 's/^subject=//')
forged_aki=$(openssl x509 -in "$PKI/forged.pem" -noout -ext authorityKeyIdentifier | tr -d ' \n')
if [ -n "$ski" ] && [ "$forged_issuer" = "$int_subject" ] &&
	case $forged_aki in *"$ski"*) true ;; *) false ;; esac; then
	ok "pki: the forged leaf names the real intermediate (name and key id)"
else
	bad "pki: the forged leaf names the real intermediate (name and key id)" \
		"$forged_issuer / $int_subject / $forged_aki / $ski"
fi
check "pki: openssl rejects the forged leaf's signature" \
	sh -c "! openssl verify -CAfile '$CERTS/ca.pem' -untrusted '$CERTS/int.pem' '$PKI/forged.pem' >/dev/null 2>&1 &&
		openssl verify -CAfile '$CERTS/ca.pem' -untrusted '$CERTS/int.pem' '$PKI/big.pem' >/dev/null 2>&1"
big_size=$(der_size "$PKI/big.chain.pem")
many_size=$(der_size "$PKI/many.chain.pem")
echo "# chain sizes: big leaf $big_size bytes, many certificates $many_size bytes"
check "pki: both large chains exceed 20 KB" \
	sh -c "[ $big_size -gt 20480 ] && [ $many_size -gt 20480 ]"

# --- one case ---------------------------------------------------------------

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_file FILE: until it exists (bounded, 5 s).
wait_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$1" ]
}

# The renegotiation behaviours switch to this certificate.
ALT_CHAIN=$PKI/self.pem
ALT_KEY=$PKI/self.key

# hostile NAME WANT CHAIN KEY TLSA-LINE...: run behaviour NAME (or $BEH) of
# server.py presenting CHAIN/KEY, pinmail pinned by the TLSA lines; assert
# exit WANT, no crash, no hang, a clean wire. Leaves $st, $ms and the files
# $T/NAME.{err,log,srv.log,srv.rx,wire.c2s,wire.s2c} for further checks.
hostile() {
	n=$1 want=$2 chain=$3 key=$4
	shift 4
	rm -rf "$T/$n".*
	mkdir -p "$T/$n.d"
	cleanup_case
	python3 "$H/server.py" --behaviour "${BEH:-$n}" --port-file "$T/$n.sport" \
		--cert "$chain" --key "$key" --alt-cert "$ALT_CHAIN" --alt-key "$ALT_KEY" \
		--log "$T/$n.srv" 2>"$T/$n.srv.err" &
	spid=$!
	PIDS="$PIDS $spid"
	if ! wait_file "$T/$n.sport"; then
		bad "$n: hostile server started" "$(cat "$T/$n.srv.err")"
		return 1
	fi
	python3 "$H/relay.py" --target "$(cat "$T/$n.sport")" --port-file "$T/$n.rport" \
		--out "$T/$n.wire" 2>"$T/$n.relay.err" &
	rpid=$!
	PIDS="$PIDS $rpid"
	if ! wait_file "$T/$n.rport"; then
		bad "$n: relay started" "$(cat "$T/$n.relay.err")"
		return 1
	fi
	{
		echo "host localhost"
		echo "port $(cat "$T/$n.rport")"
		echo "user $USER_"
		echo "password $PASS"
		echo "from alice@pinmail.test"
		echo "timeout $TIMEOUT"
		echo "spool $T/$n.d/spool"
		echo "queue off"
		echo "logfile $T/$n.log"
		for l in "$@"; do echo "$l"; done
	} >"$T/$n.conf"
	chmod 600 "$T/$n.conf"

	t0=$(now_ms)
	# shellcheck disable=SC2086
	timeout -k 1 $((TIMEOUT + 10)) "$PINMAIL" -C "$T/$n.conf" -v $RCPTS \
		<"$MSG" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
	ms=$(($(now_ms) - t0))
	echo "$n $ms" >>"$T/times"

	# Everything pinmail sent has reached the relay's recording once it
	# saw the client's end; then the server and the relay can go.
	wait_file "$T/$n.wire.end" || bad "$n: relay saw the connection end"
	cleanup_case

	if [ "$st" -eq "$want" ]; then ok "$n: exit $want"; else
		if [ "$st" -eq 124 ] || [ "$st" -eq 137 ]; then
			bad "$n: exit $want" "killed by the watchdog after $ms ms (status $st)"
		else
			bad "$n: exit $want" "got $st after $ms ms: $(grep '^pinmail: ' "$T/$n.err" | tail -n 1 | head -c 400)"
		fi
		echo "# the end of $n's transcript (pinmail -v):"
		tail -n 16 "$T/$n.err" | cut -c1-200 | cat -v | sed 's/^/#   /'
	fi
	if [ "$st" -lt 128 ] && ! grep -qE 'Sanitizer|runtime error:|^==[0-9]+== ' "$T/$n.err"; then
		ok "$n: no crash"
	else
		bad "$n: no crash" "status $st; $(grep -E 'Sanitizer|runtime error:|^==[0-9]+== ' "$T/$n.err" | head -n 3)"
	fi
	if [ "$ms" -le "$LIMIT_MS" ]; then ok "$n: within $TIMEOUT s"; else
		bad "$n: within $TIMEOUT s" "took $ms ms (limit $LIMIT_MS)"; fi
	leaks=
	for w in "$T/$n.wire.c2s" "$T/$n.wire.s2c"; do
		[ -f "$w" ] || leaks="$leaks $(basename "$w") missing"
		grep -aqF "$MARKER" "$w" 2>/dev/null && leaks="$leaks body-in-$(basename "$w")"
		grep -aqF "$PASS" "$w" 2>/dev/null && leaks="$leaks password-in-$(basename "$w")"
		grep -aqF "$B64PLAIN" "$w" 2>/dev/null && leaks="$leaks auth-plain-base64-in-$(basename "$w")"
		grep -aqF "$B64PASS" "$w" 2>/dev/null && leaks="$leaks password-base64-in-$(basename "$w")"
	done
	[ -s "$T/$n.wire.c2s" ] || leaks="$leaks (nothing recorded from pinmail)"
	if [ -z "$leaks" ]; then ok "$n: wire clean"; else bad "$n: wire clean" "$leaks"; fi
	if grep -q 'server error' "$T/$n.srv.log" 2>/dev/null || [ -s "$T/$n.srv.err" ]; then
		bad "$n: the hostile server played its part" \
			"$(grep 'server error' "$T/$n.srv.log"; head -c 300 "$T/$n.srv.err")"
	fi
	case $want in 75 | 76) assert_queued "$n" ;; esac
	return 0
}

# assert_queued NAME: for every case whose failure is temporary (75) or a
# protocol error (76), the message is not lost: this suite runs with "queue
# off" so that the exit status reports each failure, which puts the message
# in $T/NAME.d/dead.letter (with the queue on it stays queued; the spool is
# covered by test_spool.sh and test_crash.sh).
assert_queued() {
	f=$T/$1.d/dead.letter
	if [ ! -f "$f" ]; then
		bad "$1: message kept in dead.letter" "no $f"
		return
	fi
	# mbox: drop the "From " line and the closing blank line, undo the
	# ">From " quoting; then the body must be the message's, byte for byte.
	sed '1d;$d' "$f" | sed 's/^>From /From /' | sed '1,/^$/d' >"$T/$1.kept"
	sed '1,/^$/d' "$MSG" >"$T/$1.want"
	if cmp -s "$T/$1.kept" "$T/$1.want" && [ "$(grep -c '^From ' "$f")" -eq 1 ] &&
		[ -z "$(ls "$T/$1.d/spool" | grep -e '\.env$' -e '\.msg$')" ]; then
		ok "$1: message kept whole in dead.letter, nothing left queued"
	else
		bad "$1: message kept whole in dead.letter, nothing left queued" "see $T/$1.kept"
	fi
}

# normal_smtp NAME WANT ...: hostile, with the server speaking plain good SMTP
# (the cases whose hostility is in the certificate).
normal_smtp() {
	BEH=normal
	hostile "$@"
	BEH=
}

# Server-side checks. rx is what the server decrypted from pinmail.
rx_empty() { [ ! -s "$T/$1.srv.rx" ]; }
err_has() { grep -qi -- "$2" "$T/$1.err"; }
said_timeout() { grep -q "did not answer within $TIMEOUT s" "$T/$1.err"; }

EC="$CERTS/ec.chain.pem $CERTS/ec.key"
PIN_EC=$(tlsa_line ec 3 1 1)
PIN_INT=$(tlsa_line int 2 0 1)

# --- a well-behaved server first: the harness itself works ------------------
# shellcheck disable=SC2086
hostile normal 0 $EC "$PIN_EC"
check "normal: the body and AUTH PLAIN reached the server (encrypted)" \
	sh -c "grep -aqF '$MARKER' '$T/normal.srv.rx' && grep -aqF 'AUTH PLAIN $B64PLAIN' '$T/normal.srv.rx'"

# --- who the server is ---------------------------------------------------------
# Plain SMTP on the TLS port: pinmail's ClientHello meets "220": TLS failure.
# shellcheck disable=SC2086
hostile plaintext 75 $EC "$PIN_EC"
check "plaintext: the server got nothing but a ClientHello" \
	sh -c "! grep -aqE 'EHLO|AUTH|MAIL' '$T/plaintext.srv.rx'"

# Keys that match no pin (75, README: "the server's key matches no pin, or a
# DANE-TA chain failed"); the server must receive nothing after the handshake.
pinfail() { # pinfail NAME CHAIN KEY TLSA...
	pn=$1
	shift
	normal_smtp "$pn" 75 "$@"
	check "$pn: nothing reached the server" rx_empty "$pn"
}
# A valid chain from the pinned intermediate, but not the pinned key.
pinfail unpinned-key "$CERTS/rsa2.chain.pem" "$CERTS/rsa2.key" "$PIN_EC"
check "unpinned-key: says the key matches no tlsa record" err_has unpinned-key "matches no tlsa record"
pinfail self-signed "$PKI/self.pem" "$PKI/self.key" "$PIN_EC" "$PIN_INT"
# DANE-TA checks the name: a chain from the pinned CA for another name.
pinfail wrongname-2-0-1 "$CERTS/wrongname.chain.pem" "$CERTS/wrongname.key" "$PIN_INT"
check "wrongname-2-0-1: says the name failed" err_has wrongname-2-0-1 "name"
# DANE-TA needs the pinned CA in the chain the server sends.
pinfail chain-without-ta "$CERTS/ec.pem" "$CERTS/ec.key" "$PIN_INT" "$(tlsa_line int 2 1 1)"
pinfail forged-leaf "$PKI/forged.chain.pem" "$PKI/forged.key" "$PIN_INT"
check "forged-leaf: refused for the signature" err_has forged-leaf "signature"
# A leaf signed by an end-entity key that the pinned CA certified (CA:false).
pinfail ee-as-ca "$PKI/evil.chain.pem" "$PKI/evil.key" "$PIN_INT"
check "ee-as-ca: refused as not a CA" err_has ee-as-ca "not a CA"
# The attacker's own key first, the pinned leaf (3 1 1) or the pinned CA
# (2 0 1) further down the chain: a pin matches only where it means something.
pinfail pinned-leaf-not-first "$PKI/self+ec.chain.pem" "$PKI/self.key" "$PIN_EC"
pinfail ta-behind-unrelated-leaf "$PKI/self+int.chain.pem" "$PKI/self.key" "$PIN_INT"

# DANE-EE needs no dates: an expired certificate with its key pinned delivers.
normal_smtp expired-3-1-1 0 "$CERTS/expired.chain.pem" "$CERTS/expired.key" "$(tlsa_line expired 3 1 1)"
# Large chains are no reason to fail: a 20 KB leaf pinned by key or by its CA,
# and a chain of 24 certificates.
normal_smtp chain-20k-3-1-1 0 "$PKI/big.chain.pem" "$PKI/big.key" "$("$ROOT/certs/tlsa" 3 1 1 "$PKI/big.pem")"
normal_smtp chain-20k-2-0-1 0 "$PKI/big.chain.pem" "$PKI/big.key" "$PIN_INT"
normal_smtp chain-20k-many-certs 0 "$PKI/many.chain.pem" "$CERTS/ec.key" "$PIN_INT"

# --- TLS ------------------------------------------------------------------------
# shellcheck disable=SC2086
{
hostile tls13-only 75 $EC "$PIN_EC"
hostile cbc-only 75 $EC "$PIN_EC"
# Records that do not decrypt, of an unknown type, too long, or not TLS at all,
# after the handshake.
hostile garbage-bad-mac 75 $EC "$PIN_EC"
hostile garbage-record-type 75 $EC "$PIN_EC"
hostile garbage-oversized 75 $EC "$PIN_EC"
hostile garbage-plaintext 75 $EC "$PIN_EC"
# close_notify halfway through a multi-line reply: the reply never ends (75).
hostile close-notify-mid-reply 75 $EC "$PIN_EC"
hostile close-notify-mid-final 75 $EC "$PIN_EC"
# A server that wants a client certificate (pinmail has none to give).
hostile client-cert-required 75 $EC "$PIN_EC"
}
# A HelloRequest after EHLO, and a full new handshake (never a resumption)
# presenting another certificate: every handshake must match a pin. To an
# unpinned key: 75, and AUTH never goes out. To the pinned key again: still
# the authenticated server, delivered.
ALT_CHAIN=$PKI/self.pem ALT_KEY=$PKI/self.key
# shellcheck disable=SC2086
hostile renegotiate-unpinned 75 $EC "$PIN_EC"
check "renegotiate-unpinned: the server asked for it" \
	grep -q 'HelloRequest sent' "$T/renegotiate-unpinned.srv.log"
check "renegotiate-unpinned: nothing but EHLO reached the server" \
	sh -c "[ \"\$(cat '$T/renegotiate-unpinned.srv.rx')\" = \"\$(printf 'EHLO %s\r\n' \"\$(sed -n 's/^--> EHLO //p' '$T/renegotiate-unpinned.err')\")\" ]"
ALT_CHAIN=$CERTS/ec.chain.pem ALT_KEY=$CERTS/ec.key
# shellcheck disable=SC2086
hostile renegotiate-pinned 0 $EC "$PIN_EC"
check "renegotiate-pinned: renegotiated, then delivered" \
	sh -c "grep -q 'renegotiation: completed' '$T/renegotiate-pinned.srv.log' && grep -aqF '$MARKER' '$T/renegotiate-pinned.srv.rx'"
# Instead of a greeting, a new handshake (pinned key) every second for 15 s:
# handshakes are not answers, the timeout still ends it (75).
# shellcheck disable=SC2086
hostile renegotiate-forever 75 $EC "$PIN_EC"
ALT_CHAIN=$PKI/self.pem ALT_KEY=$PKI/self.key

# --- silence and slowness: the timeout ends each (75) -------------------------
# shellcheck disable=SC2086
for c in tcp-silent drip-handshake silent-greeting drip-greeting data-silent \
	silent-after-dot; do
	hostile $c 75 $EC "$PIN_EC"
	check "$c: says the server did not answer within $TIMEOUT s" said_timeout $c
done

# --- dropped connections (75: the connection was lost) ----------------------------
# shellcheck disable=SC2086
for c in drop-after-handshake drop-after-greeting drop-after-ehlo drop-during-auth \
	drop-after-dot; do
	hostile $c 75 $EC "$PIN_EC"
done
MSG=$T/bigmsg
# shellcheck disable=SC2086
hostile drop-during-data 75 $EC "$PIN_EC"
MSG=$T/msg
check "drop-during-data: the server dropped while pinmail was still sending" \
	sh -c "grep -q 'drop in DATA after' '$T/drop-during-data.srv.log' &&
		[ \$(wc -c <'$T/drop-during-data.wire.c2s') -lt \$(wc -c <'$T/bigmsg') ]"
check "drop-during-auth: the server dropped after AUTH" \
	sh -c "grep -q 'AUTH' '$T/drop-during-auth.srv.log' && grep -q 'drop' '$T/drop-during-auth.srv.log'"

# --- replies --------------------------------------------------------------------
# shellcheck disable=SC2086
{
hostile greeting-421 75 $EC "$PIN_EC"
hostile mail-451 75 $EC "$PIN_EC"
hostile mail-550 69 $EC "$PIN_EC"
hostile auth-535 77 $EC "$PIN_EC"
hostile no-auth 69 $EC "$PIN_EC"
# One of three recipients refused for good: the others get it, exit 67
# ("recipients refused permanently (some or all)"). Refused for now, with
# queue off: 75 (a temporary failure). All refused: 67, pipelined or not.
hostile rcpt-some-550 67 $EC "$PIN_EC"
}
check "rcpt-some-550: delivered to the other two, says so" \
	sh -c "grep -q 'end of data' '$T/rcpt-some-550.srv.log' && grep -q 'delivered to 2 of 3' '$T/rcpt-some-550.err'"
# shellcheck disable=SC2086
{
hostile rcpt-some-450 75 $EC "$PIN_EC"
hostile rcpt-all-550 67 $EC "$PIN_EC"
hostile rcpt-all-550-nopipe 67 $EC "$PIN_EC"
hostile dot-552 69 $EC "$PIN_EC"
}
check "rcpt-all-550: no message text went out" \
	sh -c "! grep -aqF '$MARKER' '$T/rcpt-all-550.srv.rx' && ! grep -aqF '$MARKER' '$T/rcpt-all-550-nopipe.srv.rx'"
# DATA answered 250 instead of 354: not the protocol (76), and the body must
# not be sent.
# shellcheck disable=SC2086
hostile data-250 76 $EC "$PIN_EC"
check "data-250: no message text went out" sh -c "! grep -aqF '$MARKER' '$T/data-250.srv.rx'"
# A server that refused MAIL for now, or every RCPT, then says 354 to the
# DATA pipelined behind them: the refusal stands (75, 67) and the message
# text is not sent.
# shellcheck disable=SC2086
hostile mail-451-then-354 75 $EC "$PIN_EC"
check "mail-451-then-354: no message text went out" sh -c "! grep -aqF '$MARKER' '$T/mail-451-then-354.srv.rx'"
# shellcheck disable=SC2086
hostile rcpt-all-550-then-354 67 $EC "$PIN_EC"
check "rcpt-all-550-then-354: no message text went out" sh -c "! grep -aqF '$MARKER' '$T/rcpt-all-550-then-354.srv.rx'"
# 5xx at the greeting (69), 4xx to the final dot (75).
# shellcheck disable=SC2086
hostile greeting-554 69 $EC "$PIN_EC"
# shellcheck disable=SC2086
hostile dot-451 75 $EC "$PIN_EC"
# CHUNKING: the message as BDAT chunks (100 KB: several of them). Pipelined
# or not, it arrives whole; a refused chunk, the last or one before, stops
# it (69 for good, 75 for now); a drop mid-chunk and silence after the last
# leave it queued (75); refusals of MAIL or every RCPT stand (75, 67).
# shellcheck disable=SC2086
{
hostile bdat-normal 0 $EC "$PIN_EC"
hostile bdat-nopipe 0 $EC "$PIN_EC"
hostile bdat-last-552 69 $EC "$PIN_EC"
hostile bdat-mid-552 69 $EC "$PIN_EC"
hostile bdat-mid-451 75 $EC "$PIN_EC"
hostile bdat-drop-mid 75 $EC "$PIN_EC"
hostile bdat-silent-after-last 75 $EC "$PIN_EC"
hostile bdat-rcpt-all-550 67 $EC "$PIN_EC"
hostile bdat-mail-451 75 $EC "$PIN_EC"
}
for c in bdat-normal bdat-nopipe; do
	check "$c: the whole message came as BDAT chunks, the last one LAST" \
		sh -c "grep -q 'end of bdat' '$T/$c.srv.log' && grep -q '^--> BDAT [0-9]* LAST\$' '$T/$c.err' &&
			[ \$(grep -c '^--> BDAT' '$T/$c.err') -gt 1 ]"
done
# Pipelined, the later chunks (LAST too) may be out before the refusal
# comes back; the server has refused the transaction, and pinmail says so.
check "bdat-mid-552: the refused chunk is what pinmail reports" \
	grep -q "552 5.3.4 Message size exceeds fixed limit" "$T/bdat-mid-552.err"
check "bdat-drop-mid: the server dropped mid-chunk" \
	sh -c "grep -q 'drop in DATA after' '$T/bdat-drop-mid.srv.log'"
check "bdat-silent-after-last: says the server did not answer within $TIMEOUT s" \
	said_timeout bdat-silent-after-last

# Malformed replies (76): a 64 KB line, 10,000 continuation lines, codes of
# two or four digits or with a letter, a NUL inside the code, two greetings,
# mixed codes in one reply. A NUL in the text of a well-formed final reply
# is only text: delivered (0).
# shellcheck disable=SC2086
for c in long-line many-lines code-2-digits code-4-digits code-letter code-nul \
	unsolicited-reply mixed-codes; do
	hostile $c 76 $EC "$PIN_EC"
done
# shellcheck disable=SC2086
hostile text-nul 0 $EC "$PIN_EC"
# The limits themselves are legal: lines of exactly 512 octets, CRLF
# included (RFC 5321 4.5.3.1.5), 64 of them in one reply: delivered. One
# octet more: 76.
# shellcheck disable=SC2086
hostile reply-512-octets 0 $EC "$PIN_EC"
# shellcheck disable=SC2086
hostile reply-513-octets 76 $EC "$PIN_EC"

# --- after the final 250 ----------------------------------------------------------
# The server has taken the message ("250" to the final dot): whatever it does
# next (a malformed or overlong reply to QUIT, a TLS record that does not
# decrypt, a reply nobody asked for) cannot undo that. README: 0, "delivered
# to every recipient"; anything else makes the caller (or the queue) send it
# again.
# shellcheck disable=SC2086
for c in quit-malformed quit-long-line quit-garbage-record dot-extra-reply-nopipe; do
	hostile $c 0 $EC "$PIN_EC"
	check "$c: the server had taken the message" grep -q 'queued as HOSTILE' "$T/$c.err"
done

# --- AUTH LOGIN -------------------------------------------------------------------
# The password goes only when asked for, and encrypted: with LOGIN alone
# (delivered), and to a server that says 235 after the user name (76, and
# the password never sent).
# shellcheck disable=SC2086
hostile auth-login-only 0 $EC "$PIN_EC"
check "auth-login-only: the base64 password reached the server (encrypted)" \
	grep -aqxF "$B64PASS$(printf '\r')" "$T/auth-login-only.srv.rx"
# shellcheck disable=SC2086
hostile auth-login-no-password 76 $EC "$PIN_EC"
check "auth-login-no-password: the password was never sent" \
	sh -c "! grep -aqF '$B64PASS' '$T/auth-login-no-password.srv.rx'"
# Control characters in a reply (ESC sequences that retitle or clear a
# terminal, a CR that overwrites the line): exit 69, and neither the stderr
# line nor the log line may carry them raw (README: one line on stderr, one
# log line per message).
# shellcheck disable=SC2086
hostile text-control 69 $EC "$PIN_EC"
ctl_free() { # ctl_free NAME FILE: no control character but LF and TAB
	if ! grep -v '^<-- ' "$2" | tr -d '\n\t' | LC_ALL=C grep -q '[[:cntrl:]]'; then
		ok "$1"
	else
		bad "$1" "$(grep -v '^<-- ' "$2" | LC_ALL=C grep '[[:cntrl:]]' | head -n 1 | cut -c1-160 | cat -v)"
	fi
}
ctl_free "text-control: no control character on stderr (transcript aside)" "$T/text-control.err"
ctl_free "text-control: no control character in the log line" "$T/text-control.log"

echo "# slowest cases (ms): $(sort -k2 -n -r "$T/times" | head -n 8 | tr '\n' ' ')"
echo "# limit per case: $LIMIT_MS ms"
finish
