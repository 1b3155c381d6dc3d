#!/bin/sh
# certs/gen.sh OUTDIR — the test PKI, generated with openssl.
#
#   ca         root CA, RSA 2048, "pinmail test root", self-signed
#   int        intermediate CA, ECDSA P-256, signed by ca, pathlen 0
#   rsa ec ec384 rsa4096 rsa2   leaves for localhost signed by int
#              (RSA 2048, P-256, P-384, RSA 4096, and a second RSA 2048
#              key: the "next key" of rollover tests)
#   expired    P-256 leaf for localhost, valid 2020-01-01..2021-01-01 only
#   wrongname  P-256 leaf whose only name is wrong.example
#   direct     P-256 leaf for localhost signed by ca itself (no intermediate)
#
# For each leaf X: X.key (PKCS#8 PEM), X.pem (the leaf), X.chain.pem (leaf +
# intermediate, or leaf + root for direct: what a server sends), X.der. For
# the CAs: ca.pem ca.der ca.key int.pem int.der int.key.
# tlsa/X.U.S.M holds "tlsa U S M HEX" as certs/tlsa computes it, for every
# certificate, U in 2 3, S in 0 1, M in 0 1 2: the tests' oracle.
#
# Validity is ten years from yesterday, except for expired. Idempotent: an
# OUTDIR made by this same script is left alone; otherwise it is made anew
# (in a scratch directory, moved into place only when complete).
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: certs/gen.sh OUTDIR" >&2
	exit 64
fi
HERE=$(cd "$(dirname "$0")" && pwd)
TLSA=$HERE/tlsa
STAMP="$(cksum <"$0") $(cksum <"$TLSA")"
mkdir -p "$(dirname "$1")"
OUT=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")   # absolute, no trailing /

if [ -f "$OUT/.gen-stamp" ]; then
	[ "$(cat "$OUT/.gen-stamp")" = "$STAMP" ] && exit 0
elif [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
	# It is replaced whole below: never do that to something else.
	echo "certs/gen.sh: $OUT exists and was not made by certs/gen.sh" >&2
	exit 73
fi

LEAVES="rsa ec ec384 rsa4096 rsa2 expired wrongname direct"

T=$OUT.tmp.$$
rm -rf "$T"
mkdir -p "$T/ca.d/new" "$T/tlsa"
trap 'rm -rf "$T"' EXIT
: >"$T/ca.d/index.txt"
echo 1000 >"$T/ca.d/serial"

# UTC time N seconds from now, as openssl ca wants it (YYYYMMDDHHMMSSZ).
# GNU and busybox date take -d @N, BSD date takes -r N.
when() {
	t=$(($(date -u +%s) + $1))
	date -u -d "@$t" +%Y%m%d%H%M%SZ 2>/dev/null || date -u -r "$t" +%Y%m%d%H%M%SZ
}
START=$(when -86400)
END=$(when $((86400 * 3652)))

cat >"$T/ca.cnf" <<'EOF'
[ ca ]
default_ca = pm_ca

[ pm_ca ]
dir             = $ENV::PM_CADIR
database        = $dir/index.txt
new_certs_dir   = $dir/new
serial          = $dir/serial
default_md      = sha256
policy          = pm_policy
unique_subject  = no
email_in_dn     = no
copy_extensions = none

[ pm_policy ]
commonName = supplied

[ req ]
distinguished_name = pm_dn
prompt = no
[ pm_dn ]
CN = unused

[ ext_root ]
basicConstraints       = critical, CA:true
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash

[ ext_int ]
basicConstraints       = critical, CA:true, pathlen:0
keyUsage               = critical, keyCertSign, cRLSign
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_rsa ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature, keyEncipherment
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::PM_SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid

[ ext_leaf_ec ]
basicConstraints       = critical, CA:false
keyUsage               = critical, digitalSignature
extendedKeyUsage       = serverAuth
subjectAltName         = $ENV::PM_SAN
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid
EOF
PM_CADIR=$T/ca.d
PM_SAN=DNS:localhost
export PM_CADIR PM_SAN
CNF=$T/ca.cnf

key() { # key NAME rsa BITS | key NAME ec CURVE
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$3" \
		-out "$T/$1.key" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:$3" \
		-pkeyopt ec_param_enc:named_curve -out "$T/$1.key" ;;
	esac
}

# sign NAME CN ISSUER EXT [START END]: NAME.pem and NAME.der from NAME.key;
# ISSUER "self" for the self-signed root.
sign() {
	n=$1 cn=$2 iss=$3 ext=$4 sd=${5:-$START} ed=${6:-$END}
	if [ "$iss" = self ]; then
		by="-selfsign"; iss=$n
	else
		by="-cert $T/$iss.pem"
	fi
	openssl req -new -config "$CNF" -key "$T/$n.key" -subj "/CN=$cn" \
		-out "$T/$n.csr"
	# $by is split on purpose (two words, no blanks in $T expected).
	# shellcheck disable=SC2086
	openssl ca -batch -notext -config "$CNF" -extensions "$ext" \
		-startdate "$sd" -enddate "$ed" $by -keyfile "$T/$iss.key" \
		-in "$T/$n.csr" -out "$T/$n.pem" 2>"$T/$n.log" ||
		{ cat "$T/$n.log" >&2; exit 1; }
	openssl x509 -in "$T/$n.pem" -outform DER -out "$T/$n.der"
	rm -f "$T/$n.csr" "$T/$n.log"
}

key ca rsa 2048
sign ca "pinmail test root" self ext_root
key int ec P-256
sign int "pinmail test intermediate" ca ext_int

key rsa rsa 2048;     sign rsa localhost int ext_leaf_rsa
key ec ec P-256;      sign ec localhost int ext_leaf_ec
key ec384 ec P-384;   sign ec384 localhost int ext_leaf_ec
key rsa4096 rsa 4096; sign rsa4096 localhost int ext_leaf_rsa
key rsa2 rsa 2048;    sign rsa2 localhost int ext_leaf_rsa
key expired ec P-256
sign expired localhost int ext_leaf_ec 20200101000000Z 20210101000000Z
key wrongname ec P-256
PM_SAN=DNS:wrong.example
sign wrongname wrong.example int ext_leaf_ec
PM_SAN=DNS:localhost
key direct ec P-256;  sign direct localhost ca ext_leaf_ec

for x in $LEAVES; do
	if [ "$x" = direct ]; then up=ca; else up=int; fi
	cat "$T/$x.pem" "$T/$up.pem" >"$T/$x.chain.pem"
done

for x in ca int $LEAVES; do
	for s in 0 1; do
		for m in 0 1 2; do
			hex=$("$TLSA" -c 3 "$s" "$m" "$T/$x.pem")
			for u in 2 3; do
				echo "tlsa $u $s $m $hex" >"$T/tlsa/$x.$u.$s.$m"
			done
		done
	done
done

chmod 644 "$T"/*.key
rm -rf "$T/ca.d" "$T/ca.cnf"
echo "$STAMP" >"$T/.gen-stamp"
rm -rf "$OUT"
mv "$T" "$OUT"
trap - EXIT
