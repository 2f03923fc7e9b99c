#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: installs what is missing, builds the test kernel (cached) and lisp.ko, boots the
# test VM, in which two hypervisor namespaces tunnel their VMs' traffic over lisp0.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

"$top/scripts/deps.sh"
KDIR=$("$top/scripts/build-kernel.sh")
export KDIR
make -s -C "$KDIR" M="$top" modules >/dev/null
cargo build --release --quiet --manifest-path rust/Cargo.toml -p lispctl
log "booting the test VM (software emulation: about 15 s)"
scripts/vm.sh -- "LISP_KO=$top/lisp.ko LISPCTL=$top/rust/target/release/lispctl" \
	scripts/demo-guest.sh 2>&1 | grep -vE '^\[ *[0-9]+\.[0-9]+\]'
