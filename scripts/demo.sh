#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: installs what is missing, builds the test kernel (cached) and lisp.ko, boots the
# test VM, in which two hypervisor namespaces, each with Open vSwitch, tunnel their VMs' traffic
# over lisp0 (the guide's scenario 1).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/common.sh"
cd "$top"

prepare
log "booting the test VM (software emulation: about 15 s)"
scripts/vm.sh -- "KSFT_DIR=$KDIR/tools/testing/selftests LISP_KO=$top/lisp.ko LISPCTL=$LISPCTL" \
	scripts/demo-guest.sh 2>&1 | no_console
