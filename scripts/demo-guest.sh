#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The demo's guest half (run by scripts/demo.sh inside the VM).
set -euo pipefail
exec 2>&1

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

say insmod "$LISP_KO"
say ip link add lisp0 type lisp
say ip link set lisp0 up
say ip addr add 10.99.0.1/24 dev lisp0
say ip -d link show lisp0
echo
echo "lisp0 has no map-cache entries yet, so what it is asked to send is dropped and counted:"
say ping -c 3 -i 0.3 -W 1 10.99.0.2 || true
say ip -s link show lisp0
say ip link del lisp0
say rmmod lisp
