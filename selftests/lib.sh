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
