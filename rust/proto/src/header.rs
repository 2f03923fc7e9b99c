// SPDX-License-Identifier: GPL-2.0
//
// The 8-byte LISP data header that follows the outer UDP header (RFC 9300 section 5.3):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |N|L|E|V|I|R|K|K|            Nonce/Map-Version                  |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                 Instance ID/Locator-Status-Bits               |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// With I = 1 the second word is a 24-bit Instance ID followed by 8 Locator-Status-Bits; with
// I = 0 it is 32 Locator-Status-Bits. With V = 1 the first word's low 24 bits are the Source and
// Dest Map-Versions (12 bits each) instead of a nonce. Decoding accepts every flag combination,
// as an ETR must.

use core::ffi::CStr;

/// The length of the LISP data header in bytes.
pub const LISP_HEADER_LEN: usize = 8;

/// The N bit: the nonce field holds a nonce.
pub const FLAG_N: u8 = 0x80;
/// The L bit: the Locator-Status-Bits are in use.
pub const FLAG_L: u8 = 0x40;
/// The E bit: echo-nonce request.
pub const FLAG_E: u8 = 0x20;
/// The V bit: the nonce field holds map versions.
pub const FLAG_V: u8 = 0x10;
/// The I bit: the second word holds an Instance ID.
pub const FLAG_I: u8 = 0x08;
/// The reserved flag bits (R and the two K bits).
pub const FLAGS_RESERVED: u8 = 0x07;

/// The largest 24-bit value (nonce, Instance ID).
const MASK24: u32 = 0x00ff_ffff;

/// A decoded LISP data header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LispHeader {
    /// N: `nonce` holds a nonce.
    pub nonce_present: bool,
    /// L: `lsb` holds Locator-Status-Bits.
    pub lsb_enabled: bool,
    /// E: the sender asks for its nonce to be echoed.
    pub echo_nonce: bool,
    /// V: `nonce` holds the Source and Dest Map-Versions.
    pub map_version: bool,
    /// I: `instance_id` is present (and `lsb` has 8 bits instead of 32).
    pub iid_present: bool,
    /// The three reserved flag bits (R, K, K), in the low bits; sent as given, never checked.
    pub reserved: u8,
    /// The 24-bit Nonce/Map-Version field.
    pub nonce: u32,
    /// The 24-bit Instance ID (meaningful when `iid_present`).
    pub instance_id: u32,
    /// The Locator-Status-Bits: 32 bits, or 8 when `iid_present`.
    pub lsb: u32,
}

/// Why [`LispHeader::decode`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than [`LISP_HEADER_LEN`] bytes.
    Truncated,
}

impl HeaderError {
    /// Returns a message for the user.
    pub fn message(&self) -> &'static CStr {
        match self {
            Self::Truncated => c"LISP header truncated",
        }
    }
}

impl LispHeader {
    /// Returns the flags byte.
    pub fn flags(&self) -> u8 {
        let mut f = self.reserved & FLAGS_RESERVED;
        for (set, bit) in [
            (self.nonce_present, FLAG_N),
            (self.lsb_enabled, FLAG_L),
            (self.echo_nonce, FLAG_E),
            (self.map_version, FLAG_V),
            (self.iid_present, FLAG_I),
        ] {
            if set {
                f |= bit;
            }
        }
        f
    }

    /// Encodes the header. Field bits beyond their width (24 bits for `nonce` and `instance_id`,
    /// 8 bits of `lsb` when `iid_present`, 3 bits of `reserved`) are dropped.
    pub fn encode(&self) -> [u8; LISP_HEADER_LEN] {
        let first = u32::from(self.flags()) << 24 | (self.nonce & MASK24);
        let second = if self.iid_present {
            (self.instance_id & MASK24) << 8 | (self.lsb & 0xff)
        } else {
            self.lsb
        };
        let mut out = [0; LISP_HEADER_LEN];
        for (d, s) in out
            .iter_mut()
            .zip(first.to_be_bytes().into_iter().chain(second.to_be_bytes()))
        {
            *d = s;
        }
        out
    }

    /// Decodes the header at the start of `b`; fails only when `b` is shorter than 8 bytes.
    pub fn decode(b: &[u8]) -> Result<Self, HeaderError> {
        let (Some(w0), Some(w1)) = (b.get(0..4), b.get(4..8)) else {
            return Err(HeaderError::Truncated);
        };
        let word = |w: &[u8]| -> Result<u32, HeaderError> {
            let a: [u8; 4] = w.try_into().map_err(|_| HeaderError::Truncated)?;
            Ok(u32::from_be_bytes(a))
        };
        let first = word(w0)?;
        let second = word(w1)?;
        let flags = (first >> 24) as u8;
        let iid_present = flags & FLAG_I != 0;
        Ok(Self {
            nonce_present: flags & FLAG_N != 0,
            lsb_enabled: flags & FLAG_L != 0,
            echo_nonce: flags & FLAG_E != 0,
            map_version: flags & FLAG_V != 0,
            iid_present,
            reserved: flags & FLAGS_RESERVED,
            nonce: first & MASK24,
            instance_id: if iid_present { second >> 8 } else { 0 },
            lsb: if iid_present { second & 0xff } else { second },
        })
    }

    /// Returns the Source Map-Version (the high 12 bits of `nonce`, when `map_version`).
    pub fn source_map_version(&self) -> u16 {
        ((self.nonce >> 12) & 0xfff) as u16
    }

    /// Returns the Dest Map-Version (the low 12 bits of `nonce`, when `map_version`).
    pub fn dest_map_version(&self) -> u16 {
        (self.nonce & 0xfff) as u16
    }
}

/// Whether the inner IP packet that follows the LISP header, of which `ip` holds the first
/// bytes (at least its fixed header, 20 or 40 bytes, to pass), is consistent with the `len`
/// bytes that arrived: an IPv4 header length of at least 20 bytes and no more than the total
/// length, a total length (IPv4) or fixed header plus payload length (IPv6) no more than `len`.
/// Shorter is fine: the IP layer trims the padding. The version must be 4 or 6.
pub fn inner_fits(ip: &[u8], len: usize) -> bool {
    match ip.first().map(|b| b >> 4) {
        Some(4) => {
            let Some(h) = ip.get(..20) else {
                return false;
            };
            let ihl = usize::from(h[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([h[2], h[3]]));
            ihl >= 20 && ihl <= total && total <= len
        }
        Some(6) => {
            let Some(h) = ip.get(..40) else {
                return false;
            };
            40 + usize::from(u16::from_be_bytes([h[4], h[5]])) <= len
        }
        _ => false,
    }
}

/// Copies the outer TTL into the inner header when it is smaller (RFC 9300 section 5.3), fixing
/// the IPv4 header checksum. `inner` holds the start of the inner packet; a buffer shorter than
/// its fixed header, or another version, is left alone.
pub fn inherit_ttl(inner: &mut [u8], outer_ttl: u8) {
    match inner.first().map(|b| b >> 4) {
        Some(4) if inner.len() >= 20 && outer_ttl < inner[8] => {
            let old = u16::from_be_bytes([inner[8], inner[9]]);
            inner[8] = outer_ttl;
            let new = u16::from_be_bytes([inner[8], inner[9]]);
            // RFC 1624 incremental update: HC' = ~(~HC + ~m + m').
            let sum = u32::from(!u16::from_be_bytes([inner[10], inner[11]]))
                + u32::from(!old)
                + u32::from(new);
            let folded = (sum & 0xffff) + (sum >> 16);
            let folded = (folded & 0xffff) + (folded >> 16);
            let csum = !(folded as u16);
            inner[10..12].copy_from_slice(&csum.to_be_bytes());
        }
        Some(6) if inner.len() >= 40 && outer_ttl < inner[7] => inner[7] = outer_ttl,
        _ => {}
    }
}

/// Receive offload: what two LISP packets must share to be merged before decapsulation, and
/// the inner IP version (4 or 6), from a LISP header followed by at least the first byte of
/// the inner packet. Only the instance ID (and whether there is one) separates flows: the
/// receive path ignores the nonce, locator-status bits and map versions, so merged packets may
/// differ there. `None`: a truncated header or an inner version the receive path would drop,
/// to be left to it unmerged.
pub fn gro_flow(b: &[u8]) -> Option<(u32, u8)> {
    let h = LispHeader::decode(b).ok()?;
    let version = b.get(LISP_HEADER_LEN)? >> 4;
    if version != 4 && version != 6 {
        return None;
    }
    let key = if h.iid_present {
        1 << 24 | h.instance_id
    } else {
        0
    };
    Some((key, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ones'-complement sum of a header, folded: 0xffff for a correct IPv4 checksum.
    fn ipv4_sum(h: &[u8]) -> u16 {
        let mut sum: u32 = h
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// A 20-byte IPv4 header with a correct checksum.
    fn ipv4_header(ttl: u8) -> [u8; 20] {
        let mut h = [
            0x45, 0, 0, 84, 0x12, 0x34, 0x40, 0, ttl, 1, 0, 0, 172, 16, 1, 10, 172, 16, 2, 10,
        ];
        let csum = !ipv4_sum(&h);
        h[10..12].copy_from_slice(&csum.to_be_bytes());
        h
    }

    #[test]
    fn inherit_ttl_ipv4_lowers_and_fixes_checksum() {
        for (inner, outer) in [(64, 3), (255, 0), (64, 63), (1, 0), (200, 17)] {
            let mut h = ipv4_header(inner);
            inherit_ttl(&mut h, outer);
            assert_eq!(h[8], outer);
            assert_eq!(ipv4_sum(&h), 0xffff, "checksum after {inner} -> {outer}");
            assert_eq!(
                h,
                ipv4_header(outer),
                "same header as built with TTL {outer}"
            );
        }
    }

    #[test]
    fn inherit_ttl_keeps_a_smaller_inner_ttl() {
        for (inner, outer) in [(3, 64), (64, 64), (0, 255)] {
            let mut h = ipv4_header(inner);
            inherit_ttl(&mut h, outer);
            assert_eq!(h, ipv4_header(inner));
            let mut h6 = [0u8; 40];
            h6[0] = 0x60;
            h6[7] = inner;
            inherit_ttl(&mut h6, outer);
            assert_eq!(h6[7], inner);
        }
    }

    #[test]
    fn inherit_ttl_ipv6_hop_limit() {
        let mut h = [0u8; 40];
        h[0] = 0x60;
        h[7] = 64;
        inherit_ttl(&mut h, 5);
        assert_eq!(h[7], 5);
        assert!(h
            .iter()
            .enumerate()
            .all(|(i, &b)| i == 0 || i == 7 || b == 0));
    }

    #[test]
    fn inherit_ttl_leaves_short_or_unknown_packets() {
        let full = ipv4_header(64);
        for n in 0..20 {
            let mut h = full;
            inherit_ttl(&mut h[..n], 1);
            assert_eq!(h, full, "IPv4 cut to {n} bytes");
        }
        let mut h6 = [0u8; 39];
        h6[0] = 0x60;
        h6[7] = 64;
        inherit_ttl(&mut h6, 1);
        assert_eq!(h6[7], 64);
        let mut other = ipv4_header(64);
        other[0] = 0x55;
        let before = other;
        inherit_ttl(&mut other, 1);
        assert_eq!(other, before);
    }

    #[test]
    fn nonce_and_instance_id() {
        // N=1, I=1; nonce 0x123456; Instance ID 0xabcdef; LSBs 0x01.
        let h = LispHeader {
            nonce_present: true,
            iid_present: true,
            nonce: 0x12_3456,
            instance_id: 0xab_cdef,
            lsb: 0x01,
            ..Default::default()
        };
        let bytes = [0x88, 0x12, 0x34, 0x56, 0xab, 0xcd, 0xef, 0x01];
        assert_eq!(h.encode(), bytes);
        assert_eq!(LispHeader::decode(&bytes), Ok(h));
    }

    #[test]
    fn instance_id_only() {
        // I=1 alone, Instance ID 1: what the module sends without nonces.
        let h = LispHeader {
            iid_present: true,
            instance_id: 1,
            ..Default::default()
        };
        let bytes = [0x08, 0, 0, 0, 0, 0, 0x01, 0];
        assert_eq!(h.encode(), bytes);
        assert_eq!(LispHeader::decode(&bytes), Ok(h));
    }

    #[test]
    fn locator_status_bits() {
        // L=1, I=0: the second word is 32 LSBs.
        let h = LispHeader {
            lsb_enabled: true,
            lsb: 0x8000_0003,
            ..Default::default()
        };
        let bytes = [0x40, 0, 0, 0, 0x80, 0, 0, 0x03];
        assert_eq!(h.encode(), bytes);
        assert_eq!(LispHeader::decode(&bytes), Ok(h));
    }

    #[test]
    fn map_versions() {
        // V=1, Source Map-Version 0xabc, Dest Map-Version 0x123, I=1, Instance ID 0x10000.
        let bytes = [0x18, 0xab, 0xc1, 0x23, 0x01, 0x00, 0x00, 0x00];
        let h = LispHeader::decode(&bytes).unwrap();
        assert!(h.map_version && h.iid_present && !h.nonce_present);
        assert_eq!(h.nonce, 0xab_c123);
        assert_eq!(h.source_map_version(), 0xabc);
        assert_eq!(h.dest_map_version(), 0x123);
        assert_eq!(h.instance_id, 0x1_0000);
        assert_eq!(h.lsb, 0);
        assert_eq!(h.encode(), bytes);
    }

    #[test]
    fn echo_nonce_and_reserved_bits() {
        // Every flag set, including R, K, K: an ETR accepts it.
        let bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe];
        let h = LispHeader::decode(&bytes).unwrap();
        assert!(h.nonce_present && h.lsb_enabled && h.echo_nonce && h.map_version);
        assert!(h.iid_present);
        assert_eq!(h.reserved, 0x07);
        assert_eq!(h.flags(), 0xff);
        assert_eq!(h.nonce, MASK24);
        assert_eq!(h.instance_id, MASK24);
        assert_eq!(h.lsb, 0xfe);
        assert_eq!(h.encode(), bytes);
        // E with N, as an ITR asking for an echo sends it.
        let h = LispHeader {
            nonce_present: true,
            echo_nonce: true,
            nonce: 0xc0_ffee,
            ..Default::default()
        };
        assert_eq!(h.encode(), [0xa0, 0xc0, 0xff, 0xee, 0, 0, 0, 0]);
    }

    #[test]
    fn encode_drops_out_of_range_bits() {
        let h = LispHeader {
            iid_present: true,
            reserved: 0xf9,
            nonce: 0xff12_3456,
            instance_id: 0xff00_0001,
            lsb: 0x1234,
            ..Default::default()
        };
        assert_eq!(h.encode(), [0x09, 0x12, 0x34, 0x56, 0, 0, 0x01, 0x34]);
    }

    #[test]
    fn round_trips() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let bytes = x.to_be_bytes();
            let h = LispHeader::decode(&bytes).unwrap();
            assert_eq!(h.encode(), bytes);
            assert_eq!(LispHeader::decode(&h.encode()), Ok(h));
        }
    }

    #[test]
    fn truncated() {
        let bytes = [0x88, 0, 0, 1, 0, 0, 0, 7, 0x45];
        for n in 0..LISP_HEADER_LEN {
            assert_eq!(LispHeader::decode(&bytes[..n]), Err(HeaderError::Truncated));
        }
        // Longer input: the header is the first 8 bytes.
        let h = LispHeader::decode(&bytes).unwrap();
        assert_eq!(h.encode(), bytes[..8]);
        assert!(!HeaderError::Truncated.message().to_bytes().is_empty());
    }

    #[test]
    fn inner_lengths() {
        let mut v4 = [0u8; 28];
        v4[0] = 0x45;
        v4[3] = 28;
        assert!(inner_fits(&v4, 28));
        assert!(inner_fits(&v4, 40)); // padding after the packet
        assert!(!inner_fits(&v4, 27)); // total length beyond the packet
        assert!(!inner_fits(&v4[..19], 28)); // header cut
        v4[0] = 0x44; // IHL 16 bytes
        assert!(!inner_fits(&v4, 28));
        v4[0] = 0x48; // IHL 32 bytes beyond the total length of 28
        assert!(!inner_fits(&v4, 28));
        v4[0] = 0x45;
        v4[3] = 19; // total length shorter than the header
        assert!(!inner_fits(&v4, 28));
        let mut v6 = [0u8; 48];
        v6[0] = 0x60;
        v6[5] = 8;
        assert!(inner_fits(&v6, 48));
        assert!(!inner_fits(&v6, 47));
        assert!(!inner_fits(&v6[..39], 48));
        v6[4] = 0xff;
        assert!(!inner_fits(&v6, 48));
        v6[0] = 0x50;
        assert!(!inner_fits(&v6, 48));
    }
    #[test]
    fn gro_flow_keys_on_the_instance_id_only() {
        let with = |flags: u8, nonce: u32, iid: u32, lsb: u8, inner: u8| {
            let (n, i) = (nonce.to_be_bytes(), iid.to_be_bytes());
            [flags, n[1], n[2], n[3], i[1], i[2], i[3], lsb, inner]
        };
        let a = gro_flow(&with(FLAG_N | FLAG_I, 1, 7, 1, 0x45)).unwrap();
        assert_eq!(a, (1 << 24 | 7, 4));
        // Another nonce, LSBs or flags other than I: the same flow.
        assert_eq!(gro_flow(&with(FLAG_I | FLAG_L, 99, 7, 3, 0x45)).unwrap(), a);
        // Another instance ID, or none: another flow.
        assert_ne!(
            gro_flow(&with(FLAG_N | FLAG_I, 1, 8, 1, 0x45)).unwrap().0,
            a.0
        );
        assert_eq!(gro_flow(&with(FLAG_N, 1, 0, 0, 0x45)).unwrap().0, 0);
        assert_ne!(gro_flow(&with(FLAG_I, 1, 0, 0, 0x45)).unwrap().0, 0);
        assert_eq!(
            gro_flow(&with(FLAG_I, 0, 7, 0, 0x60)).unwrap(),
            (1 << 24 | 7, 6)
        );
        // Not for merging: another inner version, no inner byte, a short header.
        for v in [0x00, 0x50, 0x75, 0xf0] {
            assert_eq!(gro_flow(&with(FLAG_I, 0, 7, 0, v)), None);
        }
        assert_eq!(gro_flow(&with(FLAG_I, 0, 7, 0, 0x45)[..8]), None);
        assert_eq!(gro_flow(&[FLAG_I, 0, 0]), None);
    }
}
