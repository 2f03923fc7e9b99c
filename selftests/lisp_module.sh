#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module load and unload: lisp.ko loads (its struct-layout self-check passes), registers the
# rtnetlink kind "lisp", carries the autoload aliases, and unloads and reloads cleanly.

source "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 5

lisp_unload >/dev/null 2>&1

test_load() {
	run insmod "$LISP_KO" && [ -d /sys/module/lisp ] &&
		[ "$(cat /sys/module/lisp/initstate)" = live ]
}

test_aliases() {
	local aliases
	aliases=$(modinfo -F alias "$LISP_KO")
	grep -qx 'rtnl-link-lisp' <<<"$aliases" &&
		grep -qx 'net-pf-16-proto-16-family-lisp' <<<"$aliases"
}

test_kind_registered() {
	local ns=lispmod-$$ ok=1
	ip netns add $ns || return 1
	ip -n $ns link add lisp0 type lisp &&
		[ "$(link_json $ns lisp0 .linkinfo.info_kind)" = lisp ] && ok=0
	ip netns del $ns
	return $ok
}

test_unload() {
	lisp_unload
}

test_reload() {
	local i
	for i in 1 2 3; do
		run insmod "$LISP_KO" && run rmmod lisp || return 1
	done
	! grep -q '^lisp ' /proc/modules
}

check "insmod lisp.ko" test_load
check "modinfo aliases rtnl-link-lisp and the genetlink family" test_aliases
check "ip link add type lisp after insmod" test_kind_registered
check "rmmod lisp" test_unload
check "insmod/rmmod x3" test_reload

ktap_finished
