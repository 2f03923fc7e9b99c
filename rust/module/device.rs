// SPDX-License-Identifier: GPL-2.0

//! The lisp device: an Ethernet-type net device of rtnetlink kind `lisp`, with its map-cache.

use crate::encap;
use crate::map_cache::MapCache;
use crate::netlink;
use crate::share::{self, Key, Serves, Share};
use crate::sys::errno;
use crate::sys::genl::Writer;
use crate::sys::netdev::{self, DeviceSetup, DropReason, NetDevice, SkBuff};
use crate::sys::netlink::{Attr, Attrs, ExtAck};
use crate::sys::percpu::Counters;
use crate::sys::rcu::{self, ArcSlot, ReadGuard};
use crate::sys::rtnl::{LinkDriver, LinkOps, IFLA_ADDRESS, IFLA_INFO_DATA, IFLA_LINKINFO};
use crate::sys::tunnel::{GroCells, IpAddr, RouteCache, SocketRef};
use crate::uapi::{self, *};
use core::ffi::CStr;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::prelude::*;
use kernel::str::BStr;
use kernel::sync::Arc;

/// Why a device cannot serve the instance ID it asks for.
const IID_IN_USE: &CStr =
    c"another lisp device that is up serves this instance ID on this port and local address";

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
    /// Local RLOC (address, is IPv6), if set.
    pub(crate) local: Option<([u8; 16], bool)>,
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

    /// Applies the changeable attributes of `data`.
    fn apply(&self, data: &Attrs<'_>) {
        if let Some(v) = data.get(IFLA_LISP_IID).and_then(Attr::get_u32) {
            self.iid.store(v, Ordering::Relaxed);
        }
        if let Some(a) = data.get(IFLA_LISP_TTL) {
            self.ttl.store(a.get_u8(), Ordering::Relaxed);
        }
        if let Some(a) = data.get(IFLA_LISP_TOS) {
            self.tos.store(a.get_u8(), Ordering::Relaxed);
        }
        if let Some(a) = data.get(IFLA_LISP_UDP_CSUM) {
            self.udp_csum.store(a.get_u8() != 0, Ordering::Relaxed);
        }
        if let Some(a) = data.get(IFLA_LISP_NONCE) {
            self.nonce.store(a.get_u8() != 0, Ordering::Relaxed);
        }
        if let Some(a) = data.get(IFLA_LISP_SRC_CHECK) {
            self.src_check.store(a.get_u8() != 0, Ordering::Relaxed);
        }
        if let Some(v) = data.get(IFLA_LISP_MAP_MAX).and_then(Attr::get_u32) {
            self.map_max.store(v, Ordering::Relaxed);
        }
    }
}

/// Reads `IFLA_LISP_LOCAL`.
fn local_of(data: &Attrs<'_>) -> Option<([u8; 16], bool)> {
    let a = data.get(IFLA_LISP_LOCAL)?;
    let d = a.data();
    let mut addr = [0u8; 16];
    addr.get_mut(..d.len())?.copy_from_slice(d);
    Some((addr, d.len() == 16))
}

/// Reads `IFLA_LISP_PORT` (network byte order) in host order.
fn port_of(data: &Attrs<'_>) -> Option<u16> {
    let d = data.get(IFLA_LISP_PORT)?.data();
    Some(u16::from_be_bytes([*d.first()?, *d.get(1)?]))
}

/// The private state of one lisp device.
#[pin_data]
pub(crate) struct Lisp {
    #[pin]
    map: MapCache,
    stats: Counters<STATS>,
    config: Config,
    /// The UDP sockets, shared with other devices, while the device is up: IPv4, IPv6.
    shares: [ArcSlot<Share>; 2],
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
        self.shares[usize::from(v6)].get(rcu)?.socket(rcu)
    }

    /// The device's socket for `key`, if it has that one open.
    pub(crate) fn share_for(&self, key: &Key) -> Option<Arc<Share>> {
        self.shares[usize::from(key.v6)]
            .get_arc()
            .filter(|s| s.is(key))
    }

    /// The local locator the device's sockets are bound to, if any.
    pub(crate) fn local(&self) -> Option<IpAddr> {
        self.config.local.map(|(addr, v6)| IpAddr { addr, v6 })
    }

    /// What the device receives from its sockets.
    pub(crate) fn serves(&self) -> Serves {
        if self.config.external {
            Serves::External
        } else {
            Serves::Iid(self.default_iid())
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

    /// Tells the "events" group about a packet without a mapping, within the rate limit.
    pub(crate) fn miss(&self, dev: &NetDevice, iid: u32, eid: &[u8]) {
        let now = netdev::jiffies();
        let window = self.miss_window.load(Ordering::Relaxed);
        if now.wrapping_sub(window) >= netdev::secs_to_jiffies(1) {
            // Racing CPUs may both reset the window: that only lets a few more through.
            self.miss_window.store(now, Ordering::Relaxed);
            self.miss_sent.store(0, Ordering::Relaxed);
        }
        if self.miss_sent.fetch_add(1, Ordering::Relaxed) >= netdev::miss_rate() {
            self.count(Stat::MissRatelimited);
        } else if netlink::notify_miss(dev, iid, eid) {
            self.count(Stat::MissNotify);
        }
    }
}

/// Refuses the source check on an external-mode device: its packets' instance IDs and RLOCs
/// are tunnel metadata, checked by whoever consumes it (tc, routes, Open vSwitch).
fn src_check_external(extack: &mut ExtAck<'_>, a: &Attr) -> Error {
    extack.msg_attr(
        c"IFLA_LISP_SRC_CHECK needs the map-cache: not available in external mode",
        a,
    );
    errno::EOPNOTSUPP()
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
        dev.set_tunnel_features();
        // A layer-3 tunnel: neighbours need no resolution (ARP would go nowhere), and routes
        // through the device work without static neighbour entries.
        dev.set_noarp();
        dev.keep_dst();
    }

    const MAXTYPE: u32 = IFLA_LISP_MAX as u32;

    // Nine attributes of up to 4 bytes (8 with the header each), IFLA_LISP_LOCAL (20).
    const INFO_SIZE: usize = 9 * 8 + 20;

    fn validate(tb: &Attrs<'_>, data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result {
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
        let bad = |extack: &mut ExtAck<'_>, msg, a| {
            extack.msg_attr(msg, a);
            Err(EINVAL)
        };
        // rtnetlink parses IFLA_INFO_DATA liberally: an attribute this module does not know (a
        // newer tool's) would be ignored without a word, and the device would lack what was
        // asked for. Refuse it, as generic netlink's strict parsing does.
        let info = tb
            .get(IFLA_LINKINFO)
            .and_then(|li| li.nested().find(|a| a.ty() == IFLA_INFO_DATA));
        if let Some(a) =
            info.and_then(|d| d.nested().find(|a| a.ty() == 0 || a.ty() > IFLA_LISP_MAX))
        {
            return bad(
                extack,
                c"unknown IFLA_LISP_* attribute (not in this module)",
                a,
            );
        }
        if let Some(a) = data.get(IFLA_LISP_PORT) {
            if port_of(data) == Some(0) {
                return bad(extack, c"IFLA_LISP_PORT must not be 0", a);
            }
        }
        if let Some(a) = data.get(IFLA_LISP_LOCAL) {
            let d = a.data();
            if d.len() != 4 && d.len() != 16 {
                return bad(
                    extack,
                    c"IFLA_LISP_LOCAL must be 4 (IPv4) or 16 (IPv6) bytes",
                    a,
                );
            }
            if d.iter().all(|&b| b == 0) || d[0] == 0xff || (d.len() == 4 && d[0] >= 224) {
                return bad(extack, c"IFLA_LISP_LOCAL must be a unicast address", a);
            }
        }
        if let Some(a) = data.get(IFLA_LISP_IID) {
            if a.get_u32().unwrap_or(u32::MAX) > LISP_IID_MAX {
                return bad(extack, c"IFLA_LISP_IID exceeds 16777215 (24 bits)", a);
            }
        }
        for (ty, msg) in [
            (IFLA_LISP_EXTERNAL, c"IFLA_LISP_EXTERNAL must be 0 or 1"),
            (IFLA_LISP_UDP_CSUM, c"IFLA_LISP_UDP_CSUM must be 0 or 1"),
            (IFLA_LISP_NONCE, c"IFLA_LISP_NONCE must be 0 or 1"),
            (IFLA_LISP_SRC_CHECK, c"IFLA_LISP_SRC_CHECK must be 0 or 1"),
        ] {
            if let Some(a) = data.get(ty) {
                if a.get_u8() > 1 {
                    return bad(extack, msg, a);
                }
            }
        }
        if let (Some(a), Some(e)) = (data.get(IFLA_LISP_SRC_CHECK), data.get(IFLA_LISP_EXTERNAL)) {
            if a.get_u8() != 0 && e.get_u8() != 0 {
                return Err(src_check_external(extack, a));
            }
        }
        Ok(())
    }

    fn change_link(&self, _dev: &NetDevice, data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result {
        let c = &self.config;
        let fixed = [
            (IFLA_LISP_PORT, port_of(data).is_some_and(|p| p != c.port)),
            (
                IFLA_LISP_LOCAL,
                data.get(IFLA_LISP_LOCAL).is_some() && local_of(data) != c.local,
            ),
            (
                IFLA_LISP_EXTERNAL,
                data.get(IFLA_LISP_EXTERNAL)
                    .is_some_and(|a| (a.get_u8() != 0) != c.external),
            ),
        ];
        for (ty, changed) in fixed {
            if let (true, Some(a)) = (changed, data.get(ty)) {
                extack.msg_attr(
                    c"port, local address and external mode are fixed: delete and re-create the device",
                    a,
                );
                return Err(errno::EOPNOTSUPP());
            }
        }
        if let (false, Some(a)) = (c.external, data.get(IFLA_LISP_IID)) {
            // While the device is up, its sockets must hand it the new instance ID instead.
            let iid = Serves::Iid(a.get_u32().unwrap_or(0));
            for slot in &self.shares {
                if let (Some(s), true) = (slot.get_arc(), iid != self.serves()) {
                    if let Err(e) = s.serve(self, iid) {
                        extack.msg_attr(IID_IN_USE, a);
                        return Err(e);
                    }
                }
            }
        }
        if let (true, Some(a)) = (c.external, data.get(IFLA_LISP_SRC_CHECK)) {
            if a.get_u8() != 0 {
                return Err(src_check_external(extack, a));
            }
        }
        c.apply(data);
        Ok(())
    }

    fn fill_info(&self, _dev: &NetDevice, w: &mut Writer<'_>) -> Result {
        let c = &self.config;
        w.put(IFLA_LISP_PORT, &c.port.to_be_bytes())?;
        if let Some((addr, v6)) = &c.local {
            w.put(IFLA_LISP_LOCAL, if *v6 { &addr[..] } else { &addr[..4] })?;
        }
        w.put_u32(IFLA_LISP_IID, c.iid.load(Ordering::Relaxed))?;
        w.put_u8(IFLA_LISP_TTL, c.ttl.load(Ordering::Relaxed))?;
        w.put_u8(IFLA_LISP_TOS, c.tos.load(Ordering::Relaxed))?;
        w.put_u8(IFLA_LISP_EXTERNAL, c.external.into())?;
        w.put_u8(
            IFLA_LISP_UDP_CSUM,
            c.udp_csum.load(Ordering::Relaxed).into(),
        )?;
        w.put_u8(IFLA_LISP_NONCE, c.nonce.load(Ordering::Relaxed).into())?;
        w.put_u8(
            IFLA_LISP_SRC_CHECK,
            c.src_check.load(Ordering::Relaxed).into(),
        )?;
        w.put_u32(IFLA_LISP_MAP_MAX, c.map_max.load(Ordering::Relaxed))
    }

    fn open(&self, dev: &NetDevice) -> Result {
        let net = dev.net().ok_or(EINVAL)?;
        let local = self.local();
        self.gro.init(dev)?;
        for v6 in [false, true] {
            if local.is_some_and(|l| l.v6 != v6) {
                continue;
            }
            let key = Key {
                port: self.config.port,
                v6,
                local,
            };
            match share::join(net, key, self, self.serves()) {
                Ok(s) => drop(self.shares[usize::from(v6)].replace(Some(s))),
                // No IPv6 in this kernel or namespace: IPv4 alone will do.
                Err(e) if v6 && local.is_none() && e == errno::EAFNOSUPPORT() => {}
                Err(e) => {
                    if e == errno::EADDRINUSE() {
                        let name = dev.name();
                        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                        let name = BStr::from_bytes(&name[..len]);
                        match self.serves() {
                            Serves::External => pr_warn!(
                                "{}: cannot go up: an external lisp device is up on UDP port {}\n",
                                name,
                                key.port
                            ),
                            Serves::Iid(iid) => pr_warn!(
                                "{}: cannot go up: another lisp device that is up serves instance ID {} on UDP port {}\n",
                                name,
                                iid,
                                key.port
                            ),
                        }
                    }
                    self.stop(dev);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn stop(&self, _dev: &NetDevice) {
        let shares = [self.shares[0].replace(None), self.shares[1].replace(None)];
        for s in shares.iter().flatten() {
            s.leave(self);
        }
        // Receivers that found this device, and transmitters that found the sockets through it,
        // are done after this; the last reference to a socket closes it.
        rcu::synchronize_net();
        drop(shares);
        self.gro.destroy();
    }

    fn new_link(
        _dev: &NetDevice,
        data: &Attrs<'_>,
        _extack: &mut ExtAck<'_>,
    ) -> Result<impl PinInit<Self, Error>> {
        let mut config = Config::new();
        config.port = port_of(data).unwrap_or(uapi::LISP_DATA_PORT);
        config.local = local_of(data);
        config.external = data
            .get(IFLA_LISP_EXTERNAL)
            .is_some_and(|a| a.get_u8() != 0);
        config.apply(data);
        Self::init(config)
    }

    fn start_xmit(&self, dev: &NetDevice, skb: SkBuff) {
        encap::xmit(self, dev, skb);
    }

    fn periodic(&self, dev: &NetDevice) -> u32 {
        self.map.expire(netdev::seconds(), |p| {
            netlink::notify_map(dev, LISP_CMD_MAP_DEL, p, None);
        });
        1000
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
            shares: [ArcSlot::new(), ArcSlot::new()],
            gro: GroCells::new(),
            routes,
            miss_window: AtomicU64::new(0),
            miss_sent: AtomicU32::new(0),
        }? Error))
    }
}
