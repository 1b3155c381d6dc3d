#!/bin/sh
# End-to-end: the lm3s6965evb firmware (src/ + port/lwip + lwIP + BearSSL
# for Cortex-M3) runs in QEMU and submits to the real private Postfix.
# QEMU's user-mode network is restricted (restrict=on): the guest reaches
# only the guestfwd that make run-firmware sets up, from the configured
# server address to Postfix on the host's loopback. Each case builds the
# firmware with its own PINMAIL_* configuration (only the configured
# objects recompile), runs it, and checks the exit status QEMU returns
# (semihosting), the UART, and what Postfix delivered.
. "$(dirname "$0")/lib.sh"

BOARD=lm3s6965evb
T=$WORK/firmware
rm -rf "$T"
mkdir -p "$T"
chmod 755 "$T"
cd "$ROOT" || exit 1

for tool in qemu-system-arm arm-none-eabi-gcc socat; do
	command -v $tool >/dev/null || { bad "$tool is installed (make setup-test)"; finish; }
done
# Until the Makefile includes mk/firmware.mk, name both.
if grep -q '^include mk/firmware.mk' Makefile; then MK="make -s"; else
	MK="make -s -f Makefile -f mk/firmware.mk"; fi
# The test's builds go to a directory of their own (the board's libraries
# are shared), so a developer's own build/lm3s6965evb is left alone.
FW=$T/fw
MKFW="$MK BOARD=$BOARD FW=$FW"

start_server ec ec || finish
start_server rsa rsa || finish
hexpin() { "$ROOT/certs/tlsa" -c "$2" "$3" "$4" "$CERTS/$1.pem"; }
EC_PIN="3 1 1 $(hexpin ec 3 1 1)"
# Postfix sees the guest through socat on the loopback.
ADDR=10.0.2.100

# The alert: dots at line starts (dot-stuffing), a lone ".", UTF-8, a
# blank line, no final newline (pinmail adds the CRLF).
SUBJECT='disk /dev/sda1 at 97%'
BODY='first line\n.one dot\n..two dots\n.\n\ngr\303\274\303\237e \342\234\223\nlast line'
printf 'From: alice@pinmail.test\nTo: bob@pinmail.test, carol@pinmail.test\nSubject: %s\n\n%b\n' \
	"$SUBJECT" "$BODY" >"$T/want"

# build NAME SERVER [VAR=VALUE...]: configure and build; the defaults are
# the test user on SERVER through the guestfwd at $ADDR port 465.
build() {
	n=$1 srv=$2
	shift 2
	if $MKFW firmware PINMAIL_HOST=localhost PINMAIL_ADDR=$ADDR PINMAIL_PORT=465 \
		PINMAIL_TLSA="$EC_PIN" PINMAIL_USER=alice PINMAIL_PASSWORD=alice-secret-pw \
		PINMAIL_FROM=alice@pinmail.test PINMAIL_TO="bob@pinmail.test, carol@pinmail.test" \
		PINMAIL_SUBJECT="$SUBJECT" PINMAIL_BODY="$BODY" PINMAIL_TIMEOUT=10 \
		"$@" >"$T/$n.build" 2>&1; then
		return 0
	fi
	bad "$n: builds" "$(tail -5 "$T/$n.build")"
	return 1
}
# run NAME SERVER [make variables...]: run the firmware just built with
# make run-firmware; status in $st, UART in $T/NAME.uart.
run() {
	n=$1 srv=$2
	shift 2
	eval "port=\$${srv}_PORT"
	rm -f "$FW/run.status"
	timeout 120 $MKFW run-firmware PINMAIL_FWD=127.0.0.1:$port "$@" </dev/null >"$T/$n.uart" 2>&1
	st=$?
	# make fails with 2 whatever QEMU said; the firmware's status is here.
	[ ! -f "$FW/run.status" ] || st=$(cat "$FW/run.status")
	peak=$(sed -n 's/^stack: peak \([0-9]*\) .*/\1/p' "$T/$n.uart" | tr -d '\r')
	[ -z "$peak" ] || echo "$peak" >>"$T/peaks"
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(tail -12 "$T/$1.uart" | tr '\r' ' ')"; fi
}
uart_says() { # uart_says NAME TEXT: the UART output holds TEXT
	if grep -qF -- "$2" "$T/$1.uart"; then ok "$1: UART says \"$2\""; else
		bad "$1: UART says \"$2\"" "$(tail -12 "$T/$1.uart" | tr '\r' ' ')"; fi
}
strip_trace() {
	awk 'BEGIN { top = 1 }
	top && /^(Return-Path|X-Original-To|Delivered-To|Received):/ { skip = 1; next }
	top && skip && /^[ \t]/ { next }
	{ top = 0; print }' "$1"
}
wait_new() { # wait_new DIR N
	i=0
	while [ "$(new_files "$1" | wc -l)" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(new_files "$1" | wc -l)" -eq "$2" ]
}
nothing_new() { sleep 0.5; [ "$(new_files "$1" | wc -l)" -eq 0 ]; }
delivered() { # delivered NAME DIR: both copies arrived, byte for byte
	if wait_new "$2" 2 && [ "$(for f in $(new_files "$2"); do
		sed -n 's/^Delivered-To: //p' "$f"; done | sort | tr '\n' ' ')" = \
		"bob@pinmail.test carol@pinmail.test " ]; then
		ok "$1: one copy for each recipient"
	else
		bad "$1: one copy for each recipient" "$(new_files "$2")"
		return
	fi
	same=1
	for f in $(new_files "$2"); do
		strip_trace "$f" | cmp -s - "$T/want" || { same=0; cp "$f" "$T/$1.got"; }
	done
	if [ $same -eq 1 ]; then ok "$1: delivered bytes identical"; else
		bad "$1: delivered bytes identical" "see $T/$1.got"; fi
}
log_lines() { wc -l <"$("$PF" log "$1")"; }
new_log() { tail -n +"$(($2 + 1))" "$("$PF" log "$1")"; }

# --- delivery ----------------------------------------------------------------
if build ec311 ec; then
	mark "$ec_DIR"
	run ec311 ec
	expect_status ec311 0
	uart_says ec311 "pinmail: delivered: 250 2.0.0 Ok: "
	uart_says ec311 "server authenticated by tlsa record 1"
	uart_says ec311 "C: AUTH PLAIN ****"
	check "ec311: the password never reaches the UART" sh -c "! grep -q alice-secret-pw '$T/ec311.uart'"
	delivered ec311 "$ec_DIR"
	# What the README records: handshake time under QEMU, stack, sizes.
	sed -n 's/^\(time\|stack\|net\): .*/# &/p' "$T/ec311.uart" | tr -d '\r'
fi

# RSA signatures (ECDHE-RSA), and a rollover: the first record does not
# match, the second does.
if build rsa-rollover rsa PINMAIL_TLSA="3 1 1 $(hexpin rsa2 3 1 1);3 1 1 $(hexpin rsa 3 1 1)"; then
	mark "$rsa_DIR"
	run rsa-rollover rsa
	expect_status rsa-rollover 0
	uart_says rsa-rollover "server authenticated by tlsa record 2"
	delivered rsa-rollover "$rsa_DIR"
	sed -n 's/^\(time\|stack\): .*/# rsa: &/p' "$T/rsa-rollover.uart" | tr -d '\r'
fi

# Two alerts in one boot: the second resumes the TLS session kept in RAM
# (no certificate, no public-key work), and both are delivered whole.
if build resume ec PINMAIL_SENDS=2; then
	mark "$ec_DIR"
	run resume ec
	expect_status resume 0
	check "resume: delivered twice" \
		[ "$(grep -c 'pinmail: delivered: 250 2.0.0 Ok: ' "$T/resume.uart")" -eq 2 ]
	check "resume: first full, second resumed" [ "$(tr -d '\r' <"$T/resume.uart" |
		sed -n 's/^pinmail: server authenticated by tlsa record 1//p' | tr '\n' '|')" = \
		"| (TLS session resumed)|" ]
	if wait_new "$ec_DIR" 4; then ok "resume: four copies (two alerts, two recipients)"; else
		bad "resume: four copies (two alerts, two recipients)" "$(new_files "$ec_DIR")"; fi
	sed -n 's/^time: .*/# resume: &/p' "$T/resume.uart" | tr -d '\r'
fi

# A static address instead of DHCP.
if build static ec PINMAIL_IP=10.0.2.15 PINMAIL_GW=10.0.2.2; then
	mark "$ec_DIR"
	run static ec
	expect_status static 0
	uart_says static "net: 10.0.2.15 (static)"
	delivered static "$ec_DIR"
fi

# DANE-TA needs a trustworthy clock: with the host's clock it works
# (chain, dates and the name "localhost" checked)...
if build ta-clock ec PINMAIL_TLSA="2 0 1 $(hexpin int 2 0 1)" PINMAIL_CLOCK=host; then
	mark "$ec_DIR"
	run ta-clock ec
	expect_status ta-clock 0
	delivered ta-clock "$ec_DIR"
fi

# --- refusals ----------------------------------------------------------------
# A wrong pin: the server's key is the EC one, the pin the RSA one.
if build wrongpin ec PINMAIL_TLSA="3 1 1 $(hexpin rsa 3 1 1)"; then
	mark "$ec_DIR"
	l0=$(log_lines "$ec_DIR")
	run wrongpin ec
	expect_status wrongpin 41
	uart_says wrongpin "not delivered: the server's key matches no tlsa record"
	uart_says wrongpin "the server's key is \"3 1 1 $(hexpin ec 3 1 1)\""
	check "wrongpin: nothing delivered" nothing_new "$ec_DIR"
	check "wrongpin: no SMTP command went out" sh -c "! grep -q '  C: ' '$T/wrongpin.uart'"
	sleep 0.5
	new_log "$ec_DIR" "$l0" >"$T/wrongpin.log"
	if grep -q 'disconnect from' "$T/wrongpin.log" &&
		! grep -qE 'sasl_method|sasl_username|from=<|ehlo=|auth=' "$T/wrongpin.log"; then
		ok "wrongpin: Postfix saw no EHLO, AUTH or MAIL"
	else
		bad "wrongpin: Postfix saw no EHLO, AUTH or MAIL" "$(cat "$T/wrongpin.log")"
	fi
fi

# ...without one it refuses, before any SMTP.
if build ta-noclock ec PINMAIL_TLSA="2 0 1 $(hexpin int 2 0 1)"; then
	mark "$ec_DIR"
	run ta-noclock ec
	expect_status ta-noclock 42
	uart_says ta-noclock "no trustworthy clock"
	check "ta-noclock: nothing delivered" nothing_new "$ec_DIR"
fi

if build badpw ec PINMAIL_PASSWORD=not-the-password; then
	mark "$ec_DIR"
	run badpw ec
	expect_status badpw 63
	uart_says badpw "authentication rejected (AUTH) 535"
	check "badpw: nothing delivered" nothing_new "$ec_DIR"
fi

# No entropy from the host (an empty file): no TLS session is even tried.
if build noentropy ec; then
	mark "$ec_DIR"
	l0=$(log_lines "$ec_DIR")
	run noentropy ec PINMAIL_ENTROPY=/dev/null
	expect_status noentropy 39
	uart_says noentropy "no entropy to seed TLS"
	check "noentropy: nothing delivered" nothing_new "$ec_DIR"
	check "noentropy: Postfix saw no connection" sh -c \
		"! tail -n +$((l0 + 1)) '$("$PF" log "$ec_DIR")' | grep -q 'connect from'"
fi

# The guest reaches nothing but the forward: QEMU's gateway address on the
# server's port would lead to Postfix on the host's loopback without
# restrict=on; with it, the connection goes nowhere.
if build isolated ec PINMAIL_ADDR=10.0.2.2 PINMAIL_PORT="$ec_PORT" PINMAIL_TIMEOUT=2; then
	mark "$ec_DIR"
	l0=$(log_lines "$ec_DIR")
	run isolated ec PINMAIL_FWD=none
	check "isolated: exit non-zero (got $st)" [ "$st" -ne 0 ]
	check "isolated: Postfix saw no connection" sh -c \
		"! tail -n +$((l0 + 1)) '$("$PF" log "$ec_DIR")' | grep -q 'connect from'"
	check "isolated: nothing delivered" nothing_new "$ec_DIR"
fi

# A host name: lwIP's DNS is asked, and QEMU's restricted network has no
# DNS server to offer (its DHCP leaves the option out).
if build dnsname ec PINMAIL_HOST=mail.pinmail.test PINMAIL_ADDR=; then
	run dnsname ec PINMAIL_FWD=none
	expect_status dnsname 20
	uart_says dnsname "the server's name did not resolve"
fi

# A server that accepts and never speaks: the timeout ends it.
silent=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(4)
c, _ = s.accept(); time.sleep(30)' "$silent" &
sp=$!
silent_PORT=$silent
if build silent silent PINMAIL_TIMEOUT=2; then
	t0=$(date +%s)
	run silent silent
	t1=$(date +%s)
	expect_status silent 22
	uart_says silent "the server did not answer in time"
	check "silent: gave up within the 2 s timeout (+2 s)" [ $((t1 - t0)) -le 4 ]
fi
kill $sp 2>/dev/null
wait $sp 2>/dev/null

# --- the image ---------------------------------------------------------------
ELF=$FW/pinmail.elf
if [ -f "$ELF" ]; then
	alloc=$(arm-none-eabi-nm "$ELF" | awk '{ print $NF }' |
		grep -xE '_?(malloc|free|realloc|calloc|_sbrk|_malloc_r|_free_r|_realloc_r|_calloc_r|_sbrk_r)' | tr '\n' ' ')
	if [ -z "$alloc" ]; then ok "the linked ELF has no malloc, free, realloc, calloc or _sbrk"; else
		bad "the linked ELF has no malloc, free, realloc, calloc or _sbrk" "$alloc"; fi
	peak=$(sort -n "$T/peaks" 2>/dev/null | tail -1)
	$MKFW size-firmware PEAK_STACK=$peak >"$T/size" 2>&1
	grep -v "^  CC" "$T/size" | sed 's/^/# /'
	flash=$(sed -n 's/^pinmail.elf: flash \([0-9]*\) .*/\1/p' "$T/size")
	total=$(sed -n 's/^static RAM + peak stack: \([0-9]*\) .*/\1/p' "$T/size")
	check "flash image ${flash:-?} bytes <= 160 KB" [ "${flash:-999999}" -le 163840 ]
	check "static RAM + peak stack ${total:-?} bytes <= 56 KB" [ "${total:-999999}" -le 57344 ]
fi

# --- the portable part on other cores ---------------------------------------
for t in riscv32 xtensa-lx106; do
	if $MK port-size-$t BOARD=$BOARD >"$T/port-$t" 2>&1; then
		ok "src/, port/lwip and BearSSL build for $t"
		sed -n "s/^$t: /# $t: /p" "$T/port-$t"
	else
		bad "src/, port/lwip and BearSSL build for $t" "$(tail -5 "$T/port-$t")"
	fi
done

finish
