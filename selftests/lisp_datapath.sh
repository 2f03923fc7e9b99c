#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The data path between two "hypervisors" joined by a veth underlay (IPv4 and IPv6), with a
# "VM" namespace behind each: inner IPv4 and IPv6 over outer IPv4 and IPv6 in routed mode,
# TCP, receive offload, what goes on the wire (tshark's lisp-data dissector), a Linux bridge port with a tc rule
# rewriting the fixed MAC, drops with their counters, PMTU, and a large map-cache.
#
#   vm1 ---tap0-[ hv1: lisp0 ]-u1 ==== u2-[ hv2: lisp0 ]-tap0--- vm2
#   172.16.1.10     10.0.0.1 fd00::1        10.0.0.2 fd00::2     172.16.2.10
#   fd1::10                                                      fd2::10

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 18

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns HV1 HV2 VM1 VM2 || ktap_exit_fail_msg "cannot create namespaces"
trap cleanup_all_ns EXIT

lc() { local i=$1; shift; hv "$i" "$LISPCTL" "$@"; }
stat() { lc "$1" -j stats dev lisp0 | jq -r ".[0].stats.$2"; }
stat_is() { [ "$(stat "$1" "$2")" = "$3" ]; }

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
add_lisp0 1 && add_lisp0 2 || ktap_exit_fail_msg "cannot create lisp0"

# map I RLOC-FAMILY: point hypervisor I's EIDs for the other VM at the other hypervisor.
map() {
	local i=$1 fam=$2 j=$((3 - $1)) r4 r6
	if [ "$fam" = 6 ]; then r4=fd00::$j; r6=fd00::$j; else r4=10.0.0.$j; r6=10.0.0.$j; fi
	lc $i map replace 172.16.$j.0/24 rloc "$r4" dev lisp0 &&
		lc $i map replace fd$j::/64 rloc "$r6" dev lisp0
}

pings() { vm 1 ping -c 2 -i 0.3 -W 2 "$1" >/dev/null && vm 2 ping -c 2 -i 0.3 -W 2 "$2" >/dev/null; }

test_v4_over_v4() { map 1 4 && map 2 4 && pings 172.16.2.10 172.16.1.10; }
test_v6_over_v4() { pings fd2::10 fd1::10; }
test_v4_over_v6() { map 1 6 && map 2 6 && pings 172.16.2.10 172.16.1.10; }
test_v6_over_v6() { pings fd2::10 fd1::10; }

server_up() { vm 2 ss -ltn | grep -q ':5201'; }

test_tcp() {
	local fam inner bps
	vm 2 iperf3 -s -D >/dev/null || return 1
	slowwait 10 server_up || return 1
	# Inner IPv4 and IPv6 over outer IPv4 and IPv6, two seconds each.
	for fam in 4 6; do
		map 1 $fam && map 2 $fam || return 1
		for inner in 172.16.2.10 fd2::10; do
			bps=$(vm 1 iperf3 -c $inner -t 2 -J | jq -r '.end.sum_received.bits_per_second')
			echo "# TCP to $inner over outer IPv$fam: ${bps%.*} bit/s"
			[ "${bps%.*}" -gt "$TCP_MIN_BPS" ] || return 1
		done
	done
	map 1 4 && map 2 4
}

# rx_so_far I: hypervisor I's lisp0 received bytes and packets so far, "BYTES PACKETS".
rx_so_far() { hv "$1" ip -j -s link show lisp0 | jq -r '.[0].stats64.rx | "\(.bytes) \(.packets)"'; }

# Receive offload before decapsulation (the tunnel socket's gro_receive/gro_complete): hv1's
# underlay segments in software (no TSO or tunnel segmentation, as a NIC's wire does) and hv2's
# does GRO (veth NAPI), so TCP arrives as MTU-sized LISP packets that only our GRO callbacks
# can merge: lisp0 on hv2 then receives packets longer than its MTU. Inner IPv4 over outer
# IPv4 and inner IPv6 over outer IPv6.
test_gro() {
	local fam inner b0 p0 b1 p1 avg mtu rc=0
	mtu=$(hv 2 ip -j link show lisp0 | jq '.[0].mtu')
	hv 1 ethtool -K u1 tso off gso off tx-udp_tnl-segmentation off \
		tx-udp_tnl-csum-segmentation off >/dev/null 2>&1
	hv 2 ethtool -K u2 gro on >/dev/null || return 1
	for fam in 4 6; do
		map 1 $fam && map 2 $fam || { rc=1; break; }
		inner=172.16.2.10; [ $fam = 6 ] && inner=fd2::10
		read -r b0 p0 < <(rx_so_far 2)
		vm 1 iperf3 -c $inner -t 2 >/dev/null || { rc=1; break; }
		read -r b1 p1 < <(rx_so_far 2)
		avg=$(( (b1 - b0) / (p1 - p0 > 0 ? p1 - p0 : 1) ))
		echo "# GRO, inner IPv$fam over outer IPv$fam: $((p1 - p0)) packets on hv2's lisp0, $avg bytes on average (MTU $mtu)"
		# Unmerged, none is longer than the MTU plus the Ethernet header.
		[ "$avg" -gt $((mtu + 14)) ] || rc=1
	done
	hv 1 ethtool -K u1 tso on gso on tx-udp_tnl-segmentation on \
		tx-udp_tnl-csum-segmentation on >/dev/null 2>&1
	hv 2 ethtool -K u2 gro off >/dev/null
	map 1 4 && map 2 4 && return $rc
}

# Sends one ping and tells whether the capture running as $CAPTURE_PID got its packet.
ping_captured() {
	vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null
	! kill -0 "$CAPTURE_PID" 2>/dev/null
}

test_wire() {
	local pcap=$(mktemp) out
	hv 1 tcpdump -U -c 1 -ni u1 -w "$pcap" udp dst port 4341 2>/dev/null &
	CAPTURE_PID=$!
	# tcpdump may take a while to start capturing (a minute on a loaded KASAN kernel): the
	# pings before that go unseen.
	slowwait 30 ping_captured || { kill "$CAPTURE_PID" 2>/dev/null; return 1; }
	out=$(tshark -r "$pcap" -V -d udp.port==4341,lisp-data 2>/dev/null)
	rm -f "$pcap"
	sed -n '/Locator\/ID/,/Internet Control/p' <<<"$out" | sed 's/^/# /'
	grep -q "Destination Port: 4341" <<<"$out" &&
		grep -q "I bit (Instance ID present): Set" <<<"$out" &&
		grep -q "Instance ID: 0" <<<"$out" &&
		grep -q "Src: 172.16.1.10, Dst: 172.16.2.10" <<<"$out"
}

test_no_mapping_counted() {
	local before
	before=$(stat 1 tx_no_mapping)
	vm 1 ping -c 3 -i 0.2 -W 1 172.16.9.9 >/dev/null
	hv 1 ip route add 172.16.9.0/24 dev lisp0
	vm 1 ping -c 3 -i 0.2 -W 1 172.16.9.9 >/dev/null
	[ "$(stat 1 tx_no_mapping)" = $((before + 3)) ]
}

# send_raw PAYLOAD-HEX: a UDP datagram from hv1 to hv2's LISP port.
send_raw() {
	hv 1 python3 -c "import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
s.sendto(bytes.fromhex(sys.argv[1]), ('10.0.0.2', 4341))" "$1"
}
# A minimal inner IPv4 header to vm2, total length 20 (the device checks that the lengths fit,
# not the checksum).
INNER=4500001400004000400100000a0000010a100202

test_bad_packets_counted() {
	local iid bad trunc
	iid=$(stat 2 rx_bad_iid) bad=$(stat 2 rx_bad_version) trunc=$(stat 2 rx_bad_header)
	send_raw "08000000000007 00${INNER}" # instance ID 7: not served
	send_raw "0800000000000000 5${INNER:1}" # inner version 5
	send_raw "080000" # truncated LISP header
	slowwait 5 stat_is 2 rx_bad_header $((trunc + 1))
	[ "$(stat 2 rx_bad_iid)" = $((iid + 1)) ] && [ "$(stat 2 rx_bad_version)" = $((bad + 1)) ] &&
		[ "$(stat 2 rx_bad_header)" = $((trunc + 1)) ] &&
		[ "$(hv 2 ip -j -s link show lisp0 | jq '.[0].stats64.rx.dropped')" -ge 3 ]
}

test_flags_accepted() {
	# N, L, E and V set (nonce, locator-status bits, echo, map-version): still delivered.
	local before
	before=$(stat 2 rx_packets)
	send_raw "f8123456000000ff${INNER}"
	slowwait 5 stat_is 2 rx_packets $((before + 1))
}

test_zero_checksum_v6() {
	# An IPv6 underlay packet with UDP checksum zero (UDP_NO_CHECK6_TX) is accepted.
	local before
	before=$(stat 2 rx_packets)
	hv 1 python3 -c "import socket,sys; s=socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); \
s.setsockopt(socket.IPPROTO_UDP, 101, 1); s.sendto(bytes.fromhex(sys.argv[1]), ('fd00::2', 4341))" \
		"0800000000000000${INNER}"
	slowwait 5 stat_is 2 rx_packets $((before + 1))
}

test_counters_match() {
	[ "$(stat 1 tx_packets)" -gt 0 ] && [ "$(stat 2 rx_packets)" -gt 0 ] &&
		[ "$(hv 1 ip -j -s link show lisp0 | jq '.[0].stats64.tx.packets')" = "$(stat 1 tx_packets)" ]
}

test_pmtu() {
	local out
	# Forwarded packets obey learned path MTUs only with ip_forward_use_pmtu (default off),
	# as for every IP tunnel: lisp0 records the PMTU on the inner route when a packet is too big.
	hv 1 sysctl -qw net.ipv4.ip_forward_use_pmtu=1
	hv 1 ip link set u1 mtu 1280; hv 2 ip link set u2 mtu 1280
	out=$(vm 1 ping -M do -s 1300 -c 3 -i 0.3 -W 1 172.16.2.10 2>&1)
	hv 1 ip link set u1 mtu 1500; hv 2 ip link set u2 mtu 1500
	grep -E "mtu" <<<"$out" | head -n 2 | sed 's/^/# /'
	# 1280 minus IPv4 (20), UDP (8) and LISP (8) headers.
	grep -qE "mtu ?= ?1244" <<<"$out"
}

test_bridge_mode() {
	# A Linux bridge per hypervisor with tap1 (to a VM in 192.168.50.0/24) and lisp0 as ports;
	# a tc rule on lisp0's ingress rewrites the fixed destination MAC to the VM's.
	local i j m
	setup_ns VM3 VM4 || return 1
	for i in 1 2; do
		local vmns=$(eval echo \$VM$((i + 2)))
		ip link add eth0 netns "$vmns" address 02:50:00:00:00:0$i type veth peer name tap1 \
			netns "$(eval echo \$HV$i)"
		ip -n "$vmns" addr add 192.168.50.$i/24 dev eth0; ip -n "$vmns" link set eth0 up
		hv $i ip link add br0 type bridge; hv $i ip link set br0 up
		hv $i ip link set tap1 master br0; hv $i ip link set tap1 up
		# Instance ID 50: lisp1 shares the UDP port with the routed lisp0 (instance ID 0).
		lc $i link add lisp1 iid 50 || return 1
		hv $i ip link set lisp1 master br0
		hv $i ip link set lisp1 up
		j=$((3 - i))
		# ARP cannot cross a layer-3 tunnel: static neighbours in the VMs.
		ip -n "$vmns" neigh add 192.168.50.$j lladdr 02:50:00:00:00:0$j dev eth0
		lc $i map add 192.168.50.$j/32 rloc 10.0.0.$j dev lisp1 || return 1
		hv $i tc qdisc add dev lisp1 ingress
		hv $i tc filter add dev lisp1 ingress protocol all flower dst_mac 02:00:00:00:00:00 \
			action pedit ex munge eth dst set 02:50:00:00:00:0$i || return 1
	done
	ip netns exec "$VM3" ping -c 2 -i 0.3 -W 2 192.168.50.2 >/dev/null &&
		ip netns exec "$VM4" ping -c 2 -i 0.3 -W 2 192.168.50.1 >/dev/null
}

test_forward_native() {
	# A negative entry with action forward sends packets natively, routed by their destination
	# in the hypervisor's namespace. Bridge mode: vm3, behind hv1's br0, reaches hv2's underlay
	# address 10.0.0.2 (a destination outside LISP) unencapsulated.
	local fwd err ok=0
	fwd=$(lc 1 -j stats dev lisp1 | jq -r '.[0].stats.tx_forwarded')
	lc 1 map add 10.0.0.0/24 action forward dev lisp1 || return 1
	ip -n "$VM3" route add 10.0.0.0/24 dev eth0
	ip -n "$VM3" neigh add 10.0.0.2 lladdr 02:50:00:00:00:99 dev eth0
	hv 1 ip addr add 192.168.50.254/24 dev br0
	hv 2 ip route add 192.168.50.0/24 via 10.0.0.1
	ip netns exec "$VM3" ping -c 2 -i 0.3 -W 2 10.0.0.2 >/dev/null &&
		[ "$(lc 1 -j stats dev lisp1 | jq -r '.[0].stats.tx_forwarded')" -ge $((fwd + 2)) ] &&
		ok=1
	echo "# lisp1 tx_forwarded: $fwd -> $(lc 1 -j stats dev lisp1 | jq -r '.[0].stats.tx_forwarded')"
	# Routed mode: the native route to vm2 is lisp0 itself, refused as a loop and counted.
	err=$(stat 1 tx_errors)
	lc 1 map replace 172.16.2.0/24 action forward dev lisp0 || ok=0
	vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null && ok=0
	echo "# lisp0 tx_errors: $err -> $(stat 1 tx_errors)"
	[ "$(stat 1 tx_errors)" -gt "$err" ] || ok=0
	map 1 4 && [ $ok = 1 ]
}

# Tenant T's VM behind hypervisor I: namespace, MAC.
tvm() { local t=$1 i=$2; shift 2; ip netns exec "$(eval echo \$T$t$i)" "$@"; }
tmac() { echo "02:60:00:00:0$(tr AB ab <<<"$1"):0$2"; }
trx() { lc "$1" -j stats dev "lisp$2" | jq -r '.[0].stats.rx_packets'; }

test_tenants() {
	# Tenants a (instance ID 100) and b (200) both use 192.168.60.1 (behind hv1) and
	# 192.168.60.2 (behind hv2). Each has a bridge and a lisp device per hypervisor; the
	# devices share the hypervisor's LISP port, and the instance ID decides who receives.
	local t i j iid a b
	setup_ns TA1 TA2 TB1 TB2 || return 1
	for t in A B; do
		iid=$([ $t = A ] && echo 100 || echo 200)
		for i in 1 2; do
			j=$((3 - i))
			ip link add eth0 netns "$(eval echo \$T$t$i)" address "$(tmac $t $i)" type veth \
				peer name tap$t netns "$(eval echo \$HV$i)" || return 1
			tvm $t $i ip addr add 192.168.60.$i/24 dev eth0
			tvm $t $i ip link set eth0 up
			tvm $t $i ip neigh add 192.168.60.$j lladdr "$(tmac $t $j)" dev eth0
			hv $i ip link add br$t type bridge && hv $i ip link set br$t up &&
				hv $i ip link set tap$t master br$t && hv $i ip link set tap$t up &&
				lc $i link add lisp$t iid $iid && hv $i ip link set lisp$t master br$t &&
				hv $i ip link set lisp$t up || return 1
			lc $i map add 192.168.60.$j/32 rloc 10.0.0.$j dev lisp$t || return 1
			hv $i tc qdisc add dev lisp$t ingress
			hv $i tc filter add dev lisp$t ingress protocol all flower \
				dst_mac 02:00:00:00:00:00 action pedit ex munge eth dst set "$(tmac $t $i)" ||
				return 1
		done
	done
	tvm A 1 ping -c 2 -i 0.3 -W 2 192.168.60.2 >/dev/null &&
		tvm B 1 ping -c 2 -i 0.3 -W 2 192.168.60.2 >/dev/null &&
		tvm B 2 ping -c 2 -i 0.3 -W 2 192.168.60.1 >/dev/null || return 1
	# Tenant a's packets arrive on hv2's lisp-a only.
	a=$(trx 2 A) b=$(trx 2 B)
	tvm A 1 ping -c 3 -i 0.2 -W 2 192.168.60.2 >/dev/null || return 1
	echo "# hv2 rx_packets: lispA $a -> $(trx 2 A), lispB $b -> $(trx 2 B)"
	[ "$(trx 2 A)" -ge $((a + 3)) ] && [ "$(trx 2 B)" = "$b" ] || return 1
	# With tenant b's VM on hv2 gone, tenant a still reaches its own 192.168.60.2; b does not.
	tvm B 2 ip link set eth0 down
	tvm A 1 ping -c 1 -W 2 192.168.60.2 >/dev/null &&
		! tvm B 1 ping -c 1 -W 1 192.168.60.2 >/dev/null
}

test_large_map_cache() {
	local f=$(mktemp)
	awk 'BEGIN { for (i = 0; i < 100000; i++)
		printf "map add %d.%d.%d.0/24 rloc 10.0.0.%d dev lisp0\n", 20 + int(i / 65536), int(i / 256) % 256, i % 256, 3 + i % 200 }' >"$f"
	lc 1 -batch "$f"; local rc=$?
	rm -f "$f"
	[ $rc = 0 ] && [ "$(lc 1 -j link show lisp0 | jq -r '.[0].map_count')" -ge 100000 ] &&
		pings 172.16.2.10 172.16.1.10
}

check "inner IPv4 over outer IPv4 (routed)" test_v4_over_v4
check "inner IPv6 over outer IPv4 (routed)" test_v6_over_v4
check "inner IPv4 over outer IPv6 (routed)" test_v4_over_v6
check "inner IPv6 over outer IPv6 (routed)" test_v6_over_v6
check "TCP (iperf3): inner IPv4/IPv6 over outer IPv4/IPv6" test_tcp
check "GRO: TCP merged before decapsulation (outer IPv4 and IPv6)" test_gro
check "tshark lisp-data decode: port 4341, I bit, IID, inner addresses" test_wire
check "no mapping: dropped and counted" test_no_mapping_counted
check "wrong IID, bad inner version, truncated header: dropped and counted" test_bad_packets_counted
check "N/L/E/V flags accepted" test_flags_accepted
check "IPv6 underlay, UDP checksum zero: accepted" test_zero_checksum_v6
check "device counters agree with lisp counters" test_counters_match
check "PMTU: oversize DF packet gets ICMP fragmentation needed (mtu 1244)" test_pmtu
check "100k map-cache entries, still forwarding" test_large_map_cache
check "bridge port with a tc rewrite of the fixed MAC" test_bridge_mode
check "negative entry with action forward: sent natively; a loop refused" test_forward_native
check "two tenants, same addresses, kept apart by instance ID on one port" test_tenants
check "teardown: delete the bridged devices" bash -c "ip -n $HV1 link del lisp1 && ip -n $HV2 link del lisp1"

ktap_finished
