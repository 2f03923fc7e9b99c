#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The YNL spec (Documentation/netlink/specs/lisp.yaml) and the kernel agree: the kernel tree's
# generic YNL library (the one tools/net/ynl/cli.py runs on), which knows the family only from
# the spec, adds, reads, dumps and deletes map-cache entries, and gets the kernel's own messages
# for requests it does not check itself.
#
#   [ ns0: lisp0 dummy0 ]

source "$(dirname "$0")/lib.sh"

ktap_print_header
python3 -c 'import yaml, jsonschema' 2>/dev/null ||
	{ ktap_skip_all "python3-yaml and python3-jsonschema are needed"; exit "$KSFT_SKIP"; }
ktap_set_plan 8

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
setup_ns NS0 || ktap_exit_fail_msg "cannot create namespace"
ynl_err=$(mktemp)
trap 'cleanup_all_ns; rm -f "$ynl_err"' EXIT
ip -n "$NS0" link add lisp0 type lisp
ip -n "$NS0" link add dummy0 type dummy

# One YNL process answers every request (ynl_server.py): a Python start per request would cost
# seconds each in the VM.
coproc YNL { ip netns exec "$NS0" python3 -u "$(dirname "$0")/ynl_server.py" "$KSRC" "$LISP_SPEC" \
	"$KSRC/Documentation/netlink/genetlink-legacy.yaml" 2>"$ynl_err"; }
# Own copies of the pipes: bash may close the coprocess's descriptors behind our back.
exec {ynl_in}>&"${YNL[1]}" {ynl_out}<&"${YNL[0]}"
ready=
read -r -t 300 ready <&"$ynl_out"
[ "$ready" = ready ] ||
	ktap_exit_fail_msg "ynl_server.py did not start within 300 s: '$ready' $(tail -n 3 "$ynl_err")"
y() {	# y --do|--dump OP [--json JSON]: the reply on stdout, or the error on stderr and status 1
	local mode=${1#--} op=$2 json=${4:-'{}'} answer
	printf '%s %s %s\n' "$mode" "$op" "$(tr -d '\n\t' <<<"$json")" >&"$ynl_in"
	IFS= read -r -t 120 answer <&"$ynl_out" ||
		{ echo "no answer from ynl_server.py: $(tail -n 3 "$ynl_err")" >&2; return 1; }
	case $answer in
	ok$'\t'*) printf '%s\n' "${answer#ok$'\t'}" ;;
	*) printf '%s\n' "${answer#err$'\t'}" >&2; return 1 ;;
	esac
}

test_add_get() {
	y --do map-add --json '{"ifname":"lisp0","map":[{"iid":7,"eid":"0a010000","plen":16,
		"rloc":[{"addr":"c0000201","priority":2},{"addr":"20010db8000000000000000000000001","weight":30}],
		"ttl":600}]}' >/dev/null || return 1
	local out
	out=$(y --do map-get --json '{"ifname":"lisp0","map":[{"iid":7,"eid":"0a010000","plen":16}]}')
	[ "$(jq -r '.map[0].eid' <<<"$out")" = 10.1.0.0 ] &&
		[ "$(jq -r '.map[0].iid' <<<"$out")" = 7 ] &&
		[ "$(jq -r '.map[0].rloc | length' <<<"$out")" = 2 ] &&
		[ "$(jq -r '.map[0].rloc[0].addr' <<<"$out")" = 192.0.2.1 ] &&
		[ "$(jq -r '.map[0].rloc[0].priority' <<<"$out")" = 2 ] &&
		[ "$(jq -r '.map[0].rloc[1].addr' <<<"$out")" = 2001:db8::1 ] &&
		[ "$(jq -r '.map[0].rloc[1].weight' <<<"$out")" = 30 ] &&
		[ "$(jq -r '.map[0].ttl' <<<"$out")" = 600 ]
}

test_lookup_selects_best_priority() {
	local out
	out=$(y --do map-get --json '{"ifname":"lisp0","iid":7,"lookup":"0a01fefe","hash":99}')
	# The IPv6 RLOC has priority 1 (default), better than the IPv4 one's 2.
	[ "$(jq -r '.map[0].plen' <<<"$out")" = 16 ] && [ "$(jq -r '.map[0].selected' <<<"$out")" = 1 ]
}

test_dump() {
	y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"20010db8000100000000000000000000","plen":48,"action":1},
		{"eid":"0a020000","plen":24,"rloc":[{"addr":"c0000202"}]}]}' >/dev/null || return 1
	local out
	out=$(y --dump map-get --json '{"ifname":"lisp0"}')
	# IPv4 entries come first, ordered by instance ID then address.
	[ "$(jq -r 'length' <<<"$out")" = 3 ] &&
		[ "$(jq -r '[.[].map[0].eid] | join(",")' <<<"$out")" = "10.2.0.0,10.1.0.0,2001:db8:1::" ] &&
		[ "$(jq -r '.[2].map[0].action' <<<"$out")" = forward ]
}

test_dev_get() {
	local out
	out=$(y --do dev-get --json '{"ifname":"lisp0"}')
	[ "$(jq -r '."map-count"' <<<"$out")" = 3 ] && [ "$(jq -r '.port' <<<"$out")" = 4341 ] &&
		[ "$(jq -r '.stats."tx-packets"' <<<"$out")" = 0 ]
}

test_del() {
	y --do map-del --json '{"ifname":"lisp0","map":[{"iid":7,"eid":"0a010000","plen":16}]}' >/dev/null &&
		fails_with "no map-cache entry matches" \
			y --do map-get --json '{"ifname":"lisp0","map":[{"iid":7,"eid":"0a010000","plen":16}]}'
}

test_kernel_messages() {
	fails_with "LISP_MAP_A_PLEN exceeds 32 for an IPv4 EID" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000000","plen":33,"rloc":[{"addr":"c0000201"}]}]}' &&
	fails_with "an entry needs a LISP_MAP_A_RLOC or a LISP_MAP_A_ACTION" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000000","plen":8}]}' &&
	fails_with "too many LISP_MAP_A_RLOC: at most 8" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000000","plen":8,"rloc":[
			{"addr":"c0000201"},{"addr":"c0000202"},{"addr":"c0000203"},{"addr":"c0000204"},{"addr":"c0000205"},
			{"addr":"c0000206"},{"addr":"c0000207"},{"addr":"c0000208"},{"addr":"c0000209"}]}]}' &&
	fails_with "LISP_RLOC_A_WEIGHT exceeds 100" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000000","plen":8,"rloc":[{"addr":"c0000201","weight":101}]}]}' &&
	fails_with "LISP_MAP_A_EID is missing" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"plen":8,"rloc":[{"addr":"c0000201"}]}]}' &&
	fails_with "LISP_MAP_A_EID has host bits set" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000001","plen":8,"rloc":[{"addr":"c0000201"}]}]}' &&
	fails_with "LISP_RLOC_A_ADDR must be 4 (IPv4) or 16 (IPv6) bytes" \
		y --do map-add --json '{"ifname":"lisp0","map":[{"eid":"0a000000","plen":8,"rloc":[{"addr":"c00002"}]}]}' &&
	fails_with "no LISP_A_MAP entry in the request" y --do map-add --json '{"ifname":"lisp0"}'
}

test_device_errors() {
	fails_with "no device with this LISP_A_IFNAME" y --do dev-get --json '{"ifname":"nosuch0"}' &&
		fails_with "no device with this LISP_A_IFINDEX" y --do dev-get --json '{"ifindex":99999}' &&
		fails_with "the device is not a lisp device" y --do dev-get --json '{"ifname":"dummy0"}' &&
		fails_with "LISP_A_IFINDEX or LISP_A_IFNAME is required" y --do map-flush --json '{}'
}

test_flush() {
	y --do map-flush --json '{"ifname":"lisp0"}' >/dev/null &&
		[ "$(y --dump map-get --json '{"ifname":"lisp0"}' | jq length)" = 0 ]
}

check "ynl map-add/map-get round trip (IPv4 EID, IPv4+IPv6 RLOCs, iid, ttl)" test_add_get
check "ynl lookup reports the best-priority RLOC" test_lookup_selects_best_priority
check "ynl dump: order and contents" test_dump
check "ynl dev-get" test_dev_get
check "ynl map-del" test_del
check "kernel rejects bad entries with specific messages" test_kernel_messages
check "kernel rejects unknown and foreign devices" test_device_errors
check "ynl map-flush" test_flush

ktap_finished
