#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The control plane: lispd on three hypervisors against an independent mapping system, Open
# Overlay Router as Map-Server/Map-Resolver. Nobody types a map-cache entry: each lispd
# registers its VMs' EID prefixes (instance ID 7) and resolves what its lisp0 misses.
#
#   vm1 -tap0-[ hv1 ]-u1 --\                     /-- u3-[ hv3 ]-tap0- vm3
#   172.16.1.10  10.0.0.1    [ ul: br0 ]-------    10.0.0.3 fd00::3   172.16.3.10
#   2001:db8:1::10           |          \-- u2-[ hv2 ]-tap0- vm2      2001:db8:3::10
#                            |             10.0.0.2  -tap9- vm4 (172.16.9.10, moves to hv3)
#                 [ ms: OOR MS/MR 10.0.0.254 ]           hv4 10.0.0.4: a wrong key
#
# hv3's locators prefer its IPv6 underlay address (priority 1) to its IPv4 one (priority 2).
# OOR 1.3 verifies only HMAC-SHA-1-96 (key ID 1), so that is the key type used here; lispd's
# HMAC-SHA-256-128 is covered by the host tests.

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
: "${LISPD:?LISPD must point to the lispd binary}"

ktap_print_header
oor_available || { echo "SKIP: no $OOR_BIN (Debian package openoverlayrouter)"; exit "$KSFT_SKIP"; }
ktap_set_plan 15

KEY=lispd-selftest-key
# max-ttl of learned entries on hv1, seconds: refresh and expiry within the test. lispd refreshes
# an entry in use a tenth of its TTL (at least 3 s) before it runs out; on a slow kernel (factor
# 4 or 6) a refresh can take longer, so the TTL and the test's pings stretch with the factor.
TTL=$((10 * LISP_TIMEOUT_FACTOR))
lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns UL MS HV1 HV2 HV3 HV4 VM1 VM2 VM3 VM4 || ktap_exit_fail_msg "cannot create namespaces"
D=$(mktemp -d)
declare -A LISPD_PID=()
cleanup() {
	local i
	for i in "${!LISPD_PID[@]}"; do kill "${LISPD_PID[$i]}" 2>/dev/null; done
	oor_stop_all
	cleanup_all_ns
	[ "$VERBOSE" = 1 ] && tail -n 30 "$D"/hv*.log | sed 's/^/# /'
	rm -rf "$D"
}
trap cleanup EXIT

ul() { ip netns exec "$UL" "$@"; }
ms() { ip netns exec "$MS" "$@"; }
lc() { local i=$1; shift; hv "$i" "$LISPCTL" "$@"; }
status() { hv "$1" "$LISPD" status -s "$D/hv$1.sock" -j; }
st() { status "$1" 2>/dev/null | jq -r "$2"; }
# learned I PREFIX: hypervisor I's learned entry for PREFIX, as lispctl's JSON; fails if none.
learned() {
	lc "$1" -j map show dev lisp0 |
		jq -ce --arg p "$2" 'first(.[] | select(.origin == "lispd" and .eid == $p)) // false'
}
has_learned() { learned "$1" "$2" >/dev/null; }
not_learned() { ! has_learned "$@"; }
ping_ok() { vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }

# attach_vm VM HV TAP ADDR4/24 [ADDR6/64]: VM behind hypervisor HV's TAP, which routes for it.
attach_vm() {
	local v=$1 h=$2 tap=$3 a4=$4 a6=${5:-}
	ip link add eth0 netns "$(eval echo "\$VM$v")" type veth peer name "$tap" \
		netns "$(eval echo "\$HV$h")" || return 1
	vm "$v" ip addr add "$a4" dev eth0
	[ -n "$a6" ] && vm "$v" ip addr add "$a6" dev eth0 nodad
	vm "$v" ip link set eth0 up
	hv "$h" ip addr add "${a4%.*}.1/24" dev "$tap"
	[ -n "$a6" ] && hv "$h" ip addr add "${a6%::*}::1/64" dev "$tap" nodad
	hv "$h" ip link set "$tap" up
	vm "$v" ip route add default via "${a4%.*}.1"
	[ -n "$a6" ] && vm "$v" ip route add default via "${a6%::*}::1"
	# End hosts finish their own checksums: veth would pass them on unfinished.
	vm "$v" ethtool -K eth0 tx off >/dev/null 2>&1
	return 0
}

setup() {
	local i
	ul ip link add br0 type bridge && ul ip link set br0 up || return 1
	ip link add eth0 netns "$MS" type veth peer name ums netns "$UL" || return 1
	ms ip addr add 10.0.0.254/24 dev eth0 && ms ip addr add fd00::254/64 dev eth0 nodad &&
		ms ip link set eth0 up && ul ip link set ums master br0 up || return 1
	for i in 1 2 3 4; do
		ip link add u$i netns "$(eval echo "\$HV$i")" type veth peer name p$i netns "$UL" || return 1
		ul ip link set p$i master br0 up
		hv $i ip addr add 10.0.0.$i/24 dev u$i
		hv $i ip addr add fd00::$i/64 dev u$i nodad
		hv $i ip link set u$i up
		hv $i sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		lc $i link add lisp0 iid 7 || return 1
		hv $i ip link set lisp0 up
		hv $i ip route add 172.16.0.0/12 dev lisp0
		hv $i ip route add 2001:db8::/32 dev lisp0
	done
	for i in 1 2 3; do
		attach_vm $i $i tap0 172.16.$i.10/24 2001:db8:$i::10/64 || return 1
	done
	attach_vm 4 2 tap9 172.16.9.10/24
}

# hv_config I [MAPPING...] [-- EXTRA-TOML]: lispd's configuration for hypervisor I. A MAPPING is
# PREFIX (locator 10.0.0.I) or PREFIX@v6 (fd00::I preferred, 10.0.0.I second).
hv_config() {
	local i=$1 m key=$KEY
	shift
	[ "$i" = 4 ] && key=not-the-key
	cat <<-EOF
		status-socket = "$D/hv$i.sock"
		log-level = "info"
		[timers]
		register-interval = 20
		max-ttl = $([ "$i" = 1 ] && echo $TTL || echo 300)
		[[device]]
		name = "lisp0"
		instance-ids = [7]
		[[map-server]]
		address = "10.0.0.254"
		key = "$key"
		key-type = "hmac-sha-1-96"
		# OOR 1.3 takes TTL-0 records as registrations, not withdrawals.
		withdraw = false
		[[map-resolver]]
		address = "10.0.0.254"
	EOF
	for m in "$@"; do
		printf '[[database-mapping]]\niid = 7\neid-prefix = "%s"\nttl = 10\n' "${m%@v6}"
		if [ "${m%@v6}" != "$m" ]; then
			printf '[[database-mapping.rloc]]\naddress = "fd00::%s"\npriority = 1\n' "$i"
			printf '[[database-mapping.rloc]]\naddress = "10.0.0.%s"\npriority = 2\n' "$i"
		else
			printf '[[database-mapping.rloc]]\naddress = "10.0.0.%s"\n' "$i"
		fi
	done
}

status_up() { status "$1" >/dev/null 2>&1; }
lispd_start() {	# lispd_start I: start hypervisor I's lispd on $D/hvI.toml
	local i=$1
	[ "$VERBOSE" = 1 ] && echo "# + [hv$i] lispd -c $D/hv$i.toml -f" >&2
	# A simple command, not a function: $! is lispd's pid (ip netns exec execs it).
	ip netns exec "$(eval echo "\$HV$i")" "$LISPD" -c "$D/hv$i.toml" -f >>"$D/hv$i.log" 2>&1 &
	LISPD_PID[$i]=$!
	slowwait 20 status_up "$i" || { tail -n 5 "$D/hv$i.log" | sed 's/^/# /'; return 1; }
}
registered() { [ "$(st "$1" '.registrations[0].state')" = registered ]; }

setup || ktap_exit_fail_msg "cannot build the topology"

# 172.16.0.0/16 and 2001:db8::/32 are the sites' EID space; 172.17.0.0/16 is configured on the
# Map-Server but nobody registers it (negative replies).
oor_ms_config eth0 172.16.0.0/16,7,$KEY 2001:db8::/32,7,$KEY 172.17.0.0/16,7,$KEY >"$D/ms.conf"
hv_config 1 172.16.1.0/24 2001:db8:1::/64 >"$D/hv1.toml"
hv_config 2 172.16.2.0/24 2001:db8:2::/64 172.16.9.10/32 >"$D/hv2.toml"
hv_config 3 172.16.3.0/24@v6 2001:db8:3::/64@v6 >"$D/hv3.toml"
hv_config 4 172.16.4.0/24 >"$D/hv4.toml"

test_start() {
	local i
	oor_start "$MS" "$D/ms.conf" || return 1
	for i in 1 2 3 4; do
		hv "$i" "$LISPD" -c "$D/hv$i.toml" -t >/dev/null || return 1
		lispd_start "$i" || return 1
	done
}

test_registered() {
	local i
	for i in 1 2 3; do
		slowwait 20 registered "$i" || { status "$i" | sed 's/^/# /'; return 1; }
	done
	[ "$(st 1 '.registrations[0].map_notify')" -ge 1 ] &&
		grep -q 'registered 2 EID prefix' "$D/hv1.log"
}

test_first_packet() {
	local out seq
	# Pings every 100 ms: the first raises the miss and is dropped (hv1 resolves vm2, then hv2
	# resolves vm1 for the answer); the first answered one dates the delivery.
	out=$(vm 1 ping -n -i 0.1 -c 100 -w 15 172.16.2.10)
	seq=$(grep -m1 -o 'icmp_seq=[0-9]*' <<<"$out" | cut -d= -f2)
	[ -n "$seq" ] || return 1
	echo "# first packet to delivery: $(( (seq - 1) * 100 )) ms (first answered ping: $seq);" \
		"lispd miss to install: hv1 $(st 1 '.resolution.last_ms') ms, hv2 $(st 2 '.resolution.last_ms') ms"
	learned 1 172.16.2.0/24 | grep -q '"10.0.0.2"' &&
		[ "$(st 1 '.received.map_reply')" -ge 1 ] && [ "$(st 2 '.received.ecm_map_request')" -ge 1 ]
}

test_both_ways() {
	slowwait 20 ping_ok 2 172.16.1.10 && has_learned 2 172.16.1.0/24 &&
		slowwait 20 ping_ok 1 2001:db8:2::10 && slowwait 20 ping_ok 2 2001:db8:1::10 &&
		has_learned 1 2001:db8:2::/64 && has_learned 2 2001:db8:1::/64
}

test_v6_underlay() {
	local e
	slowwait 20 ping_ok 1 172.16.3.10 && slowwait 20 ping_ok 3 2001:db8:1::10 || return 1
	e=$(learned 1 172.16.3.0/24) || return 1
	# Both locators, the IPv6 one preferred.
	jq -e '[.rlocs[] | "\(.addr) \(.priority)"] | sort == ["10.0.0.3 2", "fd00::3 1"]' \
		<<<"$e" >/dev/null
}

test_tcp() {
	local bps
	vm 2 iperf3 -s -D -1 >/dev/null || return 1
	slowwait 10 server_up 2 || return 1
	bps=$(vm 1 iperf3 -c 172.16.2.10 -t 2 -J | jq -r '.end.sum_received.bits_per_second')
	echo "# TCP vm1 -> vm2 through learned mappings: $((${bps%.*} / 1000)) kbit/s"
	[ "${bps%.*}" -gt "$TCP_MIN_BPS" ]
}

test_negative() {
	local e
	ping_ok 1 172.17.0.1
	slowwait 10 has_learned 1 172.17.0.1/32 || return 1
	e=$(learned 1 172.17.0.1/32) || return 1
	echo "# negative entry: $e"
	jq -e '.action == "forward" and (.rlocs // [] | length) == 0' <<<"$e" >/dev/null &&
		[ "$(st 1 '.events.installed_negative // 0')" -ge 1 ]
}

test_refresh() {
	local n0 loss
	n0=$(st 1 '.events.refresh // 0')
	# 1.5 TTLs of pings: refreshed while in use, nothing lost.
	local n=$((TTL * 5))
	loss=$(vm 1 ping -c $n -i 0.3 -W 1 172.16.2.10 | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
	echo "# refresh: ${loss}% loss over $((n * 3 / 10)) s, refreshes $n0 -> $(st 1 '.events.refresh // 0')"
	[ "$loss" = 0 ] && [ "$(st 1 '.events.refresh // 0')" -gt "$n0" ]
}

test_expiry() {
	local n0
	n0=$(st 1 '.resolution.count')
	# Unused, the entry runs out and is not refreshed; the next packet resolves it again.
	slowwait $((TTL + 10)) not_learned 1 172.16.2.0/24 || return 1
	slowwait 20 ping_ok 1 172.16.2.10 && has_learned 1 172.16.2.0/24 &&
		[ "$(st 1 '.resolution.count')" -gt "$n0" ] && [ "$(st 1 '.events.expire_unused // 0')" -ge 1 ]
}

rloc_of() { learned "$1" "$2" | jq -r 'if . then .rlocs[0].addr else empty end'; }
rloc_is() { [ "$(rloc_of "$1" "$2")" = "$3" ]; }
moved() { ping_ok 1 172.16.9.10; rloc_is 1 172.16.9.10/32 10.0.0.3; }
records_are() { [ "$(st "$1" '.registrations[0].records')" = "$2" ]; }
state_is() { [ "$(st "$1" '.registrations[0].state')" = "$2" ]; }
test_move() {
	slowwait 20 ping_ok 1 172.16.9.10 && [ "$(rloc_of 1 172.16.9.10/32)" = 10.0.0.2 ] || return 1
	# vm4 moves to hv3: its port there, its prefix in hv3's mappings and no longer in hv2's.
	ip -n "$HV2" link del tap9
	attach_vm 4 3 tap9 172.16.9.10/24 || return 1
	hv_config 3 172.16.3.0/24@v6 2001:db8:3::/64@v6 172.16.9.10/32 >"$D/hv3.toml"
	kill -HUP "${LISPD_PID[3]}"
	slowwait 20 records_are 3 3 && slowwait 20 registered 3 || return 1
	hv_config 2 172.16.2.0/24 2001:db8:2::/64 >"$D/hv2.toml"
	kill -HUP "${LISPD_PID[2]}"
	# hv2 solicits hv1, which resolves again and finds hv3.
	# (Pings keep going meanwhile: should the SMR's resolution race a Map-Register of hv2's
	# still in flight, the entry's expiry and a later resolution find hv3 all the same.)
	if ! slowwait 40 moved; then
		grep -h '172.16.9.10' "$D/hv1.log" "$(oor_log "$MS")" | tail -n 20 | sed 's/^/# /'
		return 1
	fi
	echo "# moved: SMRs sent by hv2 $(st 2 '.sent.smr // 0'), received by hv1 $(st 1 '.received.smr // 0')"
	slowwait 10 ping_ok 1 172.16.9.10 && [ "$(st 1 '.received.smr // 0')" -ge 1 ]
}

test_wrong_key() {
	# hv4's key is wrong: the Map-Server refuses it, and lispd says so.
	slowwait 30 state_is 4 failed || return 1
	grep -q 'no Map-Notify after .* Map-Registers' "$D/hv4.log" &&
		grep -q 'Message validation failed' "$(oor_log "$MS")" &&
		hv 4 "$LISPD" status -s "$D/hv4.sock" | grep -q 'hmac-sha-1-96: failed'
}

test_fuzz() {
	local before after n=12000 s0 s1
	before=$(lc 1 -j map show dev lisp0 | jq -c '[.[] | .eid] | sort')
	s0=$(status 1)
	# From the Map-Server's address, so that bad Map-Notify authentication is exercised too.
	ms python3 "$(dirname "$0")/lispd_fuzz.py" 10.0.0.1 4342 "$n" 1 || return 1
	slowwait 10 status_up 1 || return 1
	s1=$(status 1)
	after=$(lc 1 -j map show dev lisp0 | jq -c '[.[] | .eid] | sort')
	local d m bn ba
	d=$(( $(jq '.events.datagrams' <<<"$s1") - $(jq '.events.datagrams' <<<"$s0") ))
	m=$(( $(jq '.events.malformed // 0' <<<"$s1") - $(jq '.events.malformed // 0' <<<"$s0") ))
	bn=$(( $(jq '.dropped.bad_nonce // 0' <<<"$s1") - $(jq '.dropped.bad_nonce // 0' <<<"$s0") ))
	ba=$(( $(jq '.dropped.bad_auth // 0' <<<"$s1") - $(jq '.dropped.bad_auth // 0' <<<"$s0") ))
	echo "# fuzz: $n sent, $d received, $m malformed, $bn bad nonce, $ba bad authentication;" \
		"drops $(jq -c .dropped <<<"$s1")"
	# Entries may only have run out meanwhile, none may have come in.
	[ "$d" -ge "$n" ] && [ "$d" -le $((n + 20)) ] && [ "$m" -ge $((n / 2)) ] &&
		[ "$bn" -ge 1000 ] && [ "$ba" -ge 1000 ] &&
		jq -e --argjson a "$after" '. as $b | $a - $b == []' <<<"$before" >/dev/null
}

test_secrets() {
	! grep -q -e "$KEY" -e not-the-key "$D"/hv*.log &&
		! status 1 | grep -q "$KEY" && ! hv 1 "$LISPD" status -s "$D/hv1.sock" | grep -q "$KEY"
}

test_bad_config() {
	printf '[[map-server]]\naddress = "10.0.0"\nkey = "k"\n' >"$D/bad.toml"
	fails_with 'invalid address "10.0.0"' "$LISPD" -c "$D/bad.toml" -t &&
		fails_with 'no lisp device' hv 1 "$LISPD" -c <(hv_config 1 172.16.1.0/24 | sed 's/"lisp0"/"nolisp9"/') -f
}

test_exit() {
	local rc
	kill -TERM "${LISPD_PID[1]}"
	wait "${LISPD_PID[1]}"; rc=$?
	unset "LISPD_PID[1]"
	[ "$rc" = 0 ] &&
		[ "$(lc 1 -j map show dev lisp0 | jq '[.[] | select(.origin == "lispd")] | length')" = 0 ] &&
		grep -q 'exiting: removing learned entries' "$D/hv1.log"
}

check "OOR Map-Server and four lispd started" test_start
check "registrations confirmed by Map-Notify" test_registered
check "first packet to an unknown VM: miss, resolution, delivery" test_first_packet
check "both ways, IPv4 and IPv6 EIDs" test_both_ways
check "IPv6 underlay: hv3's preferred IPv6 locator learned" test_v6_underlay
check "TCP through learned mappings" test_tcp
check "negative Map-Reply installs a negative entry" test_negative
check "an entry in use is refreshed before its TTL runs out" test_refresh
check "an unused entry expires and is resolved again" test_expiry
check "a moved VM is followed after SMR" test_move
check "wrong key: refused by the Map-Server, reported by lispd" test_wrong_key
check "12000 malformed control messages: counted, map-cache unchanged" test_fuzz
check "keys appear in no log and no status" test_secrets
check "bad configuration and missing device are refused" test_bad_config
check "SIGTERM: exit 0, learned entries removed" test_exit

ktap_finished
