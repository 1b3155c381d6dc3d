#!/bin/sh
# boards/fwsize.sh CROSS ELF MAP RAMSIZES.o FLASH_KB RAM_KB [PEAK_STACK]
# Flash and RAM of a firmware image, and a table of where the RAM goes:
# the pinmail client (TLS buffers, BearSSL, pin verifier, SMTP), lwIP
# (heap, pools, the rest), the board, and the stack (the peak measured on
# the UART, when given; else what is left).
set -eu
cross=$1 elf=$2 map=$3 sizes=$4 flash_kb=$5 ram_kb=$6 peak=${7:-}

sect() { "${cross}size" -A "$elf" | awk -v s="$1" '$1 == s { print $2 + 0 }'; }
text=$(sect .text) data=$(sect .data) bss=$(sect .bss) exidx=$(sect .ARM.exidx)
stack=$(sect .stack)
flash=$((text + ${exidx:-0} + data))
static=$((data + bss))
ram=$((ram_kb * 1024))

hex() { printf '%d' "0x$("${cross}nm" -S "$sizes" | awk -v n="pm_ram_$1" '$4 == n { print $2 }')"; }
client=$(hex client) session=$(hex session) ibuf=$(hex tls_ibuf) obuf=$(hex tls_obuf)
bearssl=$(hex bearssl) verifier=$(hex verifier) minimal=$(hex x509_minimal)
smtp=$(hex smtp) pins=$(hex pins)

# RAM input sections from the map, by where they come from. A section
# name may sit alone on its line with address and size on the next.
by_origin() {
	awk '
	/^Linker script and memory map/ { inmap = 1 }
	inmap && /^ \.(data|bss)[. ]|^ COMMON/ {
		if (NF == 1) { getline nxt; $0 = $0 " " nxt }
		if ($2 !~ /^0x2/ || NF < 4) next
		size = 0; h = tolower(substr($3, 3))
		for (i = 1; i <= length(h); i++) size = size * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		file = $4; name = $1; sub(/^\.(data|bss)\./, "", name)
		if (file ~ /liblwip\.a/) {
			if (name == "ram_heap") k = "lwip_heap"
			else if (name == "memp_memory_PBUF_POOL_base") k = "lwip_pbuf_pool"
			else if (name ~ /^memp_memory_/) k = "lwip_pools"
			else k = "lwip_other"
		} else if (file ~ /libbearssl\.a/) k = "bearssl_static"
		else if (name == "mail") k = "client"
		else k = "other"
		sum[k] += size
	}
	END { for (k in sum) print k, sum[k] }' "$map"
}
get() { by_origin | awk -v k="$1" '$1 == k { print $2 }' | grep . || echo 0; }
heap=$(get lwip_heap) pool=$(get lwip_pbuf_pool) pools=$(get lwip_pools)
lwother=$(get lwip_other) other=$(($(get other) + $(get bearssl_static)))
clientram=$(get client)
pad=$((static - heap - pool - pools - lwother - other - clientram))

# Flash input sections (code and constants) by origin.
flash_by_origin() {
	awk '
	/^Linker script and memory map/ { inmap = 1 }
	inmap && /^ \.(text|rodata)[. ]|^ \.(text|rodata)$/ {
		if (NF == 1) { getline nxt; $0 = $0 " " nxt }
		if ($2 !~ /^0x0/ || NF < 4) next
		size = 0; h = tolower(substr($3, 3))
		for (i = 1; i <= length(h); i++) size = size * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
		f = $4
		if (f ~ /libbearssl\.a/) k = "BearSSL"
		else if (f ~ /liblwip\.a/) k = "lwIP"
		else if (f ~ /obj\/src\//) k = "pinmail core (src/)"
		else if (f ~ /obj\/port\//) k = "port/lwip"
		else if (f ~ /obj\/boards\//) k = "board and example"
		else k = "C library, libgcc"
		sum[k] += size
	}
	END { for (k in sum) printf "  %-46s %7d\n", k, sum[k] }' "$map" | sort -k1,1
}

row() { printf '  %-46s %7d\n' "$1" "$2"; }
echo "$(basename "$elf"): flash $flash bytes of $((flash_kb * 1024)) (text $text, data $data)"
echo "where the flash goes:"
flash_by_origin
echo "static RAM (.data + .bss): $static bytes; stack reserved: ${stack:-0}; of $ram"
echo "where the RAM goes:"
row "TLS input buffer (one full record)" "$ibuf"
row "TLS output buffer" "$obuf"
row "BearSSL client context" "$bearssl"
row "pin verifier (of which br_x509_minimal $minimal)" "$verifier"
row "SMTP engine" "$smtp"
row "decoded pins" "$pins"
row "rest of the pinmail client" $((client - ibuf - obuf - bearssl - verifier - smtp - pins))
row "lwIP receive pool (PBUF_POOL)" "$pool"
row "lwIP heap (unacknowledged TCP data)" "$heap"
row "lwIP other pools (segments, pcbs, timers)" "$pools"
row "lwIP state (ARP, DHCP, DNS, netif list)" "$lwother"
row "board (exception stack 512), port DRBG, padding" $((other + pad))
if [ -n "$peak" ]; then
	row "stack (peak measured on the UART, of ${stack:-?})" "$peak"
	total=$((static + peak))
	echo "static RAM + peak stack: $total bytes ($((total * 100 / ram))% of $ram); budget 57344 (56 KB)"
else
	row "stack (reserved; run it for the peak)" "${stack:-0}"
fi
echo "reserved (stack + static): $((static + ${stack:-0})); unused: $((ram - static - ${stack:-0}))"
[ "$clientram" -eq 0 ] || [ "$clientram" -eq "$client" ] ||
	echo "note: the client in the image ($clientram) differs from sizeof ($client)" >&2
