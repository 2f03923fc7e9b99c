// SPDX-License-Identifier: GPL-2.0

//! The lisp device's state: its configuration, counters, map-cache and sockets. Its
//! rtnetlink operations are in [`crate::link`].

use crate::map_cache::MapCache;
use crate::socket::{Claim, Member, SharedSocket, SocketKey};
use crate::sys::netdev::{self, DropReason, NetDevice, SkBuff};
use crate::sys::percpu::Counters;
use crate::sys::rcu::{ArcSlot, ReadGuard};
use crate::sys::tunnel::{GroCells, IpAddr, RouteCache, SocketRef};
use crate::uapi::{self, *};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

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
    /// Inner IP header inconsistent with the packet's length.
    RxBadInner = LISP_STAT_A_RX_BAD_INNER,
    /// Cache-miss notifications sent.
    MissNotify = LISP_STAT_A_MISS_NOTIFY,
    /// Cache-miss notifications suppressed by the rate limit.
    MissRatelimited = LISP_STAT_A_MISS_RATELIMITED,
    /// Sent natively for a negative entry with action forward.
    TxForwarded = LISP_STAT_A_TX_FORWARDED,
    /// Outer source not an RLOC of the inner source EID (source check).
    RxSpoofed = LISP_STAT_A_RX_SPOOFED,
}

impl Stat {
    /// The reason a packet counted here is reported to `kfree_skb` tracing with.
    fn drop_reason(self) -> DropReason {
        match self {
            Stat::TxNoMapping | Stat::TxNegative => DropReason::NoTxTarget,
            Stat::TxBadProtocol | Stat::RxBadVersion => DropReason::UnhandledProto,
            Stat::TxErrors => DropReason::IpOutNoRoutes,
            Stat::RxBadHeader => DropReason::InvalidProto,
            Stat::RxBadInner => DropReason::HdrTrunc,
            Stat::RxBadIid => DropReason::OtherHost,
            Stat::RxSpoofed => DropReason::IpRpFilter,
            _ => DropReason::NotSpecified,
        }
    }
}

impl Stat {
    /// Every counter, in attribute order.
    pub(crate) const ALL: [Stat; 14] = [
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
        Stat::TxForwarded,
        Stat::RxSpoofed,
        Stat::RxBadInner,
    ];
}

/// Number of counter slots (indexed by attribute number).
const STATS: usize = LISP_STAT_A_MAX as usize + 1;

/// The device's configuration from `IFLA_INFO_DATA`. Port, local address and external mode are
/// fixed at creation; the rest may change under RTNL while packets flow, hence the atomics.
pub(crate) struct Config {
    /// UDP port, host byte order.
    pub(crate) port: u16,
    /// Local RLOC, if set.
    pub(crate) local: Option<IpAddr>,
    /// Flow-based mode.
    pub(crate) external: bool,
    /// A raw IP device (an OVS vport's) that delivers Ethernet frames, not bare IP.
    pub(crate) raw_ip_ethernet: bool,
    /// Instance ID.
    pub(crate) iid: AtomicU32,
    /// Outer TTL, 0: inherit.
    pub(crate) ttl: AtomicU8,
    /// Outer TOS, `LISP_TOS_INHERIT`: inherit.
    pub(crate) tos: AtomicU8,
    /// UDP checksums on transmit.
    pub(crate) udp_csum: AtomicBool,
    /// N bit with a random nonce.
    pub(crate) nonce: AtomicBool,
    /// Source check of decapsulated packets (anti-spoofing).
    pub(crate) src_check: AtomicBool,
    /// Most map-cache entries, 0: no limit.
    pub(crate) map_max: AtomicU32,
}

impl Config {
    /// The defaults of `ip link add NAME type lisp`.
    pub(crate) fn new() -> Self {
        Self {
            port: uapi::LISP_DATA_PORT,
            local: None,
            external: false,
            raw_ip_ethernet: false,
            iid: AtomicU32::new(0),
            ttl: AtomicU8::new(0),
            tos: AtomicU8::new(LISP_TOS_INHERIT),
            udp_csum: AtomicBool::new(true),
            nonce: AtomicBool::new(false),
            src_check: AtomicBool::new(false),
            map_max: AtomicU32::new(0),
        }
    }
}

/// The private state of one lisp device.
#[pin_data]
pub(crate) struct Lisp {
    #[pin]
    map: MapCache,
    stats: Counters<STATS>,
    config: Config,
    /// The UDP sockets, shared with other devices, while the device is up: IPv4, IPv6.
    sockets: [ArcSlot<SharedSocket<Lisp>>; 2],
    gro: GroCells,
    routes: RouteCache,
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
        self.config.iid.load(Ordering::Relaxed)
    }

    /// The UDP port of the device.
    pub(crate) fn port(&self) -> u16 {
        self.config.port
    }

    /// The value of a counter.
    pub(crate) fn stat(&self, s: Stat) -> u64 {
        self.stats.sum(s as usize)
    }

    /// Counts an event.
    pub(crate) fn count(&self, s: Stat) {
        self.stats.inc(s as usize);
    }

    /// Whether decapsulated packets must come from an RLOC of their source EID.
    pub(crate) fn src_check(&self) -> bool {
        self.config.src_check.load(Ordering::Relaxed)
    }

    /// Most map-cache entries the device takes (0: no limit).
    pub(crate) fn map_max(&self) -> u32 {
        self.config.map_max.load(Ordering::Relaxed)
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The per-CPU route cache of the transmit path.
    pub(crate) fn routes(&self) -> &RouteCache {
        &self.routes
    }

    /// The GRO cells received packets go through.
    pub(crate) fn gro(&self) -> &GroCells {
        &self.gro
    }

    /// The socket for locators of one family, while the device is up.
    pub(crate) fn socket<'a>(&'a self, v6: bool, rcu: &'a ReadGuard) -> Option<SocketRef<'a>> {
        self.sockets[usize::from(v6)].get(rcu)?.socket(rcu)
    }

    /// The local locator the device's sockets are bound to, if any.
    pub(crate) fn local(&self) -> Option<IpAddr> {
        self.config.local
    }

    /// What the device takes from its sockets.
    pub(crate) fn claim(&self) -> Claim {
        if self.config.external {
            Claim::External
        } else {
            Claim::Iid(self.default_iid())
        }
    }

    /// Counts a dropped frame both in the device's "TX dropped" and under `reason`.
    pub(crate) fn drop_tx(&self, dev: &NetDevice, skb: SkBuff, reason: Stat) {
        self.drop_tx_as(dev, skb, reason, reason.drop_reason());
    }

    /// As [`Lisp::drop_tx`], with a more specific reason for `kfree_skb` tracing.
    pub(crate) fn drop_tx_as(&self, dev: &NetDevice, skb: SkBuff, stat: Stat, why: DropReason) {
        self.count(stat);
        dev.tx_dropped_inc();
        skb.drop_reason(why);
    }

    /// Counts a dropped received packet both in the device's "RX dropped" and under `reason`.
    pub(crate) fn drop_rx(&self, dev: &NetDevice, skb: SkBuff, reason: Stat) {
        self.count(reason);
        dev.rx_dropped_inc();
        skb.drop_reason(reason.drop_reason());
    }

    /// Whether a packet without a mapping may be told to the "events" group, within the rate
    /// limit (`miss_rate` per second); one that may not is counted as rate-limited.
    pub(crate) fn miss_allowed(&self) -> bool {
        let now = netdev::jiffies();
        let window = self.miss_window.load(Ordering::Relaxed);
        if now.wrapping_sub(window) >= netdev::secs_to_jiffies(1) {
            // Racing CPUs may both reset the window: that only lets a few more through.
            self.miss_window.store(now, Ordering::Relaxed);
            self.miss_sent.store(0, Ordering::Relaxed);
        }
        if self.miss_sent.fetch_add(1, Ordering::Relaxed) >= netdev::miss_rate() {
            self.count(Stat::MissRatelimited);
            return false;
        }
        true
    }

    /// The device's UDP sockets while it is up (IPv4, IPv6).
    pub(crate) fn sockets(&self) -> &[ArcSlot<SharedSocket<Lisp>>; 2] {
        &self.sockets
    }
}

impl Member for Lisp {
    fn socket_for(&self, key: &SocketKey) -> Option<Arc<SharedSocket<Self>>> {
        self.sockets[usize::from(key.v6)]
            .get_arc()
            .filter(|s| s.is(key))
    }
}

impl Lisp {
    /// Returns the initialiser of a device's private state with `config`.
    pub(crate) fn init(config: Config) -> Result<impl PinInit<Self, Error>> {
        let stats = Counters::new()?;
        let routes = RouteCache::new()?;
        Ok(try_pin_init!(Self {
            map <- MapCache::new(),
            stats,
            config,
            sockets: [ArcSlot::new(), ArcSlot::new()],
            gro: GroCells::new(),
            routes,
            miss_window: AtomicU64::new(0),
            miss_sent: AtomicU32::new(0),
        }? Error))
    }
}
