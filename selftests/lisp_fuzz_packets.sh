#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packet fuzzing: seeded, mutated LISP data packets sent from an AF_PACKET socket at a live
# lisp0, over an IPv4 and then an IPv6 underlay, while real traffic (ping, IPv4 and IPv6 inner)
# flows through the same lisp0. Mutations (selftests/lisp_fuzz.py): bit flips in the outer IP,
# UDP, LISP and inner headers, truncations, oversize packets and outer length lies, UDP length
# lies, zero and wrong UDP checksums, inner version/IHL/length lies, unserved instance IDs,
# IPv4 options and IPv6 extension headers (valid and malformed), fragments of the outer packet.
#
# Afterwards every datagram must be accounted for, exactly: lisp0's rx_* counters (delivered +
# each drop reason) plus the receiver's own drop counters of the outer family (/proc/net/snmp,
# snmp6: header, address, truncation, reassembly, UDP errors and closed ports) plus veth drops
# equal what was sent plus the real traffic's echo requests. Every echo request of the real
# traffic must reach the receiver (its InEchos counters), and at most the last reply may miss.
#
#   sender: u1 10.0.0.1 fd00::1 ==== u2 10.0.0.2 fd00::2 :receiver
#   lisp0, EIDs 172.16.1.1 fd01::1     lisp0, EIDs 172.16.2.1 fd02::1 (on lo)
#
# Knobs: LISP_FUZZ_PACKETS (datagrams per underlay family, default 50000: 1e5 in all),
# LISP_FUZZ_SEED (default 1), LISP_FUZZ_BUDGET (seconds of sending per family, default 100: on
# a machine too slow for the count, the run stops there, accounts for what it sent, and reports
# the count test as skipped; 0: no limit).

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
N=${LISP_FUZZ_PACKETS:-50000}
SEED=${LISP_FUZZ_SEED:-1}
BUDGET=${LISP_FUZZ_BUDGET:-100}
FUZZ=$(cd "$(dirname "$0")" && pwd)/lisp_fuzz.py

ktap_print_header
ktap_set_plan 6

command -v ping >/dev/null || ktap_exit_fail_msg "ping is needed for the real traffic"
lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns SND RCV || ktap_exit_fail_msg "cannot create namespaces"
T=$(mktemp -d)
trap 'stop_pings; rm -rf "$T"; cleanup_all_ns' EXIT

snd() { ip netns exec "$SND" "$@"; }
rcv() { ip netns exec "$RCV" "$@"; }

setup() {
	ip link add u1 netns "$SND" mtu 9000 type veth peer name u2 netns "$RCV" mtu 9000 || return 1
	snd ip addr add 10.0.0.1/24 dev u1 && snd ip addr add fd00::1/64 dev u1 nodad &&
		rcv ip addr add 10.0.0.2/24 dev u2 && rcv ip addr add fd00::2/64 dev u2 nodad &&
		snd ip link set u1 up && rcv ip link set u2 up || return 1
	local ns i j
	for i in 1 2; do
		j=$((3 - i))
		ns=$SND; [ $i = 2 ] && ns=$RCV
		ip -n "$ns" addr add 172.16.$i.1/32 dev lo && ip -n "$ns" addr add fd0$i::1/128 dev lo &&
			ip -n "$ns" link set lo up &&
			ip -n "$ns" link add lisp0 type lisp && ip -n "$ns" link set lisp0 up &&
			ip -n "$ns" route add 172.16.$j.0/24 dev lisp0 &&
			ip -n "$ns" route add fd0$j::/64 dev lisp0 &&
			ip netns exec "$ns" "$LISPCTL" map add 172.16.$j.0/24 rloc 10.0.0.$j dev lisp0 &&
			ip netns exec "$ns" "$LISPCTL" map add fd0$j::/64 rloc fd00::$j dev lisp0 || return 1
	done
	# A fragment that a mutation left alone expires within the run, counted in ReasmFails.
	rcv sysctl -qw net.ipv4.ipfrag_time=1 net.ipv6.ip6frag_time=1 || return 1
	# Neighbours resolved up front: the fuzzer's frames carry u2's MAC, the replies need u1's.
	snd ping -c 1 -W 5 10.0.0.2 >/dev/null && snd ping -c 1 -W 5 fd00::2 >/dev/null &&
		snd ping -c 1 -W 5 -I 172.16.1.1 172.16.2.1 >/dev/null &&
		snd ping -c 1 -W 5 -I fd01::1 fd02::1 >/dev/null
}
setup || ktap_exit_fail_msg "cannot build the topology"

# The counters of one moment: the receiver's SNMP counters, lisp0's, veth drops.
snap() {
	{
		rcv cat /proc/net/snmp /proc/net/netstat | awk '{
			if (seen[$1]) { for (i = 2; i <= NF; i++) print substr($1, 1, length($1) - 1) "." h[$1, i] "=" $i }
			else { seen[$1] = 1; for (i = 2; i <= NF; i++) h[$1, i] = $i } }'
		rcv awk 'NF == 2 { print $1 "=" $2 }' /proc/net/snmp6
		rcv "$LISPCTL" -j stats dev lisp0 | jq -r '.[0].stats | to_entries[] | "lisp.\(.key)=\(.value)"'
		echo "lisp0.rx_dropped=$(ip -n "$RCV" -s -j link show dev lisp0 | jq '.[0].stats64.rx.dropped')"
		echo "veth.u2_rx_dropped=$(ip -n "$RCV" -s -j link show dev u2 | jq '.[0].stats64.rx.dropped')"
		echo "veth.u1_tx_dropped=$(ip -n "$SND" -s -j link show dev u1 | jq '.[0].stats64.tx.dropped')"
	} >"$1"
}

# The real traffic: IPv4 and IPv6 pings through the tunnel, 20 a second each, until stopped.
# (ip netns exec execs ping: $! is ping's pid, which takes SIGINT to print its summary.)
PING_PIDS=()
start_pings() {
	ip netns exec "$SND" ping -i 0.05 -I 172.16.1.1 172.16.2.1 >"$T/ping4" 2>&1 &
	PING_PIDS=($!)
	ip netns exec "$SND" ping -i 0.05 -I fd01::1 fd02::1 >"$T/ping6" 2>&1 &
	PING_PIDS+=($!)
}
stop_pings() {
	local p
	for p in "${PING_PIDS[@]}"; do
		kill -INT "$p" 2>/dev/null
		busywait 10000 bash -c "! kill -0 $p 2>/dev/null" >/dev/null || kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PING_PIDS=()
}
# ping_count FILE transmitted|received
ping_count() {
	sed -n "s/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p" "$1" |
		awk -v w="$2" '{ print (w == "transmitted") ? $1 : $2 }'
}

declare -A ECHOS=()
# fuzz FAMILY: one run over the outer FAMILY, the counters around it.
fuzz() {
	local fam=$1 src dst isrc idst mac t0
	if [ "$fam" = 4 ]; then
		src=10.0.0.1 dst=10.0.0.2 isrc=fd01::1 idst=fd02::1
	else
		src=fd00::1 dst=fd00::2 isrc=172.16.1.1 idst=172.16.2.1
	fi
	mac=$(ip -n "$RCV" -j link show dev u2 | jq -r '.[0].address')
	snap "$T/before$fam"
	start_pings
	t0=$SECONDS
	snd python3 "$FUZZ" packets --family "$fam" --count "$N" --seed "$SEED" --ifname u1 \
		--src-mac "$(ip -n "$SND" -j link show dev u1 | jq -r '.[0].address')" --dst-mac "$mac" \
		--src $src --dst $dst --inner-src $isrc --inner-dst $idst --budget "$BUDGET" \
		--report "$T/report$fam" \
		>/dev/null || { stop_pings; return 1; }
	stop_pings
	# Quiet: the last packets leave the GRO cells and backlogs, lone fragments expire.
	sleep 2
	snap "$T/after$fam"
	echo "# outer IPv$fam: fuzzed for $((SECONDS - t0)) s"
	for p in 4 6; do
		ECHOS[$fam.$p]=$(ping_count "$T/ping$p" transmitted)/$(ping_count "$T/ping$p" received)
	done
}

# Every datagram counted once.
test_accounting() {
	python3 "$FUZZ" account --before "$T/before$1" --after "$T/after$1" --report "$T/report$1"
}

# Each echo request of the real traffic reached the receiver's stack; at most the last reply
# (in flight when ping was stopped) is missing.
test_real_traffic() {
	local fam=$1 p tx rx got k rc=0
	for p in 4 6; do
		IFS=/ read -r tx rx <<<"${ECHOS[$fam.$p]}"
		k=Icmp.InEchos; [ $p = 6 ] && k=Icmp6InEchos
		got=$(($(awk -F= -v k=$k '$1 == k { print $2 }' "$T/after$fam") -
			$(awk -F= -v k=$k '$1 == k { print $2 }' "$T/before$fam")))
		echo "# real traffic, inner IPv$p: $tx requests sent, $got received, $rx replies"
		[ -n "$tx" ] && [ "$tx" -ge 10 ] && [ "$got" = "$tx" ] && [ "$rx" -ge $((tx - 1)) ] || rc=1
	done
	return $rc
}

for fam in 4 6; do
	if fuzz $fam; then
		sent=$(jq .datagrams "$T/report$fam")
		if [ "$sent" -ge "$N" ]; then
			ktap_test_pass "outer IPv$fam: $N mutated datagrams sent"
		else
			ktap_test_skip "outer IPv$fam: $N mutated datagrams sent (only $sent within $BUDGET s)"
		fi
		check "outer IPv$fam: every datagram accounted for" test_accounting $fam
		check "outer IPv$fam: real traffic kept flowing" test_real_traffic $fam
	else
		ktap_test_fail "outer IPv$fam: $N mutated datagrams sent"
		ktap_test_skip "outer IPv$fam: every datagram accounted for"
		ktap_test_skip "outer IPv$fam: real traffic kept flowing"
	fi
done

ktap_finished
