#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# External (flow-based) mode: no map-cache; the RLOC and instance ID of each packet come from
# tunnel metadata set by lightweight-tunnel routes (`ip route ... encap ip id N dst RLOC`) or
# tc tunnel_key, and received packets carry metadata (outer addresses, instance ID) that tc
# can match.
#
#   vm1 ---tap0-[ hv1: lisp0 external ]-u1 ==== u2-[ hv2: lisp0 external ]-tap0--- vm2
#   172.16.1.10            10.0.0.1                     10.0.0.2                  172.16.2.10

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 4

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns HV1 HV2 VM1 VM2 || ktap_exit_fail_msg "cannot create namespaces"
trap cleanup_all_ns EXIT

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
for i in 1 2; do
	hv $i "$LISPCTL" link add lisp0 external
	hv $i ip link set lisp0 up
done

test_external_reported() {
	[ "$(hv 1 "$LISPCTL" -j link show lisp0 | jq -r '.[0].external')" = true ]
}

test_lwtunnel_routes() {
	hv 1 ip route add 172.16.2.0/24 encap ip id 7 dst 10.0.0.2 dev lisp0 &&
		hv 2 ip route add 172.16.1.0/24 encap ip id 7 dst 10.0.0.1 dev lisp0 &&
		vm 1 ping -c 2 -i 0.3 -W 2 172.16.2.10 >/dev/null
}

test_rx_metadata() {
	# hv2 sees the instance ID of received packets as the tunnel key.
	hv 2 tc qdisc add dev lisp0 ingress &&
		hv 2 tc filter add dev lisp0 ingress protocol ip flower enc_key_id 7 \
			enc_dst_ip 10.0.0.2 enc_src_ip 10.0.0.1 action pass || return 1
	vm 1 ping -c 3 -i 0.3 -W 2 172.16.2.10 >/dev/null || return 1
	local n
	n=$(hv 2 tc -s -j filter show dev lisp0 ingress | jq '[.[].options.actions[0].stats.packets // empty] | add')
	echo "# packets matched by enc_key_id 7 on hv2: $n"
	[ "${n:-0}" -ge 3 ]
}

test_tc_tunnel_key() {
	# Instead of hv1's route: tc on tap0 sets the metadata (IID 9) and redirects to lisp0.
	hv 1 ip route del 172.16.2.0/24
	hv 1 ip route add 172.16.2.0/24 dev lisp0
	hv 2 ip route replace 172.16.1.0/24 encap ip id 9 dst 10.0.0.1 dev lisp0
	hv 1 tc qdisc add dev tap0 ingress &&
		hv 1 tc filter add dev tap0 ingress protocol ip flower dst_ip 172.16.2.10 \
			action tunnel_key set src_ip 10.0.0.1 dst_ip 10.0.0.2 id 9 dst_port 4341 \
			action mirred egress redirect dev lisp0 || return 1
	hv 2 tc filter add dev lisp0 ingress protocol ip flower enc_key_id 9 action pass || return 1
	vm 1 ping -c 2 -i 0.3 -W 2 172.16.2.10 >/dev/null || return 1
	local n
	n=$(hv 2 tc -s -j filter show dev lisp0 ingress |
		jq '[.[] | select(.options.keys.enc_key_id == 9) | .options.actions[0].stats.packets] | add')
	echo "# packets with IID 9 on hv2: $n"
	[ "${n:-0}" -ge 2 ]
}

check "lispctl link add external; link show reports it" test_external_reported
check "lightweight-tunnel routes (encap ip id dst) across lisp0" test_lwtunnel_routes
check "received packets carry metadata (IID, outer addresses) for tc" test_rx_metadata
check "tc tunnel_key set + mirred to lisp0" test_tc_tunnel_key

ktap_finished
