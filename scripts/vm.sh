#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test kernel in QEMU (virtme-ng, the host's root filesystem read-only) and run a
# command in it; exit with the command's exit code.
#
#   scripts/vm.sh [--rwdir DIR]... [--memory SIZE] [--console FILE] [--] COMMAND...
#
# --console FILE keeps the guest's kernel console in FILE (the boot, then messages at error
# level and above, LISP_VM_LOGLEVEL changes that), so that an oops or a panic that ends the VM
# is on record; an oops raises the level itself and prints whole. The command's stderr goes
# there too: redirect it (exec 2>&1) to keep it with stdout.
#
# KDIR selects the kernel tree (default: the cached test kernel). Software emulation (TCG) is the
# default, as nested KVM hangs on the project's machines; LISP_VM_KVM=1 tries KVM.
# LISP_VM_APPEND adds kernel command-line options.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"

rw=()
memory=2G console=
while [ $# -gt 0 ]; do
	case "$1" in
	--rwdir) rw+=(--rwdir "$2"); shift 2 ;;
	--memory) memory=$2; shift 2 ;;
	--console) console=$2; shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || die "usage: scripts/vm.sh [--rwdir DIR]... [--memory SIZE] [--console FILE] [--] COMMAND..."

KDIR=${KDIR:-$("$top/scripts/build-kernel.sh")}
[ -f "$KDIR/arch/x86/boot/bzImage" ] || die "no bzImage in $KDIR"

append=() verbose=()
if [ -n "$console" ]; then
	# vng --verbose writes the console to its stderr.
	verbose=(--verbose)
	LISP_VM_APPEND="loglevel=${LISP_VM_LOGLEVEL:-3}${LISP_VM_APPEND:+ $LISP_VM_APPEND}"
	exec 2>"$console"
fi
[ -n "${LISP_VM_APPEND:-}" ] && append=(--append "$LISP_VM_APPEND")

accel=(--disable-kvm)
[ "${LISP_VM_KVM:-0}" = 1 ] && [ -w /dev/kvm ] && accel=()

# vng wants a terminal-less stdin in CI; the command's own exit code comes back through it.
export PATH="$VENV/bin:$PATH"
exec vng --run "$KDIR" "${verbose[@]}" "${accel[@]}" --disable-microvm --cpus 2 \
	--memory "$memory" "${rw[@]}" "${append[@]}" --qemu-opts="-device virtio-rng-pci" \
	--cwd "$top" --exec "$*" </dev/null
