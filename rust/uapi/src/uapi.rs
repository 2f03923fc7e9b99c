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

// ---- Generic netlink family "lisp" ----------------------------------------------------------
//
// Requests name the device with LISP_A_IFINDEX or LISP_A_IFNAME (exactly one). Map-cache entries
// travel as LISP_A_MAP nests (several per MAP_ADD/MAP_DEL request for bulk loads). MAP_GET is a
// "do" (exact prefix, or with LISP_A_LOOKUP the longest match of one address) and a "dump"
// (every entry of the device, optionally of one instance ID). MAP_ADD honours NLM_F_EXCL
// (fail with EEXIST if the prefix exists) and NLM_F_REPLACE (replace it); neither: EEXIST too,
// as `ip route add`. The "events" multicast group carries MAP_ADD/MAP_DEL notifications for every
// change and rate-limited LISP_CMD_MISS notifications for packets without a mapping.

/// Commands (genlmsghdr.cmd).
pub const LISP_CMD_UNSPEC: u8 = 0;
/// Add or replace entries (LISP_A_MAP, one or more). Also the event for an added entry.
pub const LISP_CMD_MAP_ADD: u8 = 1;
/// Delete entries (LISP_A_MAP with IID, EID, PLEN). Also the event for a deleted entry.
pub const LISP_CMD_MAP_DEL: u8 = 2;
/// Get one entry (do) or all entries (dump).
pub const LISP_CMD_MAP_GET: u8 = 3;
/// Delete every entry of the device, or of one instance ID (LISP_A_IID).
pub const LISP_CMD_MAP_FLUSH: u8 = 4;
/// Device configuration and counters (do: one device; dump: every lisp device of the netns).
pub const LISP_CMD_DEV_GET: u8 = 5;
/// Event: a packet found no mapping (LISP_A_IFINDEX, LISP_A_IID, LISP_A_LOOKUP = the EID).
pub const LISP_CMD_MISS: u8 = 6;

/// Top-level attributes.
pub const LISP_A_UNSPEC: u16 = 0;
/// u32: the device's interface index.
pub const LISP_A_IFINDEX: u16 = 1;
/// string: the device's name.
pub const LISP_A_IFNAME: u16 = 2;
/// nest (LISP_MAP_A_*), repeated: a map-cache entry.
pub const LISP_A_MAP: u16 = 3;
/// u32: instance ID (MAP_FLUSH, MAP_GET dump filter, MISS event).
pub const LISP_A_IID: u16 = 4;
/// binary, 4 or 16 bytes: an address to look up (MAP_GET longest match; MISS event's EID).
pub const LISP_A_LOOKUP: u16 = 5;
/// u32: flow hash for MAP_GET lookup, to report the RLOC a packet with that hash would use.
pub const LISP_A_HASH: u16 = 6;
/// nest (LISP_STAT_A_*): device counters (DEV_GET reply).
pub const LISP_A_STATS: u16 = 7;
/// u32: number of map-cache entries (DEV_GET reply).
pub const LISP_A_MAP_COUNT: u16 = 8;
/// u32: the device's default instance ID (DEV_GET reply).
pub const LISP_A_DEFAULT_IID: u16 = 9;
/// u16: the device's UDP port (DEV_GET reply).
pub const LISP_A_PORT: u16 = 10;

/// Highest top-level attribute.
pub const LISP_A_MAX: u16 = LISP_A_PORT;

/// Map-cache entry attributes (inside LISP_A_MAP).
pub const LISP_MAP_A_UNSPEC: u16 = 0;
/// u32: instance ID, 0..=LISP_IID_MAX (default: the device's default instance ID).
pub const LISP_MAP_A_IID: u16 = 1;
/// binary, 4 (IPv4) or 16 (IPv6) bytes: the EID prefix's address; host bits must be zero.
pub const LISP_MAP_A_EID: u16 = 2;
/// u8: EID prefix length, 0..=32 (IPv4) or 0..=128 (IPv6).
pub const LISP_MAP_A_PLEN: u16 = 3;
/// nest (LISP_RLOC_A_*), repeated 0..=LISP_MAX_RLOCS times: a locator.
pub const LISP_MAP_A_RLOC: u16 = 4;
/// u32: seconds until the entry expires; absent or 0: never.
pub const LISP_MAP_A_TTL: u16 = 5;
/// u8 (LISP_ACTION_*): what to do with packets of a negative entry (no RLOC).
pub const LISP_MAP_A_ACTION: u16 = 6;
/// u32, replies only: seconds left before expiry (absent: never expires).
pub const LISP_MAP_A_EXPIRES: u16 = 7;
/// u32, MAP_GET lookup replies only: index (in LISP_MAP_A_RLOC order) of the RLOC chosen for
/// LISP_A_HASH; absent when no RLOC is usable.
pub const LISP_MAP_A_SELECTED: u16 = 8;
/// u8 (LISP_ORIGIN_*): who installed the entry; absent in requests: LISP_ORIGIN_STATIC.
pub const LISP_MAP_A_ORIGIN: u16 = 9;
/// u8, replies only: 1 when a packet used the entry (was encapsulated, or forwarded or dropped by
/// a negative entry) since it was installed or last replaced, else 0.
pub const LISP_MAP_A_USED: u16 = 10;

/// Highest entry attribute.
pub const LISP_MAP_A_MAX: u16 = LISP_MAP_A_USED;

/// Locator attributes (inside LISP_MAP_A_RLOC).
pub const LISP_RLOC_A_UNSPEC: u16 = 0;
/// binary, 4 or 16 bytes: the locator's address.
pub const LISP_RLOC_A_ADDR: u16 = 1;
/// u8: priority, lower is preferred; 255 means "do not use" (RFC 9301). Default 1.
pub const LISP_RLOC_A_PRIORITY: u16 = 2;
/// u8: weight among RLOCs of the same priority, 0..=100. Default 100.
pub const LISP_RLOC_A_WEIGHT: u16 = 3;
/// u8: 1 if the locator is up (default), 0 if down.
pub const LISP_RLOC_A_UP: u16 = 4;

/// Highest locator attribute.
pub const LISP_RLOC_A_MAX: u16 = LISP_RLOC_A_UP;

/// Counter attributes (inside LISP_A_STATS), all u64.
pub const LISP_STAT_A_UNSPEC: u16 = 0;
/// Packets encapsulated and sent.
pub const LISP_STAT_A_TX_PACKETS: u16 = 1;
/// Dropped: no map-cache entry covers the destination.
pub const LISP_STAT_A_TX_NO_MAPPING: u16 = 2;
/// Dropped: a negative entry with action drop, or no usable RLOC.
pub const LISP_STAT_A_TX_NEGATIVE: u16 = 3;
/// Dropped: not IPv4/IPv6 (ARP, VLAN-tagged, other ethertypes).
pub const LISP_STAT_A_TX_BAD_PROTOCOL: u16 = 4;
/// Dropped: no route to the RLOC, or headroom could not be made.
pub const LISP_STAT_A_TX_ERRORS: u16 = 5;
/// Packets decapsulated and delivered.
pub const LISP_STAT_A_RX_PACKETS: u16 = 6;
/// Dropped on receive: truncated or malformed LISP header.
pub const LISP_STAT_A_RX_BAD_HEADER: u16 = 7;
/// Dropped on receive: instance ID not served by the device.
pub const LISP_STAT_A_RX_BAD_IID: u16 = 8;
/// Dropped on receive: inner packet neither IPv4 nor IPv6.
pub const LISP_STAT_A_RX_BAD_VERSION: u16 = 9;
/// Cache-miss notifications sent to the "events" group.
pub const LISP_STAT_A_MISS_NOTIFY: u16 = 10;
/// Cache-miss notifications suppressed by the rate limit.
pub const LISP_STAT_A_MISS_RATELIMITED: u16 = 11;

/// Padding, for the alignment of the u64 counters.
pub const LISP_STAT_A_PAD: u16 = 12;

/// Packets of a negative entry with action forward, sent natively (unencapsulated).
pub const LISP_STAT_A_TX_FORWARDED: u16 = 13;

/// Dropped on receive by the source check (IFLA_LISP_SRC_CHECK): the outer source address is
/// not an RLOC the map-cache lists for the inner source EID.
pub const LISP_STAT_A_RX_SPOOFED: u16 = 14;

/// Dropped on receive: the inner IP header does not fit the packet (IPv4 header length below
/// 20 or beyond the total length, total length or IPv6 payload length beyond what arrived).
pub const LISP_STAT_A_RX_BAD_INNER: u16 = 15;

/// Highest counter attribute.
pub const LISP_STAT_A_MAX: u16 = LISP_STAT_A_RX_BAD_INNER;

/// Negative-entry actions (LISP_MAP_A_ACTION).
pub const LISP_ACTION_DROP: u8 = 0;
/// Send the packet natively (hand it back to the stack unencapsulated).
pub const LISP_ACTION_FORWARD: u8 = 1;
/// Drop it and notify the "events" group (LISP_CMD_MISS), rate-limited.
pub const LISP_ACTION_NOTIFY: u8 = 2;

/// Entry origins (LISP_MAP_A_ORIGIN): installed by an operator (`lispctl`), the default.
pub const LISP_ORIGIN_STATIC: u8 = 0;
/// Learned from the mapping system by `lispd`.
pub const LISP_ORIGIN_LISPD: u8 = 1;
/// Highest origin.
pub const LISP_ORIGIN_MAX: u8 = LISP_ORIGIN_LISPD;

/// The multicast group of map changes and cache-miss notifications.
pub const LISP_MCGRP_EVENTS: &str = "events";
/// Index of the "events" group in the family's group list.
pub const LISP_MCGRP_EVENTS_INDEX: u32 = 0;

/// Most RLOCs an entry may have.
pub const LISP_MAX_RLOCS: usize = 8;
/// Largest instance ID (24 bits).
pub const LISP_IID_MAX: u32 = (1 << 24) - 1;
/// RLOC priority meaning "unusable".
pub const LISP_PRIORITY_UNUSABLE: u8 = 255;
/// Largest RLOC weight.
pub const LISP_WEIGHT_MAX: u8 = 100;

// ---- rtnetlink: IFLA_INFO_DATA of kind "lisp" -------------------------------------------------
//
// `ip link add NAME type lisp` without data gives: port 4341, no local address (the route
// decides the source), instance ID 0, TTL and TOS inherited from the inner packet, UDP checksums
// on, no nonce, map-cache mode, no source check, no map-cache limit. Port, local address and external mode are fixed at creation;
// the others may change (`changelink`).

/// u16, network byte order (as IFLA_VXLAN_PORT): the UDP port to send to and listen on.
pub const IFLA_LISP_PORT: u16 = 1;
/// binary, 4 or 16 bytes: the local RLOC, source of encapsulated packets and bound address.
pub const IFLA_LISP_LOCAL: u16 = 2;
/// u32: the instance ID of the device (sent with I=1; received packets must carry it).
pub const IFLA_LISP_IID: u16 = 3;
/// u8: outer TTL/hop limit; 0 inherits the inner packet's.
pub const IFLA_LISP_TTL: u16 = 4;
/// u8: outer TOS/traffic class; 1 inherits the inner packet's DSCP (ECN is always RFC 6040).
pub const IFLA_LISP_TOS: u16 = 5;
/// u8, 0 or 1: external (flow-based) mode: RLOC and IID come from tunnel metadata.
pub const IFLA_LISP_EXTERNAL: u16 = 6;
/// u8, 0 or 1: compute UDP checksums on transmit (default 1).
pub const IFLA_LISP_UDP_CSUM: u16 = 7;
/// u8, 0 or 1: set the N bit with a random nonce in every packet (default 0).
pub const IFLA_LISP_NONCE: u16 = 8;
/// u8, 0 or 1: anti-spoofing on receive (default 0): accept a packet only if the map-cache
/// entry of its inner source EID (longest match, in the device's instance ID) lists its outer
/// source address among its RLOCs. Refused on external-mode devices.
pub const IFLA_LISP_SRC_CHECK: u16 = 9;
/// u32: most map-cache entries the device holds; 0 (default): no limit. Adding a new entry
/// past it fails with ENOSPC; lowering it below the current count only blocks new entries.
pub const IFLA_LISP_MAP_MAX: u16 = 10;
/// Highest IFLA_LISP_* attribute.
pub const IFLA_LISP_MAX: u16 = IFLA_LISP_MAP_MAX;
/// IFLA_LISP_TOS value meaning "inherit".
pub const LISP_TOS_INHERIT: u8 = 1;
