// SPDX-License-Identifier: GPL-2.0

//! Transmit: an Ethernet frame from the stack or a bridge becomes a LISP packet to the RLOC
//! the map-cache chooses for its inner destination (RFC 9300 section 5).

use crate::device::{Lisp, Stat};
use crate::map_cache::Entry;
use crate::netlink;
use crate::proto::header::LispHeader;
use crate::sys::netdev::{self, DropReason, NetDevice, SkBuff};
use crate::sys::rcu::ReadGuard;
use crate::sys::tunnel::{self, Encap, IpAddr, TxError, ETH_HLEN, ETH_P_IP, ETH_P_IPV6, ETH_P_TEB};
use crate::uapi::*;
use core::sync::atomic::Ordering;

/// What the transmit path needs from the inner IP header.
struct Inner {
    /// `ETH_P_IP` or `ETH_P_IPV6`.
    proto: u16,
    /// Destination address (the EID), 4 or 16 bytes used.
    dst: [u8; 16],
    /// DSCP and ECN (IPv4 TOS, IPv6 traffic class).
    dsfield: u8,
    /// TTL or hop limit.
    ttl: u8,
    /// Bytes of link-layer header in front of the IP header (Ethernet or none).
    hlen: usize,
}

impl Inner {
    /// Whether the destination is multicast, broadcast or link-local: never mapped.
    fn link_scope(&self) -> bool {
        let d = &self.dst;
        if self.proto == ETH_P_IPV6 {
            d[0] == 0xff || (d[0] == 0xfe && d[1] & 0xc0 == 0x80)
        } else {
            d[0] >= 224 || (d[0] == 169 && d[1] == 254)
        }
    }

    fn dst(&self) -> &[u8] {
        if self.proto == ETH_P_IPV6 {
            &self.dst
        } else {
            &self.dst[..4]
        }
    }
}

/// Parses the IP header after the Ethernet header of `frame`, or at its start if `raw` names
/// the ethertype of a bare IP packet (raw IP device); `None` for anything else (ARP, VLAN tags,
/// truncated headers).
fn parse(frame: &[u8], raw: Option<u16>) -> Option<Inner> {
    let (proto, hlen) = match raw {
        Some(proto) => (proto, 0),
        None => (
            u16::from_be_bytes([*frame.get(12)?, *frame.get(13)?]),
            ETH_HLEN,
        ),
    };
    let ip = frame.get(hlen..)?;
    let mut dst = [0u8; 16];
    match proto {
        ETH_P_IP if ip.len() >= 20 && ip[0] >> 4 == 4 => {
            dst[..4].copy_from_slice(&ip[16..20]);
            Some(Inner {
                proto,
                dst,
                dsfield: ip[1],
                ttl: ip[8],
                hlen,
            })
        }
        ETH_P_IPV6 if ip.len() >= 40 && ip[0] >> 4 == 6 => {
            dst.copy_from_slice(&ip[24..40]);
            Some(Inner {
                proto,
                dst,
                dsfield: (ip[0] << 4) | (ip[1] >> 4),
                ttl: ip[7],
                hlen,
            })
        }
        _ => None,
    }
}

/// What the map-cache says about a destination.
enum Verdict {
    /// Send to this RLOC.
    Send(IpAddr),
    /// Negative entry or no usable RLOC: drop, and notify if asked to.
    Negative { notify: bool },
    /// Negative entry with action forward: send the packet as it is, natively.
    Forward,
    /// No entry at all.
    NoMapping,
}

fn verdict(e: &Entry, hash: u32) -> Verdict {
    match e.select(hash).and_then(|i| e.rlocs.get(i)) {
        Some(r) => Verdict::Send(r.addr),
        None if e.rlocs.is_empty() && e.action == LISP_ACTION_FORWARD => Verdict::Forward,
        None => Verdict::Negative {
            notify: e.rlocs.is_empty() && e.action == LISP_ACTION_NOTIFY,
        },
    }
}

/// Tells the "events" group about a packet without a mapping, within the rate limit.
fn miss(lisp: &Lisp, dev: &NetDevice, iid: u32, eid: &[u8]) {
    if lisp.miss_allowed() && netlink::notify_miss(dev, iid, eid) {
        lisp.count(Stat::MissNotify);
    }
}

/// Transmits `skb` on `dev`, whose state is `lisp`.
pub(crate) fn xmit(lisp: &Lisp, dev: &NetDevice, mut skb: SkBuff) {
    // A raw IP device (an OVS vport's) is given bare IP packets, or Ethernet frames marked
    // `ETH_P_TEB` when the datapath kept the header.
    let raw = Some(skb.protocol()).filter(|&p| dev.is_raw_ip() && p != ETH_P_TEB);
    let hlen = if raw.is_some() { 0 } else { ETH_HLEN };
    // Enough of the frame linear to read the inner header.
    if !skb.may_pull(hlen + 40) && !skb.may_pull(hlen + 20) {
        return lisp.drop_tx(dev, skb, Stat::TxBadProtocol);
    }
    let Some(inner) = parse(skb.linear(), raw) else {
        return lisp.drop_tx(dev, skb, Stat::TxBadProtocol);
    };
    let c = lisp.config();
    if c.external {
        return xmit_external(lisp, dev, skb, &inner);
    }
    let iid = lisp.default_iid();
    let hash = skb.hash();
    let v = lisp
        .map()
        .lookup(iid, inner.dst(), |_, e| {
            e.mark_used();
            verdict(e, hash)
        })
        .unwrap_or(Verdict::NoMapping);
    let dst = match v {
        Verdict::Send(dst) => dst,
        Verdict::NoMapping => {
            // A map resolver has nothing to say about link-local and multicast destinations
            // (the neighbour discovery and MLD of the stacks around the device): no event.
            if !inner.link_scope() {
                miss(lisp, dev, iid, inner.dst());
            }
            return lisp.drop_tx(dev, skb, Stat::TxNoMapping);
        }
        Verdict::Forward => return forward(lisp, dev, skb, &inner),
        Verdict::Negative { notify } => {
            if notify {
                miss(lisp, dev, iid, inner.dst());
            }
            return lisp.drop_tx(dev, skb, Stat::TxNegative);
        }
    };
    let ttl = match c.ttl.load(Ordering::Relaxed) {
        0 => inner.ttl,
        t => t,
    };
    let tos = match c.tos.load(Ordering::Relaxed) {
        LISP_TOS_INHERIT => inner.dsfield & !0x3,
        t => t,
    };
    let tunnel = Tunnel {
        iid,
        dst,
        src: lisp.local(),
        port: c.port,
        tos,
        ttl,
        csum: c.udp_csum.load(Ordering::Relaxed),
    };
    send(lisp, dev, skb, &inner, &tunnel);
}

/// Sends the inner packet natively, routed by its destination in the device's namespace.
fn forward(lisp: &Lisp, dev: &NetDevice, mut skb: SkBuff, inner: &Inner) {
    if !skb.pull_to_network(inner.hlen) {
        return lisp.drop_tx(dev, skb, Stat::TxBadProtocol);
    }
    let v6 = inner.proto == ETH_P_IPV6;
    let rcu = ReadGuard::new();
    let (Some(sock), Some(net)) = (lisp.socket(v6, &rcu), dev.net()) else {
        return lisp.drop_tx(dev, skb, Stat::TxErrors);
    };
    let dst = IpAddr {
        bytes: inner.dst,
        v6,
    };
    match tunnel::forward_native(skb, &sock, dev, net, &dst) {
        Ok(()) => lisp.count(Stat::TxForwarded),
        Err(_) => {
            lisp.count(Stat::TxErrors);
            dev.tx_dropped_inc();
        }
    }
}

/// External mode: the RLOC and instance ID come from the packet's tunnel metadata.
fn xmit_external(lisp: &Lisp, dev: &NetDevice, skb: SkBuff, inner: &Inner) {
    let Some(md) = skb.tx_metadata() else {
        // Nothing said where to send it.
        return lisp.drop_tx_as(dev, skb, Stat::TxNoMapping, DropReason::TunnelTxInfo);
    };
    let tunnel = Tunnel {
        iid: md.key & LISP_IID_MAX,
        dst: md.dst,
        src: md.src.or(lisp.local()),
        port: if md.port != 0 { md.port } else { lisp.port() },
        tos: md.tos,
        ttl: if md.ttl != 0 { md.ttl } else { inner.ttl },
        csum: md.csum,
    };
    send(lisp, dev, skb, inner, &tunnel);
}

/// Where a packet goes, and its outer headers.
struct Tunnel {
    /// Instance ID of the LISP header.
    iid: u32,
    /// Destination locator.
    dst: IpAddr,
    /// Source locator, if fixed.
    src: Option<IpAddr>,
    /// UDP destination port.
    port: u16,
    /// Outer TOS (before ECN) and TTL.
    tos: u8,
    ttl: u8,
    /// UDP checksum.
    csum: bool,
}

/// Builds the LISP header and hands the packet to the UDP tunnel.
fn send(lisp: &Lisp, dev: &NetDevice, mut skb: SkBuff, inner: &Inner, t: &Tunnel) {
    let nonce = lisp.config().nonce.load(Ordering::Relaxed);
    let header = LispHeader {
        nonce_present: nonce,
        nonce: if nonce { netdev::random_u32() } else { 0 },
        iid_present: true,
        instance_id: t.iid,
        ..Default::default()
    }
    .encode();
    if !skb.pull_to_network(inner.hlen) {
        return lisp.drop_tx(dev, skb, Stat::TxBadProtocol);
    }
    let rcu = ReadGuard::new();
    let Some(sock) = lisp.socket(t.dst.v6, &rcu) else {
        // Down, or no socket of the RLOC's family (a local address of the other family).
        return lisp.drop_tx(dev, skb, Stat::TxErrors);
    };
    let Some(net) = dev.net() else {
        return lisp.drop_tx(dev, skb, Stat::TxErrors);
    };
    let e = Encap {
        dev,
        net,
        src: t.src.filter(|l| l.v6 == t.dst.v6),
        dst: t.dst,
        port: t.port,
        tos: t.tos,
        ttl: t.ttl,
        csum: t.csum,
        header,
        inner_proto: inner.proto,
        // In external mode sources and destinations vary per packet: no caching.
        routes: (!lisp.config().external).then(|| lisp.routes()),
        bridged: inner.hlen != 0 && dev.is_bridge_port(),
    };
    match tunnel::xmit(skb, &sock, &e) {
        Ok(()) => lisp.count(Stat::TxPackets),
        Err(TxError::NoRoute | TxError::Buffer | TxError::TooBig) => {
            lisp.count(Stat::TxErrors);
            dev.tx_dropped_inc();
        }
    }
}
