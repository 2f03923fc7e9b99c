// SPDX-License-Identifier: GPL-2.0

//! Receive: a LISP packet on the device's UDP socket becomes an Ethernet frame on the device,
//! from and to the fixed MAC address `02:00:00:00:00:00` (RFC 9300 section 5.3).

use crate::device::{Lisp, Stat};
use crate::proto::header::{gro_flow, inherit_ttl, inner_fits, LispHeader, LISP_HEADER_LEN};
use crate::proto::rloc;
use crate::socket::{Claims, Receivers};
use crate::sys::netdev::{DropReason, SkBuff};
use crate::sys::rcu::ReadGuard;
use crate::sys::tunnel::{self, EncapRcv, TunnelGro, ETH_P_IP, ETH_P_IPV6, UDP_HLEN};
use crate::uapi::LISP_DECAP_MAC;

/// The source check (RFC 9300 section 16, IFLA_LISP_SRC_CHECK): whether the outer source
/// address is one of the RLOCs of the map-cache entry that covers the inner source address in
/// `iid`. A negative entry, no entry, or a truncated inner header fail. One longest-prefix
/// match under RCU, as on transmit: no lock, no allocation.
fn from_rloc(lisp: &Lisp, skb: &mut SkBuff, iid: u32, proto: u16, outer_v6: bool) -> bool {
    const HLEN: usize = UDP_HLEN + LISP_HEADER_LEN;
    // Where the inner source address lies, and how long it is.
    let (off, len) = if proto == ETH_P_IPV6 {
        (8, 16)
    } else {
        (12, 4)
    };
    if !skb.may_pull(HLEN + off + len) {
        return false;
    }
    let mut inner = [0u8; 16];
    inner[..len].copy_from_slice(&skb.linear()[HLEN + off..HLEN + off + len]);
    let outer = skb.outer_saddr(outer_v6);
    lisp.map()
        .lookup(iid, &inner[..len], |_, e| rloc::lists(&e.rlocs, outer))
        .unwrap_or(false)
}

/// The receive path starts here: a UDP tunnel socket hands each packet to its receivers, which
/// know the devices it may be for.
impl EncapRcv for Receivers<Lisp> {
    fn encap_rcv(&self, skb: SkBuff) {
        let rcu = ReadGuard::new();
        match self.claims(&rcu) {
            Some(claims) => rcv(claims, skb),
            None => skb.drop_reason(DropReason::OtherHost),
        }
    }
}

/// Receive offload merges only packets of one instance ID (and inner flow); the rest of the
/// header does not change how a packet is received.
impl TunnelGro for Receivers<Lisp> {
    const HLEN: usize = LISP_HEADER_LEN;

    fn flow(hdr: &[u8]) -> Option<(u32, u16)> {
        let (key, version) = gro_flow(hdr)?;
        Some((key, if version == 6 { ETH_P_IPV6 } else { ETH_P_IP }))
    }
}

/// Handles a packet received on a socket that delivers to `rx`; `skb->data` is at its UDP
/// header.
pub(crate) fn rcv(rx: &Claims<Lisp>, mut skb: SkBuff) {
    const HLEN: usize = UDP_HLEN + LISP_HEADER_LEN;
    // Whom to blame for a packet no device takes.
    let refuse = |skb, stat| match rx.fallback() {
        Some((lisp, dev)) => lisp.drop_rx(dev, skb, stat),
        None => skb.drop_reason(DropReason::OtherHost),
    };
    if !skb.may_pull(HLEN + 1) {
        return refuse(skb, Stat::RxBadHeader);
    }
    let data = skb.linear();
    let Ok(hdr) = LispHeader::decode(&data[UDP_HLEN..HLEN]) else {
        return refuse(skb, Stat::RxBadHeader);
    };
    // N, L, E and V are accepted and ignored; only the instance ID decides. An external-mode
    // device takes every instance ID no other device serves, and gets it as tunnel metadata.
    let iid = if hdr.iid_present { hdr.instance_id } else { 0 };
    let Some((lisp, dev)) = rx.find(iid) else {
        return refuse(skb, Stat::RxBadIid);
    };
    let (proto, ip_hlen) = match data[HLEN] >> 4 {
        4 => (ETH_P_IP, 20),
        6 => (ETH_P_IPV6, 40),
        _ => return lisp.drop_rx(dev, skb, Stat::RxBadVersion),
    };
    // An inner header whose lengths do not fit the packet would be dropped by the IP layer
    // after the device counted it as delivered: drop it here, counted as what it is.
    let len = skb.len() - HLEN;
    if !skb.may_pull(HLEN + ip_hlen) || !inner_fits(&skb.linear()[HLEN..], len) {
        return lisp.drop_rx(dev, skb, Stat::RxBadInner);
    }
    let outer_v6 = skb.protocol() == ETH_P_IPV6;
    if lisp.src_check() && !from_rloc(lisp, &mut skb, iid, proto, outer_v6) {
        return lisp.drop_rx(dev, skb, Stat::RxSpoofed);
    }
    let outer_ttl = skb.outer_ttl(outer_v6);
    let metadata = lisp.config().external.then_some(iid);
    // A raw IP device (an OVS vport's) delivers the bare IP packet: Open vSwitch finds the
    // tunnel port of a LISP packet only if it has no Ethernet header (its default `legacy_l3`
    // mode), unless the port is packet-type aware and the device was made for that.
    let ethernet = !dev.is_raw_ip() || lisp.config().raw_ip_ethernet;
    let mac = ethernet.then_some(&LISP_DECAP_MAC);
    match tunnel::decap(skb, dev, HLEN, proto, outer_v6, mac, metadata) {
        Ok(mut p) => {
            let len = if proto == ETH_P_IPV6 { 40 } else { 20 };
            if let (Some(ttl), Some(inner)) = (outer_ttl, p.inner_mut(len)) {
                inherit_ttl(inner, ttl);
            }
            p.deliver(lisp.gro(), dev);
            lisp.count(Stat::RxPackets);
        }
        Err(_) => {
            lisp.count(Stat::RxBadHeader);
            dev.rx_dropped_inc();
        }
    }
}
