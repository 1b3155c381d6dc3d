#!/bin/sh
# End-to-end: the resolver (port/posix/pm_resolv.c, through the test driver
# build/tools/resolve, built with ASan+UBSan) against a real DNS server,
# NSD, serving zones written here on a loopback high port; and against
# small python3 responders for what a well-behaved server never does
# (silence, spoofed answers, lost datagrams, CNAMEs left to the client,
# compression loops, truncation without TCP).
#
# Nothing here reads the host's /etc/hosts or /etc/resolv.conf: the driver
# reads only the files a case gives it.
. "$(dirname "$0")/lib.sh"

R=${RESOLVE:-$ROOT/build/tools/resolve}
T=$WORK/resolver
rm -rf "$T"
mkdir -p "$T"
[ -x "$R" ] || { bad "resolver driver" "$R not built (make build/tools/resolve)"; finish; }
command -v nsd >/dev/null || { bad "nsd" "not installed (.ci/setup test)"; finish; }

FAKES=
stop_dns() {
	[ -f "$T/nsd/nsd.pid" ] && kill "$(cat "$T/nsd/nsd.pid")" 2>/dev/null
	for p in $FAKES; do kill "$p" 2>/dev/null; done
	stop_servers
}
trap stop_dns EXIT

# --- NSD with the test zones -------------------------------------------------
TLSA_HEX=0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6
mkdir -p "$T/nsd"
{
	echo '$ORIGIN pinmail.test.'
	echo '$TTL 60'
	echo '@ SOA ns hostmaster 1 3600 600 86400 60'
	echo '@ NS ns'
	echo 'ns A 127.0.0.1'
	echo 'mail A 127.0.0.1'
	echo 'mail6 AAAA ::1'
	echo 'dual A 127.0.0.1'
	echo 'dual AAAA ::1'
	echo 'alias CNAME c1'
	echo 'c1 CNAME c2'
	echo 'c2 CNAME mail'
	echo 'out CNAME target.elsewhere.test.'
	echo 'loop1 CNAME loop2'
	echo 'loop2 CNAME loop1'
	echo 'nodata TXT "no address here"'
	echo "_465._tcp.mail TLSA 3 1 1 $TLSA_HEX"
	# 40 addresses: 12 + 22 + 40 * 16 = 674 bytes, over UDP's 512.
	i=1
	while [ $i -le 40 ]; do echo "big A 127.0.1.$i"; i=$((i + 1)); done
} >"$T/nsd/pinmail.test.zone"
{
	echo '$ORIGIN elsewhere.test.'
	echo '$TTL 60'
	echo '@ SOA ns hostmaster 1 3600 600 86400 60'
	echo '@ NS ns'
	echo 'ns A 127.0.0.1'
	echo 'target A 127.0.0.2'
} >"$T/nsd/elsewhere.test.zone"
NSD_PORT=$(free_port)
# broken.test has no zone file: NSD answers SERVFAIL for it.
cat >"$T/nsd/nsd.conf" <<EOF
server:
	ip-address: 127.0.0.1
	port: $NSD_PORT
	username: ""
	chroot: ""
	zonesdir: "$T/nsd"
	pidfile: "$T/nsd/nsd.pid"
	database: ""
	xfrdfile: "$T/nsd/xfrd.state"
	zonelistfile: "$T/nsd/zone.list"
	logfile: "$T/nsd/nsd.log"
	server-count: 1
	hide-version: yes
remote-control:
	control-enable: no
zone:
	name: pinmail.test
	zonefile: pinmail.test.zone
zone:
	name: elsewhere.test
	zonefile: elsewhere.test.zone
zone:
	name: broken.test
	zonefile: missing.zone
EOF
nsd -c "$T/nsd/nsd.conf" || { bad "start nsd" "$(cat "$T/nsd/nsd.log")"; finish; }
NS=127.0.0.1:$NSD_PORT
i=0
until "$R" -s "$NS" -t 1 ns.pinmail.test >/dev/null 2>&1 || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done
[ $i -lt 50 ] || { bad "nsd answers" "$(cat "$T/nsd/nsd.log")"; finish; }

# --- python3 responders --------------------------------------------------------
cat >"$T/fakedns.py" <<'EOF'
# fakedns.py MODE PORTFILE LOGFILE: a UDP DNS responder that misbehaves in
# one way (MODE), logging "srcport id qtype name" per query it receives.
import os, socket, struct, sys
mode, portfile, logfile = sys.argv[1:4]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(('127.0.0.1', 0))
log = open(logfile, 'a', buffering=1)
def enc(name):
    return b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
def resp(qid, q, rcode=0, ans=(), flags=0x8180):
    return struct.pack('>HHHHHH', qid, flags | rcode, 1, len(ans), 0, 0) + q + b''.join(ans)
def a(ip):
    return b'\xc0\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + socket.inet_aton(ip)
def cname(target):
    t = enc(target)
    return b'\xc0\x0c' + struct.pack('>HHIH', 5, 1, 60, len(t)) + t
seen = {}
with open(portfile + '.tmp', 'w') as f:
    f.write(str(u.getsockname()[1]))
os.rename(portfile + '.tmp', portfile)
while True:
    d, peer = u.recvfrom(4096)
    qid, = struct.unpack('>H', d[:2])
    p, labels = 12, []
    while d[p]:
        labels.append(d[p + 1:p + 1 + d[p]].decode())
        p += 1 + d[p]
    q = d[12:p + 5]
    qtype, = struct.unpack('>H', d[p + 1:p + 3])
    name = '.'.join(labels).lower()
    log.write('%d %d %d %s\n' % (peer[1], qid, qtype, name))
    A = qtype == 1
    if mode == 'silent':
        continue
    elif mode == 'spoof':
        # Another ID, then another question, then the answer.
        other = enc('other.fake.test') + q[-4:]
        out = [resp(qid ^ 0x5a5a, q, 0, [a('10.6.6.6')] if A else []),
               resp(qid, other, 0, [a('10.7.7.7')] if A else []),
               resp(qid, q, 0, [a('127.0.0.1')] if A else [])]
    elif mode == 'dropfirst':
        seen[qtype] = seen.get(qtype, 0) + 1
        if seen[qtype] == 1:
            continue
        out = [resp(qid, q, 0, [a('127.0.0.1')] if A else [])]
    elif mode == 'chase':
        # Authoritative-only style: the alias, not what it points to.
        if name == 'chase.fake.test':
            out = [resp(qid, q, 0, [cname('target.fake.test')])]
        elif name == 'target.fake.test':
            out = [resp(qid, q, 0, [a('127.0.0.3')] if A else [])]
        else:
            out = [resp(qid, q, 3)]
    elif mode == 'loop':
        # Every name is an alias of a longer one, for ever.
        out = [resp(qid, q, 0, [cname(labels[0] + 'x.fake.test')])]
    elif mode == 'tc':
        out = [resp(qid, q, 0, [], flags=0x8380)]
    elif mode == 'badptr':
        # The answer's owner is a compression pointer to itself.
        me = 12 + len(q)
        rr = bytes([0xc0 | me >> 8, me & 0xff]) + struct.pack('>HHIH', 1, 1, 60, 4) + b'\x7f\0\0\1'
        out = [resp(qid, q, 0, [rr] if A else [])]
    for o in out:
        u.sendto(o, peer)
EOF
# fake MODE: start a responder; sets FAKE_PORT and FAKE_LOG.
fake() {
	FAKE_LOG=$T/fake-$1.log
	: >"$FAKE_LOG"
	rm -f "$T/fake-$1.port"
	python3 "$T/fakedns.py" "$1" "$T/fake-$1.port" "$FAKE_LOG" &
	FAKES="$FAKES $!"
	i=0
	while [ ! -f "$T/fake-$1.port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	FAKE_PORT=$(cat "$T/fake-$1.port")
}

# res NAME ARGS...: run the driver; stdout in $T/NAME.out, trace in
# $T/NAME.err, exit status in $st, milliseconds taken in $ms.
res() {
	n=$1
	shift
	t0=$(date +%s%N)
	"$R" -v "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
# expect NAME STATUS LINES...: exit status and exactly these output lines.
expect() {
	n=$1 want=$2
	shift 2
	printf '%s\n' "$@" >"$T/$n.want"
	if [ "$st" -eq "$want" ] && cmp -s "$T/$n.out" "$T/$n.want"; then
		ok "$n"
	else
		bad "$n" "exit $st (want $want): $(tr '\n' '|' <"$T/$n.out") $(tail -n 3 "$T/$n.err" | tr '\n' '|')"
	fi
}
# expect_err NAME STATUS TEXT: fails with that status and TEXT in the line.
expect_err() {
	if [ "$st" -eq "$2" ] && grep -qF -- "$3" "$T/$1.out"; then
		ok "$1"
	else
		bad "$1" "exit $st (want $2): $(cat "$T/$1.out")"
	fi
}
traced() { grep -qF -- "$2" "$T/$1.err"; }
# routable ADDR: this host has a route to ADDR (what RFC 6724 rule 1 asks;
# the resolver puts the others last).
routable() {
	python3 -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.connect((a, 9))' "$1" 2>/dev/null
}
# v6first V6 V4: the two lines in the order the resolver must give them.
v6first() {
	if routable "$1" || ! routable "$2"; then echo "$1 465"; echo "$2 465"
	else echo "$2 465"; echo "$1 465"; fi
}

# --- answers from NSD ------------------------------------------------------------
res "A record" -s "$NS" mail.pinmail.test
expect "A record" 0 "127.0.0.1 465"
res "AAAA record" -s "$NS" mail6.pinmail.test 25
expect "AAAA record" 0 "::1 25"
res "A and AAAA, IPv6 first" -s "$NS" dual.pinmail.test
expect "A and AAAA, IPv6 first" 0 "$(v6first ::1 127.0.0.1 | head -1)" \
	"$(v6first ::1 127.0.0.1 | tail -1)"
res "case and final dot" -s "$NS" MAIL.PinMail.Test.
expect "case and final dot" 0 "127.0.0.1 465"
res "CNAME chain of three in one answer" -s "$NS" alias.pinmail.test
expect "CNAME chain of three in one answer" 0 "127.0.0.1 465"
check "CNAME chain: the alias is traced" traced "CNAME chain of three in one answer" \
	"alias.pinmail.test is an alias of mail.pinmail.test"
res "CNAME into another zone" -s "$NS" out.pinmail.test
expect "CNAME into another zone" 0 "127.0.0.2 465"
res "CNAME loop in the zone" -s "$NS" loop1.pinmail.test
expect_err "CNAME loop in the zone" 2 "CNAME chain longer than 8"
res "NXDOMAIN" -s "$NS" nope.pinmail.test
expect_err "NXDOMAIN" 2 "nope.pinmail.test: no such host (NXDOMAIN from $NS)"
res "no A or AAAA (NODATA)" -s "$NS" nodata.pinmail.test
expect_err "no A or AAAA (NODATA)" 2 "nodata.pinmail.test: no address"
res "SERVFAIL" -s "$NS" x.broken.test
expect_err "SERVFAIL" 2 "cannot resolve x.broken.test: SERVFAIL from $NS"
res "REFUSED" -s "$NS" x.not-served.test
expect_err "REFUSED" 2 "REFUSED from $NS"
# 40 A records do not fit 512 bytes: NSD truncates, the resolver asks
# again over TCP and keeps the first 16 (PM_RESOLV_ADDR_MAX).
res "truncated answer: TCP" -s "$NS" big.pinmail.test
set --
i=1
while [ $i -le 16 ]; do set -- "$@" "127.0.1.$i 465"; i=$((i + 1)); done
expect "truncated answer: TCP" 0 "$@"
check "truncated answer: retried over TCP (traced)" traced "truncated answer: TCP" \
	"truncated, asking again over TCP"
res "TLSA query, AD bit reported" -s "$NS" -T 52 _465._tcp.mail.pinmail.test
expect "TLSA query, AD bit reported" 0 "rcode 0 ad 0 answers 1" "tlsa 3 1 1 $TLSA_HEX"
res "TLSA query, NXDOMAIN" -s "$NS" -T 52 _25._tcp.nope.pinmail.test
expect "TLSA query, NXDOMAIN" 0 "rcode 3 ad 0 answers 0"

# --- resolv.conf and hosts ----------------------------------------------------
printf '%s\n' '# test resolv.conf' 'nameserver 127.0.0.1' 'search pinmail.test' \
	'options ndots:1 timeout:1 attempts:1' >"$T/resolv.conf"
res "resolv.conf: search list" -r "$T/resolv.conf" -P "$NSD_PORT" mail
expect "resolv.conf: search list" 0 "127.0.0.1 465"
check "resolv.conf: asked for mail.pinmail.test" traced "resolv.conf: search list" \
	"A mail.pinmail.test?"
# The first search domain is not served (REFUSED): the same server is
# still asked for the next name.
printf '%s\n' 'nameserver 127.0.0.1' 'search not-served.test pinmail.test' \
	'options timeout:1 attempts:1' >"$T/resolv2.conf"
res "resolv.conf: REFUSED for one search domain, next one" -r "$T/resolv2.conf" \
	-P "$NSD_PORT" mail
expect "resolv.conf: REFUSED for one search domain, next one" 0 "127.0.0.1 465"
res "resolv.conf: dotted name as it is" -r "$T/resolv.conf" -P "$NSD_PORT" out.pinmail.test
expect "resolv.conf: dotted name as it is" 0 "127.0.0.2 465"
fake silent
SILENT=127.0.0.1:$FAKE_PORT
SILENT_LOG=$FAKE_LOG
printf '%s\n' '127.0.0.1 localhost' '192.0.2.7   mailhost.example  mailhost # comment' \
	'2001:db8::7 mailhost.example' '# 192.0.2.8 mailhost.example' \
	'192.0.2.9 other.example' >"$T/hosts"
res "hosts file first, no DNS" -H "$T/hosts" -s "$SILENT" -t 2 MailHost.Example
expect "hosts file first, no DNS" 0 "$(v6first 2001:db8::7 192.0.2.7 | head -1)" \
	"$(v6first 2001:db8::7 192.0.2.7 | tail -1)"
check "hosts file: answered at once" [ "$ms" -lt 1000 ]
res "hosts file: an alias, a comment" -H "$T/hosts" -s "$SILENT" -t 2 mailhost
expect "hosts file: an alias, a comment" 0 "192.0.2.7 465"
# A line longer than the reader's buffer is skipped whole; the next counts.
{ printf '192.0.2.66 '; head -c 3000 /dev/zero | tr '\0' 'x'; printf ' longline\n'; \
  echo '192.0.2.10 afterlong'; } >"$T/hosts.long"
res "hosts file: overlong line skipped" -H "$T/hosts.long" -s "$SILENT" -t 2 afterlong
expect "hosts file: overlong line skipped" 0 "192.0.2.10 465"
res "localhost without DNS" -s "$SILENT" -t 2 localhost
expect "localhost without DNS" 0 "$(v6first ::1 127.0.0.1 | head -1)" \
	"$(v6first ::1 127.0.0.1 | tail -1)"
res "IPv4 literal" -s "$SILENT" -t 2 192.0.2.1 587
expect "IPv4 literal" 0 "192.0.2.1 587"
res "IPv6 literal in brackets" -s "$SILENT" -t 2 '[2001:db8::1]'
expect "IPv6 literal in brackets" 0 "2001:db8::1 465"
res "IPv6 literal" -s "$SILENT" -t 2 2001:db8::1
expect "IPv6 literal" 0 "2001:db8::1 465"
check "literals and hosts never asked DNS" [ ! -s "$SILENT_LOG" ]

# --- bad input -------------------------------------------------------------------
for name in 'a..b' '.a' 'bad name' "$(head -c 64 /dev/zero | tr '\0' a).test" 'a\.b'; do
	n="invalid name \"$(echo "$name" | cut -c1-12)\""
	res "$n" -s "$NS" -t 2 "$name"
	expect_err "$n" 2 "is not a valid host name"
done
for s in '127.0.0.1:0' '127.0.0.1:65536' 'dns.example' '[::1' '[::1]x' \
	'1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4' ','; do
	res "bad dns_server \"$s\"" -s "$s" -t 2 mail.pinmail.test
	expect_err "bad dns_server \"$s\"" 2 "dns_server:"
done

# --- servers that misbehave --------------------------------------------------------
# Silence: the whole lookup ends within the timeout; two attempts, each with
# new random IDs from a new random source port.
res "timeout" -s "$SILENT" -t 3 mail.pinmail.test
expect_err "timeout" 3 "no answer from $SILENT within 3 s"
check "timeout: took 3 s (${ms} ms)" [ "$ms" -ge 2800 ] && [ "$ms" -le 4500 ]
nq=$(wc -l <"$SILENT_LOG")
nport=$(cut -d' ' -f1 "$SILENT_LOG" | sort -u | wc -l)
nid=$(cut -d' ' -f2 "$SILENT_LOG" | sort -u | wc -l)
check "timeout: retried (A and AAAA, 2 attempts: $nq queries)" [ "$nq" -eq 4 ]
check "timeout: a new source port per attempt ($nport ports)" [ "$nport" -eq 2 ]
check "timeout: a new ID per query ($nid IDs)" [ "$nid" -eq "$nq" ]
# A silent first server costs its share of the time, then the next answers.
res "failover from a silent server" -s "$SILENT,$NS" -t 4 mail.pinmail.test
expect "failover from a silent server" 0 "127.0.0.1 465"
check "failover: after one attempt's second (${ms} ms)" [ "$ms" -ge 900 ] && [ "$ms" -le 2500 ]
# A port where nothing listens refuses at once (ICMP), no waiting.
CLOSED=$(free_port)
res "failover from a closed port" -s "127.0.0.1:$CLOSED $NS" -t 4 mail.pinmail.test
expect "failover from a closed port" 0 "127.0.0.1 465"
check "failover from a closed port: at once (${ms} ms)" [ "$ms" -le 800 ]
fake spoof
res "spoofed answers ignored" -s "127.0.0.1:$FAKE_PORT" -t 3 spoof.fake.test
expect "spoofed answers ignored" 0 "127.0.0.1 465"
fake dropfirst
res "lost datagrams: asked again" -s "127.0.0.1:$FAKE_PORT" -t 4 lossy.fake.test
expect "lost datagrams: asked again" 0 "127.0.0.1 465"
check "lost datagrams: $(wc -l <"$FAKE_LOG") queries" [ "$(wc -l <"$FAKE_LOG")" -eq 4 ]
fake chase
res "CNAME left to the client: followed" -s "127.0.0.1:$FAKE_PORT" -t 3 chase.fake.test
expect "CNAME left to the client: followed" 0 "127.0.0.3 465"
check "CNAME left to the client: target asked" grep -q ' 1 target.fake.test$' "$FAKE_LOG"
fake loop
res "CNAMEs for ever: stopped" -s "127.0.0.1:$FAKE_PORT" -t 5 loop.fake.test
expect_err "CNAMEs for ever: stopped" 2 "CNAME chain longer than 8"
check "CNAMEs for ever: at most 9 queries per type ($(wc -l <"$FAKE_LOG"))" \
	[ "$(wc -l <"$FAKE_LOG")" -le 18 ]
fake tc
res "truncated, no TCP" -s "127.0.0.1:$FAKE_PORT" -t 3 tc.fake.test
expect_err "truncated, no TCP" 2 "TCP connection refused from 127.0.0.1:$FAKE_PORT"
fake badptr
res "compression loop in an answer" -s "127.0.0.1:$FAKE_PORT" -t 3 ptr.fake.test
expect_err "compression loop in an answer" 2 "malformed DNS answer"
check "compression loop: at once (${ms} ms)" [ "$ms" -le 1000 ]
finish
