#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Open vSwitch's own "lisp" port type, scenario 1 of the OVS LISP guide, unchanged: OVS 3.1 on
# the kernel datapath asks for vport type 105, which lisp_vport.ko provides (found through its
# vport-type-105 alias when a module tree is available, else loaded by hand); the flows are the
# map-cache (no lispctl map entries anywhere). Each hypervisor runs its own OVS in its own
# namespace, since the kernel datapath and its vports live in the namespace of ovs-vswitchd.
#
#   VM1 eth0 --- tap0 (1)                                          (1) tap0 --- eth0 VM2
#   172.16.0.1      [ br0 OVS1 ] eth0 (2) ========== (2) eth0 [ br0 OVS2 ]    172.16.0.2
#                   lisp0 (3) type=lisp                       lisp0 (3) type=lisp
#                   br0: 10.0.0.1/24                          br0: 10.0.0.2/24

source "$(dirname "$0")/lib.sh"

: "${LISP_VPORT_KO:=$(dirname "$LISP_KO")/lisp_vport.ko}"

ktap_print_header

if [ ! -f "$LISP_VPORT_KO" ]; then
	ktap_skip_all "lisp_vport.ko not built ($LISP_VPORT_KO): the kernel tree lacks net/openvswitch/vport.h or CONFIG_OPENVSWITCH"
	exit "$KSFT_SKIP"
fi
for c in ovsdb-tool ovsdb-server ovs-vswitchd ovs-vsctl ovs-ofctl ovs-appctl tshark; do
	command -v $c >/dev/null || { ktap_skip_all "no $c"; exit "$KSFT_SKIP"; }
done
[ -f /usr/share/openvswitch/vswitch.ovsschema ] ||
	{ ktap_skip_all "no OVS schema"; exit "$KSFT_SKIP"; }

ktap_set_plan 10

kver=$(uname -r)
mods=$(mktemp -d)
OVS_DIRS=()

# ovs I CMD...: an OVS command against hypervisor I's daemons, in its namespace.
ovs() {
	local i=$1 d
	shift
	d=${OVS_DIRS[$i]}
	run ip netns exec "$(eval echo "\$HV$i")" env OVS_RUNDIR="$d" OVS_LOGDIR="$d" \
		OVS_DBDIR="$d" OVS_SYSCONFDIR="$d" "$@"
}

# Starts ovsdb-server and ovs-vswitchd for hypervisor I in a private run directory.
ovs_start() {
	local i=$1 d
	d=$(mktemp -d)
	OVS_DIRS[$i]=$d
	ovs "$i" ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema &&
		ovs "$i" ovsdb-server "$d/conf.db" --remote=punix:"$d/db.sock" \
			--pidfile="$d/ovsdb-server.pid" --unixctl="$d/ovsdb-server.ctl" \
			--log-file="$d/ovsdb-server.log" --detach &&
		ovs "$i" ovs-vsctl --no-wait init &&
		ovs "$i" ovs-vswitchd unix:"$d/db.sock" --pidfile="$d/ovs-vswitchd.pid" \
			--unixctl="$d/ovs-vswitchd.ctl" --log-file="$d/ovs-vswitchd.log" --detach
}

# Stops hypervisor I's daemons (removing its datapath and ports), by pid if need be.
ovs_stop() {
	local i=$1 d=${OVS_DIRS[$1]} p
	[ -n "$d" ] || return 0
	ovs "$i" ovs-appctl -t "$d/ovs-vswitchd.ctl" exit --cleanup 2>/dev/null
	for p in ovs-vswitchd ovsdb-server; do
		[ -f "$d/$p.pid" ] && kill "$(cat "$d/$p.pid" 2>/dev/null)" 2>/dev/null
	done
	rm -rf "$d"
}

vport_gone() { ! [ -d /sys/module/lisp_vport ] || rmmod lisp_vport 2>/dev/null; }

cleanup() {
	ovs_stop 1
	ovs_stop 2
	cleanup_all_ns
	# The datapath of a deleted namespace goes away asynchronously, with its vports.
	slowwait 10 vport_gone
	mountpoint -q /lib/modules && { umount /lib/modules 2>/dev/null || umount -l /lib/modules; }
	rm -rf "$mods"
}
trap cleanup EXIT

# Diagnostics of hypervisor I, on failure or with VERBOSE=1.
ovs_dump() {
	local i=$1
	echo "# --- OVS$i"
	{
		ovs "$i" ovs-vsctl show
		ovs "$i" ovs-ofctl dump-flows br0
		appctl "$i" dpctl/dump-flows
		ip -n "$(eval echo "\$HV$i")" -d -s link show
		hv "$i" "$LISPCTL" -j stats 2>/dev/null
		grep -iE 'lisp|error|warn' "${OVS_DIRS[$i]}/ovs-vswitchd.log" | tail -n 20
	} 2>&1 | sed 's/^/# /'
}

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
vport_gone || ktap_exit_fail_msg "cannot unload a previous lisp_vport"

# With a module tree (lisp_vport.ko and lisp.ko, depmod'ed) mounted over /lib/modules, the
# datapath's request_module("vport-type-105") finds the module by its alias. Without depmod,
# load it by hand.
AUTOLOAD=0
if command -v depmod >/dev/null; then
	mkdir -p "$mods/lib/modules/$kver/extra"
	cp "$LISP_KO" "$LISP_VPORT_KO" "$mods/lib/modules/$kver/extra/"
	[ -d "/lib/modules/$kver" ] && cp /lib/modules/"$kver"/modules.{order,builtin}* \
		"$mods/lib/modules/$kver/" 2>/dev/null
	depmod -b "$mods" "$kver" && mount --bind "$mods/lib/modules" /lib/modules && AUTOLOAD=1
fi
[ $AUTOLOAD = 1 ] || run insmod "$LISP_VPORT_KO" || ktap_exit_fail_msg "cannot load $LISP_VPORT_KO"

setup_ns HV1 HV2 VM1 VM2 || ktap_exit_fail_msg "cannot create namespaces"
run ip link add eth0 netns "$HV1" type veth peer name eth0 netns "$HV2" ||
	ktap_exit_fail_msg "cannot create the underlay"
declare -A VM_MAC
for i in 1 2; do
	run ip link add eth0 netns "$(eval echo "\$VM$i")" type veth peer name tap0 \
		netns "$(eval echo "\$HV$i")" || ktap_exit_fail_msg "cannot create VM$i"
	vm $i ip addr add 172.16.0.$i/24 dev eth0
	vm $i ip link set eth0 up
	VM_MAC[$i]=$(ip -n "$(eval echo "\$VM$i")" -j link show eth0 | jq -r '.[0].address')
	hv $i ip link set tap0 up
	hv $i ip link set eth0 up
	ovs_start $i || ktap_exit_fail_msg "cannot start OVS $i"
done

# appctl I ARGS...: ovs-appctl to hypervisor I's ovs-vswitchd.
appctl() { local i=$1; shift; ovs "$i" ovs-appctl -t "${OVS_DIRS[$i]}/ovs-vswitchd.ctl" "$@"; }

# Port numbers by name, as the guide's flows assume: tap0/eth0/lisp0 = 1/2/3.
ofports_ok() {
	local i=$1 ofp
	ofp=$(ovs $i ovs-vsctl get Interface tap0 ofport)/$(ovs $i ovs-vsctl get \
		Interface eth0 ofport)/$(ovs $i ovs-vsctl get Interface lisp0 ofport)
	echo "# OVS$i: ofports tap0/eth0/lisp0 = $ofp"
	[ "$ofp" = 1/2/3 ]
}

# The guide's commands, word for word.
test_add_port() {
	local i err
	for i in 1 2; do
		ovs $i ovs-vsctl add-br br0 &&
			ovs $i ovs-vsctl add-port br0 tap0 &&
			ovs $i ovs-vsctl add-port br0 eth0 &&
			ovs $i ovs-vsctl add-port br0 lisp0 \
				-- set Interface lisp0 type=lisp options:remote_ip=flow \
				options:key=flow || return 1
		hv $i ip addr add 10.0.0.$i/24 dev br0
		hv $i ip link set br0 up
	done
	for i in 1 2; do
		# ovs-vsctl succeeds even when the datapath refuses the port.
		err=$(ovs $i ovs-vsctl get Interface lisp0 error)
		echo "# OVS$i: lisp0 error: $err"
		ofports_ok $i || return 1
		grep -q 'could not' <<<"$err" && return 1
		# The datapath port: a lisp device in external mode, named by OVS after the UDP port.
		[ "$(link_json "$(eval echo "\$HV$i")" lisp_sys_4341 .linkinfo.info_kind)" = lisp ] ||
			return 1
		[ "$(hv $i "$LISPCTL" -j link show lisp_sys_4341 | jq -r '.[0].external')" = true ] ||
			return 1
	done
	echo "# lisp_vport loaded $([ $AUTOLOAD = 1 ] && echo 'by the datapath (vport-type-105 alias)' || echo 'by insmod')"
	[ -d /sys/module/lisp_vport ]
}

# The MAC a decapsulated packet has when the flows see it. OVS (2.8 and later) finds the tunnel
# port of a LISP packet only if the packet comes without an Ethernet header, then gives it a
# dummy one with all-zero addresses, so the guide's 02:00:00:00:00:00 (the pre-2.8 datapath's)
# cannot be seen on a type=lisp port. Tried: a device that delivered the guide's frame (fixed
# MAC both ways, ETH_P_TEB, so the datapath keeps the header) got "receive tunnel port not
# found" and "no OpenFlow tunnel port for this packet" from ovs-vswitchd 3.1 for every packet;
# test_ovs_refuses_ethernet below keeps that on record. A packet-type aware port
# (options:packet_type=ptap) does find its port for such a frame: with lisp_vport.ko loaded
# with ethernet=1 the device delivers it, and the guide's flows match as written (the second
# half of the tests).
DECAP_MAC=00:00:00:00:00:00

# add_flows I REMOTE-I [EXTRA-ACTION]: the guide's flow table on hypervisor I.
add_flows() {
	local i=$1 r=$2 extra=${3:-}
	ovs $i ovs-ofctl del-flows br0 &&
		ovs $i ovs-ofctl add-flow br0 \
			"priority=3,dl_dst=$DECAP_MAC,action=mod_dl_dst:${VM_MAC[$i]},output:1" &&
		ovs $i ovs-ofctl add-flow br0 "priority=2,in_port=1,dl_type=0x0806,action=NORMAL" &&
		ovs $i ovs-ofctl add-flow br0 \
			"priority=1,in_port=1,dl_type=0x0800,vlan_tci=0,nw_src=172.16.0.$i/32,action=set_field:10.0.0.$r->tun_dst,${extra}output:3" &&
		ovs $i ovs-ofctl add-flow br0 "priority=0,action=NORMAL"
}

ping_both() {
	vm 1 ping -c 2 -i 0.3 -W 2 172.16.0.2 >/dev/null &&
		vm 2 ping -c 2 -i 0.3 -W 2 172.16.0.1 >/dev/null
}

test_guide_flows() {
	add_flows 1 2 && add_flows 2 1 || return 1
	# The first packets go to ovs-vswitchd (upcalls), which is slow under emulation.
	slowwait 20 ping_both || return 1
	# No map-cache: the flows chose the locators.
	local n
	n=$(ovs 1 ovs-ofctl dump-flows br0 | grep priority=1, | grep -o 'n_packets=[0-9]*')
	echo "# OVS1 priority=1 flow (to the tunnel): $n"
	[ "${n#n_packets=}" -ge 2 ]
}

test_ovs_sees_l3_port() {
	# OVS treats the port as legacy layer 3: it strips Ethernet before output (pop_eth), which
	# the raw IP device takes, and pushes a dummy header on what the device delivers.
	# Traffic just before the dump: the datapath evicts a flow idle for 10 s, which on a slow
	# kernel is less than the time since the previous test's pings.
	local dp rx
	ping_both || return 1
	dp=$(appctl 1 dpctl/dump-flows)
	echo "$dp" | grep -E 'tunnel\(|_eth' | sed 's/^/# dp: /'
	grep -q 'pop_eth' <<<"$dp" && grep -q 'push_eth' <<<"$dp" || return 1
	rx=$(ovs 2 ovs-ofctl dump-flows br0 | grep priority=3 | grep -o 'n_packets=[0-9]*')
	echo "# OVS2 priority=3 flow (from the tunnel, dl_dst=$DECAP_MAC): $rx"
	[ "${rx#n_packets=}" -ge 2 ]
}

# The datapath port number of hypervisor I's lisp device.
dp_port() { appctl "$1" dpctl/show | sed -n 's/^ *port \([0-9]*\): lisp_sys_4341 .*/\1/p'; }

test_ovs_refuses_ethernet() {
	# Why the device delivers bare IP: ovs-vswitchd's own translation of what a received LISP
	# packet looks like to it. Bare IP (packet_type ns=1) finds the lisp0 port and the guide's
	# priority=3 flow; the same packet as an Ethernet frame with the guide's fixed MAC finds
	# no port.
	local p tun ip4 l3 l2
	p=$(dp_port 2)
	[ -n "$p" ] || return 1
	tun="tunnel(tun_id=0x0,src=10.0.0.1,dst=10.0.0.2,ttl=64,tp_dst=4341,flags(key)),in_port($p)"
	ip4="eth_type(0x0800),ipv4(src=172.16.0.1,dst=172.16.0.2,proto=1,tos=0,ttl=64,frag=no)"
	l3=$(appctl 2 ofproto/trace "$tun,packet_type(ns=1,id=0x800),$ip4" 2>&1)
	l2=$(appctl 2 ofproto/trace \
		"$tun,eth(src=02:00:00:00:00:00,dst=02:00:00:00:00:00),$ip4" 2>&1)
	grep -E '^ *[0-9]+\. |Datapath actions' <<<"$l3" | sed 's/^ */# bare IP: /'
	grep -E 'tunnel port|Datapath actions' <<<"$l2" | sed 's/^ */# Ethernet: /'
	grep -q "priority 3" <<<"$l3" &&
		grep -q "push_eth(src=00:00:00:00:00:00,dst=${VM_MAC[2]})" <<<"$l3" &&
		grep -q "no OpenFlow tunnel port for this packet" <<<"$l2"
}

# Sends one ping and tells whether the capture running as $CAPTURE_PID got its packet.
ping_captured() {
	vm 1 ping -c 1 -W 1 172.16.0.2 >/dev/null
	! kill -0 "$CAPTURE_PID" 2>/dev/null
}

test_set_tunnel_iid() {
	local pcap out n
	pcap=$(mktemp)
	add_flows 1 2 "set_tunnel:7," || return 1
	# OVS2 counts what arrives with tunnel ID 7 before the guide's rewrite.
	ovs 2 ovs-ofctl add-flow br0 \
		"priority=4,tun_id=7,dl_dst=$DECAP_MAC,action=mod_dl_dst:${VM_MAC[2]},output:1" ||
		return 1
	hv 2 tcpdump -U -c 1 -ni eth0 -w "$pcap" udp dst port 4341 2>/dev/null &
	CAPTURE_PID=$!
	slowwait 20 ping_captured || { kill "$CAPTURE_PID"; rm -f "$pcap"; return 1; }
	out=$(tshark -r "$pcap" -V -d udp.port==4341,lisp-data 2>/dev/null)
	rm -f "$pcap"
	grep -E 'Instance ID|I bit' <<<"$out" | sed 's/^ */# wire: /'
	grep -q "I bit (Instance ID present): Set" <<<"$out" &&
		grep -q "Instance ID: 7" <<<"$out" || return 1
	n=$(ovs 2 ovs-ofctl dump-flows br0 | grep priority=4 | grep -o 'n_packets=[0-9]*')
	echo "# OVS2 tun_id=7 flow: $n"
	[ "${n#n_packets=}" -ge 1 ]
}

test_ptap_port() {
	# The legacy ports go, and lisp_vport.ko with them; then the guide's port command plus
	# packet_type=ptap, on devices that deliver Ethernet frames (and ofport_request=3: OVS
	# does not give a re-added port its old number).
	local i
	DECAP_MAC=02:00:00:00:00:00
	for i in 1 2; do
		ovs $i ovs-vsctl del-port br0 lisp0 || return 1
	done
	slowwait 10 vport_gone || return 1
	run insmod "$LISP_VPORT_KO" ethernet=1 || return 1
	[ "$(cat /sys/module/lisp_vport/parameters/ethernet)" = Y ] || return 1
	for i in 1 2; do
		ovs $i ovs-vsctl add-port br0 lisp0 \
			-- set Interface lisp0 type=lisp options:remote_ip=flow \
			options:key=flow options:packet_type=ptap ofport_request=3 || return 1
		ofports_ok $i || return 1
		slowwait 10 ip -n "$(eval echo "\$HV$i")" link show lisp_sys_4341 >/dev/null ||
			return 1
	done
}

test_ptap_no_pop_push() {
	# A packet-type aware port takes and gives Ethernet frames: no pop_eth, no push_eth, and
	# the receive flow matches the fixed MAC.
	local dp
	ping_both || return 1
	dp=$(appctl 1 dpctl/dump-flows; appctl 2 dpctl/dump-flows)
	echo "$dp" | grep -E 'tunnel\(' | sed 's/^/# dp: /'
	! grep -qE 'pop_eth|push_eth' <<<"$dp" &&
		grep -E '^recirc_id\(0\),tunnel\(' <<<"$dp" | grep -q 'eth(dst=02:00:00:00:00:00)' ||
		return 1
	# What VM2 gets: the guide's source MAC, and (an inner TTL above the outer one is lowered
	# to it) the IP header rewritten behind the Ethernet header, its checksum still right.
	local cap
	cap=$(mktemp)
	vm 2 timeout 20 tcpdump -l -e -v -c 1 -ni eth0 'icmp[icmptype] = 8' >"$cap" 2>/dev/null &
	local pid=$!
	sleep 2
	vm 1 ping -c 3 -i 0.5 -t 200 -W 1 172.16.0.2 >/dev/null
	wait $pid
	sed 's/^/# vm2: /' "$cap"
	grep -q '^.\{0,30\}02:00:00:00:00:00 > ' "$cap" && grep -qE 'ttl (6[0-4])' "$cap" &&
		! grep -qi 'bad cksum' "$cap"
	local rc=$?
	rm -f "$cap"
	return $rc
}

test_del_port() {
	# Deleting the port deletes its lisp device.
	ovs 1 ovs-vsctl del-port br0 lisp0 || return 1
	slowwait 10 bash -c "! ip -n $HV1 link show lisp_sys_4341 >/dev/null 2>&1"
}

check "ovs-vsctl add-port type=lisp (remote_ip=flow, key=flow) gets vport type 105" test_add_port
check "the guide's flows, no map-cache: VM1 and VM2 ping each other" test_guide_flows
check "OVS pops Ethernet towards the layer-3 port and pushes a dummy one on decap" \
	test_ovs_sees_l3_port
check "OVS finds the lisp port of bare IP only, not of the guide's 02:00:00:00:00:00 frame" \
	test_ovs_refuses_ethernet
check "set_tunnel:7 puts IID 7 on the wire; the remote matches tun_id=7" test_set_tunnel_iid
check "packet_type=ptap ports on lisp_vport ethernet=1 devices" test_ptap_port
check "ptap: the guide's flows as written (dl_dst=02:00:00:00:00:00): VM1 and VM2 ping" \
	test_guide_flows
check "ptap: Ethernet frames both ways, no pop_eth/push_eth" test_ptap_no_pop_push
check "ptap: set_tunnel:7 puts IID 7 on the wire; the remote matches tun_id=7" \
	test_set_tunnel_iid
check "ovs-vsctl del-port deletes the lisp device" test_del_port

if [ "$VERBOSE" = 1 ] || [ "$KTAP_CNT_FAIL" != 0 ]; then
	ovs_dump 1
	ovs_dump 2
fi

ktap_finished
