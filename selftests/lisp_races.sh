#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Teardown races under load. A tunnel carries a ping flood (IPv4 and IPv6 inner) for the whole
# test while a loop dumps hv1's map-cache (a few thousand entries: every dump spans many netlink
# messages); meanwhile each race runs ITERATIONS times:
#
#   link       delete and recreate hv1's lisp0 (and reload its map-cache)
#   updown     set hv1's lisp0 down and up
#   netns      create a namespace with a lisp device, a map-cache, a dump loop and a ping flood
#              forwarded into the device from outside, then delete the namespace
#   churn      flush hv1's map-cache and load it again; replace every entry in place
#   rmmod      unload the module with devices in four namespaces, lispd running on hv1's
#              lisp0 and dumps in flight, then load it again and rebuild the tunnel
#   ovs        add and remove an Open vSwitch type=lisp port under traffic (lisp_vport.ko)
#
# After each race the flood, the dump loop and lispd are still running, the dumps that ran met
# only "device gone" errors (no signal, no hang), the tunnel forwards again and the devices are
# as expected. At the end the module's reference count is 0 with the devices gone, it unloads,
# and kmemleak (when the kernel has it) reports nothing from lisp.
#
# lispd outlives its device: when the module goes away it keeps running (its status socket
# answers, it does not spin) and exits cleanly on SIGTERM; it does not re-attach to a device
# created afterwards (restart it for that).
#
#   vm1 ---tap0-[ hv1: lisp0 ]-u1 ==== u2-[ hv2: lisp0 ]-tap0--- vm2     ns3, ns4: lisp0, lisp1
#   172.16.1.10     10.0.0.1                10.0.0.2     172.16.2.10     ovs: br0, port lispv
#
# Environment: LISP_RACE_ITERATIONS (default 10 for each race: 100 of everything takes far more
# than the suite's 150 s under TCG; 100 is the full run), LISP_RACE_MAP (entries in hv1's
# map-cache, default 3000), LISP_RACES (races to run, default all, e.g. "link rmmod"),
# LISP_RACE_PING (ping's rate option, default "-i 0.01": 100 packets/s per flood; "-f" floods
# for real, which under TCG starves everything else of CPU).

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
: "${LISPD:?LISPD must point to the lispd binary}"
: "${LISP_VPORT_KO:=$(dirname "$LISP_KO")/lisp_vport.ko}"
N=${LISP_RACE_ITERATIONS:-10}
M=${LISP_RACE_MAP:-3000}
RACES=${LISP_RACES:-link updown netns churn rmmod ovs}
read -ra RATE <<<"${LISP_RACE_PING:--i 0.01}"

ktap_print_header
ktap_set_plan $(($(wc -w <<<"$RACES") + 2))

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns HV1 HV2 VM1 VM2 NS3 NS4 OVS1 || ktap_exit_fail_msg "cannot create namespaces"
D=$(mktemp -d)
PING_PIDS=() DUMP_PID="" LISPD_PID=""
cleanup() {
	local p
	touch "$D/stop"
	for p in "${PING_PIDS[@]}" $LISPD_PID; do kill "$p" 2>/dev/null; done
	[ -n "$DUMP_PID" ] && wait "$DUMP_PID" 2>/dev/null
	ovs_stop_all
	cleanup_all_ns
	[ "$VERBOSE" = 1 ] && sed 's/^/# lispd: /' "$D/lispd.log" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

lc() { local i=$1; shift; hv "$i" "$LISPCTL" "$@"; }
map_count() { ip netns exec "$1" "$LISPCTL" -j link show "$2" | jq -r '.[0].map_count'; }

# hv1's map-cache: the peer's EIDs and M more /24s, loaded in one batch; churn.replace replaces
# them all in place, churn.reload flushes and loads them again.
{
	echo "map replace 172.16.2.0/24 rloc 10.0.0.2 dev lisp0"
	echo "map replace fd2::/64 rloc 10.0.0.2 dev lisp0"
	awk -v n="$M" 'BEGIN { for (i = 0; i < n; i++)
		printf "map replace 20.%d.%d.0/24 rloc 192.0.2.%d dev lisp0\n", int(i / 256), i % 256, 1 + i % 200 }'
} >"$D/map1"
{ echo "map flush dev lisp0"; cat "$D/map1"; } >"$D/churn.reload"
sed 's/192\.0\.2\./198.51.100./' "$D/map1" >"$D/churn.replace"
# A namespace's map-cache in the netns race: the forwarded flood's EIDs and 500 more entries.
{
	echo "map add 10.8.0.0/16 rloc 192.0.2.1 dev lisp0"
	awk 'BEGIN { for (i = 0; i < 500; i++) printf "map add 21.%d.%d.0/24 rloc 192.0.2.1 dev lisp0\n", int(i / 256), i % 256 }'
} >"$D/map3"

# tunnel_hv I: hypervisor I's lisp0, its routes to the other site and its map-cache.
tunnel_hv() {
	local i=$1 j=$((3 - $1))
	ip -n "$(eval echo "\$HV$i")" -batch - <<-EOF || return 1
		link add lisp0 type lisp
		link set lisp0 up
		route replace 172.16.$j.0/24 dev lisp0
		route replace fd$j::/64 dev lisp0
	EOF
	if [ "$i" = 1 ]; then
		lc 1 -batch "$D/map1"
	else
		lc 2 map add 172.16.1.0/24 rloc 10.0.0.1 dev lisp0 &&
			lc 2 map add fd1::/64 rloc 10.0.0.1 dev lisp0
	fi
}

# Devices that only have to be there when the module goes: two in each of ns3 and ns4.
extra_devices() {
	local ns
	for ns in "$NS3" "$NS4"; do
		printf 'link add lisp0 type lisp\nlink set lisp0 up\nlink add lisp1 type lisp\n' |
			ip -n "$ns" -batch - || return 1
	done
}

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
tunnel_hv 1 && tunnel_hv 2 && extra_devices || ktap_exit_fail_msg "cannot create the tunnel"
vm 1 ping -c 1 -W 5 172.16.2.10 >/dev/null || ktap_exit_fail_msg "no ping through the tunnel"
echo "# tunnel up after $SECONDS s"

# The floods (not through a shell function: $! is ping's pid, as ip netns exec execs it).
ip netns exec "$VM1" ping -q "${RATE[@]}" -W 1 172.16.2.10 >"$D/ping4.out" 2>&1 &
PING_PIDS+=($!)
ip netns exec "$VM1" ping -6 -q "${RATE[@]}" -W 1 fd2::10 >"$D/ping6.out" 2>&1 &
PING_PIDS+=($!)

# The dump loop: one exit status a line in dump.rc. 0 is a full dump; 2 a kernel error (the
# device or the family is gone at that moment); anything else (a signal) is a failure.
dump_loop() {
	while [ ! -e "$D/stop" ]; do
		ip netns exec "$HV1" "$LISPCTL" map show dev lisp0 >/dev/null 2>>"$D/dump.err"
		echo $?
	done >>"$D/dump.rc"
}
dump_loop &
DUMP_PID=$!

# lispd on hv1's lisp0, asking a Map-Resolver nobody runs for what lisp0 misses.
cat >"$D/lispd.toml" <<-EOF
	status-socket = "$D/lispd.sock"
	log-level = "info"
	itr-rlocs = ["10.0.0.1"]
	[[device]]
	name = "lisp0"
	[[map-resolver]]
	address = "10.0.0.2"
EOF
lispd_up() { hv 1 "$LISPD" status -s "$D/lispd.sock" -j >/dev/null 2>&1; }
ip netns exec "$HV1" "$LISPD" -c "$D/lispd.toml" -f >"$D/lispd.log" 2>&1 &
LISPD_PID=$!
slowwait 20 lispd_up || ktap_exit_fail_msg "lispd did not start: $(tail -n 3 "$D/lispd.log")"
echo "# floods, dump loop and lispd running after $SECONDS s"

# The state every race must leave behind. Race-specific checks come first, in the race.
DUMPS_SEEN=0
tunnel_forwards() { vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null && vm 2 ping -c 1 -W 1 fd1::10 >/dev/null; }
after_race() {
	local name=$1 p total ok bad
	for p in "${PING_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || { echo "# $name: ping flood $p is gone"; return 1; }
	done
	kill -0 "$DUMP_PID" 2>/dev/null || { echo "# $name: the dump loop is gone"; return 1; }
	kill -0 "$LISPD_PID" 2>/dev/null || { echo "# $name: lispd is gone: $(tail -n 3 "$D/lispd.log")"; return 1; }
	total=$(wc -l <"$D/dump.rc")
	ok=$(tail -n +$((DUMPS_SEEN + 1)) "$D/dump.rc" | grep -c '^0$')
	bad=$(tail -n +$((DUMPS_SEEN + 1)) "$D/dump.rc" | grep -vcE '^(0|2)$')
	echo "# $name: $((total - DUMPS_SEEN)) dumps meanwhile, $ok complete, $bad abnormal"
	DUMPS_SEEN=$total
	[ "$bad" = 0 ] || { tail -n 5 "$D/dump.err" | sed 's/^/# dump: /'; return 1; }
	[ "$(link_json "$HV1" lisp0 .operstate)" != DOWN ] &&
		[ "$(map_count "$HV1" lisp0)" = $((M + 2)) ] || { echo "# $name: hv1's lisp0 is not as it was"; return 1; }
	slowwait 20 tunnel_forwards || { echo "# $name: the tunnel does not forward"; return 1; }
}

# race NAME DESC: runs race_NAME ITERATIONS times, then after_race; one KTAP result.
race() {
	local name=$1 desc=$2 i t0=$SECONDS rc=0
	for i in $(seq "$N"); do
		"race_$name" "$i" || { echo "# $name: iteration $i failed"; rc=1; break; }
	done
	if [ $rc = 0 ] && declare -F "after_$name" >/dev/null; then
		"after_$name" || { echo "# $name: wrong state after the race"; rc=1; }
	fi
	[ $rc = 0 ] && { after_race "$name" || rc=1; }
	echo "# $name: $N iterations in $((SECONDS - t0)) s"
	[ $rc = 0 ]
}

race_link() {
	hv 1 ip link del lisp0 && tunnel_hv 1
}

race_updown() {
	# Routes through a device go with it when it goes down.
	ip -n "$HV1" -batch - <<-EOF
		link set lisp0 down
		link set lisp0 up
		route replace 172.16.2.0/24 dev lisp0
		route replace fd2::/64 dev lisp0
	EOF
}

# One namespace per iteration: lisp0 with a map-cache, fed by a ping flood from hv2 over a veth
# (forwarded into lisp0, encapsulated towards an RLOC without a route: counted as a transmit
# error), and a dump loop inside. The namespace is deleted while both run; it dies when the dump
# loop has finished its dump. Each iteration has its own subnet on hv2: the previous namespace
# and its veth may not be gone yet.
race_netns() {
	local i=$1 ns=lisp-race-$$-$1 ping dumper rc=0 net=10.7.$(($1 % 250))
	ip netns add "$ns" &&
		ip link add "rc$i" netns "$HV2" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$ns" -batch - <<-EOF || rc=1
		link set lo up
		link set eth0 up
		addr add $net.1/24 dev eth0
		link add lisp0 type lisp
		link set lisp0 up
		route add 10.8.0.0/16 dev lisp0
	EOF
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 &&
		ip -n "$HV2" -batch - <<-EOF || rc=1
			addr add $net.254/24 dev rc$i
			link set rc$i up
			route replace 10.8.0.0/16 via $net.1 dev rc$i
		EOF
	ip netns exec "$ns" "$LISPCTL" -batch "$D/map3" || rc=1
	ip netns exec "$HV2" ping -q "${RATE[@]}" 10.8.0.1 >/dev/null 2>&1 &
	ping=$!
	# bash runs the TERM trap once the dump in progress has finished.
	ip netns exec "$ns" bash -c 'trap "exit 0" TERM
		while :; do "$1" map show dev lisp0 >/dev/null || exit 1; done' sh "$LISPCTL" &
	dumper=$!
	# Traffic went through lisp0 before the namespace goes.
	slowwait 10 bash -c "[ \"\$(ip netns exec $ns $LISPCTL -j stats dev lisp0 |
		jq -r '.[0].stats.tx_packets + .[0].stats.tx_errors + .[0].stats.tx_dropped')\" -gt 0 ]" ||
		{ echo "# netns $i: no traffic through lisp0"; rc=1; }
	ip netns del "$ns" || rc=1
	kill -TERM "$dumper"
	wait "$dumper" || { echo "# netns $i: the dump loop failed"; rc=1; }
	# The flood outlives the veth (sendto fails once the route is gone): stop it now.
	kill -INT "$ping"
	wait "$ping"
	[ $? -lt 128 ] || { echo "# netns $i: ping died of a signal"; rc=1; }
	return $rc
}

after_netns() {
	# Namespaces are freed asynchronously; their devices' names go with them.
	slowwait 30 bash -c "! ip netns list | grep -q lisp-race-$$" &&
		[ -z "$(ip -n "$HV2" -j link show | jq -r '.[] | select(.ifname | startswith("rc")) | .ifname')" ]
}

race_churn() {
	if [ $(($1 % 2)) = 1 ]; then
		lc 1 -batch "$D/churn.reload"
	else
		lc 1 -batch "$D/churn.replace"
	fi
}

# The CPU time lispd used, in clock ticks.
lispd_cpu() { awk '{ print $14 + $15 }' "/proc/$LISPD_PID/stat"; }

race_rmmod() {
	local left
	# A dump in progress holds a reference on the module: rmmod fails with EBUSY until it ends
	# (on a debug kernel a dump of the churned map-cache takes several times longer).
	slowwait 20 rmmod lisp 2>/dev/null ||
		{ echo "# rmmod: still busy after $((20 * LISP_TIMEOUT_FACTOR)) s"; return 1; }
	[ ! -d /sys/module/lisp ] || return 1
	left=$(for ns in "$HV1" "$HV2" "$NS3" "$NS4"; do ip -n "$ns" -j link show; done |
		jq -r '.[] | select(.ifname | startswith("lisp")) | .ifname')
	[ -z "$left" ] || { echo "# rmmod: left behind: $left"; return 1; }
	kill -0 "$LISPD_PID" 2>/dev/null || { echo "# rmmod: lispd exited: $(tail -n 3 "$D/lispd.log")"; return 1; }
	insmod "$LISP_KO" && tunnel_hv 1 && tunnel_hv 2 && extra_devices
}

before_rmmod() {
	RMMOD_T0=$SECONDS RMMOD_CPU0=$(lispd_cpu)
	# lisp_vport.ko holds lisp.ko.
	[ -d /sys/module/lisp_vport ] && rmmod lisp_vport
	return 0
}

after_rmmod() {
	local cpu=$(($(lispd_cpu) - RMMOD_CPU0)) hz
	hz=$(getconf CLK_TCK)
	echo "# rmmod: lispd used $((cpu * 1000 / hz)) ms of CPU in $((SECONDS - RMMOD_T0)) s"
	lispd_up || { echo "# rmmod: lispd's status socket does not answer"; return 1; }
	# Not spinning on a dead socket.
	[ $((cpu / hz)) -le $(((SECONDS - RMMOD_T0) / 5)) ] || return 1
	grep -E 'WARN|ERROR' "$D/lispd.log" | sort | uniq -c | head -n 5 | sed 's/^/# lispd: /'
	return 0
}

# An Open vSwitch in its own namespace (ns3 and ns4 have lisp devices on port 4341 up) with
# bridge br0: port 1 (ovsin) is fed a flood by ns3 (static neighbour, so the frames are
# unicast); a flow sends it to port 3, the type=lisp port, with a tunnel destination set. Port
# 3 comes and goes.
OVS_SKIP=""
before_ovs() {
	if [ ! -f "$LISP_VPORT_KO" ]; then
		OVS_SKIP="lisp_vport.ko not built"
	elif ! ovs_available; then
		OVS_SKIP="Open vSwitch not installed"
	fi
	[ -z "$OVS_SKIP" ] || return 0
	[ -d /sys/module/lisp_vport ] || insmod "$LISP_VPORT_KO" || return 1
	ovs_start "$OVS1" && vsctl "$OVS1" add-br br0 &&
		ip link add eth9 netns "$NS3" type veth peer name ovsin netns "$OVS1" &&
		ip -n "$OVS1" link set ovsin up && ovs_add_port "$OVS1" br0 ovsin 1 || return 1
	ip -n "$NS3" -batch - <<-EOF || return 1
		link set eth9 up
		addr add 10.6.0.1/24 dev eth9
		neigh add 10.6.0.2 lladdr 02:0a:00:00:00:99 dev eth9 nud permanent
	EOF
	echo "in_port=1,ip,actions=set_field:10.6.0.99->tun_dst,output:3" | ovs_flows "$OVS1" br0 || return 1
	ip netns exec "$NS3" ping -q "${RATE[@]}" 10.6.0.2 >/dev/null 2>&1 &
	PING_PIDS+=($!)
}

race_ovs() {
	ovs_add_port "$OVS1" br0 lispv 3 type=lisp options:remote_ip=flow options:key=flow &&
		vsctl "$OVS1" del-port br0 lispv
}

after_ovs() {
	# The flood of ns3 went through the datapath all along.
	[ "$(ip -n "$OVS1" -j -s link show ovsin | jq -r '.[0].stats64.rx.packets')" -gt "$N" ] &&
		! ip -n "$OVS1" link show lispv >/dev/null 2>&1
}

for r in $RACES; do
	case $r in
	link) desc="link delete and recreate" ;;
	updown) desc="link down and up" ;;
	netns) desc="netns delete with a lisp device, a flood and a dump" ;;
	churn) desc="map flush and batch replace churn" ;;
	rmmod) desc="rmmod with devices in 4 namespaces, lispd and dumps" ;;
	ovs) desc="Open vSwitch type=lisp port add and remove" ;;
	*) ktap_exit_fail_msg "unknown race $r" ;;
	esac
	if declare -F "before_$r" >/dev/null && ! "before_$r"; then
		ktap_test_fail "$r: $desc ($N times): setup"
		continue
	fi
	if [ "$r" = ovs ] && [ -n "$OVS_SKIP" ]; then
		ktap_test_skip "$r: $desc: $OVS_SKIP"
		continue
	fi
	check "$r: $desc, $N times, under a flood and dumps" race "$r" "$desc"
done

test_lispd_exit() {
	local rc
	kill -TERM "$LISPD_PID"
	wait "$LISPD_PID"
	rc=$?
	LISPD_PID=""
	[ "$rc" = 0 ] || { echo "# lispd exited with $rc: $(tail -n 3 "$D/lispd.log")"; return 1; }
	[ ! -e "$D/lispd.sock" ]
}
check "lispd exits cleanly on SIGTERM" test_lispd_exit

flood_report() {	# flood_report FILE: ping's summary line
	grep -E 'packets transmitted' "$1" | sed 's/^/# /'
	grep -qE ' [1-9][0-9]* received' "$1"
}

test_teardown() {
	local p ns rc=0 leaks
	touch "$D/stop"
	wait "$DUMP_PID"
	DUMP_PID=""
	echo "# $(grep -c '^0$' "$D/dump.rc") complete dumps of $(($(map_count "$HV1" lisp0))) entries in all"
	for p in "${PING_PIDS[@]}"; do kill -INT "$p"; wait "$p"; done
	PING_PIDS=()
	flood_report "$D/ping4.out" && flood_report "$D/ping6.out" || rc=1
	ovs_stop_all
	for ns in "$HV1" "$HV2" "$NS3" "$NS4"; do
		for p in $(ip -n "$ns" -j link show | jq -r '.[] | select(.ifname | startswith("lisp")) | .ifname'); do
			ip -n "$ns" link del "$p" || rc=1
		done
	done
	# The datapath of a stopped ovs-vswitchd and its vports go asynchronously.
	[ -d /sys/module/lisp_vport ] && { slowwait 10 bash -c 'rmmod lisp_vport 2>/dev/null' || rc=1; }
	slowwait 10 bash -c '[ "$(cat /sys/module/lisp/refcnt)" = 0 ]' ||
		{ echo "# refcnt $(cat /sys/module/lisp/refcnt) with no device left"; rc=1; }
	if [ -w /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		leaks=$(grep -c lisp /sys/kernel/debug/kmemleak)
		echo "# kmemleak: $leaks report lines naming lisp"
		[ "$leaks" = 0 ] || { head -n 40 /sys/kernel/debug/kmemleak | sed 's/^/# /'; rc=1; }
	fi
	rmmod lisp || rc=1
	return $rc
}
check "teardown: floods and dumps ran all along, refcnt 0, rmmod, no leak" test_teardown

ktap_finished
