#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Not a selftest: captures Open Overlay Router's control plane (OOR as Map-Server/Map-Resolver,
# two OOR xTRs) for Documentation/oor-mapping-system.rst and rust/control/tests/pcaps/.
#
#   x1 (OOR xTR) u1 ---p1-[ ms: br0 10.0.0.254, OOR MS/MR ]-p2--- u2 (OOR xTR) x2
#   10.0.0.1, EID 192.168.1.0/24 iid 7            10.0.0.2, EID 192.168.2.0/24 iid 7
#   (192.168.1.1 on lo)                            (192.168.2.1 on lo)
#
#   OUT=DIR selftests/oor_ms_capture.sh SCENARIO
# SCENARIO: forward (proxy-reply off), proxy (proxy-reply on), badkey (x2's key wrong),
# sha256 (x2 is not OOR, whose xTR accepts only key type 1, but a Map-Register written here with
# key ID 2, HMAC-SHA-256-128; the Map-Notify is printed and its authentication data checked).
# Writes DIR/SCENARIO-x1.pcap, DIR/SCENARIO-x2.pcap (UDP 4342 as each xTR sees it) and the
# three OOR logs (DIR/SCENARIO-oor-{ms,x1,x2}.log).

source "$(dirname "$0")/lib.sh"

scenario=${1:-forward}
: "${OUT:?OUT must name a writable directory}"
oor_available || { echo "SKIP: $OOR_BIN missing"; exit 4; }

setup_ns MS X1 X2 || exit 1
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	oor_stop_all
	cleanup_all_ns
}
trap cleanup EXIT

ip -n "$MS" link add br0 type bridge && ip -n "$MS" link set br0 up
ip -n "$MS" addr add 10.0.0.254/24 dev br0
for i in 1 2; do
	ns=$(eval echo "\$X$i")
	ip link add u$i netns "$ns" type veth peer name p$i netns "$MS"
	ip -n "$MS" link set p$i master br0 && ip -n "$MS" link set p$i up
	ip -n "$ns" addr add 10.0.0.$i/24 dev u$i && ip -n "$ns" link set u$i up
	ip -n "$ns" addr add 192.168.$i.1/32 dev lo
done

OOR_KEEP=$OUT/$scenario-
t=$(mktemp -d)
key2=secret2 proxy=off
[ "$scenario" = badkey ] && key2=wrong
[ "$scenario" = proxy ] && proxy=on

oor_ms_config br0 192.168.1.0/24,7,secret1 192.168.2.0/24,7,secret2 >"$t/ms.conf"
oor_xtr_config -r 10.0.0.1 -e 192.168.1.0/24,7 -m 10.0.0.254,secret1,1,$proxy -R 10.0.0.254 \
	>"$t/x1.conf"
oor_xtr_config -r 10.0.0.2 -e 192.168.2.0/24,7 -m 10.0.0.254,$key2,1,$proxy -R 10.0.0.254 \
	>"$t/x2.conf"

for i in 1 2; do
	ip netns exec "$(eval echo "\$X$i")" tcpdump -Z root -U -s 0 -ni u$i -w "$OUT/$scenario-x$i.pcap" \
		udp port 4342 2>"$t/tcpdump$i.err" &
	PIDS+=($!)
done
slowwait 10 grep -q listening "$t/tcpdump1.err" && slowwait 10 grep -q listening "$t/tcpdump2.err"

oor_start "$MS" "$t/ms.conf" || exit 1
oor_start "$X1" "$t/x1.conf" || exit 1
if [ "$scenario" = sha256 ]; then
	ip netns exec "$X2" python3 - <<-'PY'
		import hashlib, hmac, os, socket
		key = b"secret2"
		rec = bytes.fromhex("0000000a011810000000" "400300000220000a000000070001c0a80200"
		                    "0164ff00000500010a000002")
		hdr = bytes.fromhex("30000101") + os.urandom(8) + bytes.fromhex("00020020")
		msg = hdr + bytes(32) + rec
		msg = hdr + hmac.new(key, msg, hashlib.sha256).digest() + rec
		s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
		s.bind(("10.0.0.2", 4342))
		s.settimeout(5)
		s.sendto(msg, ("10.0.0.254", 4342))
		print("# Map-Register (key ID 2):", msg.hex())
		try:
		    r, peer = s.recvfrom(2000)
		except socket.timeout:
		    print("# no Map-Notify")
		    raise SystemExit(0)
		print("# reply from", peer, r.hex())
		kid, alen = int.from_bytes(r[12:14], "big"), int.from_bytes(r[14:16], "big")
		z = r[:16] + bytes(alen) + r[16 + alen:]
		for name, h in (("sha1", hashlib.sha1), ("sha256", hashlib.sha256)):
		    print("# Map-Notify key ID", kid, "auth length", alen, name, "matches:",
		          hmac.new(key, z, h).digest()[:alen] == r[16:16 + alen])
	PY
else
	oor_start "$X2" "$t/x2.conf" || exit 1
fi

registered() { grep -q "$1" "$(oor_log "$MS")"; }
# Registration (or its failure) shows in the MS log.
slowwait 15 grep -qE 'Map-Notify|validation failed' "$(oor_log "$MS")"
slowwait 10 grep -q 'Map-Notify message confirms' "$(oor_log "$X1")"
[ "$scenario" = sha256 ] && slowwait 10 grep -qE 'Map-Notify.*10.0.0.2|validation failed for EID .*192.168.2' "$(oor_log "$MS")"

# x1 resolves x2's EID through the Map-Resolver, then an EID nobody registered.
ip netns exec "$X1" ping -c 3 -i 1 -W 1 -I 192.168.1.1 192.168.2.1
ip netns exec "$X1" ping -c 2 -i 1 -W 1 -I 192.168.1.1 192.168.9.1
echo "# done: $scenario"
