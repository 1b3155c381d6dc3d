#!/bin/sh
# pinmail --import-msmtprc FILE [ACCOUNT]: a realistic ~/.msmtprc (defaults,
# two accounts, "account default : gmail") converted account by account and
# compared, field by field, with what msmtp itself reads from the same file
# (msmtp --pretend); the tls_fingerprint conversion checked against openssl
# and certs/tlsa; the warnings (STARTTLS, passwordeval, CA trust file, ...)
# naming file:line; the exit statuses (66 missing file, 78 unknown account
# or a file msmtp refuses, 65 too large); and the converted configuration,
# with a password added, delivering through the private Postfix.
#
# Until main.c calls pm_import_msmtprc, build/pinmail answers
# "--import-msmtprc is not in this build"; the conversion is then tested
# through a small driver of port/posix/pm_msmtprc.c built here, and the
# delivery with build/pinmail as it is.
. "$(dirname "$0")/lib.sh"

T=$WORK/msmtprc
rm -rf "$T"
mkdir -p "$T/home"
# ~ in the msmtprc is $HOME, as msmtp does it.
HOME=$T/home
export HOME

if "$PINMAIL" --import-msmtprc /dev/null 2>&1 | grep -q 'not in this build'; then
	echo "# build/pinmail has no --import-msmtprc yet: using build/tools/import-msmtprc"
	cat >"$T/driver.c" <<'EOF'
#include <stdio.h>
#include "pm_msmtprc.h"

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3)
		return 64;
	return pm_import_msmtprc(argv[1], argc == 3 ? argv[2] : NULL, stdout);
}
EOF
	mkdir -p "$ROOT/build/tools"
	if ! gcc -std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		-Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla -Wformat=2 -Werror \
		-I"$ROOT/port/posix" -o "$ROOT/build/tools/import-msmtprc" "$T/driver.c" \
		"$ROOT/port/posix/pm_msmtprc.c" 2>"$T/driver.err"; then
		bad "driver of pm_msmtprc.c builds with -Werror" "$(head -5 "$T/driver.err")"
		finish
	fi
	import() { "$ROOT/build/tools/import-msmtprc" "$@"; }
else
	import() { "$PINMAIL" --import-msmtprc "$@"; }
fi
command -v msmtp >/dev/null || bad "msmtp is installed (the reference reader)" "apt-get install msmtp"

# imp NAME FILE [ACCOUNT]: status in $st, stdout in $T/NAME.out, stderr in
# $T/NAME.err, the configuration's key lines (blanks squeezed) in $T/NAME.keys.
imp() {
	n=$1
	shift
	import "$@" >"$T/$n.out" 2>"$T/$n.err"
	st=$?
	grep -v '^#' "$T/$n.out" | tr -s ' ' >"$T/$n.keys"
}
expect_status() {
	if [ "$st" -eq "$2" ]; then ok "$1: exit $2"; else
		bad "$1: exit $2" "got $st: $(head -c 300 "$T/$1.err")"; fi
}
expect_keys() { # expect_keys NAME LINE...: exactly these key lines, in order
	n=$1
	shift
	printf '%s\n' "$@" >"$T/$n.want"
	if cmp -s "$T/$n.want" "$T/$n.keys"; then ok "$n: configuration"; else
		bad "$n: configuration" "$(diff "$T/$n.want" "$T/$n.keys" | tr '\n' '|')"; fi
}
expect_warning() { # expect_warning NAME TEXT: stderr has the line "pinmail: warning: TEXT..."
	if grep -qF "pinmail: warning: $2" "$T/$1.err"; then ok "$1: warns $2"; else
		bad "$1: warns $2" "$(cat "$T/$1.err")"; fi
}
warning_count() { # warning_count NAME N: N lines on stderr, every one a warning
	if [ "$(wc -l <"$T/$1.err")" -eq "$2" ] &&
		! grep -qv '^pinmail: warning: ' "$T/$1.err"; then
		ok "$1: $2 warnings, one line each"
	else
		bad "$1: $2 warnings, one line each" "$(cat "$T/$1.err")"
	fi
}
line_of() { grep -n -m 1 -- "$2" "$1" | cut -d: -f1; } # line_of FILE REGEX

# --- the pin: openssl, certs/tlsa and the conversion must agree ------------
FP=$(openssl x509 -in "$CERTS/ec.pem" -noout -fingerprint -sha256 | sed 's/.*=//')
FP_HEX=$(echo "$FP" | tr -d : | tr 'A-F' 'a-f')
PIN301=$("$ROOT/certs/tlsa" -c 3 0 1 "$CERTS/ec.pem")
if [ ${#FP_HEX} -eq 64 ] && [ "$FP_HEX" = "$PIN301" ]; then
	ok "openssl's SHA-256 fingerprint of ec.pem is certs/tlsa 3 0 1"
else
	bad "openssl's SHA-256 fingerprint of ec.pem is certs/tlsa 3 0 1" "$FP_HEX vs $PIN301"
fi

start_server ec ec || finish

# --- a realistic ~/.msmtprc ------------------------------------------------
RC=$T/msmtprc
cat >"$RC" <<EOF
# ~/.msmtprc

# Set default values for all following accounts.
defaults
auth           on
tls            on
tls_trust_file /etc/ssl/certs/ca-certificates.crt
logfile        ~/.msmtp.log
timeout        20

# Gmail: STARTTLS on the submission port, the password from the key ring.
account        gmail
host           smtp.gmail.com
port           587
from           me@gmail.com
user           me@gmail.com
passwordeval   "cat ~/.config/msmtp/gmail.pw"

# The office relay: implicit TLS, its certificate pinned.
account        work
host           localhost
port           $ec_PORT
tls_starttls   off
tls_trust_file
tls_fingerprint $FP
from           alice@pinmail.test
user           alice
passwordeval   "cat ~/.config/msmtp/work.pw"
domain         laptop.pinmail.test
dsn_notify     failure,delay

# Set a default account
account default : gmail
EOF
chmod 600 "$RC"
# (msmtp --pretend runs passwordeval.)
mkdir -p "$HOME/.config/msmtp"
echo gmail-app-pw >"$HOME/.config/msmtp/gmail.pw"
echo alice-secret-pw >"$HOME/.config/msmtp/work.pw"

imp default "$RC"
expect_status default 0
expect_keys default "host smtp.gmail.com" "port 465" "user me@gmail.com" \
	"from me@gmail.com" "timeout 20" "logfile $HOME/.msmtp.log"
expect_warning default "$RC:$(line_of "$RC" '^tls '): tls_starttls on (msmtp's default): pinmail speaks implicit TLS"
expect_warning default "$RC:$(line_of "$RC" '^tls_trust_file /etc'): tls_trust_file /etc/ssl/certs/ca-certificates.crt: pinmail trusts no CA"
expect_warning default "$RC:$(line_of "$RC" 'gmail.pw'): passwordeval cannot be converted"
warning_count default 3
check "default: the output says how to get the pin" grep -q '^#   openssl s_client -connect smtp.gmail.com:465 ' "$T/default.out"
check "default: the output names password_file for passwordeval" grep -qx '# password_file /etc/pinmail.secret' "$T/default.out"

imp gmail "$RC" gmail
check "gmail: the same configuration as default : gmail" sh -c \
	"cmp -s '$T/gmail.keys' '$T/default.keys'"

imp work "$RC" work
expect_status work 0
expect_keys work "host localhost" "port $ec_PORT" "tlsa 3 0 1 $PIN301" "user alice" \
	"from alice@pinmail.test" "helo laptop.pinmail.test" "timeout 20" \
	"logfile $HOME/.msmtp.log"
expect_warning work "$RC:$(line_of "$RC" 'work.pw'): passwordeval cannot be converted"
expect_warning work "$RC:$(line_of "$RC" '^dsn_notify'): dsn_notify failure,delay: no configuration key; pass -N failure,delay"
warning_count work 2

# --- msmtp reads the same file: every converted field must agree ----------
# msmtp_field FILE ACCOUNT NAME: the value msmtp --pretend shows for NAME
# ("(not set)" is empty).
msmtp_field() {
	msmtp -C "$1" -a "$2" --pretend </dev/null 2>/dev/null |
		sed -n "s/^$3 = //p" | sed 's/^(not set)$//'
}
key_of() { sed -n "s/^$2 //p" "$T/$1.keys"; } # key_of NAME KEY
agree() { # agree NAME FILE ACCOUNT: host, port, from, user, helo, timeout, pin
	n=$1 file=$2 a=$3 why=
	mf() { msmtp_field "$file" "$a" "$1"; }
	[ "$(key_of "$n" host)" = "$(mf host)" ] || why="$why host"
	[ "$(key_of "$n" from)" = "$(mf from)" ] || why="$why from"
	if [ "$(mf auth)" != none ]; then
		[ "$(key_of "$n" user)" = "$(mf user)" ] || why="$why user"
	else
		[ -z "$(key_of "$n" user)" ] || why="$why user-without-auth"
	fi
	d=$(mf domain)
	[ "$(key_of "$n" helo)" = "$d" ] || { [ "$d" = localhost ] && [ -z "$(key_of "$n" helo)" ]; } ||
		why="$why helo"
	t=$(mf timeout)
	[ "$(key_of "$n" timeout) seconds" = "$t" ] || { [ "$t" = off ] && [ -z "$(key_of "$n" timeout)" ]; } ||
		why="$why timeout"
	if [ "$(mf tls)" = on ] && [ "$(mf tls_starttls)" = off ]; then
		[ "$(key_of "$n" port)" = "$(mf port)" ] || why="$why port"
	fi
	f=$(mf tls_fingerprint "$2" | tr -d : | tr 'A-F' 'a-f')
	case $f in
	'') [ -z "$(key_of "$n" tlsa)" ] || why="$why tlsa" ;;
	*) [ "$(key_of "$n" tlsa)" = "3 0 1 $f" ] || why="$why tlsa" ;;
	esac
	if [ -z "$why" ]; then ok "$n: agrees with msmtp --pretend -a $a"; else
		bad "$n: agrees with msmtp --pretend -a $a" "differs in$why"; fi
}
if command -v msmtp >/dev/null; then
	agree default "$RC" default
	agree gmail "$RC" gmail
	agree work "$RC" work

	# Inheritance as msmtp has it: defaults in force where an account
	# starts, then its parents' settings (theirs and inherited), then its
	# own lines; a later defaults section changes only later accounts.
	RC2=$T/inherit.msmtprc
	cat >"$RC2" <<'EOF'
defaults
port 587
tls on
tls_starttls off
timeout 15

account a
host a.example
from "a@example.org"
auth on
user alice
password "pass word#1"

account b : a
host b.example
domain b.example

defaults
timeout 45
domain d.example

account c : b
from c@example.org

account d
host d.example
auth off
user dave

account e : d, c
port 2465
EOF
	chmod 600 "$RC2"
	for a in a b c d e; do
		imp "inherit-$a" "$RC2" "$a"
		agree "inherit-$a" "$RC2" "$a"
	done
	check "inherit-a: a quoted password keeps its blank and #" \
		grep -qx 'password pass word#1' "$T/inherit-a.keys"
	check "inherit-e: its own port wins over its parents'" \
		grep -qx 'port 2465' "$T/inherit-e.keys"
	expect_warning inherit-d "$RC2:$(line_of "$RC2" '^user dave'): user dave without \"auth on\""
fi

# --- edge cases --------------------------------------------------------------
# Commands before any account form the account "default"; CRLF line ends;
# a SHA-1 fingerprint; an eval line.
printf 'host mail.example.org\r\ntls on\r\ntls_starttls off\r\ntls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33\r\neval echo from x@example.org\r\nfrom "root@example.org"\r\n' >"$T/crlf.rc"
imp crlf "$T/crlf.rc"
expect_status crlf 0
expect_keys crlf "host mail.example.org" "port 465" "from root@example.org"
expect_warning crlf "$T/crlf.rc:4: tls_fingerprint is a SHA-1 fingerprint, which pinmail cannot use"
expect_warning crlf "$T/crlf.rc:5: eval cannot be converted"
warning_count crlf 2

# Errors: nothing on stdout, one line on stderr, the sysexits code.
imp missing "$T/no-such-msmtprc"
expect_status missing 66
check "missing: nothing printed, the error names the file" sh -c \
	"[ ! -s '$T/missing.out' ] && grep -q 'no-such-msmtprc: No such file' '$T/missing.err'"

imp unknown "$RC" nosuch
expect_status unknown 78
check "unknown: nothing printed, the accounts listed" sh -c \
	"[ ! -s '$T/unknown.out' ] && grep -qx 'pinmail: $RC: no account nosuch; its accounts: gmail work default' '$T/unknown.err'"

printf 'account a\nhost a.example\nsmtp_port 25\n' >"$T/bad.rc"
imp bad "$T/bad.rc" a
expect_status bad 78
check "bad: the error names file:line" grep -qx "pinmail: $T/bad.rc:3: unknown command smtp_port" "$T/bad.err"
if command -v msmtp >/dev/null; then
	check "bad: msmtp refuses it too" sh -c "! msmtp -C '$T/bad.rc' -a a --pretend </dev/null >/dev/null 2>&1"
fi

printf 'account a : b\nhost a.example\n' >"$T/parent.rc"
imp parent "$T/parent.rc"
expect_status parent 78
check "parent: an undefined parent is named" grep -q "parent.rc:1: account b is not (yet) defined" "$T/parent.err"

printf 'account a\nhost a.example\nport 0\n' >"$T/port.rc"
imp port "$T/port.rc"
expect_status port 78

awk 'BEGIN { print "account a"; print "host a.example"; for (i = 0; i < 2000; i++) print "# padding padding" }' >"$T/big.rc"
imp big "$T/big.rc"
expect_status big 65

# --- the converted work account delivers, with a password added ------------
cp "$T/work.out" "$T/work.conf"
printf 'password alice-secret-pw\nspool %s\n' "$T/spool" >>"$T/work.conf"
chmod 600 "$T/work.conf"
mark "$ec_DIR"
printf 'To: bob@pinmail.test\nSubject: converted from msmtp\n\nhello\n' |
	"$PINMAIL" -v -C "$T/work.conf" bob@pinmail.test >"$T/send.out" 2>"$T/send.err"
st=$?
if [ $st -eq 0 ]; then ok "delivery with the converted configuration: exit 0"; else
	bad "delivery with the converted configuration: exit 0" "exit $st: $(tail -3 "$T/send.err")"; fi
check "delivery: the server was authenticated by the converted tlsa 3 0 1" \
	grep -q "authenticated by tlsa 3 0 1 at $T/work.conf:" "$T/send.err"
check "delivery: EHLO carries msmtp's domain" grep -q -- "--> EHLO laptop.pinmail.test" "$T/send.err"
if wait_count "$ec_DIR" "$(($(wc -l <"$MARK") + 1))" &&
	grep -q '^Subject: converted from msmtp' $(new_files "$ec_DIR"); then
	ok "delivery: the message is in the Maildir"
else
	bad "delivery: the message is in the Maildir"
fi

finish
