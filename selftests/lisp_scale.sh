#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale: one million IPv4 /24 prefixes loaded with `lispctl -batch` and dumped back in full
# (a multi-part dump resumed many times), then flushed. Prints the load rate and the kernel
# memory used per entry as KTAP diagnostics.
#
#   [ ns0: lisp0 ]

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
N=${LISP_SCALE_N:-1000000}

ktap_print_header
ktap_set_plan 3

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"
batch=$(mktemp)
trap 'rm -f "$batch"; cleanup_all_ns' EXIT
ip -n "$NS0" link add lisp0 type lisp

lc() { ip netns exec "$NS0" "$LISPCTL" "$@"; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
# With kmemleak on, every allocation also costs a kmemleak object: say so next to the figure.
kmemleak_note() {
	[ -w /sys/kernel/debug/kmemleak ] &&
		echo " (includes kmemleak bookkeeping; boot with kmemleak=off for the real figure)"
}

# 1M distinct /24s: 16.0.0.0/24 upwards.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "map add %d.%d.%d.0/24 rloc 192.0.2.%d dev lisp0\n", 16 + int(i / 65536), int(i / 256) % 256, i % 256, 1 + i % 200 }' >"$batch"

test_load() {
	local t0 t1 s0 s1 ms
	sync; echo 3 >/proc/sys/vm/drop_caches
	s0=$(slab_kb)
	t0=$(date +%s%N)
	lc -batch "$batch" || return 1
	t1=$(date +%s%N)
	s1=$(slab_kb)
	ms=$(( (t1 - t0) / 1000000 ))
	echo "# loaded $N prefixes in $ms ms: $(( N * 1000 / (ms > 0 ? ms : 1) )) prefixes/s"
	echo "# kernel slab memory: +$(( s1 - s0 )) KiB, $(( (s1 - s0) * 1024 / N )) bytes per entry$(kmemleak_note)"
	[ "$(lc -j link show lisp0 | jq -r '.[0].map_count')" = "$N" ]
}

test_dump() {
	local t0 t1 n
	t0=$(date +%s%N)
	n=$(lc map show dev lisp0 | grep -c '^[0-9]')
	t1=$(date +%s%N)
	echo "# dumped $n entries in $(( (t1 - t0) / 1000000 )) ms"
	[ "$n" = "$N" ]
}

test_flush() {
	lc map flush dev lisp0 && [ "$(lc -j link show lisp0 | jq -r '.[0].map_count')" = 0 ]
}

check "load $N prefixes with lispctl -batch" test_load
check "dump all $N entries" test_dump
check "flush $N entries" test_flush

ktap_finished
