// SPDX-License-Identifier: GPL-2.0

//! Encapsulated Control Messages (RFC 9301 section 5.8): a 4-byte header, then an inner IPv4
//! or IPv6 header and a UDP header around a control message (usually a Map-Request).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::Reader;
use crate::DecodeError;

/// The message type of an ECM.
pub(crate) const TYPE_ECM: u8 = 8;
/// The S (security) and D (DDT-originated) bits of the first byte.
const ECM_S: u8 = 0x08;
const ECM_D: u8 = 0x04;
/// The length of the ECM header itself.
const ECM_LEN: usize = 4;
const IPV4_LEN: usize = 20;
const IPV6_LEN: usize = 40;
const UDP_LEN: usize = 8;
const PROTO_UDP: u8 = 17;
/// The TTL / hop limit of the inner header.
const INNER_TTL: u8 = 64;

/// An Encapsulated Control Message; `inner` is not decoded, pass it to [`crate::Message::decode`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ecm {
    /// The S bit: a security section follows (not decoded).
    pub security: bool,
    /// The D bit: the message comes from a DDT node.
    pub ddt: bool,
    /// The inner source address (the ITR's, for a Map-Request).
    pub src: IpAddr,
    /// The inner destination address (the requested EID, for a Map-Request).
    pub dst: IpAddr,
    /// The inner UDP source port.
    pub sport: u16,
    /// The inner UDP destination port (4342 for control messages).
    pub dport: u16,
    /// The inner control message bytes.
    pub inner: Vec<u8>,
}

/// Returns the inner source and destination as one family, mapping IPv4 into IPv6 if they differ.
fn same_family(src: IpAddr, dst: IpAddr) -> (IpAddr, IpAddr) {
    let v6 = |a: IpAddr| match a {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    };
    match (src, dst) {
        (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_)) => (src, dst),
        _ => (IpAddr::V6(v6(src)), IpAddr::V6(v6(dst))),
    }
}

/// Adds `data` to a ones'-complement sum as big-endian 16-bit words.
fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

/// Folds a ones'-complement sum into a 16-bit checksum.
fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Returns the bytes of an address.
fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

impl Ecm {
    /// Returns the bytes an encoded ECM adds around `inner`: its own 4-byte header plus the
    /// inner IP and UDP headers (for MTU checks).
    pub fn header_len(&self) -> usize {
        match same_family(self.src, self.dst) {
            (IpAddr::V4(_), _) => ECM_LEN + IPV4_LEN + UDP_LEN,
            _ => ECM_LEN + IPV6_LEN + UDP_LEN,
        }
    }

    /// Appends the ECM: header, inner IP header, UDP header (with checksum) and `inner`.
    ///
    /// Addresses of different families are sent as IPv6 with the IPv4 one mapped; an `inner`
    /// too long for one IP packet is cut to fit.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let (src, dst) = same_family(self.src, self.dst);
        let ip_len = self.header_len() - ECM_LEN - UDP_LEN;
        let max = usize::from(u16::MAX) - UDP_LEN - if ip_len == IPV4_LEN { IPV4_LEN } else { 0 };
        let inner = &self.inner[..self.inner.len().min(max)];
        let udp_len = (UDP_LEN + inner.len()) as u16;
        let (src, dst) = (octets(src), octets(dst));

        out.extend_from_slice(&[
            TYPE_ECM << 4
                | if self.security { ECM_S } else { 0 }
                | if self.ddt { ECM_D } else { 0 },
            0,
            0,
            0,
        ]);
        // The pseudo-header sums the same for both families: IPv6's 32-bit length and 24 zero
        // bits before the next header add up like IPv4's zero byte, protocol and 16-bit length.
        let pseudo = sum(sum(0, &src), &dst) + u32::from(PROTO_UDP) + u32::from(udp_len);
        if ip_len == IPV4_LEN {
            let total = (IPV4_LEN as u16 + udp_len).to_be_bytes();
            let mut ip = [0u8; IPV4_LEN];
            ip[0] = 0x45;
            ip[2..4].copy_from_slice(&total);
            ip[8] = INNER_TTL;
            ip[9] = PROTO_UDP;
            ip[12..16].copy_from_slice(&src);
            ip[16..20].copy_from_slice(&dst);
            let csum = fold(sum(0, &ip));
            ip[10..12].copy_from_slice(&csum.to_be_bytes());
            out.extend_from_slice(&ip);
        } else {
            out.extend_from_slice(&[0x60, 0, 0, 0]);
            out.extend_from_slice(&udp_len.to_be_bytes());
            out.extend_from_slice(&[PROTO_UDP, INNER_TTL]);
            out.extend_from_slice(&src);
            out.extend_from_slice(&dst);
        }
        let mut udp = [0u8; UDP_LEN];
        udp[0..2].copy_from_slice(&self.sport.to_be_bytes());
        udp[2..4].copy_from_slice(&self.dport.to_be_bytes());
        udp[4..6].copy_from_slice(&udp_len.to_be_bytes());
        let pseudo = sum(sum(pseudo, &udp), inner);
        // A computed 0 is sent as 0xffff: 0 means "no checksum" (and is illegal over IPv6).
        let csum = match fold(pseudo) {
            0 => 0xffff,
            c => c,
        };
        udp[6..8].copy_from_slice(&csum.to_be_bytes());
        out.extend_from_slice(&udp);
        out.extend_from_slice(inner);
    }

    /// Reads an ECM, validating the inner headers; checksums are not checked.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Ecm, DecodeError> {
        let [b0, _, _, _] = r.array()?;
        let [vihl] = r.array()?;
        let (src, dst, payload) = match vihl >> 4 {
            4 => decode_ipv4(r, vihl)?,
            6 => decode_ipv6(r)?,
            _ => return Err(DecodeError::BadInnerHeader),
        };
        let r = &mut Reader::new(payload);
        let sport = r.u16()?;
        let dport = r.u16()?;
        let len = usize::from(r.u16()?);
        let _csum = r.u16()?;
        // The UDP length may be shorter than the IP payload (padding), never longer.
        if len < UDP_LEN || len > payload.len() {
            return Err(DecodeError::BadInnerHeader);
        }
        Ok(Ecm {
            security: b0 & ECM_S != 0,
            ddt: b0 & ECM_D != 0,
            src,
            dst,
            sport,
            dport,
            inner: r.bytes(len - UDP_LEN)?.to_vec(),
        })
    }
}

/// Reads an inner IPv4 header whose first byte `vihl` is already read, skipping options, and
/// returns the addresses and the IP payload.
fn decode_ipv4<'a>(
    r: &mut Reader<'a>,
    vihl: u8,
) -> Result<(IpAddr, IpAddr, &'a [u8]), DecodeError> {
    // hdr[i] is byte i + 1 of the header.
    let hdr: [u8; IPV4_LEN - 1] = r.array()?;
    let ihl = usize::from(vihl & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([hdr[1], hdr[2]]));
    let frag = u16::from_be_bytes([hdr[5], hdr[6]]) & 0x3fff;
    if ihl < IPV4_LEN || total < ihl + UDP_LEN || hdr[8] != PROTO_UDP || frag != 0 {
        return Err(DecodeError::BadInnerHeader);
    }
    let src = Ipv4Addr::new(hdr[11], hdr[12], hdr[13], hdr[14]);
    let dst = Ipv4Addr::new(hdr[15], hdr[16], hdr[17], hdr[18]);
    r.bytes(ihl - IPV4_LEN)?;
    let payload = r.bytes(total - ihl)?;
    Ok((src.into(), dst.into(), payload))
}

/// Reads an inner IPv6 header (its first byte already read); extension headers are refused.
fn decode_ipv6<'a>(r: &mut Reader<'a>) -> Result<(IpAddr, IpAddr, &'a [u8]), DecodeError> {
    let hdr: [u8; IPV6_LEN - 1] = r.array()?;
    let plen = usize::from(u16::from_be_bytes([hdr[3], hdr[4]]));
    if hdr[5] != PROTO_UDP || plen < UDP_LEN {
        return Err(DecodeError::BadInnerHeader);
    }
    let mut src = [0; 16];
    let mut dst = [0; 16];
    src.copy_from_slice(&hdr[7..23]);
    dst.copy_from_slice(&hdr[23..39]);
    let payload = r.bytes(plen)?;
    Ok((
        Ipv6Addr::from(src).into(),
        Ipv6Addr::from(dst).into(),
        payload,
    ))
}
