#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the test kernel: Debian's linux-source-6.12, unmodified, configured as
# tinyconfig + scripts/kernel-base.config + selftests/config. The built tree is cached outside
# the clone, keyed by source version, config and toolchain, and its path is printed on stdout.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

RECIPE=1
src_pkg=linux-source-6.12
src_ver=$(dpkg-query -W -f='${Version}' "$src_pkg" 2>/dev/null) || die "$src_pkg is not installed (run scripts/deps.sh)"
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* found"

key=$( {
	echo "recipe $RECIPE $src_pkg $src_ver"
	cat "$top/scripts/kernel-base.config" "$top/selftests/config"
	gcc --version | head -n1
	rustc --version
	bindgen --version
} | sha256sum | cut -c1-16)
tree=$LISP_CACHE/kernel/$key

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
make -s tinyconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "$top/scripts/kernel-base.config" "$top/selftests/config" >/dev/null 2>&1
make -s olddefconfig >/dev/null
for opt in CONFIG_RUST CONFIG_NET_UDP_TUNNEL CONFIG_VETH CONFIG_IPV6 CONFIG_OPENVSWITCH CONFIG_VIRTIO_PCI; do
	grep -q "^$opt=y" .config || die "$opt did not stay enabled in .config"
done
make -s rustavailable >&2
jobs=$(( $(nproc) + 1 ))
log "kernel: building bzImage and modules with -j$jobs (about 10 minutes on 2 cores)"
make -s -j"$jobs" bzImage modules >"$work/build.log" 2>&1 || {
	tail -n 50 "$work/build.log" >&2
	die "kernel build failed (log: $work/build.log)"
}
touch .lisp-built
cd /
rm -rf "$tree"
mv "$work" "$tree"
# Older trees are superseded by this one; keep only the newest.
find "$LISP_CACHE/kernel" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
log "kernel: built in $(( $(date +%s) - start )) s"
echo "$tree"
