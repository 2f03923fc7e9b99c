#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Security: the source check of decapsulated packets (anti-spoofing, IFLA_LISP_SRC_CHECK), the
# map-cache limit (IFLA_LISP_MAP_MAX), and who may change what: CAP_NET_ADMIN over the
# device's namespace for every change, an unprivileged user namespace managing the lisp devices
# of its own network namespace only, and no generic-netlink socket reaching a device of another
# namespace.
#
#   vm1 ---tap0-[ hv1: lisp0 ]-u1 ==== u2-[ hv2: lisp0 ]-tap0--- vm2
#   172.16.1.10     10.0.0.1 fd00::1     | 10.0.0.2 fd00::2     172.16.2.10
#   fd1::10                              a2 10.9.0.2 fd09::2    fd2::10
#                                        |
#                                [ atk: a3 10.9.0.3 fd09::3 ]   a third host on the underlay,
#                                                               with its own site 172.16.3/24,
#                                                               fd3::/64
#
# Spoofed packets come from atk, written by bash to /dev/udp (python starts too slowly under
# TCG for a process per burst): the outer source is atk's own address. Everything is counted exactly: the test sends N packets
# and waits for the counter to move by N.

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 14

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns HV1 HV2 VM1 VM2 ATK NSA || ktap_exit_fail_msg "cannot create namespaces"
cleanup() {
	ip link del lsec0 2>/dev/null
	cleanup_all_ns
}
trap cleanup EXIT

PROBE="$(dirname "$0")/lisp_genl_probe.py"
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
stat() { lc "$1" -j stats dev lisp0 | jq -r ".[0].stats.$2"; }
stat_is() { [ "$(stat "$1" "$2")" = "$3" ]; }
rx_dropped() { hv "$1" ip -j -s link show lisp0 | jq '.[0].stats64.rx.dropped'; }
atk() { ip netns exec "$ATK" "$@"; }

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
ip link add a2 netns "$HV2" type veth peer name a3 netns "$ATK" || ktap_exit_fail_msg "no veth"
hv 2 ip addr add 10.9.0.2/24 dev a2; hv 2 ip addr add fd09::2/64 dev a2 nodad
atk ip addr add 10.9.0.3/24 dev a3; atk ip addr add fd09::3/64 dev a3 nodad
hv 2 ip link set a2 up; atk ip link set a3 up
add_lisp0 1 && add_lisp0 2 || ktap_exit_fail_msg "cannot create lisp0"

# map FAMILY: each hypervisor's entries for the other VM, with the other's RLOC of FAMILY; on
# hv2 also atk's site (both its RLOCs, the IPv6 one marked down) and a negative entry.
map() {
	local r1=10.0.0.1 r2=10.0.0.2
	[ "$1" = 6 ] && r1=fd00::1 r2=fd00::2
	lc 1 map replace 172.16.2.0/24 rloc $r2 dev lisp0 && lc 1 map replace fd2::/64 rloc $r2 dev lisp0 &&
		lc 2 map replace 172.16.1.0/24 rloc $r1 dev lisp0 &&
		lc 2 map replace fd1::/64 rloc $r1 dev lisp0 &&
		lc 2 map replace 172.16.3.0/24 rloc 10.9.0.3 rloc fd09::3 down dev lisp0 &&
		lc 2 map replace fd3::/64 rloc 10.9.0.3 rloc fd09::3 down dev lisp0 &&
		lc 2 map replace 172.16.8.0/24 action drop dev lisp0
}
map 4 || ktap_exit_fail_msg "cannot install the map-cache"

pings() {
	vm 1 ping -c 2 -i 0.3 -W 2 172.16.2.10 >/dev/null && vm 2 ping -c 2 -i 0.3 -W 2 172.16.1.10 >/dev/null &&
		vm 1 ping -c 2 -i 0.3 -W 2 fd2::10 >/dev/null && vm 2 ping -c 2 -i 0.3 -W 2 fd1::10 >/dev/null
}

# hex6 ADDR: an IPv6 address as 32 hex digits.
hex6() {
	local head=${1%%::*} tail="" g out="" n
	[[ $1 == *::* ]] && tail=${1#*::}
	local -a h t
	IFS=: read -ra h <<<"$head"
	IFS=: read -ra t <<<"$tail"
	n=$((8 - ${#h[@]} - ${#t[@]}))
	for g in "${h[@]}"; do out+=$(printf '%04x' "0x$g"); done
	for ((; n > 0; n--)); do out+=0000; done
	for g in "${t[@]}"; do out+=$(printf '%04x' "0x$g"); done
	echo "$out"
}

# inner SRC: a LISP header (I bit, instance ID 0) and an inner header from SRC to vm2 with no
# payload (IPv4 protocol 253, IPv6 next header 59), as printf escapes.
inner() {
	local hex a b c d sum i
	if [[ $1 == *:* ]]; then
		hex=6000000000003b40$(hex6 "$1")$(hex6 fd2::10)
	else
		IFS=. read -r a b c d <<<"$1"
		# 45 00 0014 0000 4000 40fd CSUM SRC 172.16.2.10
		sum=$((0x4500 + 0x0014 + 0x4000 + 0x40fd + (a << 8 | b) + (c << 8 | d) + 0xac10 + 0x020a))
		sum=$(((sum & 0xffff) + (sum >> 16)))
		sum=$(((sum & 0xffff) + (sum >> 16)))
		hex=$(printf '450000140000400040fd%04x%02x%02x%02x%02xac10020a' $((~sum & 0xffff)) "$a" "$b" "$c" "$d")
	fi
	hex=0800000000000000$hex
	for ((i = 0; i < ${#hex}; i += 2)); do printf '\\x%s' "${hex:i:2}"; done
}

# spoof OUTER-FAMILY INNER-SRC...: from atk to hv2, one LISP packet per inner source, one
# datagram each to bash's /dev/udp: the outer source is atk's own address.
spoof() {
	local dst=10.9.0.2 src pkts=()
	[ "$1" = 6 ] && dst=fd09::2
	shift
	for src in "$@"; do pkts+=("$(inner "$src")"); done
	# A resolved neighbour: no packet waits in (or falls out of) its queue.
	atk ping -c 1 -W 2 "$dst" >/dev/null
	# bash line-buffers its printf: dd gathers each packet into one write, one datagram.
	atk bash -c 'd=$1; shift; for p in "$@"; do
		{ printf "$p" | dd bs=64k iflag=fullblock status=none; } >"/dev/udp/$d/4341" || exit 1
	done' _ "$dst" "${pkts[@]}"
}

# expect SPOOFED DELIVERED: the rx_spoofed and rx_packets of hv2 moved by exactly that much
# since `mark` (waits for the expected totals, then checks nothing else moved).
mark() { SP0=$(stat 2 rx_spoofed) RX0=$(stat 2 rx_packets) DR0=$(rx_dropped 2); }
expect() {
	slowwait 10 stat_is 2 rx_spoofed $((SP0 + $1)) && slowwait 10 stat_is 2 rx_packets $((RX0 + $2)) ||
		{ echo "# rx_spoofed $(stat 2 rx_spoofed) (want $((SP0 + $1))), rx_packets $(stat 2 rx_packets) (want $((RX0 + $2)))"; return 1; }
	# A late packet would show now.
	sleep 0.2
	stat_is 2 rx_spoofed $((SP0 + $1)) && stat_is 2 rx_packets $((RX0 + $2)) &&
		[ "$(rx_dropped 2)" -ge $((DR0 + $1)) ]
}

srccheck() { lc 2 -j link show lisp0 | jq -r '.[0].src_check'; }

test_off_by_default() {
	local j
	j=$(lc 2 -j link show lisp0) || return 1
	[ "$(jq -r '.[0] | "\(.src_check) \(.map_max)"' <<<"$j")" = "false 0" ] &&
		lc 2 link show lisp0 | grep -q "srccheck off .* mapmax 0 " || return 1
	# Off: a packet for someone else's EID from any outer source is delivered.
	mark
	spoof 4 172.16.1.10 fd1::10 && spoof 6 172.16.1.10 fd1::10 && expect 0 4
}

test_legit_v4_underlay() {
	lc 2 link set lisp0 srccheck && [ "$(srccheck)" = true ] || return 1
	mark
	pings && slowwait 10 stat_is 2 rx_packets $((RX0 + 8)) && stat_is 2 rx_spoofed "$SP0"
}

test_spoofed_dropped() {
	# Inner sources of hv1's site from atk's RLOC, over both underlays; one with no mapping;
	# one of a negative entry: all dropped and counted, none delivered.
	mark
	spoof 4 172.16.1.10 fd1::10 172.16.9.9 172.16.8.1 && spoof 6 172.16.1.10 fd1::10 &&
		expect 6 0
}

test_own_site_accepted() {
	# atk's own EIDs from atk's RLOCs: any listed RLOC counts, down or not, either family.
	mark
	spoof 4 172.16.3.5 fd3::5 && spoof 6 172.16.3.5 fd3::5 && expect 0 4
}

test_legit_v6_underlay() {
	map 6 || return 1
	mark
	# Now hv1's site is reached over IPv6 only: the IPv4 RLOC it sends from is no longer listed.
	pings && slowwait 10 stat_is 2 rx_packets $((RX0 + 8)) && stat_is 2 rx_spoofed "$SP0" &&
		map 4 && lc 2 map replace 172.16.1.0/24 rloc fd00::1 dev lisp0 || return 1
	mark
	vm 1 ping -c 2 -i 0.3 -W 1 172.16.2.10 >/dev/null
	expect 2 0 && map 4
}

test_toggle() {
	lc 2 link set lisp0 nosrccheck && [ "$(srccheck)" = false ] || return 1
	mark
	spoof 4 172.16.1.10 && expect 0 1 || return 1
	lc 2 link set lisp0 srccheck && [ "$(srccheck)" = true ] || return 1
	mark
	spoof 4 172.16.1.10 && expect 1 0 && lc 2 link set lisp0 nosrccheck
}

test_external_refused() {
	fails_with "IFLA_LISP_SRC_CHECK needs the map-cache: not available in external mode" \
		lc 1 link add lext0 external srccheck &&
		! hv 1 ip link show lext0 >/dev/null 2>&1 &&
		lc 1 link add lext1 external &&
		fails_with "not available in external mode" lc 1 link set lext1 srccheck &&
		[ "$(lc 1 -j link show lext1 | jq -r '.[0].src_check')" = false ] &&
		lc 1 link set lext1 nosrccheck && lc 1 link del lext1
}

# The map-cache limit, on a device of its own in hv2.
maps() { lc 2 -j link show lmax | jq -r '.[0].map_count'; }

test_map_max_fill() {
	lc 2 link add lmax mapmax 3 && [ "$(lc 2 -j link show lmax | jq -r '.[0].map_max')" = 3 ] || return 1
	lc 2 map add 10.1.0.0/24 rloc 10.0.0.1 dev lmax && lc 2 map add 10.1.1.0/24 rloc 10.0.0.1 dev lmax &&
		lc 2 map add fd10::/64 rloc 10.0.0.1 dev lmax || return 1
	fails_with "map-cache full (3 entries" lc 2 map add 10.1.2.0/24 rloc 10.0.0.1 dev lmax &&
		[ "$(maps)" = 3 ] &&
		# The kernel's message, on stderr, and a failure status.
		! lc 2 map add 10.1.2.0/24 rloc 10.0.0.1 dev lmax 2>/dev/null >/dev/null &&
		[ -z "$(lc 2 map add 10.1.2.0/24 rloc 10.0.0.1 dev lmax 2>/dev/null)" ]
}

test_map_max_replace_delete() {
	lc 2 map replace 10.1.0.0/24 rloc 10.0.0.2 dev lmax &&
		lc 2 -j map get 10.1.0.0/24 dev lmax | jq -e '.[0].rlocs[0].addr == "10.0.0.2"' >/dev/null &&
		fails_with "map-cache full" lc 2 map replace 10.1.3.0/24 rloc 10.0.0.1 dev lmax &&
		lc 2 map del 10.1.1.0/24 dev lmax && lc 2 map add 10.1.3.0/24 rloc 10.0.0.1 dev lmax &&
		fails_with "map-cache full" lc 2 map add 10.1.4.0/24 rloc 10.0.0.1 dev lmax && [ "$(maps)" = 3 ]
}

test_map_max_lowered() {
	local f out
	# Lowering the limit below the count keeps the entries and blocks new ones only.
	lc 2 link set lmax mapmax 1 && [ "$(maps)" = 3 ] || return 1
	fails_with "map-cache full (1 entries" lc 2 map add 10.1.5.0/24 rloc 10.0.0.1 dev lmax &&
		lc 2 map replace 10.1.0.0/24 rloc 10.0.0.1 dev lmax || return 1
	# A batch stops at the entry that does not fit, and says what went in before it.
	lc 2 link set lmax mapmax 5 || return 1
	f=$(mktemp)
	printf 'map add 10.2.%d.0/24 rloc 10.0.0.1 dev lmax\n' 1 2 3 4 >"$f"
	out=$(lc 2 -batch "$f" 2>&1) && { rm -f "$f"; echo "# batch succeeded: $out"; return 1; }
	rm -f "$f"
	echo "# $out"
	grep -q "map-cache full (5 entries" <<<"$out" && grep -q "line 3" <<<"$out" &&
		grep -q "2 commands before line 3 applied" <<<"$out" && [ "$(maps)" = 5 ] &&
		lc 2 link set lmax mapmax 0 && lc 2 map add 10.1.6.0/24 rloc 10.0.0.1 dev lmax &&
		[ "$(maps)" = 6 ]
}

# Permissions. In the init namespace, a device made by root, changed by uid 65534.
nobody_fails() {	# nobody_fails ARGS...: lispctl ARGS as uid 65534 fails with EPERM
	fails_with "Operation not permitted" $NOBODY "$LISPCTL" "$@"
}

test_unprivileged_init_ns() {
	local before_map before_link
	ip link add lsec0 index 4243 type lisp && "$LISPCTL" link set lsec0 mapmax 10 &&
		"$LISPCTL" map add 10.3.0.0/24 rloc 10.0.0.1 dev lsec0 || return 1
	before_map=$("$LISPCTL" -j map show dev lsec0) before_link=$("$LISPCTL" -j link show lsec0)
	nobody_fails map add 10.3.1.0/24 rloc 10.0.0.1 dev lsec0 &&
		nobody_fails map replace 10.3.0.0/24 rloc 10.0.0.2 dev lsec0 &&
		nobody_fails map del 10.3.0.0/24 dev lsec0 &&
		nobody_fails map flush dev lsec0 &&
		nobody_fails link set lsec0 srccheck &&
		nobody_fails link set lsec0 mapmax 0 &&
		nobody_fails link add lsec1 &&
		nobody_fails link del lsec0 &&
		fails_with "Operation not permitted" $NOBODY ip link set lsec0 down || return 1
	# By interface index too (the probe prints the errno: EPERM is 1).
	$NOBODY python3 "$PROBE" map_flush:4243 | grep -q "^map_flush 4243 1 " &&
		[ "$("$LISPCTL" -j map show dev lsec0)" = "$before_map" ] &&
		[ "$("$LISPCTL" -j link show lsec0)" = "$before_link" ] &&
		! ip link show lsec1 >/dev/null 2>&1
}

test_unprivileged_reads() {
	# Reading needs no privilege, as `ip route` and `bridge fdb` do not.
	$NOBODY "$LISPCTL" -j map show dev lsec0 | jq -e 'length == 1' >/dev/null &&
		$NOBODY "$LISPCTL" -j stats dev lsec0 | jq -e '.[0].stats.rx_spoofed == 0' >/dev/null &&
		$NOBODY "$LISPCTL" -j link show lsec0 | jq -e '.[0].map_max == 10' >/dev/null
}

test_user_namespace() {
	local out
	[ -w /proc/sys/kernel/unprivileged_userns_clone ] &&
		echo 1 >/proc/sys/kernel/unprivileged_userns_clone
	# uid 65534 owns a user namespace with its own network namespace: root there, nowhere else.
	out=$($NOBODY unshare --user --map-root-user --net env LISPCTL="$LISPCTL" PROBE="$PROBE" \
		bash -c '
		set -e
		ip link add lu0 index 7 type lisp
		ip link set lu0 up
		"$LISPCTL" link set lu0 srccheck mapmax 2
		"$LISPCTL" map add 10.4.0.0/24 rloc 10.0.0.1 dev lu0
		"$LISPCTL" map add fd40::/64 rloc fd00::1 dev lu0
		"$LISPCTL" map add 10.4.1.0/24 rloc 10.0.0.1 dev lu0 2>&1 | sed "s/^/full: /" || true
		echo "count $("$LISPCTL" -j map show dev lu0 | jq length)"
		"$LISPCTL" map del 10.4.0.0/24 dev lu0
		echo "after del $("$LISPCTL" -j map show dev lu0 | jq -r ".[].eid")"
		"$LISPCTL" -j link show lu0 | jq -r "\"link \(.[0].src_check) \(.[0].map_max)\""
		"$LISPCTL" map show dev lsec0 2>&1 | sed "s/^/by name: /" || true
		ip link show lsec0 >/dev/null 2>&1 && echo "sees lsec0"
		python3 "$PROBE" dev_get:4243 map_flush:4243 map_get_dump:4243
		ip link del lu0
		echo done' 2>&1)
	echo "$out" | sed 's/^/# /'
	grep -qx "count 2" <<<"$out" && grep -q "^full: .*map-cache full (2 entries" <<<"$out" &&
		grep -qx "after del fd40::/64" <<<"$out" && grep -qx "link true 2" <<<"$out" &&
		grep -q "^by name: .*no device with this LISP_A_IFNAME" <<<"$out" &&
		! grep -q "sees lsec0" <<<"$out" &&
		grep -qx "dev_get 4243 19 no device with this LISP_A_IFINDEX" <<<"$out" &&
		grep -qx "map_flush 4243 19 no device with this LISP_A_IFINDEX" <<<"$out" &&
		grep -qx "map_get_dump 4243 19 no device with this LISP_A_IFINDEX" <<<"$out" &&
		grep -qx done <<<"$out" &&
		[ "$("$LISPCTL" -j map show dev lsec0 | jq length)" = 1 ]
}

test_other_netns_as_root() {
	local out
	# Root in namespace A: a device of namespace B, by name or index, does not exist.
	hv 2 ip link add lsec2 index 4244 type lisp && lc 2 map add 10.5.0.0/24 rloc 10.0.0.1 dev lsec2 ||
		return 1
	fails_with "no device with this LISP_A_IFNAME" ip netns exec "$NSA" "$LISPCTL" map flush dev lsec2 &&
		fails_with "no device with this LISP_A_IFNAME" \
			ip netns exec "$NSA" "$LISPCTL" map add 10.5.1.0/24 rloc 10.0.0.1 dev lsec2 || return 1
	out=$(ip netns exec "$NSA" python3 "$PROBE" dev_get:4244 map_flush:4244 map_get_dump:4244 \
		dev_get:4243 map_flush:4243)
	echo "$out" | sed 's/^/# /'
	[ "$(grep -c " 19 no device with this LISP_A_IFINDEX$" <<<"$out")" = 5 ] &&
		[ "$(lc 2 -j map show dev lsec2 | jq length)" = 1 ] &&
		[ "$("$LISPCTL" -j map show dev lsec0 | jq length)" = 1 ] &&
		[ -z "$(ip netns exec "$NSA" "$LISPCTL" -j link show | jq -r '.[].ifname')" ]
}

check "src-check and map-max off by default; off: any outer source accepted" test_off_by_default
check "src-check on: legitimate traffic passes (outer IPv4, inner IPv4 and IPv6)" test_legit_v4_underlay
check "src-check on: spoofed outer sources dropped and counted exactly" test_spoofed_dropped
check "src-check on: any RLOC listed for the inner source is accepted" test_own_site_accepted
check "src-check on: outer IPv6; an RLOC no longer listed is refused" test_legit_v6_underlay
check "src-check toggled at runtime" test_toggle
check "src-check refused on external devices, with a message" test_external_refused
check "map-max: fills to the limit, then ENOSPC with the kernel's message" test_map_max_fill
check "map-max: replace at the limit works, a deletion frees a slot" test_map_max_replace_delete
check "map-max: lowered below the count blocks new entries only; batch reports progress" \
	test_map_max_lowered
check "uid 65534 in the init netns: every change refused with EPERM, nothing changed" \
	test_unprivileged_init_ns
check "uid 65534 may read map-cache, counters and link settings" test_unprivileged_reads
check "user namespace: own lisp devices managed, init-netns devices invisible (ENODEV)" \
	test_user_namespace
check "root: a genl socket in one netns never reaches a device of another" test_other_netns_as_root

ktap_finished
