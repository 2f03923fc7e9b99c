#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) a test kernel: Debian's linux-source-6.12, unmodified, configured as
# tinyconfig + scripts/kernel-base.config + selftests/config, and for the debug variants
# scripts/kernel-debug.config (+ scripts/kernel-kasan.config, built with LLVM=1 since Rust and
# KASAN need clang in 6.12). The built tree is cached outside the clone, keyed by source
# version, config and toolchain, and its path is printed on stdout.
#
#   scripts/build-kernel.sh [normal|debug|kasan]    (default: $LISP_KERNEL, else normal)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

RECIPE=1
src_pkg=linux-source-6.12
src_ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null) || die "$src_pkg is not installed (run scripts/deps.sh)"
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* found"

variant=${1:-${LISP_KERNEL:-normal}}
fragments=("$top/scripts/kernel-base.config" "$top/selftests/config")
llvm=()
case $variant in
normal) ;;
debug) fragments+=("$top/scripts/kernel-debug.config") ;;
kasan)
	fragments+=("$top/scripts/kernel-debug.config" "$top/scripts/kernel-kasan.config")
	llvm=(LLVM=1)
	;;
*) die "unknown kernel variant '$variant' (normal, debug or kasan)" ;;
esac

key=$( {
	echo "recipe $RECIPE $src_pkg $src_ver"
	cat "${fragments[@]}"
	gcc --version | head -n1
	rustc --version
	bindgen --version
	[ ${#llvm[@]} = 0 ] || clang --version | head -n1
} | sha256sum | cut -c1-16)
# The normal kernel keeps its bare key as its name; variants are prefixed.
name=$key
[ "$variant" = normal ] || name=$variant-$key
tree=$LISP_CACHE/kernel/$name

if [ -f "$tree/.lisp-built" ]; then
	echo "$tree"
	exit 0
fi

mkdir -p "$LISP_CACHE/kernel"
exec 9>"$LISP_CACHE/kernel/.lock"
flock 9
if [ -f "$tree/.lisp-built" ]; then
	echo "$tree"
	exit 0
fi

start=$(date +%s)
work=$tree.tmp
rm -rf "$work"
mkdir -p "$work"
log "kernel: unpacking $tarball ($src_ver) into $work"
tar -C "$work" --strip-components=1 -xf "$tarball"
cd "$work"
log "kernel: configuring"
make -s "${llvm[@]}" tinyconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "${fragments[@]}" >/dev/null 2>&1
make -s "${llvm[@]}" olddefconfig >/dev/null
# Every =y of the test fragments must have survived olddefconfig (a missing dependency drops
# it); kernel-base.config is a broader base, of which only the essentials are checked.
for opt in CONFIG_VIRTIO_PCI $(cat "${fragments[@]:1}" | sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=y$/\1/p'); do
	grep -q "^$opt=y" .config || die "$opt did not stay enabled in .config ($variant kernel)"
done
make -s "${llvm[@]}" rustavailable >&2
jobs=$(( $(nproc) + 1 ))
log "kernel: building the $variant kernel with -j$jobs ${llvm[*]} (10-30 minutes on 2 cores)"
make -s "${llvm[@]}" -j"$jobs" bzImage modules >"$work/build.log" 2>&1 || {
	tail -n 50 "$work/build.log" >&2
	die "kernel build failed (log: $work/build.log)"
}
touch .lisp-built
cd /
rm -rf "$tree"
mv "$work" "$tree"
# Older trees of this variant are superseded by this one; keep only the newest.
if [ "$variant" = normal ]; then
	find "$LISP_CACHE/kernel" -mindepth 1 -maxdepth 1 -type d -regextype egrep \
		-regex '.*/[0-9a-f]{16}' ! -name "$name" -exec rm -rf {} +
else
	find "$LISP_CACHE/kernel" -mindepth 1 -maxdepth 1 -type d -name "$variant-*" \
		! -name "$name" -exec rm -rf {} +
fi
log "kernel: $variant kernel built in $(( $(date +%s) - start )) s"
echo "$tree"
