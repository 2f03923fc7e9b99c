#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Netlink fuzzing (selftests/lisp_fuzz.py netlink): seeded malformed requests to the "lisp"
# generic-netlink family (every LISP_CMD_* and commands that do not exist: unknown, reply-only,
# oversize and truncated attributes, wrong nesting, lying nla_len and nlmsg_len, values the
# handlers refuse; map dumps abandoned after one part, resumed to the end, and interrupted by a
# change), with NETLINK_EXT_ACK on, and malformed RTM_NEWLINK requests (creating a lisp device,
# or changing the existing one, with IFLA_INFO_DATA the policy or the module refuses). Every
# request must be answered with an error (an nlmsg_len beyond the datagram: ignored), with an
# extack message where the module's own checks refuse it, and leave the state as it was: the
# map dump, the device's DEV_GET attributes and the namespace's links (with lisp0's
# IFLA_INFO_DATA) are hashed every K requests and at the end. The attribute numbers are read
# from rust/uapi/src/uapi.rs, so attributes added there are fuzzed without edits here.
#
# Knobs: LISP_FUZZ_NL (generic-netlink requests, default 10000), LISP_FUZZ_LINK (RTM_NEWLINK
# requests, default 2000), LISP_FUZZ_SEED (default 1), LISP_FUZZ_K (default 200).

source "$(dirname "$0")/lib.sh"

N=${LISP_FUZZ_NL:-10000}
L=${LISP_FUZZ_LINK:-2000}
SEED=${LISP_FUZZ_SEED:-1}
K=${LISP_FUZZ_K:-200}
here=$(cd "$(dirname "$0")" && pwd)
FUZZ=$here/lisp_fuzz.py
UAPI=${LISP_UAPI:-$here/../rust/uapi/src/uapi.rs}

ktap_print_header
ktap_set_plan 4

[ -r "$UAPI" ] || ktap_exit_fail_msg "no uAPI file at $UAPI (set LISP_UAPI)"
lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"
T=$(mktemp -d)
trap 'rm -rf "$T"; cleanup_all_ns' EXIT
ip -n "$NS0" link add lisp0 type lisp &&
	ip -n "$NS0" link set lisp0 up || ktap_exit_fail_msg "cannot create lisp0"

t0=$SECONDS
ip netns exec "$NS0" python3 "$FUZZ" netlink --count "$N" --link-count "$L" --seed "$SEED" \
	--k "$K" --ifname lisp0 --uapi "$UAPI" --report "$T/report" >/dev/null
rc=$?
echo "# $N generic-netlink and $L RTM_NEWLINK requests in $((SECONDS - t0)) s (exit $rc)"

report() { jq -r "$1" "$T/report" 2>/dev/null; }

test_ran() {
	[ -s "$T/report" ] || return 1
	echo "# errno histogram: $(report '.errno | to_entries | map("\(.key): \(.value)") | join(", ")')"
	echo "# classes: $(report '.classes | to_entries | map("\(.key) \(.value)") | join(", ")')"
	echo "# without an extack message: $(report '.without_extack | to_entries | map("\(.key) \(.value)") | join(", ")')"
	echo "# dumps: $(report '.dumps | to_entries | map("\(.key) \(.value)") | join(", ")')"
	[ "$(report .genl)" -ge "$N" ] && [ "$(report .rtnl)" -ge "$L" ]
}

# Every request answered with an errno (or ignored, for the lying nlmsg_len), with extack
# where ours; no device created.
test_errors() {
	report '.failures[]' | grep -v '^state changed' | sed 's/^/# /' | head -n 20
	[ "$(report '[.failures[] | select(startswith("state changed") | not)] | length')" = 0 ] &&
		[ "$(report '.errno["0 accepted"] // 0')" = 0 ]
}

# The state hash unchanged at every check.
test_state() {
	echo "# $(report .checks) state checks"
	[ "$(report '[.failures[] | select(startswith("state changed"))] | length')" = 0 ] &&
		[ "$(report .checks)" -gt 1 ]
}

# An interrupted dump is flagged (NLM_F_DUMP_INTR) in the parts after the change.
test_dump_intr() {
	local n f
	n=$(report .dumps.interrupted) f=$(report .dumps.intr_flagged)
	echo "# $n interrupted dumps, $f flagged NLM_F_DUMP_INTR"
	[ "$n" -gt 0 ] && [ "$f" = "$n" ]
}

check "fuzzer ran: $N generic-netlink, $L RTM_NEWLINK requests" test_ran
check "every malformed request refused" test_errors
check "no state change on error" test_state
check "interrupted dumps flagged" test_dump_intr

ktap_finished
