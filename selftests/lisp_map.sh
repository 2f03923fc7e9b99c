#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The map-cache through lispctl: add/get/show/del/flush for IPv4 and IPv6, longest match and
# RLOC selection, instance IDs, replace/exclusive, TTL expiry, events, counters, entry origin
# and use, the errors users get, and privileges.
#
#   [ ns0: lisp0 lisp1 dummy0 ]     (lisp0 also up with 10.3.0.1/24, for cache misses)

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"

ktap_print_header
ktap_set_plan 19

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"
trap cleanup_all_ns EXIT
ip -n "$NS0" link add lisp0 type lisp
ip -n "$NS0" link add lisp1 type lisp
ip -n "$NS0" link add dummy0 type dummy

lc() { run ip netns exec "$NS0" "$LISPCTL" "$@"; }
count() { lc -j map show "$@" | jq length; }

test_v4_round_trip() {
	lc map add 10.1.0.0/16 rloc 192.0.2.1 priority 1 weight 60 rloc 192.0.2.2 weight 40 \
		ttl 300 dev lisp0 || return 1
	local j
	j=$(lc -j map get 10.1.0.0/16 dev lisp0) || return 1
	[ "$(jq -r '.[0].eid' <<<"$j")" = 10.1.0.0/16 ] &&
		[ "$(jq -r '.[0].rlocs | map(.addr) | join(",")' <<<"$j")" = 192.0.2.1,192.0.2.2 ] &&
		[ "$(jq -r '.[0].rlocs | map(.weight) | join(",")' <<<"$j")" = 60,40 ] &&
		[ "$(jq -r '.[0].ttl' <<<"$j")" = 300 ] &&
		[ "$(jq -r '.[0].expires <= 300 and .[0].expires > 250' <<<"$j")" = true ]
}

test_v6_round_trip() {
	lc map add 2001:db8:1::/48 rloc 2001:db8::1 rloc 198.51.100.7 priority 2 dev lisp0 || return 1
	local j
	j=$(lc -j map get 2001:db8:1::/48 dev lisp0) || return 1
	[ "$(jq -r '.[0].eid' <<<"$j")" = 2001:db8:1::/48 ] &&
		[ "$(jq -r '.[0].rlocs | map("\(.addr)/\(.priority)") | join(",")' <<<"$j")" = \
			"2001:db8::1/1,198.51.100.7/2" ]
}

test_longest_match() {
	lc map add 10.1.2.0/24 rloc 192.0.2.9 dev lisp0 &&
		[ "$(lc -j map get 10.1.2.3 dev lisp0 | jq -r '.[0].eid')" = 10.1.2.0/24 ] &&
		[ "$(lc -j map get 10.1.9.9 dev lisp0 | jq -r '.[0].eid')" = 10.1.0.0/16 ] &&
		[ "$(lc -j map get 2001:db8:1:ffff::1 dev lisp0 | jq -r '.[0].eid')" = 2001:db8:1::/48 ] &&
		fails_with "no map-cache entry matches" lc map get 10.9.9.9 dev lisp0
}

test_selection() {
	local h sel seen=""
	# Priority first: the IPv6 RLOC (priority 1) wins over the priority-2 one for every hash.
	for h in 0 1 77 4294967295; do
		sel=$(lc -j map get 2001:db8:1::5 hash $h dev lisp0 | jq -r '.[0].selected_rloc')
		[ "$sel" = 0 ] || return 1
	done
	# Same priority: weights 60/40 spread the hashes over both, deterministically.
	for h in 0 1000000000 2000000000 3000000000 4000000000; do
		sel=$(lc -j map get 10.1.9.9 hash $h dev lisp0 | jq -r '.[0].selected_rloc')
		[ "$sel" = "$(lc -j map get 10.1.9.9 hash $h dev lisp0 | jq -r '.[0].selected_rloc')" ] ||
			return 1
		seen="$seen$sel"
	done
	[[ $seen == *0* && $seen == *1* ]]
}

test_exclusive_replace() {
	fails_with "entry exists" lc map add 10.1.0.0/16 rloc 192.0.2.3 dev lisp0 &&
		lc map replace 10.1.0.0/16 rloc 192.0.2.3 dev lisp0 &&
		[ "$(lc -j map get 10.1.0.0/16 dev lisp0 | jq -r '.[0].rlocs[0].addr')" = 192.0.2.3 ] &&
		lc map replace 10.77.0.0/16 rloc 192.0.2.3 dev lisp0 &&
		lc map del 10.77.0.0/16 dev lisp0
}

test_instance_ids() {
	lc map add 10.1.0.0/16 iid 1 rloc 203.0.113.1 dev lisp0 &&
		lc map add 10.1.0.0/16 iid 2 rloc 203.0.113.2 dev lisp0 &&
		[ "$(lc -j map get 10.1.5.5 iid 1 dev lisp0 | jq -r '.[0].rlocs[0].addr')" = 203.0.113.1 ] &&
		[ "$(lc -j map get 10.1.5.5 iid 2 dev lisp0 | jq -r '.[0].rlocs[0].addr')" = 203.0.113.2 ] &&
		[ "$(count iid 2 dev lisp0)" = 1 ] &&
		fails_with "no map-cache entry matches" lc map get 10.1.5.5 iid 3 dev lisp0
}

test_show_per_device() {
	lc map add 172.16.0.0/12 rloc 192.0.2.1 dev lisp1 &&
		[ "$(count dev lisp1)" = 1 ] && [ "$(count dev lisp0)" = 5 ] &&
		lc map show dev lisp0 | grep -q '^10.1.2.0/24 iid 0 dev lisp0'
}

test_del() {
	lc map del 10.1.2.0/24 dev lisp0 &&
		fails_with "no such map-cache entry" lc map del 10.1.2.0/24 dev lisp0 &&
		[ "$(lc -j map get 10.1.2.3 dev lisp0 | jq -r '.[0].eid')" = 10.1.0.0/16 ]
}

test_flush() {
	lc map flush iid 1 dev lisp0 && [ "$(count iid 1 dev lisp0)" = 0 ] &&
		[ "$(count iid 2 dev lisp0)" = 1 ] &&
		lc map flush dev lisp0 && [ "$(count dev lisp0)" = 0 ] && [ "$(count dev lisp1)" = 1 ]
}

test_ttl_expiry() {
	# The entry with a TTL goes last and lives 5 s (times the slow-kernel factor): under TCG a
	# lispctl call takes a second or more, on KASAN several, and the entry must still be there
	# when it is counted.
	local ttl=$((5 * LISP_TIMEOUT_FACTOR))
	lc map add 10.51.0.0/16 rloc 192.0.2.1 dev lisp0 &&
		lc map add 10.50.0.0/16 rloc 192.0.2.1 ttl $ttl dev lisp0 &&
		[ "$(count dev lisp0)" = 2 ] || return 1
	# The sweep runs every second; the entry must be gone within a few.
	slowwait 15 bash -c "[ \"\$(ip netns exec $NS0 $LISPCTL -j map show dev lisp0 | jq length)\" = 1 ]" &&
		fails_with "no map-cache entry matches" lc map get 10.50.1.1 dev lisp0
}

test_events() {
	local log=$(mktemp)
	ip netns exec "$NS0" "$LISPCTL" -j monitor >"$log" &
	local pid=$!
	# The monitor is subscribed once it has printed nothing and is sleeping in recv; give it
	# the time to start, then check that events arrive.
	slowwait 10 bash -c "ip netns exec $NS0 $LISPCTL map replace 10.60.0.0/16 rloc 192.0.2.1 dev lisp0 && grep -q map_add $log"
	lc map del 10.60.0.0/16 dev lisp0
	ip -n "$NS0" link set lisp0 up
	ip -n "$NS0" addr add 10.3.0.1/24 dev lisp0
	ip -n "$NS0" neigh add 10.3.0.9 lladdr 02:00:00:00:00:09 dev lisp0
	# Link-local and multicast destinations are never mapped: dropped without an event (sent
	# first, so that its event, if any, would come before the next one's).
	ip -n "$NS0" route add 169.254.0.0/16 dev lisp0
	ip netns exec "$NS0" ping -c 1 -W 1 169.254.1.1 >/dev/null
	ip netns exec "$NS0" ping -c 1 -W 1 10.3.0.9 >/dev/null
	slowwait 5 grep -q '"miss"' "$log"
	kill "$pid"; wait "$pid" 2>/dev/null
	sed 's/^/# event: /' "$log" | head -n 5
	grep -q '"event":"map_del".*10.60.0.0/16' "$log" &&
		grep -q '"event":"miss".*10.3.0.9' "$log" && ! grep -q '169.254' "$log"
	local rc=$?
	rm -f "$log"
	return $rc
}

test_counters() {
	local j
	lc map add 10.3.0.0/24 action drop dev lisp0 || return 1
	ip netns exec "$NS0" ping -c 3 -i 0.2 -W 1 10.3.0.9 >/dev/null
	lc map del 10.3.0.0/24 dev lisp0
	ip netns exec "$NS0" ping -c 2 -i 0.2 -W 1 10.3.0.9 >/dev/null
	j=$(lc -j stats dev lisp0) || return 1
	[ "$(jq -r '.[0].stats.tx_negative' <<<"$j")" = 3 ] &&
		[ "$(jq -r '.[0].stats.tx_no_mapping' <<<"$j")" -ge 3 ] &&
		[ "$(jq -r '.[0].stats.miss_notify' <<<"$j")" -ge 1 ]
}

test_origin() {
	local j log pid
	log=$(mktemp)
	ip netns exec "$NS0" "$LISPCTL" -j monitor >"$log" &
	pid=$!
	slowwait 5 bash -c "ip netns exec $NS0 $LISPCTL map replace 10.4.9.0/24 rloc 192.0.2.9 \
		dev lisp0 && grep -q 10.4.9.0 $log"
	lc map add 10.4.0.0/24 iid 7 rloc 192.0.2.1 ttl 60 proto lispd dev lisp0 &&
		lc map add 10.4.1.0/24 iid 7 rloc 192.0.2.1 proto static dev lisp0 &&
		lc map add 10.4.2.0/24 iid 7 action drop dev lisp0 || return 1
	slowwait 5 grep -q '10.4.2.0' "$log"
	kill "$pid"; wait "$pid" 2>/dev/null
	j=$(lc -j map show iid 7 dev lisp0) || return 1
	echo "# $(lc map show iid 7 dev lisp0 | grep -m1 10.4.0.0)"
	[ "$(jq -r 'map("\(.eid)=\(.origin)") | join(",")' <<<"$j")" = \
		10.4.0.0/24=lispd,10.4.1.0/24=static,10.4.2.0/24=static ] &&
		[ "$(lc -j map get 10.4.0.0/24 iid 7 dev lisp0 | jq -r '.[0].origin')" = lispd ] &&
		lc map show iid 7 dev lisp0 | grep -q '^10.4.0.0/24 iid 7 dev lisp0 proto lispd ttl 60' &&
		! lc map show iid 7 dev lisp0 | grep '^10.4.1.0/24' | grep -q proto &&
		grep -q '"event":"map_add".*"eid":"10.4.0.0/24","origin":"lispd"' "$log" &&
		lc map flush iid 7 dev lisp0 && lc map del 10.4.9.0/24 dev lisp0
	local rc=$?
	rm -f "$log"
	return $rc
}

test_bad_origin() {
	# lispctl takes numbers as ip route does; the kernel's policy refuses what it does not know.
	fails_with "out of range" lc map add 10.4.3.0/24 rloc 192.0.2.1 proto 2 dev lisp0 &&
		fails_with "out of range" lc map replace 10.4.3.0/24 rloc 192.0.2.1 proto 255 dev lisp0 &&
		fails_with 'invalid proto "kernel"' lc map add 10.4.3.0/24 rloc 192.0.2.1 proto kernel dev lisp0 &&
		fails_with "no map-cache entry matches" lc map get 10.4.3.1 dev lisp0
}

used() { lc -j map get 10.3.0.0/25 dev lisp0 | jq -r '.[0].used'; }

test_used() {
	# 10.3.0.9 is reached through lisp0 (set up by test_events); the RLOC need not answer.
	lc map add 10.3.0.0/25 rloc 192.0.2.1 ttl 60 proto lispd dev lisp0 || return 1
	[ "$(used)" = false ] || return 1
	ip netns exec "$NS0" ping -c 1 -W 1 10.3.0.9 >/dev/null
	echo "# $(lc map show dev lisp0 | grep -m1 10.3.0.0/25)"
	[ "$(used)" = true ] || return 1
	lc map show dev lisp0 | grep -q '^10.3.0.0/25 .*proto lispd .* used$' || return 1
	# A replacement is a new entry: unused until the next packet. A negative entry counts too.
	lc map replace 10.3.0.0/25 rloc 192.0.2.2 ttl 60 proto lispd dev lisp0 &&
		[ "$(used)" = false ] &&
		lc map replace 10.3.0.0/25 action drop proto lispd dev lisp0 &&
		[ "$(used)" = false ] &&
		{ ip netns exec "$NS0" ping -c 1 -W 1 10.3.0.9 >/dev/null; true; } &&
		[ "$(used)" = true ] &&
		lc map del 10.3.0.0/25 dev lisp0
}

test_client_errors() {
	fails_with 'invalid EID prefix "10.0.0.0/33"' lc map add 10.0.0.0/33 rloc 192.0.2.1 dev lisp0 &&
		fails_with "needs at least one rloc or an action" lc map add 10.0.0.0/8 dev lisp0 &&
		fails_with 'weight' lc map add 10.0.0.0/8 rloc 192.0.2.1 weight 101 dev lisp0 &&
		fails_with "no device with this LISP_A_IFNAME" lc map add 10.0.0.0/8 rloc 192.0.2.1 dev nosuch0 &&
		fails_with "the device is not a lisp device" lc map add 10.0.0.0/8 rloc 192.0.2.1 dev dummy0 &&
		fails_with 'unknown keyword "frobnicate"' lc map add 10.0.0.0/8 frobnicate dev lisp0
}

test_unprivileged_userns() {
	# A user namespace that does not own the device's netns cannot change it, nor flush it ...
	fails_with "Operation not permitted" \
		ip netns exec "$NS0" unshare -Ur "$LISPCTL" map add 10.7.0.0/16 rloc 192.0.2.1 dev lisp0 &&
		fails_with "Operation not permitted" ip netns exec "$NS0" unshare -Ur "$LISPCTL" map flush dev lisp1 &&
		[ "$(count dev lisp1)" = 1 ] &&
		# ... while reading is allowed, and root of a new user+net namespace owns its devices.
		ip netns exec "$NS0" unshare -Ur "$LISPCTL" map show dev lisp1 >/dev/null &&
		unshare -Urn sh -c "ip link add lisp9 type lisp &&
			$LISPCTL map add 10.8.0.0/16 rloc 192.0.2.1 dev lisp9 &&
			$LISPCTL -j map show dev lisp9 | grep -q 10.8.0.0/16"
}

test_batch_error_line() {
	local f=$(mktemp)
	printf '%s\n' "# three entries, the second one exists" \
		"map add 10.90.0.0/16 rloc 192.0.2.1 dev lisp0" \
		"map add 10.90.0.0/16 rloc 192.0.2.2 dev lisp0" \
		"map add 10.91.0.0/16 rloc 192.0.2.1 dev lisp0" >"$f"
	fails_with "line 3" lc -batch "$f"
	local rc=$?
	rm -f "$f"
	[ $rc = 0 ] && [ "$(count dev lisp0 | tr -d ' ')" -ge 1 ] &&
		lc -j map get 10.90.0.0/16 dev lisp0 >/dev/null &&
		fails_with "no map-cache entry matches" lc map get 10.91.0.1 dev lisp0
}

check "lispctl IPv4 entry: add, get (2 RLOCs, weights, ttl)" test_v4_round_trip
check "lispctl IPv6 entry: add, get (mixed-family RLOCs)" test_v6_round_trip
check "longest-prefix match, IPv4 and IPv6" test_longest_match
check "RLOC selection: priority, weight, deterministic per hash" test_selection
check "add is exclusive; replace replaces or creates" test_exclusive_replace
check "instance IDs keep the same prefix apart" test_instance_ids
check "map show per device" test_show_per_device
check "del, and del of a missing entry" test_del
check "flush per instance ID, then all" test_flush
check "TTL expiry" test_ttl_expiry
check "events: map_add, map_del, miss (none for link-local)" test_events
check "counters: tx_negative, tx_no_mapping, miss_notify" test_counters
check "origin: proto lispd/static through add, get, dump, text, JSON, events" test_origin
check "origin: values the kernel does not know are refused with a message" test_bad_origin
check "used: false when added, true after a packet, false again after replace" test_used
check "client-side errors name the bad token" test_client_errors
check "unprivileged user namespace cannot change the device" test_unprivileged_userns
check "batch: the failing line is named, earlier lines applied" test_batch_error_line
check "device deletion frees its map-cache" bash -c "ip -n $NS0 link del lisp1 && ip -n $NS0 link del lisp0"

ktap_finished
