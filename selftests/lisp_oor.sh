#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with an independent LISP implementation: lisp0 on hv1 and an Open Overlay
# Router xTR (OOR 1.3, data plane on its tun device lispTun0) on hv2, instance ID 7 on both
# sides, a static map-cache entry each way, over a veth underlay (outer IPv4). Inner IPv4 and
# IPv6 ping and TCP between the VMs, the instance ID on the wire, lisp0's counters.
#
#   vm1 ---tap0-[ hv1: lisp0 iid 7 ]-u1 ==== u2-[ hv2: OOR xTR, lispTun0 ]-tap0--- vm2
#   172.16.1.10     10.0.0.1                     10.0.0.2                    172.16.2.10
#   fd1::10                                                                  fd2::10
#
# OOR reads the inner packet off its UDP socket and writes it to the tun device: an inner TCP
# checksum left for the NIC (veth hands CHECKSUM_PARTIAL packets across namespaces) would stay
# unfinished, so the VMs compute theirs (ethtool -K eth0 tx off), as a real NIC would.

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

IID=7

ktap_print_header
oor_available || { ktap_skip_all "no $OOR_BIN (openoverlayrouter)"; exit "$KSFT_SKIP"; }
command -v ethtool >/dev/null || { ktap_skip_all "no ethtool"; exit "$KSFT_SKIP"; }
ktap_set_plan 7

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns HV1 HV2 VM1 VM2 || ktap_exit_fail_msg "cannot create namespaces"
T=$(mktemp -d)
cleanup() {
	oor_stop_all
	cleanup_all_ns
	rm -rf "$T"
}
trap cleanup EXIT

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
for i in 1 2; do vm $i ethtool -K eth0 tx off >/dev/null || ktap_exit_fail_msg "ethtool"; done

lc 1 link add lisp0 iid $IID || ktap_exit_fail_msg "cannot create lisp0"
hv 1 ip link set lisp0 up
hv 1 ip route add 172.16.2.0/24 dev lisp0
hv 1 ip route add fd2::/64 dev lisp0
lc 1 map add 172.16.2.0/24 rloc 10.0.0.2 dev lisp0 &&
	lc 1 map add fd2::/64 rloc 10.0.0.2 dev lisp0 || ktap_exit_fail_msg "cannot add mappings"

oor_xtr_config -r 10.0.0.2 -e 172.16.2.0/24,$IID -e fd2::/64,$IID \
	-s 172.16.1.0/24,$IID,10.0.0.1 -s fd1::/64,$IID,10.0.0.1 >"$T/oor.conf"

test_oor_up() {
	oor_start "$HV2" "$T/oor.conf" || return 1
	hv 2 ip link show lispTun0 >/dev/null || return 1
	# OOR sends what comes from its EID prefixes to lispTun0 by policy routing (a table of its
	# own); without CONFIG_IP_MULTIPLE_TABLES its routes and rules do not take: route the
	# remote EID prefixes to the tun device in the main table as well.
	hv 2 ip route replace 172.16.1.0/24 dev lispTun0 &&
		hv 2 ip route replace fd1::/64 dev lispTun0
}

pings() { vm 1 $PING "$1" >/dev/null && vm 2 $PING "$2" >/dev/null; }

server_up() { vm 2 ss -ltn | grep -q ':5201 '; }

# TCP from vm1 to vm2 and back (-R), inner IPv4 and IPv6, one second each.
test_tcp() {
	local dst dir bps
	vm 2 iperf3 -s -D >/dev/null && slowwait 10 server_up || return 1
	for dst in 172.16.2.10 fd2::10; do
		for dir in "" -R; do
			bps=$(vm 1 iperf3 -c "$dst" -t 1 $dir -J |
				jq -r '.end.sum_received.bits_per_second')
			echo "# TCP${dir:+ (reverse)} with $dst: ${bps%.*} bit/s"
			[ "${bps%.*}" -gt 1000000 ] 2>/dev/null || return 1
		done
	done
}

# The capture (as $CAPTURE_PID, 4 packets) ended: each side sent two.
captured() {
	vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null
	! kill -0 "$CAPTURE_PID" 2>/dev/null
}

# Both ways on the underlay: UDP 4341, I bit, instance ID 7, the inner addresses.
test_wire() {
	local out
	hv 1 tcpdump -U -c 4 -ni u1 -w "$T/wire.pcap" udp port 4341 2>/dev/null &
	CAPTURE_PID=$!
	slowwait 10 captured || { kill "$CAPTURE_PID"; return 1; }
	out=$(tshark -r "$T/wire.pcap" -d udp.port==4341,lisp-data -T fields -e ip.src -e ip.dst \
		-e udp.srcport -e lisp-data.flags.iid -e lisp-data.iid 2>/dev/null | sort -u)
	sed 's/^/# /' <<<"$out"
	# lisp0 to OOR, then OOR to lisp0 (OOR sends from port 4341).
	grep -qP '^10\.0\.0\.1\t10\.0\.0\.2\t\d+\t(1|True)\t7$' <<<"$out" &&
		grep -qP '^10\.0\.0\.2\t10\.0\.0\.1\t4341\t(1|True)\t7$' <<<"$out" &&
		! grep -vqP '\t7$' <<<"$out"
}

test_counters() {
	local tx rx
	tx=$(lisp_stat 1 tx_packets) rx=$(lisp_stat 1 rx_packets)
	echo "# lisp0: tx_packets $tx rx_packets $rx rx_bad_iid $(lisp_stat 1 rx_bad_iid)" \
		"tx_no_mapping $(lisp_stat 1 tx_no_mapping)"
	# Pings (8 each way) and TCP (thousands of segments each way) went through lisp0.
	[ "$tx" -gt 1000 ] && [ "$rx" -gt 1000 ] && [ "$(lisp_stat 1 rx_bad_iid)" = 0 ] &&
		[ "$(hv 1 ip -j -s link show lisp0 | jq '.[0].stats64.rx.packets')" = "$rx" ]
}

test_oor_running() {
	# What OOR found wrong (without policy routing its rules fail) is shown, not judged.
	grep -E 'ERR:|CRIT:' "$(oor_log "$HV2")" | sort -u | head -n 5 | sed 's/^/# oor: /'
	kill -0 "${OOR_PID[$HV2]}"
}

check "OOR xTR started (lispTun0, log)" test_oor_up
check "ping inner IPv4 both ways (lisp0 <-> OOR)" pings 172.16.2.10 172.16.1.10
check "ping inner IPv6 both ways (lisp0 <-> OOR)" pings fd2::10 fd1::10
check "TCP both ways, inner IPv4 and IPv6 (iperf3)" test_tcp
check "tshark: both directions carry instance ID $IID" test_wire
check "lisp0 counters account for the traffic" test_counters
check "OOR still running" test_oor_running

ktap_finished
