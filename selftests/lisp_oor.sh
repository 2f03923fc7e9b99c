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

# TCP from vm1 to vm2 and back (-R), inner IPv4 and IPv6: 256 KiB sent each time.
# OOR forwards in userspace: a few Mbit/s under TCG on a loaded machine, so no rate threshold.
test_tcp() {
	local dst dir out
	vm 2 iperf3 -s -D >/dev/null && slowwait 10 server_up || return 1
	for dst in 172.16.2.10 fd2::10; do
		for dir in "" -R; do
			out=$(vm 1 timeout 30 iperf3 -c "$dst" -n 256K $dir -J |
				jq -r '.end.sum_received | "\(.bytes) \(.bits_per_second)"')
			echo "# TCP${dir:+ (reverse)} with $dst: ${out% *} bytes, ${out##* } bit/s"
			# What is still in flight when the client ends is not counted.
			[ "${out% *}" -ge 131072 ] 2>/dev/null || return 1
		done
	done
}

# The capture (as $CAPTURE_PID, 4 packets) ended: each side sent two.
captured() {
	vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null
	! kill -0 "$CAPTURE_PID" 2>/dev/null
}

# lisp_fields HEX: "SRC DST SPORT DPORT I-BIT IID" of an IPv4 (no options) / UDP / LISP packet.
lisp_fields() {
	local h=$1
	printf '%d.%d.%d.%d %d.%d.%d.%d %d %d %d %d\n' 0x${h:24:2} 0x${h:26:2} 0x${h:28:2} \
		0x${h:30:2} 0x${h:32:2} 0x${h:34:2} 0x${h:36:2} 0x${h:38:2} 0x${h:40:4} 0x${h:44:4} \
		$(((0x${h:56:2} >> 3) & 1)) 0x${h:64:6}
}

# The LISP headers of a capture, read off tcpdump's hex dump (tshark would be an independent
# dissector, but takes minutes to start under TCG on a busy machine).
wire_fields() {
	local h="" line
	while IFS= read -r line; do
		if [[ $line == [0-9]* ]]; then
			[ -n "$h" ] && lisp_fields "$h"
			h=""
		else
			line=${line#*:}
			h+=${line//[[:space:]]/}
		fi
	done < <(tcpdump -r "$1" -nn -x 2>/dev/null)
	[ -n "$h" ] && lisp_fields "$h"
}

# Both ways on the underlay: UDP 4341, I bit, instance ID 7.
test_wire() {
	local out
	hv 1 tcpdump -U -c 4 -ni u1 -w "$T/wire.pcap" udp port 4341 2>/dev/null &
	CAPTURE_PID=$!
	slowwait 30 captured || { kill "$CAPTURE_PID" 2>/dev/null; wait "$CAPTURE_PID"; }
	out=$(wire_fields "$T/wire.pcap" | sort -u)
	sed 's/^/# /' <<<"$out"
	# lisp0 to OOR (source port from the flow hash), then OOR to lisp0 (from port 4341).
	grep -qE '^10\.0\.0\.1 10\.0\.0\.2 [0-9]+ 4341 1 7$' <<<"$out" &&
		grep -qE '^10\.0\.0\.2 10\.0\.0\.1 4341 4341 1 7$' <<<"$out" &&
		! grep -vqE ' 1 7$' <<<"$out"
}

# Over five pings each way, lisp0 sent and received at least five packets, all in instance ID 7;
# the device's counters agree with lisp0's own.
test_counters() {
	local tx rx
	tx=$(lisp_stat 1 tx_packets) rx=$(lisp_stat 1 rx_packets)
	vm 1 ping -c 5 -i 0.2 -W 2 172.16.2.10 >/dev/null &&
		vm 2 ping -c 5 -i 0.2 -W 2 172.16.1.10 >/dev/null || return 1
	echo "# lisp0: tx_packets $tx -> $(lisp_stat 1 tx_packets)," \
		"rx_packets $rx -> $(lisp_stat 1 rx_packets), rx_bad_iid $(lisp_stat 1 rx_bad_iid)"
	[ "$(lisp_stat 1 tx_packets)" -ge $((tx + 10)) ] &&
		[ "$(lisp_stat 1 rx_packets)" -ge $((rx + 10)) ] &&
		[ "$(lisp_stat 1 rx_bad_iid)" = 0 ] &&
		[ "$(hv 1 ip -j -s link show lisp0 | jq '.[0].stats64.rx.packets')" = \
			"$(lisp_stat 1 rx_packets)" ]
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
check "on the wire: both directions carry instance ID $IID" test_wire
check "lisp0 counters account for the traffic" test_counters
check "OOR still running" test_oor_running

ktap_finished
