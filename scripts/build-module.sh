#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build lisp.ko (and lisp_vport.ko) against the kernel tree $KDIR (default: the cached test
# kernel of variant $LISP_KERNEL, see scripts/build-kernel.sh); extra arguments go to kbuild
# (CLIPPY=1, V=1, ...).
#
#   KDIR=... scripts/build-module.sh [MAKE-ARGS...]
#
# Two things a bare `make -C $KDIR M=$PWD modules` gets wrong when several kernels are in use:
#  - a kernel built with clang (the KASAN test kernel) needs LLVM=1 for its external modules
#    too, else kbuild compiles the C glue with GCC and flags clang's options;
#  - kbuild runs in $KDIR and names its headers and Rust crates by relative paths (./include,
#    -L./rust), so objects built against another tree of the same version can look up to date.
#    The tree of the last build is recorded in .kdir; a different tree cleans the objects first.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

KDIR=${KDIR:-$("$top/scripts/build-kernel.sh")}
KDIR=$(cd "$KDIR" && pwd)
[ -f "$KDIR/.config" ] || die "$KDIR has no .config: not a configured kernel tree"

args=()
kernel_is_clang "$KDIR" && args+=(LLVM=1)

stamp=$top/.kdir
if [ "$(cat "$stamp" 2>/dev/null)" != "$KDIR" ]; then
	if [ -f "$stamp" ] || [ -f "$top/lisp.ko" ]; then
		log "module: objects were built against $(cat "$stamp" 2>/dev/null || echo 'another tree'); cleaning"
		make -s -C "$KDIR" M="$top" "${args[@]}" clean >/dev/null 2>&1 || true
		rm -f "$top/rust/module/sys/bindings_generated.rs" "$top/rust/vport/bindings_generated.rs" \
			"$top/rust/module/sys/uapi_generated.h"
	fi
	echo "$KDIR" >"$stamp"
fi
exec make -C "$KDIR" M="$top" "${args[@]}" "$@" modules
