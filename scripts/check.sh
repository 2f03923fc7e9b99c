#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, then runs in order
#   1. host checks of the Rust code: rustfmt, clippy, cargo test (each cargo test case counts);
#   2. the module build against the cached test kernel, with clippy and -Dwarnings;
#   3. every selftest, in one boot of the test VM (or LISP_SHARDS side by side).
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
# LISP_RACE_*, LISP_FUZZ_*, LISP_ENOMEM_* and VERBOSE are passed to them. LISP_SHARDS=N
# (default 1; `make check-debug` sets 2) splits the selftests over N VMs booted side by side,
# balanced by their usual run times: under TCG one VM keeps less than one host core busy.
# Each shard's results are in .results[/<kernel>]/shardK/.
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
	local variant=$1 tag= res factor memory=2G append=${LISP_VM_APPEND:-} vmstart part k
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
	local tests shards=${LISP_SHARDS:-1} n
	tests=${LISP_TESTS:-$(make -s -C selftests list_tests)}
	[ "$shards" -ge 1 ] 2>/dev/null || shards=1
	if [ "$shards" = 1 ]; then
		run_vm "$res" "$tests" | no_console
		vm_result "$tag" "$res"
	else
		# Shards boot side by side, each with its share of the scripts in suite order;
		# their output comes when each is done.
		n=0
		while IFS= read -r part; do
			n=$((n + 1))
			mkdir -p "$res/shard$n"
			run_vm "$res/shard$n" "$part" >/dev/null &
		done < <(split_tests "$shards" $tests)
		wait
		for k in $(seq "$n"); do
			echo "# ${tag}shard $k of $n: $(cat "$res/shard$k/tests")"
			no_console <"$res/shard$k/vm.log"
			vm_result "${tag}[shard $k] " "$res/shard$k"
		done
	fi
	echo "# ${tag}selftests: VM run took $(( $(date +%s) - vmstart )) s"
}

# run_vm RESULTS TESTS: one boot of the test VM running TESTS (a list of selftests), its
# output on stdout and in RESULTS/vm.log, its console in RESULTS/console.log.
run_vm() {
	local res=$1 tests=$2
	echo "$tests" >"$res/tests"
	LISP_VM_APPEND=$append scripts/vm.sh --memory "$memory" --rwdir "$res" \
		--console "$res/console.log" -- "exec 2>&1;" "${knobs[@]}" \
		"LISP_RESULTS=$res KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko" \
		"LISP_VPORT_KO=$top/lisp_vport.ko LISP_TIMEOUT_FACTOR=$factor" \
		"LISPCTL=$top/rust/target/release/lispctl LISPD=$top/rust/target/release/lispd" \
		make -s -C selftests run_tests TEST_PROGS=\"$tests\" 2>&1 | tee "$res/vm.log"
}

# vm_result TAG RESULTS: adds a VM run's summary to the counts, or says why there is none.
vm_result() {
	local tag=$1 res=$2 vp vf vs
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

# split_tests N TEST...: N lines, each a share of the tests in their order, balanced by how
# long each takes (seconds on the normal kernel under TCG, from a full run; 30 if unknown):
# each test, longest first, goes to the share with the least so far.
split_tests() {
	local n=$1
	shift
	printf '%s\n' "$@" | awk -v n="$n" '
		BEGIN {
			split("module 4 link 22 stats 8 autoload 5 ynl 22 map 47 security 80 " \
			      "datapath 112 oor 33 lispd 121 external 14 vport 81 ovs 172 bridge 50 " \
			      "scale 116 fuzz_packets 79 fuzz_netlink 20 lifecycle 23 races 154 " \
			      "enomem 80", w, " ")
			for (i = 1; i < length(w); i += 2) secs["lisp_" w[i] ".sh"] = w[i + 1]
		}
		{ t[NR] = $0; d[NR] = ($0 in secs) ? secs[$0] : 30 }
		END {
			for (k = 1; k <= n; k++) load[k] = 0
			for (done = 0; done < NR; done++) {
				best = 0
				for (i = 1; i <= NR; i++)
					if (!(i in to) && (best == 0 || d[i] > d[best])) best = i
				min = 1
				for (k = 2; k <= n; k++) if (load[k] < load[min]) min = k
				to[best] = min; load[min] += d[best]
			}
			for (k = 1; k <= n; k++) {
				line = ""
				for (i = 1; i <= NR; i++) if (to[i] == k) line = line (line == "" ? "" : " ") t[i]
				if (line != "") print line
			}
		}'
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
