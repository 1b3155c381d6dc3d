#!/bin/sh
# End-to-end: the router builds (mk/cross.mk) run under qemu-user, invoked
# explicitly (no binfmt registration needed), each delivering a message to
# the private Postfix. The server's name is looked up through a real DNS
# server, NSD on loopback, given to pinmail as dns_server: a CNAME chain to
# the address Postfix listens on. The message is read back from the Maildir.
# The resolver test driver built for each target also runs, for the DNS
# codec on big-endian MIPS and a truncated answer retried over TCP.
. "$(dirname "$0")/lib.sh"

T=$WORK/cross
rm -rf "$T"
mkdir -p "$T"
TARGETS=${PM_CROSS_TARGETS:-mipsel-linux mips-linux armhf-linux aarch64-linux x86_64-linux}

qemu_of() {
	case $1 in
	mipsel-linux) echo qemu-mipsel-static ;;
	mips-linux) echo qemu-mips-static ;;
	armhf-linux) echo qemu-arm-static ;;
	aarch64-linux) echo qemu-aarch64-static ;;
	*) echo "" ;;                   # native
	esac
}
# What readelf must say about each binary: machine, and data encoding.
machine_of() {
	case $1 in
	mipsel-linux) echo "MIPS R3000|little endian" ;;
	mips-linux) echo "MIPS R3000|big endian" ;;
	armhf-linux) echo "ARM|little endian" ;;
	aarch64-linux) echo "AArch64|little endian" ;;
	x86_64-linux) echo "X86-64|little endian" ;;
	esac
}

stop_dns() {
	[ -f "$T/nsd/nsd.pid" ] && kill "$(cat "$T/nsd/nsd.pid")" 2>/dev/null
	stop_servers
}
trap stop_dns EXIT

command -v nsd >/dev/null || { bad "nsd" "not installed (.ci/setup test)"; finish; }
mkdir -p "$T/nsd"
{
	echo '$ORIGIN pinmail.test.'
	echo '$TTL 60'
	echo '@ SOA ns hostmaster 1 3600 600 86400 60'
	echo '@ NS ns'
	echo 'ns A 127.0.0.1'
	echo 'smtp A 127.0.0.1'
	echo 'relay CNAME smtp'
	echo 'mail CNAME relay'
	i=1
	while [ $i -le 40 ]; do echo "big A 127.0.1.$i"; i=$((i + 1)); done
} >"$T/nsd/pinmail.test.zone"
NSD_PORT=$(free_port)
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
remote-control:
	control-enable: no
zone:
	name: pinmail.test
	zonefile: pinmail.test.zone
EOF
nsd -c "$T/nsd/nsd.conf" || { bad "start nsd" "$(cat "$T/nsd/nsd.log")"; finish; }
NS=127.0.0.1:$NSD_PORT
# NSD is up when it answers over TCP (its UDP socket opens at the same time).
i=0
until python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
	"$NSD_PORT" 2>/dev/null || [ $i -ge 50 ]; do
	sleep 0.1; i=$((i + 1))
done

start_server ec ec || finish
PIN=$(tlsa_line ec 3 1 1)

for t in $TARGETS; do
	bin=$ROOT/build/$t/pinmail
	q=$(qemu_of "$t")
	if [ ! -x "$bin" ] || [ ! -x "$ROOT/build/$t/resolve" ]; then
		bad "[$t] built" "no $bin or resolve driver (make cross, or make check)"
		continue
	fi
	if [ -n "$q" ] && ! command -v "$q" >/dev/null; then
		bad "[$t] $q" "not installed (.ci/setup test)"
		continue
	fi

	# A static executable for the right machine: no program interpreter.
	m=$(machine_of "$t")
	hdr=$(readelf -h "$bin" 2>&1)
	if readelf -l "$bin" 2>&1 | grep -q 'program interpreter'; then
		bad "[$t] static ELF" "it asks for a program interpreter"
	elif echo "$hdr" | grep -q "Machine:.*${m%|*}" && echo "$hdr" | grep -q "${m#*|}"; then
		ok "[$t] static ELF, ${m%|*}, ${m#*|}"
	else
		bad "[$t] static ELF, ${m%|*}, ${m#*|}" "$(echo "$hdr" | grep -E 'Machine|Data')"
	fi

	# The resolver under emulation: a CNAME chain, and 40 A records that
	# need TCP.
	$q "$ROOT/build/$t/resolve" -s "$NS" -t 10 mail.pinmail.test >"$T/$t.res" 2>&1
	check "[$t] resolver: CNAME chain to 127.0.0.1" \
		[ "$(cat "$T/$t.res")" = "127.0.0.1 465" ]
	$q "$ROOT/build/$t/resolve" -v -s "$NS" -t 10 big.pinmail.test 25 >"$T/$t.big" 2>"$T/$t.big.err"
	if [ "$(wc -l <"$T/$t.big")" -eq 16 ] && [ "$(head -n 1 "$T/$t.big")" = "127.0.1.1 25" ] &&
		grep -q 'over TCP' "$T/$t.big.err"; then
		ok "[$t] resolver: truncated answer retried over TCP"
	else
		bad "[$t] resolver: truncated answer retried over TCP" "$(head -c 300 "$T/$t.big" "$T/$t.big.err")"
	fi

	# Delivery, the host looked up by name through NSD.
	conf "$T/$t.conf" "$ec_PORT" "$PIN" "host mail.pinmail.test" "dns_server $NS"
	printf 'Subject: from %s\nTo: bob@pinmail.test\n\nsent by the %s build under %s\n' \
		"$t" "$t" "${q:-no emulator}" >"$T/$t.msg"
	mark "$ec_DIR"
	t0=$(date +%s%N)
	$q "$bin" -C "$T/$t.conf" -t <"$T/$t.msg" >"$T/$t.out" 2>"$T/$t.err"
	st=$?
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ $st -eq 0 ]; then
		ok "[$t] pinmail exit 0 (${ms} ms)"
	else
		bad "[$t] pinmail exit 0" "exit $st: $(head -c 300 "$T/$t.err")"
	fi
	i=0
	while [ -z "$(new_files "$ec_DIR")" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	f=$(new_files "$ec_DIR" | head -n 1)
	if [ -n "$f" ] && grep -q "^Subject: from $t\$" "$f" &&
		grep -q "^sent by the $t build" "$f"; then
		ok "[$t] delivered, read back from the Maildir"
	else
		bad "[$t] delivered, read back from the Maildir" "${f:-nothing arrived}"
	fi
done
finish
