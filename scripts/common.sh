# SPDX-License-Identifier: GPL-2.0
# Shared settings for the scripts: where the cache lives and how to log.

LISP_CACHE=${LISP_CACHE:-$HOME/.cache/lisp}
VENV=$LISP_CACHE/venv
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# True if the kernel tree $1 was built with clang (its external modules then need LLVM=1).
kernel_is_clang() { grep -q '^CONFIG_CC_IS_CLANG=y$' "$1/.config" 2>/dev/null; }

# Installs what is missing and builds the test kernel (cached; variant $LISP_KERNEL, default
# normal), lisp.ko and lispctl; sets KDIR LISPCTL and LISPD. Needs $top, the top of the tree.
prepare() {
	"$top/scripts/deps.sh"
	KDIR=$("$top/scripts/build-kernel.sh")
	export KDIR
	"$top/scripts/build-module.sh" -s >/dev/null
	cargo build --release --quiet --manifest-path "$top/rust/Cargo.toml" -p lispctl -p lispd
	LISPCTL=$top/rust/target/release/lispctl
	LISPD=$top/rust/target/release/lispd
}

# Drops the guest kernel's console lines ("[   12.345] ...") from a VM run's output.
no_console() { grep -vE '^\[ *[0-9]+\.[0-9]+\]'; }
