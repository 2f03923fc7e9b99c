// SPDX-License-Identifier: GPL-2.0

//! Mapping records and their locators (RFC 9301 section 5.4), shared by Map-Reply,
//! Map-Register, Map-Notify and the Map-Reply record of a Map-Request.

use std::net::IpAddr;

use crate::addr::{get_ip, put_ip};
use crate::wire::Reader;
use crate::{DecodeError, Eid};

/// The smallest encoded locator: four weights, flags, AFI and an IPv4 address.
const LOCATOR_MIN_LEN: usize = 4 + 2 + 2 + 4;
/// The smallest encoded record: TTL, counts and flags, version and AFI, an IPv4 EID.
pub(crate) const RECORD_MIN_LEN: usize = 4 + 4 + 4 + 4;

/// The L (local), p (probed) and R (reachable) bits of a locator's flags.
const LOC_L: u16 = 0x0004;
const LOC_P: u16 = 0x0002;
const LOC_R: u16 = 0x0001;
/// The A (authoritative) bit, next to the 3-bit ACT field at the top of its byte.
const REC_A: u8 = 0x10;

/// What to do with packets to an EID prefix with no locators (the ACT field of a record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// No action.
    NoAction = 0,
    /// Forward natively, without encapsulation.
    NativelyForward = 1,
    /// Send a Map-Request.
    SendMapRequest = 2,
    /// Drop, no reason given.
    Drop = 3,
    /// Drop, because a policy denies the traffic.
    DropPolicyDenied = 4,
    /// Drop, because authentication failed.
    DropAuthFailure = 5,
}

impl TryFrom<u8> for Action {
    type Error = DecodeError;

    /// Converts a 3-bit ACT value; 6 and 7 are unassigned.
    fn try_from(v: u8) -> Result<Self, DecodeError> {
        Ok(match v {
            0 => Action::NoAction,
            1 => Action::NativelyForward,
            2 => Action::SendMapRequest,
            3 => Action::Drop,
            4 => Action::DropPolicyDenied,
            5 => Action::DropAuthFailure,
            _ => return Err(DecodeError::BadAction),
        })
    }
}

/// A locator (RLOC) of a mapping record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Locator {
    /// The RLOC address.
    pub addr: IpAddr,
    /// The unicast priority; 255 means "do not use for unicast".
    pub priority: u8,
    /// The unicast weight among locators of the same priority.
    pub weight: u8,
    /// The multicast priority.
    pub mpriority: u8,
    /// The multicast weight.
    pub mweight: u8,
    /// The L bit: the locator is local to the sender.
    pub local: bool,
    /// The p bit: the locator is the one probed by an RLOC-probe reply.
    pub probed: bool,
    /// The R bit: the locator is reachable.
    pub reachable: bool,
}

impl Locator {
    /// Appends the locator.
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[self.priority, self.weight, self.mpriority, self.mweight]);
        let mut flags = 0;
        if self.local {
            flags |= LOC_L;
        }
        if self.probed {
            flags |= LOC_P;
        }
        if self.reachable {
            flags |= LOC_R;
        }
        out.extend_from_slice(&flags.to_be_bytes());
        put_ip(out, self.addr);
    }

    /// Reads a locator; unused flag bits are ignored.
    fn decode(r: &mut Reader<'_>) -> Result<Locator, DecodeError> {
        let [priority, weight, mpriority, mweight] = r.array()?;
        let flags = r.u16()?;
        Ok(Locator {
            addr: get_ip(r)?,
            priority,
            weight,
            mpriority,
            mweight,
            local: flags & LOC_L != 0,
            probed: flags & LOC_P != 0,
            reachable: flags & LOC_R != 0,
        })
    }
}

/// A mapping record of a Map-Reply, Map-Register or Map-Notify.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// The record TTL in minutes, as on the wire; `0xffffffff` means forever.
    pub ttl: u32,
    /// The EID prefix the record maps.
    pub eid: Eid,
    /// The action for a negative record (no locators).
    pub action: Action,
    /// The A bit: the record comes from the authoritative source.
    pub authoritative: bool,
    /// The 12-bit map version number (higher bits are dropped on encode).
    pub version: u16,
    /// The locators; at most 255 are encoded.
    pub locators: Vec<Locator>,
}

impl Record {
    /// Appends the record.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        let locators = &self.locators[..self.locators.len().min(255)];
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let mut act = (self.action as u8) << 5;
        if self.authoritative {
            act |= REC_A;
        }
        out.extend_from_slice(&[locators.len() as u8, self.eid.plen, act, 0]);
        out.extend_from_slice(&(self.version & 0x0fff).to_be_bytes());
        self.eid.encode(out);
        for loc in locators {
            loc.encode(out);
        }
    }

    /// Reads a record and its locators.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Record, DecodeError> {
        let ttl = r.u32()?;
        let [count, plen, act, _rsvd] = r.array()?;
        let version = r.u16()? & 0x0fff;
        let eid = Eid::decode(r, plen)?;
        let action = Action::try_from(act >> 5)?;
        let mut locators = Vec::with_capacity(r.capacity(count.into(), LOCATOR_MIN_LEN));
        for _ in 0..count {
            locators.push(Locator::decode(r)?);
        }
        Ok(Record {
            ttl,
            eid,
            action,
            authoritative: act & REC_A != 0,
            version,
            locators,
        })
    }
}

/// Returns the 8-bit count of `items` and the (at most 255) items it covers.
pub(crate) fn clamp_count<T>(items: &[T]) -> (u8, &[T]) {
    let n = items.len().min(255);
    (n as u8, &items[..n])
}

/// Reads `count` records.
pub(crate) fn decode_records(r: &mut Reader<'_>, count: u8) -> Result<Vec<Record>, DecodeError> {
    let mut records = Vec::with_capacity(r.capacity(count.into(), RECORD_MIN_LEN));
    for _ in 0..count {
        records.push(Record::decode(r)?);
    }
    Ok(records)
}
