#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's guest half (run by scripts/demo.sh inside the VM): two "hypervisor" namespaces,
# each with a "VM" namespace behind it, tunnel the VMs' traffic over lisp0.
#
#   vm1 ---tap0-[ hv1: lisp0 ]-eth0 ==== eth0-[ hv2: lisp0 ]-tap0--- vm2
#   172.16.1.10        10.0.0.1                 10.0.0.2           172.16.2.10
set -euo pipefail
exec 2>&1

L=${LISPCTL:?}
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
title() { printf '\n\033[1;34m== %s\033[0m\n' "$*"; }

insmod "$LISP_KO"
for n in hv1 hv2 vm1 vm2; do ip netns add $n; ip -n $n link set lo up; done
ip link add eth0 netns hv1 type veth peer name eth0 netns hv2
for i in 1 2; do
	j=$((3 - i))
	ip -n hv$i addr add 10.0.0.$i/24 dev eth0; ip -n hv$i link set eth0 up
	ip link add eth0 netns vm$i type veth peer name tap0 netns hv$i
	ip -n vm$i addr add 172.16.$i.10/24 dev eth0; ip -n vm$i link set eth0 up
	ip -n vm$i route add default via 172.16.$i.1
	ip -n hv$i addr add 172.16.$i.1/24 dev tap0; ip -n hv$i link set tap0 up
	ip netns exec hv$i sysctl -qw net.ipv4.ip_forward=1
done

title "On each hypervisor: a lisp device, a route to the other VMs' EID prefix through it"
for i in 1 2; do
	j=$((3 - i))
	say ip -n hv$i link add lisp0 type lisp
	say ip -n hv$i link set lisp0 up
	say ip -n hv$i route add 172.16.$j.0/24 dev lisp0
done

title "The map-cache: EID prefix -> RLOC (the other hypervisor's underlay address)"
say ip netns exec hv1 "$L" map add 172.16.2.0/24 rloc 10.0.0.2 ttl 3600 dev lisp0
say ip netns exec hv2 "$L" map add 172.16.1.0/24 rloc 10.0.0.1 ttl 3600 dev lisp0
say ip netns exec hv1 "$L" map show dev lisp0
say ip netns exec hv1 "$L" map get 172.16.2.10 dev lisp0

title "VM1 pings VM2; meanwhile the underlay is captured"
ip netns exec hv1 tcpdump -U -c 1 -ni eth0 -w /tmp/lisp-demo.pcap udp dst port 4341 2>/dev/null &
cap=$!
sleep 1
say ip netns exec vm1 ping -c 3 -i 0.5 172.16.2.10
wait $cap || true

title "One encapsulated packet on the underlay, decoded by tshark's lisp-data dissector"
tshark -r /tmp/lisp-demo.pcap -O lisp-data -d udp.port==4341,lisp-data 2>/dev/null |
	sed -n '/^Frame/p;/^Internet Protocol/p;/^User Datagram/p;/^Locator/,/Instance ID:/p;/^Internet Control/p'

title "Counters"
say ip netns exec hv1 "$L" stats dev lisp0
say ip -n hv2 -s link show lisp0
