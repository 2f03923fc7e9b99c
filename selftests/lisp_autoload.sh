#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Autoload: with lisp.ko installed in the module path, `ip link add ... type lisp` loads it by
# its rtnl-link-lisp alias, without insmod. The VM's /lib/modules is a read-only host directory,
# so a private module tree is mounted over it for the duration of the test.

source "$(dirname "$0")/lib.sh"

ktap_print_header
ktap_set_plan 2

kver=$(uname -r)
mods=$(mktemp -d)

cleanup() {
	umount /lib/modules 2>/dev/null
	rm -rf "$mods"
	cleanup_all_ns
}
trap cleanup EXIT

lisp_unload || ktap_exit_fail_msg "cannot unload lisp"
command -v depmod >/dev/null || { ktap_skip_all "no depmod"; exit "$KSFT_SKIP"; }

mkdir -p "$mods/lib/modules/$kver/extra"
cp "$LISP_KO" "$mods/lib/modules/$kver/extra/"
[ -d "/lib/modules/$kver" ] && cp /lib/modules/"$kver"/modules.{order,builtin}* \
	"$mods/lib/modules/$kver/" 2>/dev/null
depmod -b "$mods" "$kver" || ktap_exit_fail_msg "depmod failed"
mount --bind "$mods/lib/modules" /lib/modules || ktap_exit_fail_msg "cannot mount module tree"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"

test_modprobe_finds_alias() {
	modprobe -n -v rtnl-link-lisp | grep -q "extra/lisp.ko"
}

test_autoload() {
	run ip -n "$NS0" link add lisp0 type lisp &&
		[ -d /sys/module/lisp ] &&
		[ "$(link_json "$NS0" lisp0 .linkinfo.info_kind)" = lisp ] &&
		run ip -n "$NS0" link del lisp0
}

check "modprobe resolves the rtnl-link-lisp alias" test_modprobe_finds_alias
check "ip link add type lisp loads the module" test_autoload

ktap_finished
