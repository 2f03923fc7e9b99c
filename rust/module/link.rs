// SPDX-License-Identifier: GPL-2.0

//! The rtnetlink side of the lisp device (kind `lisp`): creation and validation of its
//! `IFLA_LISP_*` settings, changes, `ip -d link show`, up and down (joining and leaving the
//! shared UDP sockets), transmit (handed to [`crate::encap`]) and the periodic map-cache sweep.

use crate::device::{Config, Lisp};
use crate::encap;
use crate::netlink;
use crate::proto::addr::IpAddr;
use crate::socket::{Claim, SharedSocket, SocketKey};
use crate::sys::errno;
use crate::sys::genl::Writer;
use crate::sys::netdev::{self, DeviceSetup, NetDevice, SkBuff};
use crate::sys::netlink::{Attr, Attrs, ExtAck};
use crate::sys::rcu;
use crate::sys::rtnl::{
    rtnl_policy, LinkDriver, LinkOps, Policy, IFLA_ADDRESS, IFLA_INFO_DATA, IFLA_LINKINFO,
};
use crate::uapi::{self, *};
use core::ffi::CStr;
use core::sync::atomic::Ordering;
use kernel::prelude::*;
use kernel::str::BStr;

impl Config {
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
fn local_of(data: &Attrs<'_>) -> Option<IpAddr> {
    IpAddr::from_slice(data.get(IFLA_LISP_LOCAL)?.data())
}

/// Reads `IFLA_LISP_PORT` (network byte order) in host order.
fn port_of(data: &Attrs<'_>) -> Option<u16> {
    let d = data.get(IFLA_LISP_PORT)?.data();
    Some(u16::from_be_bytes([*d.first()?, *d.get(1)?]))
}

/// Why a device cannot serve the instance ID it asks for.
const IID_IN_USE: &CStr =
    c"another lisp device that is up serves this instance ID on this port and local address";

/// The rtnetlink operations of kind `lisp`.
static LINK_OPS: LinkOps<Lisp> = LinkOps::new();

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
    const POLICY: Policy = rtnl_policy!(lisp_rtnl_policy);

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

    fn change_link(&self, dev: &NetDevice, data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result {
        let c = &self.config();
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
            let iid = Claim::Iid(a.get_u32().unwrap_or(0));
            for slot in self.sockets() {
                if let (Some(s), true) = (slot.get_arc(), iid != self.claim()) {
                    if let Err(e) = s.claim(dev, iid) {
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
        let c = &self.config();
        w.put(IFLA_LISP_PORT, &c.port.to_be_bytes())?;
        if let Some(local) = &c.local {
            w.put(IFLA_LISP_LOCAL, local.as_bytes())?;
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
        self.gro().init(dev)?;
        for v6 in [false, true] {
            if local.is_some_and(|l| l.v6 != v6) {
                continue;
            }
            let key = SocketKey {
                port: self.config().port,
                v6,
                local,
            };
            match SharedSocket::join(net, key, dev, self.claim()) {
                Ok(s) => drop(self.sockets()[usize::from(v6)].replace(Some(s))),
                // No IPv6 in this kernel or namespace: IPv4 alone will do.
                Err(e) if v6 && local.is_none() && e == errno::EAFNOSUPPORT() => {}
                Err(e) => {
                    if e == errno::EADDRINUSE() {
                        let name = dev.name();
                        let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                        let name = BStr::from_bytes(&name[..len]);
                        match self.claim() {
                            Claim::External => pr_warn!(
                                "{}: cannot go up: an external lisp device is up on UDP port {}\n",
                                name,
                                key.port
                            ),
                            Claim::Iid(iid) => pr_warn!(
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

    fn stop(&self, dev: &NetDevice) {
        let sockets = [
            self.sockets()[0].replace(None),
            self.sockets()[1].replace(None),
        ];
        for s in sockets.iter().flatten() {
            s.leave(dev);
        }
        // Receivers that found this device, and transmitters that found the sockets through it,
        // are done after this; the last reference to a socket closes it.
        rcu::synchronize_net();
        drop(sockets);
        self.gro().destroy();
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
        self.map().expire(netdev::seconds(), |p| {
            netlink::notify_map(dev, LISP_CMD_MAP_DEL, p, None);
        });
        1000
    }
}
