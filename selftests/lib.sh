# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the lisp selftests. The kernel's own kselftest helpers (net/lib.sh:
# setup_ns, slowwait, ...; kselftest/ktap_helpers.sh: KTAP output) come from the test kernel's
# tree, whose path the runner exports as KSFT_DIR.

: "${KSFT_DIR:?KSFT_DIR must name tools/testing/selftests of the kernel tree}"
: "${LISP_KO:?LISP_KO must point to the lisp.ko under test}"

source "$KSFT_DIR/net/lib.sh"
source "$KSFT_DIR/kselftest/ktap_helpers.sh"

VERBOSE=${VERBOSE:-0}

# The runner's factor for slow kernels (4 on the debug kernel, 6 on KASAN): waits for something
# that must happen stretch with it, so that a slow machine is not mistaken for a broken one.
LISP_TIMEOUT_FACTOR=${LISP_TIMEOUT_FACTOR:-1}
# The least TCP throughput (bit/s) the tests take as "TCP works": 1 Mbit/s, divided by the
# factor (KASAN under TCG moves a few hundred kbit/s).
TCP_MIN_BPS=$((1000000 / LISP_TIMEOUT_FACTOR))

# net/lib.sh's slowwait (wait up to N seconds for a command to succeed), with N scaled by
# LISP_TIMEOUT_FACTOR. Only the upper bound grows: a command that succeeds returns as soon.
slowwait() {
	local timeout_sec=$1
	shift
	loopy_wait "sleep 0.1" "$((timeout_sec * LISP_TIMEOUT_FACTOR * 1000))" "$@"
}

# Runs a command, echoing it first when verbose.
run() {
	[ "$VERBOSE" = 1 ] && echo "# + $*" >&2
	"$@"
}

# Loads the module under test unless it is already loaded.
lisp_load() {
	[ -d /sys/module/lisp ] || run insmod "$LISP_KO"
}

# Unloads the module if loaded.
lisp_unload() {
	[ -d /sys/module/lisp ] && run rmmod lisp
	[ ! -d /sys/module/lisp ]
}

# `ip -j` field of a link: link_json NS DEV JQ-FILTER
link_json() {
	ip -n "$1" -d -s -j link show dev "$2" | jq -r ".[0]$3"
}

# Runs "$@" expecting failure, and its stderr to contain the message $1 (shifted off).
fails_with() {
	local msg=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "# unexpected success: $*"
		return 1
	fi
	if ! grep -qF -- "$msg" <<<"$out"; then
		echo "# '$*' failed, but with: $out"
		echo "# expected: $msg"
		return 1
	fi
}

# Runs test function $2 as one KTAP test named $1.
check() {
	local desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$desc"
	else
		ktap_test_fail "$desc"
	fi
}

# The kernel tree (its YNL library drives the lisp family from the spec) and the spec.
: "${KSRC:=$KSFT_DIR/../../..}"
LISP_SPEC=${LISP_SPEC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/Documentation/netlink/specs/lisp.yaml}

# add_lisp0 I: lisp0 on hypervisor I, up, with routes to the other VM's IPv4 and IPv6 prefixes.
add_lisp0() {
	local i=$1 j=$((3 - $1))
	hv "$i" ip link add lisp0 type lisp && hv "$i" ip link set lisp0 up &&
		hv "$i" ip route add 172.16.$j.0/24 dev lisp0 && hv "$i" ip route add fd$j::/64 dev lisp0
}

# Commands in hypervisor I or VM I (namespaces $HV1, $HV2, $VM1, $VM2 from setup_ns).
hv() { local i=$1; shift; ip netns exec "$(eval echo "\$HV$i")" "$@"; }
vm() { local i=$1; shift; ip netns exec "$(eval echo "\$VM$i")" "$@"; }

# Two hypervisors joined by a veth underlay (u1/u2: 10.0.0.I/24, fd00::I/64), each routing for
# a VM behind it (eth0: 172.16.I.10/24, fdI::10/64; gateway .1/::1 on the hypervisor's tap0).
# Call after `setup_ns HV1 HV2 VM1 VM2`; the tunnel devices are each test's own.
setup_hypervisors() {
	local i
	ip link add u1 netns "$HV1" type veth peer name u2 netns "$HV2" || return 1
	for i in 1 2; do
		hv $i ip addr add 10.0.0.$i/24 dev u$i
		hv $i ip addr add fd00::$i/64 dev u$i nodad
		hv $i ip link set u$i up
		ip link add eth0 netns "$(eval echo "\$VM$i")" type veth peer name tap0 \
			netns "$(eval echo "\$HV$i")" || return 1
		vm $i ip addr add 172.16.$i.10/24 dev eth0
		vm $i ip addr add fd$i::10/64 dev eth0 nodad
		vm $i ip link set eth0 up
		vm $i ip route add default via 172.16.$i.1
		vm $i ip route add default via fd$i::1
		hv $i ip addr add 172.16.$i.1/24 dev tap0
		hv $i ip addr add fd$i::1/64 dev tap0 nodad
		hv $i ip link set tap0 up
		hv $i sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	done
}

# Open vSwitch, started by hand in a private run directory (no system service involved).
#
# One daemon set (ovsdb-server + ovs-vswitchd) runs per hypervisor namespace, started inside
# it with `ip netns exec`. The kernel datapath is per network namespace: ovs-vswitchd creates
# its "ovs-system" datapath in the namespace of its netlink socket, and a datapath port must be
# a device of that same namespace (the openvswitch module looks the device up by name in the
# datapath's namespace). One ovs-vswitchd for the whole guest would force every hypervisor's
# devices into the init namespace; one per namespace keeps each hypervisor's bridge, underlay
# and lisp0 together, as on real hypervisors, at the price of ~3 s of start-up each under TCG.
#
#   ovs_start NS          start the daemons for namespace NS (run directory $OVS_DIR[NS])
#   ovs NS CMD...         run CMD in NS with OVS_RUNDIR/OVS_LOGDIR/OVS_DBDIR/OVS_SYSCONFDIR
#                         pointing at NS's run directory (ovs-vsctl, ovs-ofctl, ovs-appctl)
#   ovs_add_port NS BR PORT OFPORT [COLUMN=VALUE...]   add PORT as OpenFlow port OFPORT, checked
#   ovs_stop NS / ovs_stop_all                         stop daemons by their pids
OVS_SCHEMA=${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}
declare -A OVS_DIR=()

ovs_available() {
	command -v ovs-vswitchd >/dev/null && command -v ovsdb-server >/dev/null &&
		command -v ovs-ofctl >/dev/null && [ -r "$OVS_SCHEMA" ]
}

ovs() {
	local ns=$1 d=${OVS_DIR[$1]:?no Open vSwitch started in namespace $1}
	shift
	[ "$VERBOSE" = 1 ] && echo "# + [$ns] $*" >&2
	ip netns exec "$ns" env OVS_RUNDIR="$d" OVS_LOGDIR="$d" OVS_DBDIR="$d" \
		OVS_SYSCONFDIR="$d" OVS_PKGDATADIR=/usr/share/openvswitch "$@"
}

# Starts the daemons of one namespace, whose run directory is set.
ovs_start_one() {
	local ns=$1 d=${OVS_DIR[$1]}
	# --detach returns once each daemon is serving (it waits for the child's go-ahead). What
	# the daemons print before their log file is open goes to start.err, shown on failure.
	if ! { ovs "$ns" ovsdb-tool create "$d/conf.db" "$OVS_SCHEMA" &&
		ovs "$ns" ovsdb-server "$d/conf.db" --remote=punix:"$d/db.sock" \
			--pidfile="$d/ovsdb-server.pid" --unixctl="$d/ovsdb-server.ctl" \
			--log-file="$d/ovsdb-server.log" --no-chdir --detach &&
		ovs "$ns" ovs-vsctl --db=unix:"$d/db.sock" --no-wait init &&
		ovs "$ns" ovs-vswitchd unix:"$d/db.sock" --pidfile="$d/ovs-vswitchd.pid" \
			--unixctl="$d/ovs-vswitchd.ctl" --log-file="$d/ovs-vswitchd.log" \
			--no-chdir --detach; } 2>"$d/start.err"; then
		sed "s/^/# ovs $ns: /" "$d/start.err"
		return 1
	fi
	# Without --no-wait, ovs-vsctl returns only once ovs-vswitchd has applied the change:
	# the daemon is then attached to the database, the readiness that matters.
	ovs "$ns" ovs-vsctl --db=unix:"$d/db.sock" --timeout=30 \
		set Open_vSwitch . external_ids:lisp-selftest=ready
}

# ovs_start NS...: the namespaces' daemons start side by side (most of the start-up is
# waiting); the run directories are chosen here, in the caller's shell, which keeps OVS_DIR.
ovs_start() {
	local ns pids=() rc=0 pid
	for ns in "$@"; do
		OVS_DIR[$ns]=$(mktemp -d "${TMPDIR:-/tmp}/lisp-ovs.XXXXXX") || return 1
	done
	for ns in "$@"; do
		ovs_start_one "$ns" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	return $rc
}

# Stops one daemon by the pid in PIDFILE and waits (up to 10 s) for it to be gone.
ovs_kill() {
	local pid
	[ -s "$1" ] && pid=$(cat "$1") || return 0
	kill "$pid" 2>/dev/null || return 0
	busywait 10000 bash -c "! kill -0 $pid 2>/dev/null" >/dev/null || kill -9 "$pid" 2>/dev/null
	return 0
}

ovs_stop() {
	local d=${OVS_DIR[$1]:-}
	[ -n "$d" ] || return 0
	ovs_kill "$d/ovs-vswitchd.pid"
	ovs_kill "$d/ovsdb-server.pid"
	# Keep the logs of a failed run visible.
	if [ "$VERBOSE" = 1 ]; then
		grep -h -E '\|(ERR|EMER|WARN)\|' "$d"/*.log 2>/dev/null | sed "s/^/# ovs $1: /"
	fi
	rm -rf "$d"
	unset "OVS_DIR[$1]"
}

ovs_stop_all() {
	local ns
	for ns in "${!OVS_DIR[@]}"; do
		ovs_stop "$ns"
	done
}

# The cleanup for tests that start Open vSwitch: daemons first (they hold their namespaces),
# then the namespaces.
ovs_cleanup() {
	ovs_stop_all
	cleanup_all_ns
}

# ovs-vsctl in NS, on NS's database, waiting at most 30 s for ovs-vswitchd.
vsctl() {
	local ns=$1
	shift
	ovs "$ns" ovs-vsctl --db=unix:"${OVS_DIR[$ns]}/db.sock" --timeout=30 "$@"
}

ovs_add_port() {
	local ns=$1 br=$2 port=$3 ofport=$4 err got
	shift 4
	vsctl "$ns" add-port "$br" "$port" -- set Interface "$port" ofport_request="$ofport" \
		${1:+"$@"} || return 1
	# ovs-vsctl succeeds even when the datapath refused the port: ask the Interface row.
	err=$(vsctl "$ns" get Interface "$port" error) || return 1
	got=$(vsctl "$ns" get Interface "$port" ofport) || return 1
	if [ "$err" != "[]" ] || [ "$got" != "$ofport" ]; then
		echo "# $port on $br: ofport $got (wanted $ofport), error $err"
		return 1
	fi
}

# ovs-appctl to NS's ovs-vswitchd.
appctl() {
	local ns=$1
	shift
	ovs "$ns" ovs-appctl -t "${OVS_DIR[$ns]}/ovs-vswitchd.ctl" "$@"
}

# ovs-ofctl add-flows from stdin, one flow a line.
ovs_flows() {
	ovs "$1" ovs-ofctl add-flows "$2" -
}

# ovs_vm_flows NS OFPORT N: on NS's br0, the flows for VM N behind OpenFlow port OFPORT, lisp0
# being port 3 (IPv4 and IPv6). Decapsulated packets carry the fixed destination MAC: with
# several VMs per hypervisor the rewrite must also match the destination address. Traffic
# between local VMs stays on the bridge; ARP and neighbour discovery go the normal L2 way
# (the L3 tunnel cannot carry them); the VM's other IP traffic goes to lisp0, whose map-cache
# picks the remote hypervisor (the guide's set_field:...->tun_dst is not needed).
ovs_vm_flows() {
	local ns=$1 p=$2 n=$3 ip4 ip6 mac
	ip4=$(vm_addr "$n" 4) ip6=$(vm_addr "$n" 6) mac=$(vm_mac "$n")
	ovs_flows "$ns" br0 <<-EOF
		priority=3,ip,dl_dst=$LISP_MAC,nw_dst=$ip4,actions=mod_dl_dst:$mac,output:$p
		priority=3,ipv6,dl_dst=$LISP_MAC,ipv6_dst=$ip6,actions=mod_dl_dst:$mac,output:$p
		priority=2,ip,nw_dst=$ip4,actions=NORMAL
		priority=2,ipv6,ipv6_dst=$ip6,actions=NORMAL
		priority=2,in_port=$p,arp,actions=NORMAL
		priority=2,in_port=$p,icmp6,icmp_type=135,actions=NORMAL
		priority=2,in_port=$p,icmp6,icmp_type=136,actions=NORMAL
		priority=1,in_port=$p,ip,actions=output:3
		priority=1,in_port=$p,ipv6,actions=output:3
		priority=0,actions=NORMAL
	EOF
}

# Helpers of the scenario tests (lisp_ovs.sh, lisp_bridge.sh). Hypervisor I is namespace $HV<I>,
# VM N namespace $VM<N> (two digits: hypervisor, index), with MAC 02:0a:00:00:00:<N>.
LISP_MAC=02:00:00:00:00:00	# the fixed MAC of decapsulated packets
PING="ping -c 2 -i 0.3 -W 2"

lc() { local i=$1; shift; hv "$i" "$LISPCTL" "$@"; }
lisp_stat() { lc "$1" -j stats dev lisp0 | jq -r ".[0].stats.$2"; }
vm_mac() { printf '02:0a:00:00:00:%02d' "$1"; }
vm_addr() {	# vm_addr N 4|6: VM N's global address
	vm "$1" ip -"$2" -j addr show dev eth0 scope global | jq -r '.[0].addr_info[0].local'
}

# add_vm HV N TAP SUBNET: VM N behind hypervisor HV's device TAP (a veth), with SUBNET.N/24 and
# fd0X::N/64 (X: SUBNET's last byte), MTU 1400: a bridge drops frames larger than the MTU of
# the port they leave by, and lisp0's is 1444.
add_vm() {
	local i=$1 n=$2 tap=$3 net=$4
	ip link add eth0 netns "$(eval echo "\$VM$n")" address "$(vm_mac "$n")" mtu 1400 type veth \
		peer name "$tap" netns "$(eval echo "\$HV$i")" || return 1
	vm "$n" ip addr add "$net.$n/24" dev eth0 &&
		vm "$n" ip addr add "fd0${net##*.}::$n/64" dev eth0 nodad &&
		vm "$n" ip link set eth0 up && hv "$i" ip link set "$tap" up
}

# setup_router I J: hypervisors I and J (eth0: 10.1.0.I/24, 10.2.0.J/24) joined by router $RT.
setup_router() {
	local i k=1
	for i in "$@"; do
		ip link add eth0 netns "$(eval echo "\$HV$i")" type veth peer name r$i netns "$RT" ||
			return 1
		ip -n "$RT" addr add 10.$k.0.254/24 dev r$i && ip -n "$RT" link set r$i up &&
			hv $i ip addr add 10.$k.0.$i/24 dev eth0 && hv $i ip link set eth0 up &&
			hv $i ip route add default via 10.$k.0.254 || return 1
		k=$((k + 1))
	done
	ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
}

# pings_through A B HV-A HV-B ADDR-A ADDR-B: VMs A and B ping each other, and the packets went
# through the tunnel: lisp0 of HV-A sent and lisp0 of HV-B received at least as many.
pings_through() {
	local tx rx
	tx=$(lisp_stat "$3" tx_packets) rx=$(lisp_stat "$4" rx_packets)
	vm "$1" $PING "$6" >/dev/null && vm "$2" $PING "$5" >/dev/null || return 1
	[ "$(lisp_stat "$3" tx_packets)" -ge $((tx + 2)) ] &&
		[ "$(lisp_stat "$4" rx_packets)" -ge $((rx + 2)) ]
}

# Scenario 2's first remedy for ARP across the tunnel: static neighbour entries in vm41 and
# vm51, then a ping each way through lisp0. Any MAC would do, as the receiving hypervisor
# rewrites the destination; the peer's real MAC keeps the VM's view truthful.
s2_static_neighbours() {
	vm 41 ip neigh replace 192.168.2.51 lladdr "$(vm_mac 51)" dev eth0 nud permanent &&
		vm 51 ip neigh replace 192.168.2.41 lladdr "$(vm_mac 41)" dev eth0 nud permanent &&
		pings_through 41 51 4 5 192.168.2.41 192.168.2.51
}

# arp_unanswered A ADDR: VM A's ARP request for ADDR gets no answer.
arp_unanswered() {
	! vm "$1" ping -c 1 -W 1 "$2" >/dev/null &&
		vm "$1" ip neigh show "$2" | grep -qE 'FAILED|INCOMPLETE'
}

server_up() { vm "$1" ss -ltn | grep -q ':5201 '; }

# iperf_both CLIENT SERVER ADDR: TCP from VM CLIENT to ADDR (of VM SERVER) for two seconds,
# then back (-R); the receiver must see more than TCP_MIN_BPS each way.
iperf_both() {
	local dir bps
	# One server per VM for all runs: a one-off server (-1) may still hold the port while the
	# next one starts, and a client would then reach the leaving one.
	server_up "$2" || { vm "$2" iperf3 -s -D >/dev/null && slowwait 10 server_up "$2"; } ||
		return 1
	for dir in "" -R; do
		bps=$(vm "$1" iperf3 -c "$3" -t 2 $dir -J | jq -r '.end.sum_received.bits_per_second')
		echo "# TCP${dir:+ (reverse)} with $3: ${bps%.*} bit/s"
		[ "${bps%.*}" -gt "$TCP_MIN_BPS" ] || return 1
	done
}

# Open Overlay Router (OOR 1.3, Debian's openoverlayrouter), an independent LISP implementation:
# xTR (data plane on its tun device lispTun0) or Map-Server/Map-Resolver. One instance per
# network namespace. OOR binds its API socket at the fixed path /tmp/oor-ipc (and writes
# /tmp/oor-id): each instance runs in its own mount namespace with its own directory
# $OOR_DIR[NS] bind-mounted on /tmp, which also holds its configuration (/tmp/oor.conf as OOR
# sees it) and its log (oor.log: OOR in the foreground logs to stdout, log-file is only used
# with -D). Ready is the log line "Open Overlay Router (vX): started...".
#
#   oor_start NS CONFFILE   start OOR in NS with a copy of CONFFILE, wait until it is ready
#   oor_log NS              the path of NS's log
#   oor_stop NS / oor_stop_all   stop instances by their pids (with OOR_KEEP=PATH-PREFIX
#                           each log is kept as PATH-PREFIXoor-NS.log, NS without suffix)
#   oor_ms_config IFACE SITE...  an MS/MR configuration on stdout
#   oor_xtr_config OPTS     an xTR configuration on stdout
OOR_BIN=${OOR_BIN:-/usr/sbin/oor}
OOR_DEBUG=${OOR_DEBUG:-2}
declare -A OOR_DIR=() OOR_PID=()

oor_available() { [ -x "$OOR_BIN" ]; }
oor_log() { echo "${OOR_DIR[$1]:?no OOR started in namespace $1}/oor.log"; }

# Ready, or gone (oor_start tells which).
oor_settled() {
	grep -q 'Open Overlay Router.*started' "${OOR_DIR[$1]}/oor.log" ||
		! kill -0 "${OOR_PID[$1]}" 2>/dev/null
}

oor_start() {
	local ns=$1 conf=$2 d
	d=$(mktemp -d "${TMPDIR:-/tmp}/lisp-oor.XXXXXX") || return 1
	OOR_DIR[$ns]=$d
	cp "$conf" "$d/oor.conf" || return 1
	[ "$VERBOSE" = 1 ] && echo "# + [$ns] oor -f $d/oor.conf" >&2
	# ip netns exec, unshare, sh and stdbuf all exec: $! is OOR's pid. OOR writes its log with
	# stdio: line-buffered, the log shows each line when it is written.
	ip netns exec "$ns" unshare -m sh -c \
		'mount --bind "$1" /tmp && exec stdbuf -oL -eL "$2" -f /tmp/oor.conf' \
		sh "$d" "$OOR_BIN" >"$d/oor.log" 2>&1 </dev/null &
	OOR_PID[$ns]=$!
	# About 3 s under TCG, 30 s on a loaded machine.
	slowwait 90 oor_settled "$ns"
	if ! kill -0 "${OOR_PID[$ns]}" 2>/dev/null ||
		! grep -q 'Open Overlay Router.*started' "$d/oor.log"; then
		echo "# OOR in $ns did not start; its log ends with:"
		tail -n 15 "$d/oor.log" | sed "s/^/# oor $ns: /"
		return 1
	fi
}

oor_stop() {
	local ns=$1 d=${OOR_DIR[$1]:-} pid=${OOR_PID[$1]:-}
	[ -n "$d" ] || return 0
	if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
		busywait 10000 bash -c "! kill -0 $pid 2>/dev/null" >/dev/null ||
			kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if [ "$VERBOSE" = 1 ]; then
		grep -h -E '(ERROR|WARNING|CRIT)' "$d/oor.log" 2>/dev/null | sort -u | head -n 20 |
			sed "s/^/# oor $ns: /"
	fi
	[ -n "${OOR_KEEP:-}" ] && cp "$d/oor.log" "${OOR_KEEP}oor-${ns%%-*}.log" 2>/dev/null
	rm -rf "$d"
	unset "OOR_DIR[$ns]" "OOR_PID[$ns]"
}

oor_stop_all() {
	local ns
	for ns in "${!OOR_DIR[@]}"; do
		oor_stop "$ns"
	done
}

# oor_ms_config IFACE SITE...: a Map-Server/Map-Resolver configuration, sending and receiving on
# IFACE (OOR's MS mode refuses to start without control-iface). Each SITE is
# PREFIX,IID,KEY[,KEY-TYPE[,MORE-SPECIFICS]] (defaults: key type 1 = HMAC-SHA-1-96, the only one
# OOR 1.3 accepts; more specifics true). OOR_MS_EXTRA is appended verbatim.
oor_ms_config() {
	local site pfx iid key kt more
	printf 'debug = %s\noperating-mode = MS\ncontrol-iface = %s\n' "$OOR_DEBUG" "$1"
	shift
	for site in "$@"; do
		IFS=, read -r pfx iid key kt more <<<"$site"
		cat <<-EOF
			lisp-site {
			    eid-prefix = $pfx
			    iid = $iid
			    key-type = ${kt:-1}
			    key = $key
			    accept-more-specifics = ${more:-true}
			}
		EOF
	done
	printf '%s\n' "${OOR_MS_EXTRA:-}"
}

# oor_xtr_config -r RLOC -e PREFIX,IID [-e ...] [-m MS,KEY[,KEY-TYPE[,PROXY-REPLY]]]
#                [-R MAP-RESOLVER] [-s PREFIX,IID,RLOC]...: an xTR configuration, RLOC probing
# off. -e: a database-mapping with RLOC; -m: a Map-Server (proxy-reply on|off, default off);
# -R: a Map-Resolver; -s: a static map-cache entry.
oor_xtr_config() {
	local OPTIND opt rloc="" eids=() mss=() mrs=() smcs=() e pfx iid x key kt proxy
	while getopts "r:e:m:R:s:" opt; do
		case $opt in
		r) rloc=$OPTARG ;;
		e) eids+=("$OPTARG") ;;
		m) mss+=("$OPTARG") ;;
		R) mrs+=("$OPTARG") ;;
		s) smcs+=("$OPTARG") ;;
		*) return 1 ;;
		esac
	done
	[ -n "$rloc" ] || return 1
	cat <<-EOF
		debug = $OOR_DEBUG
		operating-mode = xTR
		encapsulation = LISP
		nat_traversal_support = off
		map-request-retries = 2
		rloc-probing {
		    rloc-probe-interval = 0
		    rloc-probe-retries = 0
		    rloc-probe-retries-interval = 1
		}
	EOF
	if [ ${#mrs[@]} -gt 0 ]; then
		printf 'map-resolver = {\n'
		printf '    %s\n' "$(IFS=,; echo "${mrs[*]}")"
		printf '}\n'
	fi
	for e in "${mss[@]}"; do
		IFS=, read -r x key kt proxy <<<"$e"
		cat <<-EOF
			map-server {
			    address = $x
			    key-type = ${kt:-1}
			    key = $key
			    proxy-reply = ${proxy:-off}
			}
		EOF
	done
	for e in "${eids[@]}"; do
		IFS=, read -r pfx iid <<<"$e"
		cat <<-EOF
			database-mapping {
			    eid-prefix = $pfx
			    iid = ${iid:-0}
			    rloc-address {
			        address = $rloc
			        priority = 1
			        weight = 100
			    }
			}
		EOF
	done
	for e in "${smcs[@]}"; do
		IFS=, read -r pfx iid x <<<"$e"
		cat <<-EOF
			static-map-cache {
			    eid-prefix = $pfx
			    iid = ${iid:-0}
			    rloc-address {
			        address = $x
			        priority = 1
			        weight = 100
			    }
			}
		EOF
	done
}
