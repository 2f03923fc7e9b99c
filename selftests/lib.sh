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

# The kernel tree's YNL CLI, driving the lisp family from Documentation/netlink/specs/lisp.yaml.
: "${KSRC:=$KSFT_DIR/../../..}"
LISP_SPEC=${LISP_SPEC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/Documentation/netlink/specs/lisp.yaml}
ynl() {	# ynl NS ARGS...: the CLI in namespace NS
	local ns=$1
	shift
	ip netns exec "$ns" python3 "$KSRC/tools/net/ynl/cli.py" --spec "$LISP_SPEC" \
		--schema "$KSRC/Documentation/netlink/genetlink-legacy.yaml" --output-json "$@"
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
