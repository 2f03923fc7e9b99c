// SPDX-License-Identifier: GPL-2.0

//! Addresses on the wire: AFI-prefixed IPv4/IPv6 addresses (RFC 9301 section 5) and EIDs,
//! which carry their instance ID in an Instance-ID LCAF (RFC 8060 section 4.1).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::wire::Reader;
use crate::DecodeError;

/// The AFI meaning "no address" (legal only as a Map-Request source EID).
pub const AFI_NONE: u16 = 0;
/// The AFI of IPv4 addresses.
pub const AFI_IPV4: u16 = 1;
/// The AFI of IPv6 addresses.
pub const AFI_IPV6: u16 = 2;
/// The AFI of LISP Canonical Address Format addresses (RFC 8060).
pub const AFI_LCAF: u16 = 16387;
/// The LCAF type of Instance-ID addresses (RFC 8060 section 4.1).
pub const LCAF_INSTANCE_ID: u8 = 2;

/// An EID prefix in an instance ID.
///
/// Encoded as an Instance-ID LCAF (IID mask-len 0) wrapping the plain address when `iid != 0`, as a
/// plain AFI 1/2 address when `iid == 0`; decoding accepts both (plain means instance 0). Host bits
/// beyond `plen` are not checked by the codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Eid {
    /// The instance ID (24 bits in the data plane, 32 on the control plane wire).
    pub iid: u32,
    /// The prefix address.
    pub addr: IpAddr,
    /// The prefix length, at most 32 for IPv4 and 128 for IPv6.
    pub plen: u8,
}

impl Eid {
    /// Makes an EID prefix.
    pub fn new(iid: u32, addr: IpAddr, plen: u8) -> Self {
        Eid { iid, addr, plen }
    }

    /// Makes a host EID (a full-length prefix), as a Map-Request source EID decodes.
    pub fn host(iid: u32, addr: IpAddr) -> Self {
        Eid {
            iid,
            addr,
            plen: max_plen(addr),
        }
    }

    /// Appends the AFI and the address (wrapped in an Instance-ID LCAF when `iid != 0`).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        if self.iid == 0 {
            put_ip(out, self.addr);
            return;
        }
        out.extend_from_slice(&AFI_LCAF.to_be_bytes());
        // Rsvd1, Flags, Type, Rsvd2 = IID mask-len 0: the IID is exact.
        out.extend_from_slice(&[0, 0, LCAF_INSTANCE_ID, 0]);
        // Length counts the bytes after itself: IID, inner AFI, address.
        let len = 4 + 2 + addr_len(self.addr);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.extend_from_slice(&self.iid.to_be_bytes());
        put_ip(out, self.addr);
    }

    /// Reads an EID prefix of length `plen` (a record's or EID record's EID-Prefix).
    pub(crate) fn decode(r: &mut Reader<'_>, plen: u8) -> Result<Eid, DecodeError> {
        match decode_eid_addr(r)? {
            None => Err(DecodeError::BadAfi(AFI_NONE)),
            Some((iid, addr)) if plen <= max_plen(addr) => Ok(Eid { iid, addr, plen }),
            Some(_) => Err(DecodeError::BadPrefixLen),
        }
    }

    /// Reads a Map-Request source EID: AFI 0 gives `None`, an address a host EID.
    pub(crate) fn decode_source(r: &mut Reader<'_>) -> Result<Option<Eid>, DecodeError> {
        Ok(decode_eid_addr(r)?.map(|(iid, addr)| Eid::host(iid, addr)))
    }
}

/// Reads an AFI-prefixed EID address: `None` for AFI 0, else the instance ID and address.
fn decode_eid_addr(r: &mut Reader<'_>) -> Result<Option<(u32, IpAddr)>, DecodeError> {
    match r.u16()? {
        AFI_NONE => Ok(None),
        AFI_LCAF => decode_iid_lcaf(r).map(Some),
        afi => Ok(Some((0, get_ip_body(r, afi)?))),
    }
}

/// Reads the body of an Instance-ID LCAF (after its AFI 16387).
fn decode_iid_lcaf(r: &mut Reader<'_>) -> Result<(u32, IpAddr), DecodeError> {
    let [_rsvd1, _flags, kind, _iid_mask_len] = r.array()?;
    let len = r.u16()?;
    if kind != LCAF_INSTANCE_ID {
        return Err(DecodeError::BadLcaf);
    }
    let iid = r.u32()?;
    let afi = r.u16()?;
    let width = afi_len(afi).ok_or(DecodeError::BadAfi(afi))?;
    // Only one plain address may follow: nested LCAFs or trailing bytes are not ours.
    if usize::from(len) != 4 + 2 + width {
        return Err(DecodeError::BadLcaf);
    }
    Ok((iid, get_ip_body(r, afi)?))
}

/// Returns the widest prefix length of the family of `addr`.
pub fn max_plen(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// Returns the address length of AFI `afi`, if it is IPv4 or IPv6.
fn afi_len(afi: u16) -> Option<usize> {
    match afi {
        AFI_IPV4 => Some(4),
        AFI_IPV6 => Some(16),
        _ => None,
    }
}

/// Returns the length of the address itself, without AFI.
fn addr_len(addr: IpAddr) -> usize {
    match addr {
        IpAddr::V4(_) => 4,
        IpAddr::V6(_) => 16,
    }
}

/// Appends an AFI 1/2 and the address.
pub(crate) fn put_ip(out: &mut Vec<u8>, addr: IpAddr) {
    match addr {
        IpAddr::V4(a) => {
            out.extend_from_slice(&AFI_IPV4.to_be_bytes());
            out.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.extend_from_slice(&AFI_IPV6.to_be_bytes());
            out.extend_from_slice(&a.octets());
        }
    }
}

/// Reads an AFI-prefixed plain IPv4/IPv6 address (a locator or ITR-RLOC).
pub(crate) fn get_ip(r: &mut Reader<'_>) -> Result<IpAddr, DecodeError> {
    let afi = r.u16()?;
    get_ip_body(r, afi)
}

/// Reads the address of AFI `afi`, which must be IPv4 or IPv6.
fn get_ip_body(r: &mut Reader<'_>, afi: u16) -> Result<IpAddr, DecodeError> {
    match afi {
        AFI_IPV4 => Ok(IpAddr::V4(Ipv4Addr::from(r.array::<4>()?))),
        AFI_IPV6 => Ok(IpAddr::V6(Ipv6Addr::from(r.array::<16>()?))),
        _ => Err(DecodeError::BadAfi(afi)),
    }
}
