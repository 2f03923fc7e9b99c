#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: installs what is missing, then runs in order
#   1. host checks of the Rust code: rustfmt, clippy, cargo test (each cargo test case counts);
#   2. the module build against the cached test kernel, with clippy and -Dwarnings;
#   3. every selftest, in one boot of the test VM.
# Prints each result and ends with "N passed, N failed, N skipped"; exits non-zero on a failure.
#
#   scripts/check.sh [--host-only]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

host_only=0
[ "${1:-}" = --host-only ] && host_only=1

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

# 1. Host checks.
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
step "lispctl and lispd build (release)" \
	cargo build --release --quiet --manifest-path rust/Cargo.toml -p lispctl -p lispd
step "control messages as tshark decodes them" scripts/check-control-tshark.sh
[ $host_only = 1 ] && finish

# 2. Module build.
KDIR=$("$top/scripts/build-kernel.sh") || { result 1 "test kernel built"; finish; }
export KDIR
echo "# test kernel: $KDIR ($(( $(date +%s) - start )) s so far)"
if ! step "module builds warning-free (clippy, -Dwarnings)" \
	make -C "$KDIR" M="$top" CLIPPY=1 modules; then
	finish
fi
echo "# lisp.ko: $(stat -c %s lisp.ko) bytes"

# 3. Selftests in one VM boot.
res=$top/.results
rm -rf "$res"; mkdir -p "$res"
vmstart=$(date +%s)
scripts/vm.sh --rwdir "$res" -- \
	"LISP_RESULTS=$res KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko" \
	"LISP_VPORT_KO=$top/lisp_vport.ko" \
	"LISPCTL=$top/rust/target/release/lispctl LISPD=$top/rust/target/release/lispd" \
	make -s -C selftests run_tests 2>&1 | tee "$res/vm.log" | no_console
echo "# selftests: VM run took $(( $(date +%s) - vmstart )) s"
if read -r vp vf vs <"$res/summary" 2>/dev/null; then
	pass=$((pass + vp)) fail=$((fail + vf)) skip=$((skip + vs))
else
	result 1 "selftests: the VM run completed"
	tail -n 40 "$res/vm.log" | sed 's/^/# /'
fi
finish
