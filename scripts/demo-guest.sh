#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's guest half (run by scripts/demo.sh inside the VM): the guide's scenario 1 with Open
# vSwitch. Two "hypervisor" namespaces each run their own ovsdb-server + ovs-vswitchd (the
# selftests' helpers, selftests/lib.sh); bridge br0 has the VM's tap0 (OpenFlow port 1), the
# underlay eth0 (2) and lisp0 (3). The VMs share a subnet, the hypervisors another.
#
#   vm11 192.168.1.11 --tap0-[ hv1: br0 10.0.0.1 ]-eth0 ==== eth0-[ hv2: br0 10.0.0.2 ]-tap0-- vm21 192.168.1.21
exec 2>&1

: "${LISPCTL:?}" "${LISP_KO:?}" "${KSFT_DIR:?}"
HV1=hv1 HV2=hv2 VM11=vm11 VM21=vm21	# fixed names: setup_ns then uses them as they are
source "$(dirname "$0")/../selftests/lib.sh"
set -eo pipefail

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
title() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }
# What ovs/hv run, shown the way one would type it on that hypervisor.
show() { printf '\n\033[1m[%s]$ %s\033[0m\n' "$1" "${*:2}"; }
on() { local i=$1; shift; show "hv$i" "${*/#$LISPCTL/lispctl}"; ovs "hv$i" "$@"; }
flows() {	# the flow table without cookies, durations and idle ages
	ovs "hv$1" ovs-ofctl dump-flows br0 ${2:+"$2"} |
		sed -E 's/cookie=[^,]*, //; s/duration=[^,]*, //; s/table=0, //; s/idle_age=[^,]*, //;
			s/n_bytes=[^,]*, //; /NXST_FLOW/d; s/^ */  /'
}

trap ovs_cleanup EXIT
lisp_load
setup_ns HV1 HV2 VM11 VM21
ip link add eth0 netns hv1 type veth peer name eth0 netns hv2
add_vm 1 11 tap0 192.168.1
add_vm 2 21 tap0 192.168.1
ovs_start hv1 hv2

title "On each hypervisor: lisp0, and an OVS bridge with tap0 = port 1, eth0 = 2, lisp0 = 3"
for i in 1 2; do
	on $i ip link add lisp0 type lisp
	on $i ip link set lisp0 up
	on $i ovs-vsctl add-br br0
	for p in tap0:1 eth0:2 lisp0:3; do
		show hv$i "ovs-vsctl add-port br0 ${p%:*} -- set Interface ${p%:*} ofport_request=${p#*:}"
		ovs_add_port hv$i br0 "${p%:*}" "${p#*:}"
	done
	# eth0 is a bridge port now: the underlay address goes on br0.
	on $i ip addr add 10.0.0.$i/24 dev br0
	on $i ip link set br0 up
	hv $i ip link set eth0 up
done
on 1 ovs-vsctl show | grep -E 'Bridge|Port' | sed 's/^/  /'

title "The flows (hv1): rewrite the fixed MAC 02:00:00:00:00:00 of decapsulated packets, ARP the normal way, the VM's IP traffic to lisp0"
ovs_vm_flows hv1 1 11
ovs_vm_flows hv2 1 21
flows 1 | grep -v ipv6 | grep -v icmp6

title "The map-cache in lisp0 (hv1's): where each remote VM lives (EID -> RLOC)"
on 1 "$LISPCTL" map add 192.168.1.21/32 rloc 10.0.0.2 dev lisp0
on 2 "$LISPCTL" map add 192.168.1.11/32 rloc 10.0.0.1 dev lisp0
on 1 "$LISPCTL" map show dev lisp0

title "VM1 pings VM2 (ARP crosses the bridged underlay; the ICMP goes through lisp0)"
pcap=$(mktemp)
hv 1 tcpdump -U -c 1 -ni eth0 -w "$pcap" udp dst port 4341 2>/dev/null &
cap=$!
# Once tcpdump listens, the first encapsulated packet ends it.
captured() { vm 11 ping -c 1 -W 1 192.168.1.21 >/dev/null; ! kill -0 $cap 2>/dev/null; }
slowwait 10 captured
show vm11 ping -c 3 -i 0.5 192.168.1.21
vm 11 ping -c 3 -i 0.5 192.168.1.21

title "One encapsulated packet on the underlay, decoded by tshark's lisp-data dissector"
tshark -r "$pcap" -V -d udp.port==4341,lisp-data 2>/dev/null |
	sed -n '/^Internet Protocol/p; /^User Datagram/p; /^Locator\/ID/,/^Internet Protocol/{/^Internet Protocol/!p}; /^Internet Control/p'
rm -f "$pcap"

title "What the rewrite flows matched (hv2)"
flows 2 "dl_dst=$LISP_MAC" | grep -v ipv6

title "Counters"
on 1 "$LISPCTL" stats dev lisp0
on 2 ip -s link show lisp0
