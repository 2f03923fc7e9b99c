#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: data-path and map-cache measurements, side by side in one VM boot (software
# emulation: compare only the ratios printed, never figures from different boots).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

prepare
# kmemleak's per-allocation bookkeeping would distort the memory and speed figures.
LISP_VM_APPEND="kmemleak=off" scripts/vm.sh -- \
	"KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko" \
	"LISPCTL=$LISPCTL selftests/bench.sh" 2>&1 | no_console
