#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Device life: create, up/down, rename, MTU, addresses, delete, namespaces, and the errors bad
# `ip link` requests get back.
#
#   [ ns0: lisp0 lisp1 ... ]   [ ns1 ]

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 17

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 NS1 || ktap_exit_fail_msg "cannot create namespaces"
trap cleanup_all_ns EXIT

test_create() {
	run ip -n "$NS0" link add lisp0 type lisp || return 1
	[ "$(link_json "$NS0" lisp0 .linkinfo.info_kind)" = lisp ] &&
		[ "$(link_json "$NS0" lisp0 .link_type)" = ether ]
}

test_random_mac() {
	local a b
	run ip -n "$NS0" link add lisp1 type lisp || return 1
	a=$(link_json "$NS0" lisp0 .address)
	b=$(link_json "$NS0" lisp1 .address)
	run ip -n "$NS0" link del lisp1
	# Distinct, unicast, locally administered.
	[ "$a" != "$b" ] && [ $((0x${a:0:2} & 3)) = 2 ] && [ $((0x${b:0:2} & 3)) = 2 ]
}

test_mtu_defaults() {
	[ "$(link_json "$NS0" lisp0 .mtu)" = 1444 ] &&
		[ "$(link_json "$NS0" lisp0 .min_mtu)" = 68 ] &&
		[ "$(link_json "$NS0" lisp0 .max_mtu)" = 65479 ]
}

test_mtu_change() {
	run ip -n "$NS0" link set lisp0 mtu 9000 &&
		[ "$(link_json "$NS0" lisp0 .mtu)" = 9000 ] &&
		fails_with "mtu less than device minimum" ip -n "$NS0" link set lisp0 mtu 67 &&
		fails_with "mtu greater than device maximum" ip -n "$NS0" link set lisp0 mtu 65480 &&
		[ "$(link_json "$NS0" lisp0 .mtu)" = 9000 ]
}

test_up_down() {
	run ip -n "$NS0" link set lisp0 up &&
		link_json "$NS0" lisp0 .flags | grep -q '"UP"' &&
		[ "$(link_json "$NS0" lisp0 .operstate)" != DOWN ] &&
		run ip -n "$NS0" link set lisp0 down &&
		! link_json "$NS0" lisp0 .flags | grep -q '"UP"'
}

test_rename() {
	run ip -n "$NS0" link set lisp0 name tun7 &&
		[ "$(link_json "$NS0" tun7 .linkinfo.info_kind)" = lisp ] &&
		run ip -n "$NS0" link set tun7 name lisp0
}

test_set_mac() {
	run ip -n "$NS0" link set lisp0 address 02:11:22:33:44:55 &&
		[ "$(link_json "$NS0" lisp0 .address)" = 02:11:22:33:44:55 ] &&
		fails_with "Cannot assign requested address" \
			ip -n "$NS0" link set lisp0 address 01:00:5e:00:00:01
}

test_create_with_mac() {
	run ip -n "$NS0" link add lisp2 address 02:aa:bb:cc:dd:ee mtu 1400 type lisp &&
		[ "$(link_json "$NS0" lisp2 .address)" = 02:aa:bb:cc:dd:ee ] &&
		[ "$(link_json "$NS0" lisp2 .mtu)" = 1400 ] &&
		run ip -n "$NS0" link del lisp2
}

test_bad_create() {
	fails_with "Address is a multicast address" \
		ip -n "$NS0" link add lisp3 address 01:02:03:04:05:06 type lisp &&
		fails_with "Address is all zeros" \
			ip -n "$NS0" link add lisp3 address 00:00:00:00:00:00 type lisp &&
		fails_with "Address must be 6 bytes" \
			ip -n "$NS0" link add lisp3 address 02:01:02:03 type lisp &&
		fails_with "mtu less than device minimum" \
			ip -n "$NS0" link add lisp3 mtu 20 type lisp &&
		! ip -n "$NS0" link show lisp3 >/dev/null 2>&1
}

test_duplicate_name() {
	fails_with "File exists" ip -n "$NS0" link add lisp0 type lisp
}

test_garbage_args() {
	# iproute2 has no lisp-specific parser: anything after "type lisp" is refused by ip itself.
	fails_with "Garbage instead of arguments" ip -n "$NS0" link add lisp4 type lisp iid 5 &&
		! ip -n "$NS0" link show lisp4 >/dev/null 2>&1
}

test_netns_move_refused() {
	fails_with "The interface netns is immutable" \
		ip -n "$NS0" link set lisp0 netns "$NS1" &&
		[ "$(link_json "$NS0" lisp0 .linkinfo.info_kind)" = lisp ]
}

test_delete() {
	run ip -n "$NS0" link del lisp0 && ! ip -n "$NS0" link show lisp0 >/dev/null 2>&1
}

test_netns_delete_removes_devices() {
	run ip -n "$NS1" link add lisp0 type lisp &&
		run ip -n "$NS1" link add lisp1 type lisp || return 1
	cleanup_ns "$NS1"
	# Deleting a namespace deletes its lisp devices; the module stays removable.
	! ip netns list | grep -q "$NS1" && lisp_unload && lisp_load
}

test_lispctl_options() {
	local j
	ip netns exec "$NS1" "$LISPCTL" link add lisp5 port 4342 local 10.0.0.1 iid 7 ttl 64 \
		tos 0x10 noudpcsum nonce || return 1
	j=$(ip netns exec "$NS1" "$LISPCTL" -j link show lisp5) || return 1
	echo "# $j"
	[ "$(jq -r '.[0] | "\(.port) \(.local) \(.iid) \(.ttl) \(.tos) \(.udp_csum) \(.nonce) \(.external)"' <<<"$j")" = \
		"4342 10.0.0.1 7 64 16 false true false" ]
}

test_lispctl_set() {
	local j
	ip netns exec "$NS1" "$LISPCTL" link set lisp5 iid 9 ttl inherit udpcsum || return 1
	j=$(ip netns exec "$NS1" "$LISPCTL" -j link show lisp5) || return 1
	[ "$(jq -r '.[0] | "\(.port) \(.iid) \(.ttl) \(.udp_csum)"' <<<"$j")" = "4342 9 inherit true" ] &&
		fails_with 'invalid iid "16777216"' ip netns exec "$NS1" "$LISPCTL" link set lisp5 iid 16777216 &&
		fails_with "fixed at creation" ip netns exec "$NS1" "$LISPCTL" link set lisp5 port 4343 &&
		ip netns exec "$NS1" "$LISPCTL" link del lisp5
}

socks() { ip netns exec "$NS1" ss -Hlun 'sport = 4341' | wc -l; }

test_shared_port() {
	# Devices that are up on one port share its socket (IPv4 and IPv6: two), each serving its
	# own instance ID; one for an instance ID already served, or a second external one, cannot
	# go up (it may exist while down).
	local l="ip netns exec $NS1 $LISPCTL link" up="ip -n $NS1 link set"
	$l add lisp6 iid 1 && $l add lisp7 iid 2 && $l add lisp8 external &&
		$l add lisp9 iid 1 && $l add lisp10 external || return 1
	$up lisp6 up && $up lisp7 up && $up lisp8 up && [ "$(socks)" = 2 ] || return 1
	fails_with "Address already in use" $up lisp9 up &&
		dmesg | tail -n 5 | grep -q "lisp9: cannot go up: another lisp device that is up serves instance ID 1" &&
		fails_with "Address already in use" $up lisp10 up &&
		fails_with "another lisp device that is up serves this instance ID" $l set lisp7 iid 1 &&
		$l set lisp9 iid 3 && $up lisp9 up && $l set lisp7 iid 4 &&
		[ "$(ip netns exec "$NS1" "$LISPCTL" -j link show lisp7 | jq -r '.[0].iid')" = 4 ] &&
		ip -n "$NS1" link del lisp6 && ip -n "$NS1" link del lisp7 && [ "$(socks)" = 2 ] &&
		ip -n "$NS1" link del lisp8 && ip -n "$NS1" link del lisp9 && [ "$(socks)" = 0 ] &&
		ip -n "$NS1" link del lisp10
}

check "ip link add lisp0 type lisp" test_create
check "random, unicast, locally administered MAC per device" test_random_mac
check "MTU defaults: 1444, range 68-65479" test_mtu_defaults
check "MTU changes validated" test_mtu_change
check "up and down" test_up_down
check "rename" test_rename
check "set MAC address; multicast refused" test_set_mac
check "create with address and mtu" test_create_with_mac
check "bad addresses and MTU refused with a message" test_bad_create
check "duplicate name refused" test_duplicate_name
check "unknown lisp arguments refused by ip" test_garbage_args
check "netns move refused with a message" test_netns_move_refused
check "ip link del" test_delete
check "lispctl link add with every option; link show reports them" test_lispctl_options
check "lispctl link set changes what may change, refuses the rest" test_lispctl_set
check "one socket per port shared by devices of different instance IDs" test_shared_port
check "netns deletion removes its lisp devices" test_netns_delete_removes_devices

ktap_finished
