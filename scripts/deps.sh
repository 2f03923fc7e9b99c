#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything the build, the test VM and the demo need on a Debian 12 host.
# Idempotent: with everything present it checks and returns in seconds.
set -euo pipefail

. "$(dirname "$0")/common.sh"

APT_PKGS=(
	linux-source-6.12
	build-essential gcc make flex bison bc cpio kmod rsync xz-utils
	libelf-dev libssl-dev dwarves
	clang lld llvm libclang-dev
	qemu-system-x86 udev
	iproute2 iputils-ping iperf3 tcpdump tshark jq procps ethtool
	openoverlayrouter
	openvswitch-switch
	python3 python3-venv python3-yaml python3-jsonschema
)
BINDGEN_VERSION=0.73.2
VIRTME_NG_VERSION=1.42

missing=()
for p in "${APT_PKGS[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "apt: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Keep package maintainer scripts from starting daemons on the host.
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	rm -f /usr/sbin/policy-rc.d
fi

rustup component list --installed 2>/dev/null | grep -q '^rust-src' || {
	log "rustup: adding rust-src"
	rustup component add rust-src
}

if ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	log "cargo: installing bindgen-cli $BINDGEN_VERSION"
	cargo install --locked --quiet bindgen-cli --version "$BINDGEN_VERSION"
fi

if ! "$VENV/bin/vng" --version 2>/dev/null | grep -q "$VIRTME_NG_VERSION"; then
	log "pip: installing virtme-ng $VIRTME_NG_VERSION into $VENV"
	python3 -m venv "$VENV"
	"$VENV/bin/pip" install -q "virtme-ng==$VIRTME_NG_VERSION"
fi
