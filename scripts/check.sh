#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, then runs in order
#   1. host checks of the Rust code: rustfmt, clippy, cargo test (each cargo test case counts);
#   2. the module build against the cached test kernel, with clippy and -Dwarnings;
#   3. every selftest, in one boot of the test VM.
# Prints each result and ends with "N passed, N failed, N skipped"; exits non-zero on a failure.
#
#   scripts/check.sh [--host-only | --no-host] [--kernel normal|debug|kasan]...
#
# --kernel (repeatable; default $LISP_KERNEL, else normal) runs 2. and 3. on each named test
# kernel in turn (scripts/build-kernel.sh); `make check-debug` is --no-host --kernel debug
# --kernel kasan. The debug kernels are several times slower under TCG: each script's timeout
# (selftests/settings) is multiplied by LISP_TIMEOUT_FACTOR (default 1, debug 4, kasan 6; times
# LISP_TIMEOUT_SCALE, which `make check-races` sets for its longer run), and
# their VM gets LISP_DEBUG_VM_MEMORY (default 4G) for the checkers' metadata and a 4 MB log
# buffer. LISP_TESTS="lisp_link.sh lisp_map.sh" runs only those selftests (in that order);
# LISP_RACE_*, LISP_FUZZ_*, LISP_ENOMEM_* and VERBOSE are passed to them.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

host=1 host_only=0 kernels=()
while [ $# -gt 0 ]; do
	case $1 in
	--host-only) host_only=1 ;;
	--no-host) host=0 ;;
	--kernel)
		case ${2:-} in
		normal|debug|kasan) kernels+=("$2") ;;
		*) die "--kernel takes normal, debug or kasan" ;;
		esac
		shift ;;
	*) die "usage: scripts/check.sh [--host-only | --no-host] [--kernel normal|debug|kasan]..." ;;
	esac
	shift
done
[ ${#kernels[@]} = 0 ] && kernels=("${LISP_KERNEL:-normal}")

pass=0 fail=0 skip=0
result() {	# result STATUS DESC: STATUS 0 passes, anything else fails
	if [ "$1" = 0 ]; then
		pass=$((pass + 1)); echo "ok - $2"
	else
		fail=$((fail + 1)); echo "not ok - $2"
	fi
}
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" = 0 ]
	exit
}
step() {	# step DESC COMMAND...: runs a step, shows its output only when it fails
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1); rc=$?
	[ $rc != 0 ] && sed 's/^/# /' <<<"$out" | tail -n 60
	result $rc "$desc"
	return $rc
}

start=$(date +%s)
"$top/scripts/deps.sh" || { result 1 "dependencies installed"; finish; }

# 1. Host checks; the tools are built either way, the selftests need them.
host_checks() {
	step "rustfmt: userspace crates" cargo fmt --manifest-path rust/Cargo.toml --all --check
	step "rustfmt: kernel module" rustfmt --check --edition 2021 rust/module/lisp_main.rs \
		rust/vport/lisp_vport.rs
	step "clippy: userspace crates" \
		cargo clippy --manifest-path rust/Cargo.toml --all-targets --quiet -- -D warnings
	out=$(cargo test --manifest-path rust/Cargo.toml 2>&1); rc=$?
	read -r tp tf < <(awk '/^test result:/ { p += $4; f += $6 } END { print p + 0, f + 0 }' <<<"$out")
	pass=$((pass + ${tp:-0})) fail=$((fail + ${tf:-0}))
	if [ $rc != 0 ] && [ "${tf:-0}" = 0 ]; then
		sed 's/^/# /' <<<"$out" | tail -n 40
		result 1 "cargo test: build"
	fi
	echo "# cargo test: ${tp:-0} passed, ${tf:-0} failed"
}
[ $host = 1 ] && host_checks
step "lispctl and lispd build (release)" \
	cargo build --release --quiet --manifest-path rust/Cargo.toml -p lispctl -p lispd
if [ $host = 1 ]; then
	step "control messages as tshark decodes them" scripts/check-control-tshark.sh
	step "kernel log check: every checker's report caught, benign lines not" \
		selftests/run_tests.sh --check-log-patterns
fi
[ $host_only = 1 ] && finish

# 2. and 3. on each test kernel: the module build, then the selftests in one VM boot.
kernel_checks() {
	local variant=$1 tag= res factor memory=2G append=${LISP_VM_APPEND:-} vp vf vs vmstart
	if [ "$variant" != normal ]; then
		tag="[$variant] "
		memory=${LISP_DEBUG_VM_MEMORY:-4G}
		# A report is several kB and the checkers add their own lines: the default 128 kB
		# log buffer could drop one before the check after the test reads it.
		append="log_buf_len=4M $append"
	fi
	case $variant in
	normal) factor=1 ;;
	debug) factor=4 ;;
	kasan) factor=6 ;;
	esac
	factor=$(( ${LISP_TIMEOUT_FACTOR:-$factor} * ${LISP_TIMEOUT_SCALE:-1} ))

	KDIR=$("$top/scripts/build-kernel.sh" "$variant") || { result 1 "${tag}test kernel built"; return; }
	export KDIR
	echo "# $variant test kernel: $KDIR ($(( $(date +%s) - start )) s so far)"
	step "${tag}module builds warning-free (clippy, -Dwarnings)" \
		scripts/build-module.sh CLIPPY=1 || return
	echo "# lisp.ko: $(stat -c %s lisp.ko) bytes"

	res=$top/.results
	[ "$variant" = normal ] || res=$top/.results/$variant
	rm -rf "$res"; mkdir -p "$res"
	vmstart=$(date +%s)
	LISP_VM_APPEND=$append scripts/vm.sh --memory "$memory" --rwdir "$res" \
		--console "$res/console.log" -- "exec 2>&1;" "${knobs[@]}" \
		"LISP_RESULTS=$res KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko" \
		"LISP_VPORT_KO=$top/lisp_vport.ko LISP_TIMEOUT_FACTOR=$factor" \
		"LISPCTL=$top/rust/target/release/lispctl LISPD=$top/rust/target/release/lispd" \
		make -s -C selftests run_tests ${LISP_TESTS:+TEST_PROGS=\"$LISP_TESTS\"} 2>&1 |
		tee "$res/vm.log" | no_console
	echo "# ${tag}selftests: VM run took $(( $(date +%s) - vmstart )) s"
	if read -r vp vf vs <"$res/summary" 2>/dev/null; then
		pass=$((pass + vp)) fail=$((fail + vf)) skip=$((skip + vs))
	else
		result 1 "${tag}selftests: the VM run completed"
		tail -n 30 "$res/vm.log" | sed 's/^/# /'
		# What ended it: an oops or a panic is on the guest's console.
		echo "# the guest's console ($res/console.log) ends with:"
		tail -n 60 "$res/console.log" | sed 's/^/# console: /'
	fi
}

# The selftests' own knobs (LISP_RACE_ITERATIONS, LISP_FUZZ_SEED, ...) reach the VM.
knobs=()
while read -r v; do
	knobs+=("$v=$(printf %q "${!v}")")
done < <(compgen -e | grep -E '^(LISP_(RACE|FUZZ|ENOMEM)[A-Z_]*|VERBOSE)$')

for k in "${kernels[@]}"; do
	kernel_checks "$k"
done
finish
