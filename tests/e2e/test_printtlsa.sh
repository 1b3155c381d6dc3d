#!/bin/sh
# End-to-end: pinmail --print-tlsa HOST[:PORT], the pin bootstrap, against
# the real Postfix. It must print each certificate of the chain (subject,
# issuer, validity, key type and size) and the pins exactly as certs/tlsa
# computes them from the certificate files; its output appended to a
# configuration must deliver; and it must stop at the certificate: the
# relay sees from pinmail one ClientHello (at most an alert after it), no
# key exchange, no Finished, no application data.
. "$(dirname "$0")/lib.sh"

T=$WORK/printtlsa
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
start_server rsa rsa || finish
start_server ec ec || finish
start_server big rsa4096 || finish
start_server p384 ec384 || finish

# pt NAME ARGS...: run --print-tlsa; status in st, output in NAME.out/.err.
pt() {
	n=$1
	shift
	"$PINMAIL" "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}
has() { grep -qxF "$2" "$T/$1.out" || { echo "# $1.out:"; sed 's/^/#   /' "$T/$1.out"; return 1; }; }

# 1. Through a recording relay: the chain, the pins, and nothing but a
#    ClientHello (BearSSL closes on the refused chain) from pinmail.
python3 "$ROOT/tests/hostile/relay.py" --target "$rsa_PORT" --port-file "$T/rport" \
	--out "$T/wire" 2>"$T/relay.err" &
i=0
while [ ! -e "$T/rport" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
pt rsa --print-tlsa "localhost:$(cat "$T/rport")"
wait
expect_status rsa 0
check "rsa: the server's pin, as certs/tlsa computes it" has rsa "$(tlsa_line rsa 3 1 1)"
check "rsa: the intermediate's pin, commented out" has rsa "#$(tlsa_line int 2 1 1)"
check "rsa: exactly one active line" [ "$(grep -vc '^#' "$T/rsa.out")" -eq 1 ]
check "rsa: subject" has rsa "#   subject  CN=localhost"
check "rsa: issuer" has rsa "#   issuer   CN=pinmail test intermediate"
check "rsa: the intermediate's own line" has rsa "#   subject  CN=pinmail test intermediate"
check "rsa: key type and size" has rsa "#   key      RSA 2048 bits"
check "rsa: the CA is marked" has rsa "#   key      EC P-256, CA"
nb=$(openssl x509 -in "$CERTS/rsa.pem" -noout -startdate | sed 's/notBefore=//')
check "rsa: validity as openssl reads it ($nb)" \
	grep -q "^#   valid    $(date -u -d "$nb" '+%Y-%m-%d %H:%M:%S') UTC to " "$T/rsa.out"
check "rsa: trust-on-first-use warning on stderr" \
	grep -q "^pinmail: warning: .*trust on first use.*dig +dnssec TLSA" "$T/rsa.err"
records=$(python3 - "$T/wire.c2s" <<-'EOF'
	import sys
	d = open(sys.argv[1], "rb").read()
	i, out = 0, []
	while i + 5 <= len(d):
	    n = int.from_bytes(d[i + 3:i + 5], "big")
	    out.append("%d%s" % (d[i], ":%d" % d[i + 5] if d[i] == 22 else ""))
	    i += 5 + n
	print(" ".join(out))
	EOF
)
case $records in
"22:1" | "22:1 21") ok "rsa: pinmail sent a ClientHello (and at most an alert), nothing else" ;;
*) bad "rsa: pinmail sent a ClientHello (and at most an alert), nothing else" "$records" ;;
esac

# 2. What it printed, appended to a configuration, delivers.
conf "$T/paste.conf" "$rsa_PORT"
cat "$T/rsa.out" >>"$T/paste.conf"
sed -i "s/^port .*/port $rsa_PORT/" "$T/paste.conf"
mark "$rsa_DIR"
printf 'Subject: pasted\n\npinned by --print-tlsa\n' |
	"$PINMAIL" -C "$T/paste.conf" bob@pinmail.test >"$T/paste.out" 2>"$T/paste.err"
st=$?
expect_status paste 0
wait_count "$rsa_DIR" 1 || true
check "paste: delivered" grep -q "pinned by --print-tlsa" $(new_files "$rsa_DIR") /dev/null

# 3. Other keys: ECDSA P-256 and P-384 leaves, a 4096-bit RSA one.
pt ec --print-tlsa "127.0.0.1:$ec_PORT"
expect_status ec 0
check "ec: pin" has ec "$(tlsa_line ec 3 1 1)"
check "ec: key" has ec "#   key      EC P-256"
pt p384 --print-tlsa "localhost:$p384_PORT"
check "p384: key" has p384 "#   key      EC P-384"
check "p384: pin" has p384 "$(tlsa_line ec384 3 1 1)"
pt big --print-tlsa "localhost:$big_PORT"
check "big: key" has big "#   key      RSA 4096 bits"
check "big: pin" has big "$(tlsa_line rsa4096 3 1 1)"

# 4. -C gives the port (and timeout); no host or pins needed there.
printf 'port %s\ntimeout 5\n' "$ec_PORT" >"$T/portonly.conf"
pt portonly -C "$T/portonly.conf" --print-tlsa localhost
expect_status portonly 0
check "portonly: port from the configuration" has portonly "$(tlsa_line ec 3 1 1)"

# 5. Failures: one line each, the right status.
CLOSED=$(free_port)
pt closed --print-tlsa "localhost:$CLOSED"
expect_status closed 75
check "closed: one line naming the port" \
	[ "$(wc -l <"$T/closed.err")" -eq 1 ] && grep -q "cannot connect to localhost port $CLOSED" "$T/closed.err"
PLAIN=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept(); c.sendall(b"220 plain.test ESMTP\r\n"); c.recv(4096); c.close()
' "$PLAIN" &
sleep 0.3
pt plain --print-tlsa "localhost:$PLAIN"
wait
expect_status plain 76
check "plain: says no certificate came" grep -q "sent no certificate" "$T/plain.err"
check "plain: nothing on stdout" [ ! -s "$T/plain.out" ]
for bad in "localhost:0" "localhost:99999" "localhost:x" ":465" "[::1"; do
	pt badtarget --print-tlsa "$bad"
	check "target \"$bad\": exit 64, one line" [ "$st" -eq 64 ] && [ "$(wc -l <"$T/badtarget.err")" -eq 1 ]
done
pt noarg --print-tlsa
check "no target: exit 64" [ "$st" -eq 64 ]
pt extra --print-tlsa localhost bob@pinmail.test
check "a recipient too: exit 64" [ "$st" -eq 64 ]

finish
