#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifecycle under repetition: 50 create/delete cycles, and rmmod with live devices in several
# namespaces, which must tear them down. The runner then checks the kernel log and kmemleak.

source "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 3

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 NS1 || ktap_exit_fail_msg "cannot create namespaces"
trap cleanup_all_ns EXIT

test_cycles() {
	local i
	for i in $(seq 50); do
		ip -n "$NS0" link add lisp0 type lisp &&
			ip -n "$NS0" link set lisp0 up &&
			ip -n "$NS0" link del lisp0 || { echo "# cycle $i failed"; return 1; }
	done
	! ip -n "$NS0" link show lisp0 >/dev/null 2>&1
}

test_unload_with_live_devices() {
	local i ns left
	for i in 0 1 2 3; do
		ip -n "$NS0" link add lisp$i type lisp && ip -n "$NS1" link add lisp$i type lisp ||
			return 1
	done
	ip -n "$NS0" link set lisp0 up
	run rmmod lisp || return 1
	left=$(for ns in "$NS0" "$NS1"; do ip -n "$ns" -j link show; done |
		jq -r '.[] | select(.ifname | startswith("lisp")) | .ifname')
	[ -z "$left" ] || { echo "# left behind: $left"; return 1; }
}

test_reload_after_teardown() {
	lisp_load && ip -n "$NS0" link add lisp0 type lisp && ip -n "$NS0" link del lisp0
}

check "50 create/up/delete cycles" test_cycles
check "rmmod with 8 live devices in 2 namespaces removes them" test_unload_with_live_devices
check "reload after teardown" test_reload_after_teardown

ktap_finished
