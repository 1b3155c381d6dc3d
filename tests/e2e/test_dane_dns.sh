#!/bin/sh
# End-to-end: "tlsa dns", DANE from DNS, with DNSSEC entirely on loopback.
# NSD serves pinmail.test signed at test time with ldns-signzone; Unbound
# validates it with that zone's own trust anchor (its DS) and is the only
# resolver pinmail asks (dns_server). Postfix is the server. Every name
# below resolves to 127.0.0.1; what differs is the TLSA records at
# _PORT._tcp.NAME:
#   good   the server's key                     -> delivered
#   wrong  another key                          -> refused (75, queued)
#   none   no TLSA at all (authenticated NXDOMAIN) -> refused
#   bad    a TLSA whose signature is broken     -> bogus, SERVFAIL: refused
#   roll   the current and the next key         -> delivered before and
#          after the server switches keys
# and the same zone asked of NSD directly (no validation, no AD bit) ->
# refused; static tlsa lines beside "tlsa dns" are the fallback, and the
# log says so.
. "$(dirname "$0")/lib.sh"

T=$WORK/dane-dns
rm -rf "$T"
mkdir -p "$T/zone"
chmod 755 "$T"
start_server rsa rsa || finish
P=$rsa_PORT
hex() { tlsa_line "$1" 3 1 1 | awk '{ print $5 }'; }

# --- the zone, signed -----------------------------------------------------------
Z=$T/zone
{
	echo '$ORIGIN pinmail.test.'
	echo '$TTL 60'
	echo '@ SOA ns hostmaster 1 3600 600 86400 60'
	echo '@ NS ns'
	for h in ns good wrong none bad roll; do echo "$h A 127.0.0.1"; done
	echo "_$P._tcp.good TLSA 3 1 1 $(hex rsa)"
	echo "_$P._tcp.wrong TLSA 3 1 1 $(hex ec)"
	echo "_$P._tcp.bad TLSA 3 1 1 $(hex rsa)"
	echo "_$P._tcp.roll TLSA 3 1 1 $(hex rsa)"
	echo "_$P._tcp.roll TLSA 3 1 1 $(hex rsa2)"
} >"$Z/pinmail.test.zone"
(
	cd "$Z" || exit 1
	KSK=$(ldns-keygen -a ECDSAP256SHA256 -k pinmail.test) &&
	ZSK=$(ldns-keygen -a ECDSAP256SHA256 pinmail.test) &&
	ldns-signzone pinmail.test.zone "$ZSK" "$KSK" &&
	cp "$KSK.ds" anchor.ds
) >"$T/sign.log" 2>&1 || { bad "sign the zone" "$(cat "$T/sign.log")"; finish; }
# Break the signature over bad's TLSA: flip one base64 character of it.
python3 - "$Z/pinmail.test.zone.signed" "_$P._tcp.bad.pinmail.test." <<-'EOF' ||
	import sys
	path, owner = sys.argv[1], sys.argv[2]
	lines = open(path).read().split("\n")
	for i, l in enumerate(lines):
	    f = l.split()
	    if len(f) > 4 and f[0] == owner and f[3] == "RRSIG" and f[4] == "TLSA":
	        sig = f[-1]
	        f[-1] = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
	        lines[i] = "\t".join(f)
	        break
	else:
	    sys.exit("no RRSIG TLSA for " + owner)
	open(path, "w").write("\n".join(lines))
	EOF
	{ bad "break bad's signature"; finish; }

NSD_PORT=$(free_port)
cat >"$Z/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $NSD_PORT
	username: ""
	chroot: ""
	zonesdir: "$Z"
	pidfile: "$Z/nsd.pid"
	database: ""
	xfrdfile: "$Z/xfrd.state"
	zonelistfile: "$Z/zone.list"
	logfile: "$Z/nsd.log"
	server-count: 1
remote-control:
	control-enable: no
zone:
	name: pinmail.test
	zonefile: pinmail.test.zone.signed
EOF
UB_PORT=$(free_port)
# Unbound: validating, only for pinmail.test (a stub to NSD), only on
# loopback (outgoing-interface), and "test." not answered locally (it is
# one of Unbound's default local zones).
cat >"$Z/unbound.conf" <<EOF
server:
	interface: 127.0.0.1
	port: $UB_PORT
	outgoing-interface: 127.0.0.1
	username: ""
	chroot: ""
	directory: "$Z"
	pidfile: "$Z/unbound.pid"
	logfile: "$Z/unbound.log"
	use-syslog: no
	do-ip6: no
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	module-config: "validator iterator"
	trust-anchor-file: "$Z/anchor.ds"
	local-zone: "test." nodefault
	val-log-level: 2
remote-control:
	control-enable: no
stub-zone:
	name: "pinmail.test"
	stub-addr: 127.0.0.1@$NSD_PORT
EOF
stop_dns() {
	for f in "$Z/unbound.pid" "$Z/nsd.pid"; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	stop_servers
}
trap stop_dns EXIT
nsd -c "$Z/nsd.conf" || { bad "start nsd" "$(cat "$Z/nsd.log")"; finish; }
unbound -c "$Z/unbound.conf" || { bad "start unbound" "$(cat "$Z/unbound.log")"; finish; }
i=0
until drill -p "$UB_PORT" @127.0.0.1 A good.pinmail.test 2>/dev/null | grep -q 'rcode: NOERROR' ||
	[ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
check "unbound validates the zone (AD on good's TLSA)" sh -c "
	drill -D -p $UB_PORT @127.0.0.1 TLSA _$P._tcp.good.pinmail.test | grep -q 'flags: .* ad'"
check "unbound finds bad's signature bogus (SERVFAIL)" sh -c "
	drill -D -p $UB_PORT @127.0.0.1 TLSA _$P._tcp.bad.pinmail.test | grep -q 'rcode: SERVFAIL'"

# --- the cases ------------------------------------------------------------------
# send NAME HOST [DNS] [conf lines...]: one message; status in st.
send() {
	n=$1 h=$2 dns=$3
	shift 3
	conf "$T/$n.conf" "$P" "dns_server $dns" "tlsa dns" "$@"
	sed -i "s/^host .*/host $h/" "$T/$n.conf"
	printf 'Subject: %s\n\ndane-dns %s\n' "$n" "$n" |
		"$PINMAIL" -C "$T/$n.conf" -v bob@pinmail.test >"$T/$n.out" 2>"$T/$n.err"
	st=$?
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 400 "$T/$1.err")"; fi
}
delivered() {
	wait_count "$rsa_DIR" 1 || true
	check "$1: delivered" grep -q "dane-dns $1" $(new_files "$rsa_DIR") /dev/null
	mark "$rsa_DIR"
}
refused() { # refused NAME WHY: exit 75, queued, nothing sent, says WHY
	expect_status "$1" 75
	check "$1: queued, says: $2" sh -c "grep -q 'queued as' '$T/$1.err' && grep -q '$2' '$T/$1.err'"
	check "$1: no AUTH, no message" sh -c "! grep -q -e '^--> AUTH' -e '^--> MAIL' '$T/$1.err'"
	sleep 0.3
	check "$1: nothing delivered" [ -z "$(new_files "$rsa_DIR")" ]
}
UB=127.0.0.1:$UB_PORT
mark "$rsa_DIR"

send good good.pinmail.test "$UB"
expect_status good 0
check "good: authenticated by the pin from DNS" \
	grep -q "authenticated by tlsa 3 1 1 from DNS (_$P._tcp.good.pinmail.test)" "$T/good.err"
delivered good

send wrong wrong.pinmail.test "$UB"
refused wrong "matches no tlsa record"
send none none.pinmail.test "$UB"
refused none "_$P._tcp.none.pinmail.test does not exist (NXDOMAIN, authenticated)"
send bad bad.pinmail.test "$UB"
refused bad "no pins for bad.pinmail.test"
check "bad: the resolver's SERVFAIL is named" grep -qi "servfail\|server failure" "$T/bad.err"
send insecure good.pinmail.test "127.0.0.1:$NSD_PORT"
refused insecure "not authenticated (no AD bit"

# Static lines beside "tlsa dns": the fallback when DNS gives no pins,
# and the log line says so.
send fallback none.pinmail.test "$UB" "$(tlsa_line rsa 3 1 1)" "logfile $T/fallback.log"
expect_status fallback 0
delivered fallback
check "fallback: the log says the configured lines were used" \
	grep -q 'dns="no TLSA from DNS: .*the configured tlsa lines were used"' "$T/fallback.log"

# Rollover: DNS publishes the current key and the next; the server
# switches from rsa to rsa2 between two messages.
send roll-before roll.pinmail.test "$UB"
expect_status roll-before 0
delivered roll-before
# The same configuration again: the session kept is resumed (the pins
# from DNS are bound in a fixed order, whatever order DNS gives them in).
printf 'Subject: roll-again\n\ndane-dns roll-again\n' |
	"$PINMAIL" -C "$T/roll-before.conf" -v bob@pinmail.test >"$T/roll-again.out" 2>"$T/roll-again.err"
st=$?
expect_status roll-again 0
check "roll-again: the TLS session was resumed under the DNS pins" \
	grep -q "authenticated by tlsa 3 1 1 from DNS .*(TLS session resumed)" "$T/roll-again.err"
delivered roll-again
"$PF" start "$rsa_DIR" "$P" "$CERTS/rsa2.chain.pem" "$CERTS/rsa2.key" >/dev/null ||
	bad "restart postfix with the next key"
mark "$rsa_DIR"
send roll-after roll.pinmail.test "$UB"
expect_status roll-after 0
delivered roll-after
check "roll-after: the second record matched" \
	grep -q "authenticated by tlsa 3 1 1 from DNS" "$T/roll-after.err"
# good's record is the old key only: now refused.
send good-after good.pinmail.test "$UB"
refused good-after "matches no tlsa record"

finish
