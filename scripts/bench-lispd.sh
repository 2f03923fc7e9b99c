#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench-lispd`: control-plane figures in one VM boot: N (default 10000) distinct misses
# resolved through Open Overlay Router and installed, the rate, lispd's memory. Then the
# engine alone (no kernel, no network) with 100000 learned entries.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

prepare
LISP_VM_APPEND="kmemleak=off" scripts/vm.sh --memory 3G -- \
	"KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko N=${N:-10000}" \
	"LISPCTL=$LISPCTL LISPD=$LISPD selftests/lispd_bench.sh" 2>&1 | no_console
echo "# engine alone:"
cargo run --release --quiet --manifest-path rust/Cargo.toml -p lispd --example scale 100000
