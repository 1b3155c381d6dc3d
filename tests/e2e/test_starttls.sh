#!/bin/sh
# End-to-end: "tls starttls" (port 587 style), mandatory. Against the real
# Postfix with a second listener that requires TLS
# (smtpd_tls_security_level=encrypt): delivered, the pins checked as on
# port 465, and a recording relay shows that only EHLO and STARTTLS went
# out in the clear. Against servers that strip STARTTLS, refuse it (454)
# or inject a reply behind their 220: exit 75, the message queued, and
# nothing but EHLO, STARTTLS and QUIT sent (never AUTH, never the message).
. "$(dirname "$0")/lib.sh"

T=$WORK/starttls
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
SPORT=$(free_port)
dir=$WORK/pf-$(basename "$0" .sh)-rsa
port=$(free_port)
"$PF" start "$dir" "$port" "$CERTS/rsa.chain.pem" "$CERTS/rsa.key" "$SPORT" >/dev/null || {
	bad "start postfix with a STARTTLS listener"; finish; }
STARTED=$dir
PIN=$(tlsa_line rsa 3 1 1)
MARK_TEXT=starttls-body-5c0ffee

wait_file() {
	i=0
	while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	[ -e "$1" ]
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}
# send NAME PORT [conf lines]: one message; status in st.
send() {
	n=$1 p=$2
	shift 2
	conf "$T/$n.conf" "$p" "tls starttls" "$@"
	printf 'Subject: %s\n\n%s %s\n' "$n" "$MARK_TEXT" "$n" |
		"$PINMAIL" -C "$T/$n.conf" -v bob@pinmail.test >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
# cleartext FILE: what the client sent before its first TLS record.
cleartext() {
	python3 - "$1" <<-'EOF'
	import sys
	d = open(sys.argv[1], "rb").read()
	i = d.find(b"\x16\x03")
	sys.stdout.write((d if i < 0 else d[:i]).decode("latin-1"))
	EOF
}

# 1. The real Postfix through a recording relay: delivered; in the clear
#    only EHLO and STARTTLS.
python3 "$ROOT/tests/hostile/relay.py" --target "$SPORT" --port-file "$T/rport" \
	--out "$T/wire" 2>"$T/relay.err" &
wait_file "$T/rport" || bad "relay started"
mark "$dir"
send postfix "$(cat "$T/rport")" "$PIN"
wait
expect_status postfix 0
wait_count "$dir" 1 || true
check "postfix: delivered" grep -q "$MARK_TEXT postfix" $(new_files "$dir") /dev/null
check "postfix: in the clear, EHLO and STARTTLS only" \
	[ "$(cleartext "$T/wire.c2s" | tr -d '\r' | sed 's/^EHLO .*/EHLO/' | tr '\n' ' ')" = "EHLO STARTTLS " ]
check "postfix: the handshake followed (a TLS ClientHello)" \
	sh -c "od -An -tx1 '$T/wire.c2s' | tr -d ' \n' | grep -q '160301\|160303'"
check "postfix: nothing secret or from the message in the clear" \
	sh -c "! grep -aq -e alice-secret-pw -e '$MARK_TEXT' -e AUTH -e 'MAIL FROM' '$T/wire.c2s'"
check "postfix: EHLO again after TLS, then AUTH" \
	sh -c "sed -n '/^<-- 220 2.0.0/,\$p' '$T/postfix.err' | grep -q '^--> EHLO' &&
		grep -q '^--> AUTH PLAIN \*\*\*\*' '$T/postfix.err'"
check "postfix: the pin authenticated the server after STARTTLS" \
	grep -q "authenticated by tlsa 3 1 1" "$T/postfix.err"

# 2. Default port with tls starttls is 587 (only the configuration is
#    read: --print-tlsa needs no host or pins).
printf 'tls starttls\n' >"$T/default.conf"
check "tls starttls: default port 587" sh -c "
	'$PINMAIL' -C '$T/default.conf' --print-tlsa 127.0.0.1 2>&1 | grep -q 'port 587'"

# 3. The wrong pin on the STARTTLS port: refused after STARTTLS, queued.
send wrongpin "$SPORT" "$(tlsa_line ec 3 1 1)"
expect_status wrongpin 75
check "wrongpin: says the key matches no tlsa record" \
	grep -q "matches no tlsa record" "$T/wrongpin.err"
check "wrongpin: queued" grep -q "queued as" "$T/wrongpin.err"
check "wrongpin: no AUTH went out" sh -c "! grep -q '^--> AUTH' '$T/wrongpin.err'"

# 4. Hostile servers: stripped, refused, injected.
for b in strip refuse inject; do
	rm -f "$T/$b.port" "$T/$b.rx"
	python3 "$ROOT/tests/hostile/starttls.py" --behaviour $b --port-file "$T/$b.port" \
		--rx "$T/$b.rx" 2>"$T/$b.srv.err" &
	wait_file "$T/$b.port" || bad "$b: server started"
	send $b "$(cat "$T/$b.port")" "$PIN"
	wait
	expect_status $b 75
	check "$b: queued, one line says why" sh -c "grep -q 'queued as' '$T/$b.err' &&
		[ \$(grep -vc '^\(-->\|<--\|pinmail: delivering\|pinmail: connected\)' '$T/$b.err') -eq 1 ]"
	check "$b: sent only EHLO, STARTTLS and QUIT, nothing secret" sh -c "
		! grep -aq -e alice-secret-pw -e '$MARK_TEXT' -e AUTH -e 'MAIL FROM' -e DATA -e BDAT '$T/$b.rx' &&
		[ -z \"\$(tr -d '\r' <'$T/$b.rx' | grep -v -e '^EHLO ' -e '^STARTTLS\$' -e '^QUIT\$')\" ]"
done
check "strip: says STARTTLS is not offered" grep -q "does not offer STARTTLS" "$T/strip.err"
check "refuse: names the 454" grep -q "refused STARTTLS: 454 4.7.0" "$T/refuse.err"
check "inject: names the injection" grep -q "command injection" "$T/inject.err"
check "inject: no TLS was started on injected data" \
	sh -c "! od -An -tx1 '$T/inject.rx' | tr -d ' \n' | grep -q '1603'"

finish
