#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The three deployment scenarios of lisp0 with Open vSwitch inside each hypervisor (one
# ovsdb-server + ovs-vswitchd per hypervisor namespace, see lib.sh), the map-cache in lisp0.
# On each hypervisor bridge br0 numbers its ports tap0 = 1 (the VM), eth0 = 2 (the underlay),
# lisp0 = 3; flows send the VMs' IP traffic to lisp0 and rewrite the fixed destination MAC of
# decapsulated packets (02:00:00:00:00:00) to the addressed VM's.
#
# Scenario 1: VMs in one subnet, hypervisors in another, one underlay segment (eth0 bridged, the
# hypervisor's address on br0); hv1 has two VMs and talks to hv2 and hv3 over one lisp0.
#
#   vm11 192.168.1.11 -tap0(1)-+                      +-[ hv2 br0 10.0.0.2 ]-tap0- vm21 .21
#   vm12 192.168.1.12 -tap1(4)-[ hv1 br0 10.0.0.1 ]   |
#                               eth0(2) ------ sw0 ----+-[ hv3 br0 10.0.0.3 ]-tap0- vm31 .31
#   (IPv6: fd01::<same>/64 in the VMs, fd00::<hv>/64 on the underlay)
#
# Scenario 2: VMs in one subnet, hypervisors on two subnets joined by a router; ARP cannot
# reach the other VM: static neighbours, then an ARP responder in the hypervisor's flows.
#
#   vm41 192.168.2.41 -tap0(1)-[ hv4 br0, lisp0(3) ] eth0 10.1.0.4 --- rt --- 10.2.0.5 eth0
#                                                          [ hv5 br0, lisp0(3) ]-tap0(1)- vm51 .51
#
# Scenario 3: VMs in different subnets, each hypervisor their router (no bridge):
#   vm1 172.16.1.10 --tap0-[ hv1 ] 10.0.0.1 ==== 10.0.0.2 [ hv2 ]-tap0-- vm2 172.16.2.10

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ovs_available || { ktap_skip_all "Open vSwitch (ovs-vswitchd, ovsdb-server, ovs-ofctl) not found"; exit "$ksft_skip"; }
ktap_set_plan 16

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
trap ovs_cleanup EXIT

vm_flows() { ovs_vm_flows "$(eval echo "\$HV$1")" "$2" "$3"; }

# ovs_bridge HV [eth0]: in hypervisor HV (OVS started), create br0 with tap0 = 1,
# optionally eth0 = 2, and a fresh lisp0 = 3.
ovs_bridge() {
	local i=$1 ns
	ns=$(eval echo "\$HV$i")
	hv "$i" ip link add lisp0 type lisp && hv "$i" ip link set lisp0 up || return 1
	vsctl "$ns" add-br br0 && hv "$i" ip link set br0 up &&
		ovs_add_port "$ns" br0 tap0 1 || return 1
	if [ "${2:-}" = eth0 ]; then
		ovs_add_port "$ns" br0 eth0 2 && hv "$i" ip link set eth0 up || return 1
	fi
	ovs_add_port "$ns" br0 lisp0 3
}

# flow_packets HV MATCH: packets counted by the flows dump-flows selects with MATCH.
flow_packets() {
	ovs "$(eval echo "\$HV$1")" ovs-ofctl dump-flows br0 "$2" |
		sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }'
}

setup_scenario1() {
	local i
	setup_ns HV1 HV2 HV3 SW VM11 VM12 VM21 VM31 || return 1
	ip -n "$SW" link add sw0 type bridge && ip -n "$SW" link set sw0 up || return 1
	for i in 1 2 3; do
		ip link add eth0 netns "$(eval echo "\$HV$i")" type veth peer name s$i netns "$SW" ||
			return 1
		ip -n "$SW" link set s$i master sw0 && ip -n "$SW" link set s$i up || return 1
	done
	add_vm 1 11 tap0 192.168.1 && add_vm 1 12 tap1 192.168.1 &&
		add_vm 2 21 tap0 192.168.1 && add_vm 3 31 tap0 192.168.1 || return 1
	ovs_start "$HV1" "$HV2" "$HV3" || return 1
	for i in 1 2 3; do
		ovs_bridge $i eth0 || return 1
		# eth0 is a bridge port: the hypervisor's underlay address lives on br0.
		hv $i ip addr add 10.0.0.$i/24 dev br0 && hv $i ip addr add fd00::$i/64 dev br0 nodad ||
			return 1
	done
	ovs_add_port "$HV1" br0 tap1 4 || return 1
	vm_flows 1 1 11 && vm_flows 1 4 12 && vm_flows 2 1 21 && vm_flows 3 1 31 || return 1
	# hv1 maps hv2's and hv3's VMs; they map hv1's. The hypervisors talk IPv4, as in the
	# guide; test_s1_tcp_v6_underlay moves hv1 <-> hv2 to IPv6.
	lc 1 map add 192.168.1.21/32 rloc 10.0.0.2 dev lisp0 &&
		lc 1 map add fd01::21/128 rloc 10.0.0.2 dev lisp0 &&
		lc 1 map add 192.168.1.31/32 rloc 10.0.0.3 dev lisp0 &&
		lc 1 map add fd01::31/128 rloc 10.0.0.3 dev lisp0 || return 1
	for i in 2 3; do
		lc $i map add 192.168.1.11/32 rloc 10.0.0.1 dev lisp0 &&
			lc $i map add 192.168.1.12/32 rloc 10.0.0.1 dev lisp0 &&
			lc $i map add fd01::11/128 rloc 10.0.0.1 dev lisp0 || return 1
	done
	[ "$VERBOSE" = 1 ] && ovs "$HV1" ovs-ofctl show br0 | sed 's/^/# /'
	return 0
}

test_s1_v4() {
	pings_through 11 21 1 2 192.168.1.11 192.168.1.21 &&
		[ "$(flow_packets 2 "ip,dl_dst=$LISP_MAC,nw_dst=192.168.1.21")" -ge 2 ] &&
		[ "$(flow_packets 1 "ip,dl_dst=$LISP_MAC,nw_dst=192.168.1.11")" -ge 2 ]
}

test_s1_v6() {
	pings_through 11 21 1 2 fd01::11 fd01::21 &&
		[ "$(flow_packets 2 "ipv6,dl_dst=$LISP_MAC,ipv6_dst=fd01::21")" -ge 2 ]
}

test_s1_tcp() { iperf_both 11 21 192.168.1.21 && iperf_both 11 21 fd01::21; }

# s1_rlocs FAMILY: hv1 and hv2 reach each other's VMs over an IPv4 or IPv6 underlay.
s1_rlocs() {
	local a1=10.0.0.1 a2=10.0.0.2 p
	[ "$1" = 6 ] && a1=fd00::1 a2=fd00::2
	for p in 192.168.1.21/32 fd01::21/128; do lc 1 map replace $p rloc $a2 dev lisp0 || return 1; done
	for p in 192.168.1.11/32 192.168.1.12/32 fd01::11/128; do
		lc 2 map replace $p rloc $a1 dev lisp0 || return 1
	done
}

test_s1_tcp_v6_underlay() {
	# OVS gives br0, where the underlay address lives, the smallest MTU of its ports: lisp0's
	# 1444. Over IPv6 (56 bytes of headers) the VMs' 1400-byte packets no longer fit, and
	# lisp0 answers them into the bridge with "packet too big" (the hypervisor cannot route
	# to the VMs), so the VMs learn the path MTU, 1388, and TCP goes on.
	local ok=1
	s1_rlocs 6 || return 1
	echo "# hv1 br0 MTU: $(hv 1 cat /sys/class/net/br0/mtu)"
	iperf_both 11 21 192.168.1.21 && iperf_both 11 21 fd01::21 || ok=0
	vm 11 ip route get 192.168.1.21 | grep -q "mtu 1388" &&
		vm 11 ip -6 route get fd01::21 | grep -q "mtu 1388" || ok=0
	s1_rlocs 4 && [ $ok = 1 ]
}

test_s1_two_vms() {
	# vm12 sits behind port 4 of hv1: its own rewrite flow; vm11 <-> vm12 stays local.
	pings_through 12 21 1 2 192.168.1.12 192.168.1.21 &&
		[ "$(flow_packets 1 "ip,dl_dst=$LISP_MAC,nw_dst=192.168.1.12")" -ge 2 ] &&
		vm 11 $PING 192.168.1.12 >/dev/null
}

test_s1_three_hvs() {
	local rx2
	rx2=$(lisp_stat 2 rx_packets)
	pings_through 11 31 1 3 192.168.1.11 192.168.1.31 &&
		[ "$(lisp_stat 2 rx_packets)" = "$rx2" ] &&
		[ "$(lc 1 -j map show dev lisp0 | jq '[.[].rlocs[].addr] | unique | length')" = 2 ]
}

# Tenant T (a or b) on hypervisor I: VM namespace $TA1..., MAC, and lisp device's rx_packets.
tmac() { echo "02:0b:00:00:0$1:0$2"; }
tns() { eval echo "\$T$(tr ab AB <<<"$1")$2"; }
trx() { lc "$1" -j stats dev "lisp-$2" | jq -r '.[0].stats.rx_packets'; }

test_s1_tenants() {
	# Tenants a and b both use 192.168.9.1 (behind hv1) and 192.168.9.2 (behind hv2). Each
	# has, per hypervisor, an OVS bridge br-T with its VM on port 1 and its own lisp device
	# (instance ID 100 or 200) on port 3. The lisp devices share the hypervisor's LISP port;
	# the instance ID on the wire says whose packet it is.
	local t i j iid ns a b
	setup_ns TA1 TA2 TB1 TB2 || return 1
	for t in a b; do
		iid=$([ $t = a ] && echo 100 || echo 200)
		for i in 1 2; do
			j=$((3 - i)) ns=$(eval echo "\$HV$i")
			ip link add eth0 netns "$(tns $t $i)" address "$(tmac $t $i)" mtu 1400 type veth \
				peer name tap-$t netns "$ns" || return 1
			ip -n "$(tns $t $i)" addr add 192.168.9.$i/24 dev eth0 &&
				ip -n "$(tns $t $i)" link set eth0 up && hv $i ip link set tap-$t up &&
				ip -n "$(tns $t $i)" neigh add 192.168.9.$j lladdr "$(tmac $t $j)" dev eth0 &&
				lc $i link add lisp-$t iid $iid && hv $i ip link set lisp-$t up &&
				vsctl "$ns" add-br br-$t && hv $i ip link set br-$t up &&
				ovs_add_port "$ns" br-$t tap-$t 1 && ovs_add_port "$ns" br-$t lisp-$t 3 &&
				lc $i map add 192.168.9.$j/32 rloc 10.0.0.$j dev lisp-$t || return 1
			ovs_flows "$ns" br-$t <<-EOF || return 1
				priority=3,ip,dl_dst=$LISP_MAC,actions=mod_dl_dst:$(tmac $t $i),output:1
				priority=1,in_port=1,ip,actions=output:3
				priority=0,actions=NORMAL
			EOF
		done
	done
	ip netns exec "$TA1" $PING 192.168.9.2 >/dev/null &&
		ip netns exec "$TB1" $PING 192.168.9.2 >/dev/null &&
		ip netns exec "$TB2" $PING 192.168.9.1 >/dev/null || return 1
	# Tenant a's packets arrive on hv2's lisp-a only.
	a=$(trx 2 a) b=$(trx 2 b)
	ip netns exec "$TA1" ping -c 3 -i 0.2 -W 2 192.168.9.2 >/dev/null || return 1
	echo "# hv2 rx_packets: lisp-a $a -> $(trx 2 a), lisp-b $b -> $(trx 2 b)"
	[ "$(trx 2 a)" -ge $((a + 3)) ] && [ "$(trx 2 b)" = "$b" ] || return 1
	# With tenant b's VM on hv2 gone, tenant a still reaches its 192.168.9.2; b does not.
	ip -n "$TB2" link set eth0 down
	ip netns exec "$TA1" ping -c 1 -W 2 192.168.9.2 >/dev/null &&
		! ip netns exec "$TB1" ping -c 1 -W 1 192.168.9.2 >/dev/null
}

setup_scenario2() {
	local i
	setup_ns HV4 HV5 RT VM41 VM51 || return 1
	setup_router 4 5 || return 1
	add_vm 4 41 tap0 192.168.2 && add_vm 5 51 tap0 192.168.2 || return 1
	ovs_start "$HV4" "$HV5" || return 1
	# eth0 stays out of the bridge: nothing but the tunnel leaves the hypervisor for the VMs.
	ovs_bridge 4 && ovs_bridge 5 && vm_flows 4 1 41 && vm_flows 5 1 51 || return 1
	lc 4 map add 192.168.2.51/32 rloc 10.2.0.5 dev lisp0 &&
		lc 5 map add 192.168.2.41/32 rloc 10.1.0.4 dev lisp0
}

test_s2_no_arp() { arp_unanswered 41 192.168.2.51; }

test_s2_static() { s2_static_neighbours; }

# arp_responder HV VM-ADDR MAC: hypervisor HV answers ARP requests from port 1 for VM-ADDR
# (a remote EID) with MAC, turning the request into a reply in place and sending it back.
arp_responder() {
	ovs_flows "$(eval echo "\$HV$1")" br0 <<-EOF
		priority=4,in_port=1,arp,arp_op=1,arp_tpa=$2,actions=move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],mod_dl_src:$3,load:2->NXM_OF_ARP_OP[],move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],set_field:$3->arp_sha,move:NXM_OF_ARP_TPA[]->NXM_NX_REG0[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],move:NXM_NX_REG0[]->NXM_OF_ARP_SPA[],IN_PORT
	EOF
}

test_s2_proxy_arp() {
	# (b) Proxy ARP in the hypervisor's flows: the answer is lisp0's own MAC, the VM's frames
	# for the remote EID then leave through port 3 like any other IP packet.
	local m4 m5
	vm 41 ip neigh del 192.168.2.51 dev eth0 && vm 51 ip neigh del 192.168.2.41 dev eth0 ||
		return 1
	m4=$(hv 4 cat /sys/class/net/lisp0/address) m5=$(hv 5 cat /sys/class/net/lisp0/address)
	arp_responder 4 192.168.2.51 "$m4" && arp_responder 5 192.168.2.41 "$m5" &&
		pings_through 41 51 4 5 192.168.2.41 192.168.2.51 &&
		vm 41 ip neigh show 192.168.2.51 | grep -q "lladdr $m4"
}

setup_scenario3() {
	local i j
	# Scenario 1's hypervisors make way (their daemons first), the names are reused.
	ovs_stop "$HV1"; ovs_stop "$HV2"; ovs_stop "$HV3"
	cleanup_ns "$HV1" "$HV2" "$HV3" "$SW" "$VM11" "$VM12" "$VM21" "$VM31" || return 1
	setup_ns HV1 HV2 VM1 VM2 && setup_hypervisors || return 1
	for i in 1 2; do
		j=$((3 - i))
		vm $i ip link set eth0 mtu 1400
		hv $i ip link add lisp0 type lisp && hv $i ip link set lisp0 up &&
			hv $i ip route add 172.16.$j.0/24 dev lisp0 &&
			hv $i ip route add fd$j::/64 dev lisp0 &&
			lc $i map add 172.16.$j.0/24 rloc 10.0.0.$j dev lisp0 &&
			lc $i map add fd$j::/64 rloc fd00::$j dev lisp0 || return 1
	done
}

test_s3_ping() {
	pings_through 1 2 1 2 172.16.1.10 172.16.2.10 && pings_through 1 2 1 2 fd1::10 fd2::10
}

test_s3_tcp() { iperf_both 1 2 172.16.2.10 && iperf_both 1 2 fd2::10; }

test_stop() {
	# Every daemon stops on SIGTERM by its pid, before the namespaces go.
	local pids=() ns pid
	for ns in "${!OVS_DIR[@]}"; do
		pids+=("$(cat "${OVS_DIR[$ns]}/ovs-vswitchd.pid")" "$(cat "${OVS_DIR[$ns]}/ovsdb-server.pid")")
	done
	[ ${#pids[@]} = 4 ] || return 1
	ovs_stop_all
	for pid in "${pids[@]}"; do
		! kill -0 "$pid" 2>/dev/null || return 1
	done
}

check "scenario 1: OVS in 3 hypervisors, br0 ports tap0=1 eth0=2 lisp0=3, flows" setup_scenario1
check "scenario 1: IPv4 ping both ways through lisp0, MAC rewritten by flow" test_s1_v4
check "scenario 1: IPv6 ping both ways (ND over the bridged underlay)" test_s1_v6
check "scenario 1: TCP both ways, IPv4 and IPv6 (iperf3)" test_s1_tcp
check "scenario 1: TCP over an IPv6 underlay; path MTU answered into the bridge" test_s1_tcp_v6_underlay
check "scenario 1: two VMs behind hv1, one rewrite flow each" test_s1_two_vms
check "scenario 1: hv1 reaches hv2 and hv3 over one lisp0" test_s1_three_hvs
check "scenario 1: two tenants with the same addresses, kept apart by instance ID" test_s1_tenants
check "scenario 2: OVS in 2 hypervisors behind a router" setup_scenario2
check "scenario 2: without a remedy ARP gets no answer" test_s2_no_arp
check "scenario 2: static neighbours in the VMs, ping both ways" test_s2_static
check "scenario 2: ARP responder flows (proxy ARP), ping both ways" test_s2_proxy_arp
check "scenario 3: routed, 2 hypervisors as the VMs' routers" setup_scenario3
check "scenario 3: IPv4 and IPv6 ping both ways" test_s3_ping
check "scenario 3: TCP both ways, IPv4 and IPv6" test_s3_tcp
check "OVS daemons stop by pid" test_stop

ktap_finished
