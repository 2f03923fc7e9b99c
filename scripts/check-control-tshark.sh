#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host check of the lisp-control codec against Wireshark's LISP dissector: builds and runs
# rust/control/examples/vectors.rs, which prints every byte-exact test vector as it is encoded
# now ("NAME HEX" per line), wraps each in IPv4/UDP port 4342 with text2pcap, decodes it with
# `tshark -V -O lisp` and greps the fields that vector must show. Also recomputes the HMAC of
# the authenticated vectors with python3 (key "secret").
# Prints "ok - NAME" or "not ok - NAME: missing `FIELD'" per vector; exits 1 on any mismatch,
# 4 (skip) when tshark, text2pcap or python3 is missing (apt-get install -y tshark).
#
#   scripts/check-control-tshark.sh [-v]	# -v prints tshark's full decode of each vector
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
verbose=0
[ "${1:-}" = -v ] && verbose=1

for tool in tshark text2pcap python3; do
	command -v $tool >/dev/null || { echo "SKIP: $tool not found"; exit 4; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The fields each vector must decode to, one per line.
expect() {
	case $1 in
	map_request_iid7_v4) cat <<-'X' ;;
		Type: Map-Request (1)
		s bit (SMR-invoked): Set
		Nonce: 0x0123456789abcdef
		Source EID: [7] 10.1.0.1
		Instance ID: 7
		ITR-RLOC 1: 192.0.2.1
		Map-Request Record 1: [7] 10.2.0.0/16
	X
	map_request_probe_mbit) cat <<-'X' ;;
		A bit (Authoritative): Set
		M bit (Map-Reply present): Set
		P bit (Probe): Set
		Source EID: [7] 2001:db8:1::1
		Map-Request Record 1: [7] 2001:db8:2::/48
		EID Prefix: [7] 10.1.0.0/16, TTL: 1440, Action: No-Action, Authoritative
	X
	map_reply_v6_2loc) cat <<-'X' ;;
		Type: Map-Reply (2)
		EID Prefix: 2001:db8:2::/48, TTL: 1440, Action: No-Action, Authoritative
		Locator Count: 2
		Mapping Version: 5
		RLOC: 192.0.2.2, Reachable, Priority/Weight: 1/50, Multicast Priority/Weight: 255/0
		RLOC: 2001:db8::2, Reachable, Priority/Weight: 1/50, Multicast Priority/Weight: 255/0
	X
	map_reply_negative) cat <<-'X' ;;
		EID Prefix: [7] 10.3.0.0/16, TTL: 15, Action: Natively-Forward, Not Authoritative
		Locator Count: 0
	X
	map_register_sha1) cat <<-'X' ;;
		Type: Map-Register (3)
		P bit (Proxy-Map-Reply): Set
		.... .... .... .... .... ...1 = M bit (Want-Map-Notify): Set
		Nonce: 0x1122334455667788
		Key ID: 0x0001
		Authentication Data Length: 20
		EID Prefix: [7] 10.1.0.0/16, TTL: 1440
		Local RLOC: 192.0.2.1, Reachable, Priority/Weight: 1/100
	X
	map_notify_sha256) cat <<-'X' ;;
		Type: Map-Notify (4)
		I bit (xTR-ID present): Not set
		Key ID: 0x0002
		Authentication Data Length: 32
		EID Prefix: [7] 10.1.0.0/16, TTL: 1440
	X
	map_notify_ack_sha1) cat <<-'X' ;;
		Type: Unknown (5)
	X
	map_notify_ack_sha1.as4) cat <<-'X' ;;
		Type: Map-Notify (4)
		Key ID: 0x0001
		Authentication Data Length: 20
		EID Prefix: [7] 10.1.0.0/16, TTL: 1440
	X
	ecm_v4_map_request) cat <<-'X' ;;
		Type: Encapsulated Control Message (8)
		Internet Protocol Version 4, Src: 10.1.0.1, Dst: 10.2.0.1
		Time to Live: 64
		Src Port: 61000, Dst Port: 4342
		Map-Request Record 1: [7] 10.2.0.0/16
	X
	ecm_v6_map_request) cat <<-'X' ;;
		Type: Encapsulated Control Message (8)
		Internet Protocol Version 6, Src: 2001:db8:1::1, Dst: 2001:db8:2::1
		Next Header: UDP (17)
		Hop Limit: 64
		Src Port: 61001, Dst Port: 4342
		ITR-RLOC 2: 192.0.2.1
		Map-Request Record 1: 2001:db8:2::/48
	X
	*) echo "no expectations for vector" ;;
	esac
}

fail=0
check() {	# check NAME HEX
	local name=$1 hex=$2 out field
	sed 's/../& /g; s/^/000000 /' <<<"$hex" >"$tmp/$name.txt"
	text2pcap -q -4 192.0.2.1,192.0.2.2 -u 4342,4342 "$tmp/$name.txt" "$tmp/$name.pcap" 2>/dev/null ||
		{ echo "not ok - $name: text2pcap failed"; fail=1; return; }
	out=$(tshark -r "$tmp/$name.pcap" -V -O lisp,ip,ipv6,udp \
		-o ip.check_checksum:TRUE -o udp.check_checksum:TRUE 2>&1)
	[ $verbose = 1 ] && printf '%s\n' "$out"
	# Checksums of the inner headers are checked too, and nothing may be malformed.
	for field in Malformed incorrect 'Checksum Status: Bad'; do
		if grep -qF "$field" <<<"$out"; then
			echo "not ok - $name: tshark says \`$field'"; fail=1; return
		fi
	done
	while IFS= read -r field; do
		if ! grep -qF -- "$field" <<<"$out"; then
			echo "not ok - $name: missing \`$field'"; fail=1; return
		fi
	done < <(expect "$name")
	echo "ok - $name"
}

# The HMAC over the message with its auth data zeroed, computed apart from the Rust code.
check_hmac() {	# check_hmac NAME HEX
	if python3 - "$2" <<-'X'; then echo "ok - $1 hmac"; else echo "not ok - $1 hmac"; fail=1; fi
		import hashlib, hmac, sys
		b = bytearray.fromhex(sys.argv[1])
		alg, n = {1: (hashlib.sha1, 20), 2: (hashlib.sha256, 32)}[b[13]]
		assert int.from_bytes(b[14:16], "big") == n
		sent = bytes(b[16:16 + n])
		b[16:16 + n] = bytes(n)
		sys.exit(hmac.new(b"secret", bytes(b), alg).digest() != sent)
	X
}

vectors=$(cargo run -q --manifest-path "$top/rust/Cargo.toml" -p lisp-control --example vectors) ||
	die "cannot build or run the vectors example"
[ -n "$vectors" ] || die "no vectors"
while read -r name hex; do
	check "$name" "$hex"
	case $name in
	map_register_* | map_notify_*) check_hmac "$name" "$hex" ;;
	esac
	# tshark 4.0 does not dissect Map-Notify-Ack; its body is a Map-Notify's.
	[ "$name" = map_notify_ack_sha1 ] && check "$name.as4" "4${hex:1}"
done <<<"$vectors"
exit $fail
