# SPDX-License-Identifier: GPL-2.0
# Shared settings for the scripts: where the cache lives and how to log.

LISP_CACHE=${LISP_CACHE:-$HOME/.cache/lisp}
VENV=$LISP_CACHE/venv
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
