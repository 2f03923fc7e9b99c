#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Statistics: frames lisp0 cannot send (its map-cache is empty) are dropped and counted where
# `ip -s link` shows them, exactly once each.
#
#   [ ns0: 10.9.0.1/24 lisp0 ] -> 10.9.0.2 (static neighbour; nothing behind it)

source "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 3

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"
trap cleanup_all_ns EXIT

# No IPv6 autoconfiguration traffic: only the packets sent here reach the device.
ip netns exec "$NS0" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$NS0" link add lisp0 type lisp
ip -n "$NS0" addr add 10.9.0.1/24 dev lisp0
ip -n "$NS0" neigh add 10.9.0.2 lladdr 02:00:00:00:00:02 dev lisp0 nud permanent
ip -n "$NS0" link set lisp0 up

tx_dropped() { link_json "$NS0" lisp0 .stats64.tx.dropped; }

test_starts_at_zero() {
	[ "$(tx_dropped)" = 0 ] && [ "$(link_json "$NS0" lisp0 .stats64.tx.packets)" = 0 ]
}

test_drops_counted() {
	local before
	before=$(tx_dropped)
	# No reply can come back; ping exits 1 and that is expected.
	ip netns exec "$NS0" ping -q -c 7 -i 0.2 -W 1 10.9.0.2 >/dev/null
	[ "$(tx_dropped)" = $((before + 7)) ] && [ "$(link_json "$NS0" lisp0 .stats64.tx.packets)" = 0 ]
}

test_stats_per_device() {
	ip -n "$NS0" link add lisp1 type lisp &&
		[ "$(link_json "$NS0" lisp1 .stats64.tx.dropped)" = 0 ] &&
		ip -n "$NS0" link del lisp1
}

check "counters start at zero" test_starts_at_zero
check "7 unsendable packets: tx dropped +7, tx packets 0" test_drops_counted
check "counters are per device" test_stats_per_device

ktap_finished
