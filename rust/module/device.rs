// SPDX-License-Identifier: GPL-2.0

//! The lisp device: an Ethernet-type net device of rtnetlink kind `lisp`, with its map-cache.

use crate::map_cache::MapCache;
use crate::netlink;
use crate::sys::errno;
use crate::sys::netdev::{self, DeviceSetup, DropReason, NetDevice, SkBuff};
use crate::sys::netlink::{Attrs, ExtAck};
use crate::sys::percpu::Counters;
use crate::sys::rtnl::{LinkDriver, LinkOps};
use crate::uapi::{self, *};
use core::ffi::CStr;
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use kernel::prelude::*;

/// `IFLA_ADDRESS` (linux/if_link.h).
const IFLA_ADDRESS: u32 = 1;

/// Cache-miss notifications allowed per device and second.
const MISS_NOTIFY_PER_SEC: u32 = 100;

/// The rtnetlink operations of kind `lisp`.
static LINK_OPS: LinkOps<Lisp> = LinkOps::new();

/// A per-reason device counter; the value is its `LISP_STAT_A_*` attribute.
#[derive(Clone, Copy)]
#[repr(u16)]
pub(crate) enum Stat {
    /// Packets encapsulated and sent.
    TxPackets = LISP_STAT_A_TX_PACKETS,
    /// No map-cache entry covers the destination.
    TxNoMapping = LISP_STAT_A_TX_NO_MAPPING,
    /// Negative entry, or no usable RLOC.
    TxNegative = LISP_STAT_A_TX_NEGATIVE,
    /// Not IPv4 or IPv6.
    TxBadProtocol = LISP_STAT_A_TX_BAD_PROTOCOL,
    /// Could not be sent (no route, no encapsulation).
    TxErrors = LISP_STAT_A_TX_ERRORS,
    /// Packets decapsulated and delivered.
    RxPackets = LISP_STAT_A_RX_PACKETS,
    /// Truncated or malformed LISP header.
    RxBadHeader = LISP_STAT_A_RX_BAD_HEADER,
    /// Instance ID not served.
    RxBadIid = LISP_STAT_A_RX_BAD_IID,
    /// Inner packet neither IPv4 nor IPv6.
    RxBadVersion = LISP_STAT_A_RX_BAD_VERSION,
    /// Cache-miss notifications sent.
    MissNotify = LISP_STAT_A_MISS_NOTIFY,
    /// Cache-miss notifications suppressed by the rate limit.
    MissRatelimited = LISP_STAT_A_MISS_RATELIMITED,
}

impl Stat {
    /// Every counter, in attribute order.
    pub(crate) const ALL: [Stat; 11] = [
        Stat::TxPackets,
        Stat::TxNoMapping,
        Stat::TxNegative,
        Stat::TxBadProtocol,
        Stat::TxErrors,
        Stat::RxPackets,
        Stat::RxBadHeader,
        Stat::RxBadIid,
        Stat::RxBadVersion,
        Stat::MissNotify,
        Stat::MissRatelimited,
    ];
}

/// Number of counter slots (indexed by attribute number).
const STATS: usize = LISP_STAT_A_MAX as usize + 1;

/// The private state of one lisp device.
#[pin_data]
pub(crate) struct Lisp {
    #[pin]
    map: MapCache,
    stats: Counters<STATS>,
    default_iid: u32,
    port: u16,
    /// Start (jiffies) of the current cache-miss rate-limit window, and misses sent in it.
    miss_window: AtomicU64,
    miss_sent: AtomicU32,
}

impl Lisp {
    /// The device's map-cache.
    pub(crate) fn map(&self) -> &MapCache {
        &self.map
    }

    /// The instance ID used when a request or packet names none.
    pub(crate) fn default_iid(&self) -> u32 {
        self.default_iid
    }

    /// The UDP port of the device.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The value of a counter.
    pub(crate) fn stat(&self, s: Stat) -> u64 {
        self.stats.sum(s as usize)
    }

    fn count(&self, s: Stat) {
        self.stats.inc(s as usize);
    }

    /// Counts a dropped frame both in the device's "TX dropped" and under `reason`.
    fn drop_tx(&self, dev: &NetDevice, skb: SkBuff, reason: Stat) {
        self.count(reason);
        dev.tx_dropped_inc();
        skb.drop_reason(DropReason::NotSpecified);
    }

    /// Tells the "events" group about a packet without a mapping, within the rate limit.
    fn miss(&self, dev: &NetDevice, iid: u32, eid: &[u8]) {
        let now = netdev::jiffies();
        let window = self.miss_window.load(Ordering::Relaxed);
        if now.wrapping_sub(window) >= netdev::secs_to_jiffies(1) {
            // Racing CPUs may both reset the window: that only lets a few more through.
            self.miss_window.store(now, Ordering::Relaxed);
            self.miss_sent.store(0, Ordering::Relaxed);
        }
        if self.miss_sent.fetch_add(1, Ordering::Relaxed) >= MISS_NOTIFY_PER_SEC {
            self.count(Stat::MissRatelimited);
        } else if netlink::notify_miss(dev, iid, eid) {
            self.count(Stat::MissNotify);
        }
    }
}

/// Returns the reason an Ethernet address is unusable as a device address, if it is.
fn ether_addr_error(addr: &[u8]) -> Option<&'static CStr> {
    match addr {
        [a0, ..] if addr.len() == 6 && a0 & 1 != 0 => Some(c"Address is a multicast address"),
        [0, 0, 0, 0, 0, 0] => Some(c"Address is all zeros"),
        _ if addr.len() != 6 => Some(c"Address must be 6 bytes (Ethernet)"),
        _ => None,
    }
}

/// `ETH_P_IP`, `ETH_P_IPV6`.
const ETH_P_IP: u16 = 0x0800;
const ETH_P_IPV6: u16 = 0x86dd;

/// The inner destination address of an Ethernet frame carrying IPv4 or IPv6.
fn inner_destination(frame: &[u8]) -> Option<&[u8]> {
    let ethertype = u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]);
    match ethertype {
        ETH_P_IP => frame.get(14 + 16..14 + 20),
        ETH_P_IPV6 => frame.get(14 + 24..14 + 40),
        _ => None,
    }
}

impl LinkDriver for Lisp {
    const KIND: &'static CStr = c"lisp";

    fn link_ops() -> &'static LinkOps<Self> {
        &LINK_OPS
    }

    fn setup(dev: &mut DeviceSetup) {
        dev.set_mtu(
            uapi::LISP_DEFAULT_MTU,
            uapi::LISP_MIN_MTU,
            uapi::LISP_MAX_MTU,
        );
        // The underlay sockets belong to the namespace the device was created in.
        dev.set_netns_immutable();
        dev.set_needed_headroom(uapi::LISP_MAX_OVERHEAD as u16);
    }

    fn validate(tb: &Attrs<'_>, _data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result {
        if let Some(attr) = tb.get(IFLA_ADDRESS) {
            if let Some(msg) = ether_addr_error(attr.data()) {
                extack.msg_attr(msg, attr);
                return Err(if attr.data().len() != 6 {
                    EINVAL
                } else {
                    errno::EADDRNOTAVAIL()
                });
            }
        }
        Ok(())
    }

    fn new_link(
        _dev: &NetDevice,
        _data: &Attrs<'_>,
        _extack: &mut ExtAck<'_>,
    ) -> Result<impl PinInit<Self, Error>> {
        let stats = Counters::new()?;
        Ok(try_pin_init!(Self {
            map <- MapCache::new(),
            stats,
            default_iid: 0,
            port: uapi::LISP_DATA_PORT,
            miss_window: AtomicU64::new(0),
            miss_sent: AtomicU32::new(0),
        }? Error))
    }

    fn start_xmit(&self, dev: &NetDevice, skb: SkBuff) {
        let Some(eid) = inner_destination(skb.linear()) else {
            return self.drop_tx(dev, skb, Stat::TxBadProtocol);
        };
        let mut copy = [0u8; 16];
        let eid = &mut copy[..eid.len()];
        eid.copy_from_slice(skb_dst(&skb, eid.len()));
        let iid = self.default_iid;
        let verdict = self.map.lookup(iid, eid, |_, e| {
            if e.rlocs.is_empty() {
                (Stat::TxNegative, e.action == LISP_ACTION_NOTIFY)
            } else if e.select(0).is_none() {
                (Stat::TxNegative, false)
            } else {
                // Encapsulation is not implemented yet.
                (Stat::TxErrors, false)
            }
        });
        let (reason, notify) = verdict.unwrap_or((Stat::TxNoMapping, true));
        if notify {
            self.miss(dev, iid, eid);
        }
        self.drop_tx(dev, skb, reason);
    }

    fn periodic(&self, dev: &NetDevice) -> u32 {
        self.map.expire(netdev::seconds(), |p| {
            netlink::notify_map(dev, LISP_CMD_MAP_DEL, p, None);
        });
        1000
    }
}

/// The inner destination of `skb`'s frame (its length was checked by `inner_destination`).
fn skb_dst(skb: &SkBuff, len: usize) -> &[u8] {
    let frame = skb.linear();
    let start = if len == 4 { 14 + 16 } else { 14 + 24 };
    frame.get(start..start + len).unwrap_or(&[])
}
