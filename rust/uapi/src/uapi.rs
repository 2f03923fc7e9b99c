// SPDX-License-Identifier: GPL-2.0
//
// The lisp uAPI: numbers shared by the kernel module and userspace. This file is included by
// both (`lisp-uapi` crate for the tool, `mod uapi` in the module), so it holds plain constants
// only and no inner attributes.

/// The rtnetlink kind of lisp devices (`ip link add NAME type lisp`).
pub const LISP_KIND: &str = "lisp";

/// The IANA-assigned LISP data-plane UDP port (RFC 9300).
pub const LISP_DATA_PORT: u16 = 4341;

/// The source and destination MAC address of decapsulated frames: all zero but the locally
/// administered bit, so a bridge flow can match it and rewrite the destination.
pub const LISP_DECAP_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0];

/// Outer IPv6 (40) + UDP (8) + LISP (8) header bytes: the most a packet grows by.
pub const LISP_MAX_OVERHEAD: u32 = 56;

/// Default device MTU: fits a 1500-byte underlay whatever the outer address family.
pub const LISP_DEFAULT_MTU: u32 = 1500 - LISP_MAX_OVERHEAD;

/// Largest device MTU: an outer IPv6 packet cannot exceed 65535 bytes of payload.
pub const LISP_MAX_MTU: u32 = 65535 - LISP_MAX_OVERHEAD;

/// Smallest device MTU (IPv4's minimum, `ETH_MIN_MTU`).
pub const LISP_MIN_MTU: u32 = 68;

// The MTU bounds must stay ordered, and the decapsulation MAC a locally administered unicast one.
const _: () = assert!(LISP_MIN_MTU < LISP_DEFAULT_MTU && LISP_DEFAULT_MTU < LISP_MAX_MTU);
const _: () = assert!(LISP_DECAP_MAC[0] & 0x03 == 0x02);

/// The generic-netlink family name.
pub const LISP_GENL_NAME: &str = "lisp";

/// The generic-netlink family version.
pub const LISP_GENL_VERSION: u8 = 1;
