# SPDX-License-Identifier: GPL-2.0
#
# lisp: LISP (RFC 9300) tunnel devices for Linux, in Rust.
#
#   make                 build lisp.ko, and lisp_vport.ko (OVS "lisp" port type) if KDIR is a
#                        full source tree with CONFIG_OPENVSWITCH, against KDIR (default: the
#                        cached test kernel)
#   make KDIR=/lib/modules/$(uname -r)/build   build for the running (CONFIG_RUST) kernel
#   make tool            build lispctl
#   make check           host checks, module build, selftests in a VM; ends with "N passed, N failed"
#   make check-debug     the selftests (module build and VM part of `make check`) on the debug test
#                        kernel (lockdep, PROVE_RCU, KFENCE, SLUB debugging, DEBUG_OBJECTS, netdev
#                        and netns refcount trackers, kmemleak, Rust debug assertions and overflow
#                        checks), then on the KASAN kernel (the same plus KASAN, built with LLVM=1);
#                        one "N passed, N failed, N skipped" line; several times slower than check,
#                        so the scripts are split over two VMs booted side by side (LISP_SHARDS=2;
#                        LISP_SHARDS=N sets how many for any check)
#   KERNEL=normal|debug|kasan (DEBUG=1 = KERNEL=debug) picks the cached test kernel for make,
#                        check, demo, bench and kernel; `make check-debug KERNEL=kasan` runs one
#   make check-races     lisp_races.sh alone with 100 iterations of each race (the suite runs 10);
#                        about 40 minutes under TCG on the normal kernel; KERNEL= picks another
#   make demo            boot the test VM and show lisp0 at work
#   make bench           lisp0 next to no tunnel, VXLAN and GENEVE, in one VM boot
#   make bench-lispd     lispd: misses resolved per second through OOR, memory per entry
#   make kernel | deps | clean

SHELL := /bin/bash
# The test kernel variant; the scripts read it from the environment.
ifeq ($(DEBUG),1)
KERNEL ?= debug
endif
KERNEL ?= normal
export LISP_KERNEL := $(KERNEL)
# check-debug runs on both debug kernels unless one is named.
DEBUG_KERNELS := $(if $(filter-out normal,$(KERNEL)),$(KERNEL),debug kasan)
# The cached test kernel, built on first use and looked up once per make run.
ifeq ($(origin KDIR),undefined)
KDIR = $(eval KDIR := $(shell scripts/build-kernel.sh $(KERNEL)))$(KDIR)
endif

CARGO ?= cargo

.PHONY: all module modules tool deps kernel check check-debug check-races host-check demo bench bench-lispd clean

all: module

# LLVM=1 for a clang-built tree, and a clean first if the objects are another tree's.
module modules:
	KDIR=$(KDIR) scripts/build-module.sh
	@echo "built: $$(ls lisp.ko lisp_vport.ko 2>/dev/null | tr '\n' ' ')"

tool:
	$(CARGO) build --release --manifest-path rust/Cargo.toml -p lispctl -p lispd

deps:
	scripts/deps.sh

kernel: deps
	scripts/build-kernel.sh

host-check:
	scripts/check.sh --host-only

check:
	scripts/check.sh

check-debug:
	LISP_SHARDS=$${LISP_SHARDS:-2} scripts/check.sh --no-host $(addprefix --kernel ,$(DEBUG_KERNELS))

check-races:
	LISP_TESTS=lisp_races.sh LISP_RACE_ITERATIONS=$${LISP_RACE_ITERATIONS:-100} LISP_TIMEOUT_SCALE=10 \
		scripts/check.sh --no-host --kernel $(KERNEL)

demo:
	scripts/demo.sh

bench:
	scripts/bench.sh

bench-lispd:
	scripts/bench-lispd.sh

clean:
	find . -path ./rust/target -prune -o \( -name '*.o' -o -name '*.ko' -o -name '*.mod' \
		-o -name '*.mod.c' -o -name '.*.cmd' -o -name '.*.d' \) -print0 | xargs -0 rm -f
	rm -f modules.order Module.symvers .kdir rust/module/sys/bindings_generated.rs \
		rust/vport/bindings_generated.rs
	rm -rf .results
	-$(CARGO) clean --manifest-path rust/Cargo.toml
