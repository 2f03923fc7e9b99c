#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scenarios 1 and 2 of lisp_ovs.sh with a Linux bridge in each hypervisor instead of Open
# vSwitch. What the OVS flows do is done by tc here:
#  - transmit: a flower rule on the VM's port (tap0 ingress) redirects the VM's IP traffic to
#    lisp0, except neighbour discovery; ARP is not IP and stays on the bridge. In scenario 1
#    this is needed: the bridge has learnt the remote VM's MAC behind eth0 (ARP crosses the
#    bridged underlay) and would otherwise send the frames there unencapsulated;
#  - receive: a flower rule on lisp0's ingress rewrites the fixed destination MAC
#    02:00:00:00:00:00 of a decapsulated packet, chosen by its destination address, to the VM's
#    MAC (pedit), before the bridge sees the frame.
# Scenario 2's proxy ARP is the bridge's own (port flag proxy_arp): it answers from br0's
# neighbour table, for MACs the bridge knows on a port (a static fdb entry on lisp0).
#
#   Scenario 1: vm11 192.168.1.11 -tap0-[ hv1 br0 10.0.0.1 ]-eth0 ==== eth0-[ hv2 br0 10.0.0.2 ]-tap0- vm21 .21
#   Scenario 2: vm41 192.168.2.41 -tap0-[ hv4 br0: tap0 lisp0 ] eth0 10.1.0.4 -- rt -- 10.2.0.5 eth0 [ hv5 ]-tap0- vm51 .51

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 8

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
trap cleanup_all_ns EXIT

# linux_bridge HV [eth0]: br0 with tap0, optionally eth0, and a fresh lisp0.
linux_bridge() {
	local i=$1 p
	hv "$i" ip link add lisp0 type lisp && hv "$i" ip link add br0 type bridge || return 1
	for p in tap0 ${2:-} lisp0; do
		hv "$i" ip link set "$p" master br0 && hv "$i" ip link set "$p" up || return 1
	done
	hv "$i" ip link set br0 up && hv "$i" tc qdisc add dev lisp0 ingress &&
		hv "$i" tc qdisc add dev tap0 ingress
}

# tc_rewrite HV N: decapsulated packets for VM N get VM N's MAC.
tc_rewrite() {
	local i=$1 n=$2 ip4 ip6
	ip4=$(vm_addr "$n" 4) ip6=$(vm_addr "$n" 6)
	hv "$i" tc filter add dev lisp0 ingress protocol ip flower dst_mac $LISP_MAC dst_ip "$ip4" \
		action pedit ex munge eth dst set "$(vm_mac "$n")" &&
		hv "$i" tc filter add dev lisp0 ingress protocol ipv6 flower dst_mac $LISP_MAC \
			dst_ip "$ip6" action pedit ex munge eth dst set "$(vm_mac "$n")"
}

# tc_to_lisp HV: the VM's IPv4 and IPv6 traffic, but neighbour discovery, to lisp0.
tc_to_lisp() {
	local i=$1
	hv "$i" tc filter add dev tap0 ingress pref 1 protocol ipv6 flower ip_proto icmpv6 \
		type 135 action pass &&
		hv "$i" tc filter add dev tap0 ingress pref 2 protocol ipv6 flower ip_proto icmpv6 \
			type 136 action pass &&
		hv "$i" tc filter add dev tap0 ingress pref 3 protocol ipv6 flower \
			action mirred egress redirect dev lisp0 &&
		hv "$i" tc filter add dev tap0 ingress pref 4 protocol ip flower \
			action mirred egress redirect dev lisp0
}

setup_scenario1() {
	local i
	setup_ns HV1 HV2 VM11 VM21 || return 1
	ip link add eth0 netns "$HV1" type veth peer name eth0 netns "$HV2" || return 1
	add_vm 1 11 tap0 192.168.1 && add_vm 2 21 tap0 192.168.1 || return 1
	for i in 1 2; do
		linux_bridge $i eth0 || return 1
		# eth0 is a bridge port: the hypervisor's underlay address lives on br0.
		hv $i ip addr add 10.0.0.$i/24 dev br0 && hv $i ip addr add fd00::$i/64 dev br0 nodad &&
			tc_to_lisp $i || return 1
	done
	tc_rewrite 1 11 && tc_rewrite 2 21 &&
		lc 1 map add 192.168.1.21/32 rloc 10.0.0.2 dev lisp0 &&
		lc 1 map add fd01::21/128 rloc fd00::2 dev lisp0 &&
		lc 2 map add 192.168.1.11/32 rloc 10.0.0.1 dev lisp0 &&
		lc 2 map add fd01::11/128 rloc fd00::1 dev lisp0
}

test_s1_v4() { pings_through 11 21 1 2 192.168.1.11 192.168.1.21; }
test_s1_v6() { pings_through 11 21 1 2 fd01::11 fd01::21; }
test_s1_tcp() { iperf_both 11 21 192.168.1.21; }


setup_scenario2() {
	local i
	setup_ns HV4 HV5 RT VM41 VM51 || return 1
	setup_router 4 5 || return 1
	add_vm 4 41 tap0 192.168.2 && add_vm 5 51 tap0 192.168.2 || return 1
	# eth0 stays out of the bridge; nothing but lisp0 leads away from the VM: no tc steering.
	linux_bridge 4 && linux_bridge 5 && tc_rewrite 4 41 && tc_rewrite 5 51 &&
		lc 4 map add 192.168.2.51/32 rloc 10.2.0.5 dev lisp0 &&
		lc 5 map add 192.168.2.41/32 rloc 10.1.0.4 dev lisp0
}

test_s2_no_arp() { arp_unanswered 41 192.168.2.51; }

test_s2_static() { s2_static_neighbours; }

test_s2_proxy_arp() {
	# br0 answers the VM's requests for the remote EID from its neighbour table with the remote
	# VM's MAC, which the bridge forwards to lisp0 (static fdb entry).
	local i n m
	vm 41 ip neigh del 192.168.2.51 dev eth0 && vm 51 ip neigh del 192.168.2.41 dev eth0 ||
		return 1
	for i in 4 5; do
		n=$((i == 4 ? 51 : 41)) m=$(vm_mac $((i == 4 ? 51 : 41)))
		hv $i ip link set dev tap0 type bridge_slave proxy_arp on &&
			hv $i ip neigh add 192.168.2.$n lladdr "$m" dev br0 nud permanent &&
			hv $i bridge fdb add "$m" dev lisp0 master static || return 1
	done
	pings_through 41 51 4 5 192.168.2.41 192.168.2.51 &&
		vm 41 ip neigh show 192.168.2.51 | grep -q "lladdr $(vm_mac 51)"
}

check "scenario 1 (Linux bridge): bridges, tc steering to lisp0 and MAC rewrite" setup_scenario1
check "scenario 1 (Linux bridge): IPv4 ping both ways through lisp0" test_s1_v4
check "scenario 1 (Linux bridge): IPv6 ping both ways through lisp0" test_s1_v6
check "scenario 1 (Linux bridge): TCP both ways" test_s1_tcp
check "scenario 2 (Linux bridge): hypervisors behind a router" setup_scenario2
check "scenario 2 (Linux bridge): without a remedy ARP gets no answer" test_s2_no_arp
check "scenario 2 (Linux bridge): static neighbours in the VMs" test_s2_static
check "scenario 2 (Linux bridge): proxy ARP by the bridge (port flag)" test_s2_proxy_arp

ktap_finished
