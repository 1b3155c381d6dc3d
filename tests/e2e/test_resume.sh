#!/bin/sh
# End-to-end: TLS session resumption against the real Postfix (with its
# session cache, as providers run it). Every connection goes through
# tests/hostile/relay.py, and the TLS records it recorded say what kind of
# handshake it was: a full one shows the server's Certificate (handshake
# type 11) and the client's ClientKeyExchange (16); a resumed one shows
# neither, only ServerHello (2). The ClientHello says whether a session was
# offered at all (a non-empty session ID).
#
# The security property: a resumed session skips the certificate and so
# the pins, so a session is offered only under the exact pin set, host and
# port it was verified with, and only while young. A configuration whose
# pins changed must do a full handshake, and one whose pins no longer match
# the server must fail (exit 75, message queued) even with a cached session
# that the server would happily resume.
. "$(dirname "$0")/lib.sh"

T=$WORK/resume
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
start_server rsa rsa || finish
PIN=$(tlsa_line rsa 3 1 1)
PIN_EC=$(tlsa_line ec 3 1 1)       # a valid pin, but not this server's
S=$T/spool                          # every configuration shares it
RPORT=$(free_port)                  # the relay's: the port is bound too
CACHE=$S/tls.session

# What a recorded flight holds: the handshake message types sent before
# ChangeCipherSpec, and (first line) the ClientHello's session ID length.
hs() { # hs FILE: handshake types in plaintext, space-separated
	python3 - "$1" <<-'EOF'
	import sys
	d = open(sys.argv[1], "rb").read()
	i, hs = 0, b""
	while i + 5 <= len(d) and d[i] != 20:      # up to ChangeCipherSpec
	    n = int.from_bytes(d[i + 3:i + 5], "big")
	    if d[i] == 22:
	        hs += d[i + 5:i + 5 + n]
	    i += 5 + n
	j, types = 0, []
	while j + 4 <= len(hs):
	    types.append(str(hs[j]))
	    j += 4 + int.from_bytes(hs[j + 1:j + 4], "big")
	print(" ".join(types))
	EOF
}
sid_len() { # sid_len FILE: the ClientHello's session ID length
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); print(d[5 + 38])' "$1"
}

# send NAME [conf lines...]: one message through a fresh relay; sets st.
send() {
	n=$1
	shift
	python3 "$ROOT/tests/hostile/relay.py" --target "$rsa_PORT" \
		--port-file "$T/$n.rport" --out "$T/$n.wire" --listen "$RPORT" \
		2>"$T/$n.relay.err" &
	i=0
	while [ ! -e "$T/$n.rport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	conf "$T/$n.conf" "$(cat "$T/$n.rport")" "spool $S" "$@"
	printf 'Subject: %s\n\nresume test %s\n' "$n" "$n" >"$T/$n.msg"
	"$PINMAIL" -C "$T/$n.conf" -v bob@pinmail.test <"$T/$n.msg" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
	wait
}
expect() { # expect NAME STATUS full|resumed [offered|not-offered]
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
	srv=$(hs "$T/$1.wire.s2c")
	cli=$(hs "$T/$1.wire.c2s")
	case $3 in
	full)
		check "$1: full handshake (server sent its certificate: $srv)" \
			[ "$srv" = "2 11 12 14" ]
		check "$1: full handshake (client key exchange: $cli)" [ "$cli" = "1 16" ] ;;
	refused)
		check "$1: full handshake (server sent its certificate: $srv)" \
			[ "$srv" = "2 11 12 14" ]
		check "$1: the client stopped at the certificate ($cli)" [ "$cli" = "1" ] ;;
	resumed)
		check "$1: resumed (no certificate, no key exchange: $srv / $cli)" \
			[ "$srv" = "2" ] && [ "$cli" = "1" ]
		check "$1: -v says the session was resumed" \
			grep -q "authenticated by tlsa 3 1 1 at .*(TLS session resumed)$" "$T/$1.err" ;;
	esac
	case ${4:-} in
	offered) check "$1: a session was offered" [ "$(sid_len "$T/$1.wire.c2s")" -eq 32 ] ;;
	not-offered) check "$1: no session was offered" [ "$(sid_len "$T/$1.wire.c2s")" -eq 0 ] ;;
	esac
}
delivered() { # delivered NAME: the message arrived, byte for byte
	i=0
	while [ -z "$(new_files "$rsa_DIR")" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 0.2                       # a second copy would show by now
	f=$(new_files "$rsa_DIR")
	check "$1: delivered once" [ "$(printf '%s\n' "$f" | grep -c .)" -eq 1 ]
	check "$1: delivered text" grep -qx "resume test $1" "$f"
	mark "$rsa_DIR"
}
mark "$rsa_DIR"

# 1. First contact: full handshake; the session is kept, 0600, 137 bytes.
send first "$PIN"
expect first 0 full not-offered
delivered first
check "first: session kept in the spool directory, mode 600" \
	[ "$(stat -c %a "$CACHE" 2>/dev/null)" = 600 ]
check "first: session file is 137 bytes" [ "$(stat -c %s "$CACHE")" -eq 137 ]
check "first: -v names no resumption" sh -c "! grep -q resumed '$T/first.err'"
cp "$CACHE" "$T/first.session"

# 2. The next run resumes it: one round trip and no public-key work saved.
send second "$PIN"
expect second 0 resumed offered
delivered second
check "second: the file is not rewritten for a resumed session" cmp -s "$CACHE" "$T/first.session"
check "second: mailq lists nothing (the session file is not a message)" \
	sh -c "'$PINMAIL' -C '$T/second.conf' -bp | grep -qx 'Mail queue is empty'"

# 3. The pin set changed (a second, valid pin added): never resumed under it.
send pins-added "$PIN_EC" "$PIN"
expect pins-added 0 full not-offered
delivered pins-added
check "pins-added: the session was replaced" sh -c "! cmp -s '$CACHE' '$T/first.session'"
cp "$CACHE" "$T/added.session"

# 4. The same pins, reordered: a different set as far as binding goes.
send pins-reordered "$PIN" "$PIN_EC"
expect pins-reordered 0 full not-offered
delivered pins-reordered

# 5. The session of the old pins is there, the server would resume it, but
#    the configuration now pins another key: refused, the message queued.
cp "$T/first.session" "$CACHE"
send wrong-pin "$PIN_EC"
expect wrong-pin 75 refused not-offered
sleep 1
check "wrong-pin: nothing delivered" [ -z "$(new_files "$rsa_DIR")" ]
check "wrong-pin: the message is queued" [ "$(ls "$S" | grep -c '\.env$')" -eq 1 ]
check "wrong-pin: no SMTP crossed (no application data after the handshake)" \
	sh -c "! grep -q 'BDAT\|EHLO' '$T/wrong-pin.err'"
rm -f "$S"/*.env "$S"/*.msg

# 6. Same pins, same server, another host name: not offered.
cp "$T/first.session" "$CACHE"
send other-host "$PIN" "host 127.0.0.1"
expect other-host 0 full not-offered
delivered other-host

# 7. A damaged file, one readable by others, one too old: full handshakes.
send warm "$PIN"                        # the last session was for 127.0.0.1
expect warm 0 full not-offered
delivered warm
cp "$CACHE" "$T/warm.session"
head -c 100 "$T/warm.session" >"$CACHE"
send truncated "$PIN"
expect truncated 0 full not-offered
delivered truncated
cp "$CACHE" "$T/warm.session"
chmod 644 "$CACHE"
send readable "$PIN"
expect readable 0 full not-offered
delivered readable
check "readable: replaced by a 0600 file" [ "$(stat -c %a "$CACHE")" = 600 ]
# The verification time (8 bytes at offset 44) put back two hours.
python3 - "$CACHE" <<-'EOF'
import sys, time
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[44:52] = (int(time.time()) - 7200).to_bytes(8, "big")
open(p, "wb").write(bytes(d))
EOF
send too-old "$PIN"
expect too-old 0 full not-offered
delivered too-old

# 8. The server forgot the session (restarted, cache gone): the offer is
#    declined, the full handshake verifies the pin, the message goes.
send fresh "$PIN"
expect fresh 0 resumed offered
delivered fresh
"$PF" stop "$rsa_DIR" >/dev/null
rm -f "$rsa_DIR"/data/smtpd_scache*
"$PF" start "$rsa_DIR" "$rsa_PORT" "$CERTS/rsa.chain.pem" "$CERTS/rsa.key" >/dev/null ||
	bad "restart postfix"
mark "$rsa_DIR"
send forgotten "$PIN"
expect forgotten 0 full offered
delivered forgotten
send after-forgotten "$PIN"
expect after-forgotten 0 resumed offered
delivered after-forgotten

# 9. tls_resume off: nothing offered, nothing written.
rm -f "$CACHE"
send off "$PIN" "tls_resume off"
expect off 0 full not-offered
delivered off
check "off: no session file" [ ! -e "$CACHE" ]

# 10. A flush resumes for every message after the first.
rm -f "$CACHE"
conf "$T/closed.conf" "$(free_port)" "spool $S" "$PIN"   # nothing listens
for k in 1 2 3; do
	printf 'Subject: q%s\n\nresume test q%s\n' $k $k |
		"$PINMAIL" -C "$T/closed.conf" bob@pinmail.test >/dev/null 2>&1
done
conf "$T/flush.conf" "$rsa_PORT" "spool $S" "$PIN"
queued=$(ls "$S" | grep -c '\.env$')
"$PINMAIL" -C "$T/flush.conf" -v -q --retry-now >"$T/flush.out" 2>"$T/flush.err"
st=$?
check "flush: exit 0 (3 queued before)" [ "$st" -eq 0 ] && [ "$queued" -eq 3 ]
check "flush: first full, then 2 resumed" \
	[ "$(grep -c 'authenticated by tlsa.*(TLS session resumed)$' "$T/flush.err")" -eq 2 ]
i=0
while [ "$(new_files "$rsa_DIR" | grep -c .)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "flush: all three delivered" [ "$(new_files "$rsa_DIR" | grep -c .)" -eq 3 ]

finish
