# Shared by the end-to-end tests: a private Postfix per server key, a
# pinmail configuration per case, and checks that print "ok"/"FAIL" lines.
# Sourced, not run. Needs build/pinmail and build/certs (make all certs).

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PINMAIL=${PINMAIL:-$ROOT/build/pinmail}
CERTS=${PM_CERTS:-$ROOT/build/certs}
WORK=$ROOT/build/e2e${PM_WORK_TAG:+-$PM_WORK_TAG}
PF=$ROOT/tests/e2e/postfix
mkdir -p "$WORK"
failures=0

ok()   { echo "ok $1"; }
bad()  { echo "FAIL $1${2:+: $2}"; failures=$((failures + 1)); }
check() { # check NAME COMMAND...: ok when the command succeeds
	name=$1; shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}

# A free loopback port (the kernel picks one; race-free enough for tests).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_server NAME CERT: a private Postfix presenting CERT.chain.pem, in a
# directory of this test script's own (scripts may run side by side).
# Sets ${NAME}_PORT and ${NAME}_DIR.
start_server() {
	dir=$WORK/pf-$(basename "$0" .sh)-$1
	port=$(free_port)
	"$PF" start "$dir" "$port" "$CERTS/$2.chain.pem" "$CERTS/$2.key" >/dev/null || {
		bad "start postfix $1"; return 1; }
	eval "${1}_PORT=$port ${1}_DIR=\$dir"
	STARTED="${STARTED:-} $dir"
}
stop_servers() {
	for d in ${STARTED:-}; do "$PF" stop "$d" >/dev/null 2>&1; done
}
trap stop_servers EXIT

# tlsa_line CERT U S M: the pin as certs/tlsa computes it with openssl.
tlsa_line() { "$ROOT/certs/tlsa" "$2" "$3" "$4" "$CERTS/$1.pem"; }

# conf FILE PORT [extra lines...]: a configuration for the test user, with
# its own spool directory beside it (FILE without .conf, plus .spool).
conf() {
	f=$1; port=$2; shift 2
	{
		echo "host localhost"
		echo "port $port"
		echo "user alice"
		echo "password alice-secret-pw"
		echo "from alice@pinmail.test"
		echo "timeout 10"
		echo "spool ${f%.conf}.spool"
		for l in "$@"; do echo "$l"; done
	} >"$f"
	chmod 600 "$f"
}

maildir_count() { ls "$("$PF" maildir "$1")" 2>/dev/null | wc -l; }

# wait_count DIR N: wait (bounded) until the Maildir holds N messages.
wait_count() {
	i=0
	while [ "$(maildir_count "$1")" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(maildir_count "$1")" -eq "$2" ]
}

# Messages now in the Maildir, to compare against later.
MARK=$WORK/mark.$(basename "$0" .sh)
mark() { ls "$("$PF" maildir "$1")" 2>/dev/null | sort >"$MARK"; }
new_files() {
	ls "$("$PF" maildir "$1")" 2>/dev/null | sort | comm -13 "$MARK" - |
		sed "s|^|$("$PF" maildir "$1")/|"
}

finish() { exit $((failures > 0)); }
