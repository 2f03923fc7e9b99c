// SPDX-License-Identifier: GPL-2.0

//! The control messages and their fixed headers (RFC 9301 section 5): Map-Request (type 1),
//! Map-Reply (2), Map-Register (3), Map-Notify (4), Map-Notify-Ack (5) and, through
//! [`crate::ecm`], the Encapsulated Control Message (8).

use std::net::IpAddr;

use crate::addr::{get_ip, put_ip, AFI_NONE};
use crate::ecm::TYPE_ECM;
use crate::record::{clamp_count, decode_records, Record};
use crate::wire::Reader;
use crate::{Auth, DecodeError, Ecm, Eid};

/// The message types, the top 4 bits of the first byte.
const TYPE_REQUEST: u8 = 1;
const TYPE_REPLY: u8 = 2;
const TYPE_REGISTER: u8 = 3;
const TYPE_NOTIFY: u8 = 4;
const TYPE_NOTIFY_ACK: u8 = 5;

/// Map-Request flags: A M P S in the first byte, p s at the top of the second.
const REQ_A: u8 = 0x08;
const REQ_M: u8 = 0x04;
const REQ_P: u8 = 0x02;
const REQ_S: u8 = 0x01;
const REQ_PITR: u8 = 0x80;
const REQ_SMR_INVOKED: u8 = 0x40;
/// The ITR-RLOC Count (IRC) is the low 5 bits of the third byte, and counts one less.
const REQ_IRC_MASK: u8 = 0x1f;
/// Map-Reply flags P E S in the first byte.
const REP_P: u8 = 0x08;
const REP_E: u8 = 0x04;
const REP_S: u8 = 0x02;
/// Map-Register: P in the first byte, M (want Map-Notify) the last bit of the third byte.
const REG_P: u8 = 0x08;
const REG_M: u8 = 0x01;

/// A Map-Request (RFC 9301 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapRequest {
    /// The nonce the Map-Reply echoes.
    pub nonce: u64,
    /// The A bit: the request is authoritative (from an ITR, not a cache).
    pub authoritative: bool,
    /// The P bit: the request is an RLOC probe.
    pub probe: bool,
    /// The S bit: the request is a Solicit-Map-Request.
    pub smr: bool,
    /// The p bit: the request comes from a PITR.
    pub pitr: bool,
    /// The s bit: the request is sent in response to an SMR.
    pub smr_invoked: bool,
    /// The source EID (decoded as a host EID), or `None` for AFI 0.
    pub source_eid: Option<Eid>,
    /// The ITR-RLOCs to reply to: 1 to 32 are encoded (an empty list encodes an AFI 0 RLOC,
    /// which decodes as [`DecodeError::NoItrRloc`]).
    pub itr_rlocs: Vec<IpAddr>,
    /// The requested EID prefixes (at most 255 are encoded).
    pub eids: Vec<Eid>,
    /// The sender's own mapping for the source EID (the M bit).
    pub map_reply: Option<Record>,
}

/// A Map-Reply (RFC 9301 section 5.4).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapReply {
    /// The nonce of the Map-Request answered.
    pub nonce: u64,
    /// The P bit: the reply answers an RLOC probe.
    pub probe: bool,
    /// The E bit: the sender supports echo-nonce.
    pub echo_nonce: bool,
    /// The S bit: a security section follows (not decoded).
    pub security: bool,
    /// The mapping records (at most 255 are encoded).
    pub records: Vec<Record>,
}

/// A Map-Register (RFC 9301 section 5.6).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapRegister {
    /// The nonce the Map-Notify echoes.
    pub nonce: u64,
    /// The P bit: the Map-Server should proxy Map-Replies.
    pub proxy_reply: bool,
    /// The M bit: the Map-Server should answer with a Map-Notify.
    pub want_map_notify: bool,
    /// The authentication algorithm; the data itself is checked by [`crate::verify`].
    pub auth: Auth,
    /// The mapping records registered (at most 255 are encoded).
    pub records: Vec<Record>,
}

/// A Map-Notify (type 4) or Map-Notify-Ack (type 5) (RFC 9301 section 5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MapNotify {
    /// The nonce of the Map-Register acknowledged, or of the Map-Notify for an Ack.
    pub nonce: u64,
    /// The authentication algorithm; the data itself is checked by [`crate::verify`].
    pub auth: Auth,
    /// The mapping records (at most 255 are encoded).
    pub records: Vec<Record>,
}

/// A decoded LISP control message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    /// A Map-Request.
    Request(MapRequest),
    /// A Map-Reply.
    Reply(MapReply),
    /// A Map-Register.
    Register(MapRegister),
    /// A Map-Notify.
    Notify(MapNotify),
    /// A Map-Notify-Ack.
    NotifyAck(MapNotify),
    /// An Encapsulated Control Message.
    Encap(Ecm),
}

/// Sets `bit` in a flags byte when `on`.
fn flag(on: bool, bit: u8) -> u8 {
    if on {
        bit
    } else {
        0
    }
}

impl MapRequest {
    /// Appends the Map-Request, its ITR-RLOCs, EID records and Map-Reply record.
    fn encode(&self, out: &mut Vec<u8>) {
        let (count, eids) = clamp_count(&self.eids);
        let rlocs = &self.itr_rlocs[..self.itr_rlocs.len().min(32)];
        out.push(
            TYPE_REQUEST << 4
                | flag(self.authoritative, REQ_A)
                | flag(self.map_reply.is_some(), REQ_M)
                | flag(self.probe, REQ_P)
                | flag(self.smr, REQ_S),
        );
        out.push(flag(self.pitr, REQ_PITR) | flag(self.smr_invoked, REQ_SMR_INVOKED));
        out.push(rlocs.len().saturating_sub(1) as u8);
        out.push(count);
        out.extend_from_slice(&self.nonce.to_be_bytes());
        match &self.source_eid {
            Some(eid) => eid.encode(out),
            None => out.extend_from_slice(&AFI_NONE.to_be_bytes()),
        }
        if rlocs.is_empty() {
            out.extend_from_slice(&AFI_NONE.to_be_bytes());
        }
        for rloc in rlocs {
            put_ip(out, *rloc);
        }
        for eid in eids {
            out.extend_from_slice(&[0, eid.plen]);
            eid.encode(out);
        }
        if let Some(rec) = &self.map_reply {
            rec.encode(out);
        }
    }

    /// Reads a Map-Request.
    fn decode(r: &mut Reader<'_>) -> Result<MapRequest, DecodeError> {
        let [b0, b1, b2, count] = r.array()?;
        let nonce = r.u64()?;
        let source_eid = Eid::decode_source(r)?;
        let irc = usize::from(b2 & REQ_IRC_MASK) + 1;
        let mut itr_rlocs = Vec::with_capacity(r.capacity(irc, 6));
        for _ in 0..irc {
            // AFI 0 is how an empty list encodes: there is nowhere to send the reply.
            let rloc = get_ip(r).map_err(|e| match e {
                DecodeError::BadAfi(AFI_NONE) => DecodeError::NoItrRloc,
                e => e,
            })?;
            itr_rlocs.push(rloc);
        }
        // The smallest EID record: reserved, mask-len, AFI and an IPv4 address.
        let mut eids = Vec::with_capacity(r.capacity(count.into(), 8));
        for _ in 0..count {
            let [_rsvd, plen] = r.array()?;
            eids.push(Eid::decode(r, plen)?);
        }
        let map_reply = match b0 & REQ_M {
            0 => None,
            _ => Some(Record::decode(r)?),
        };
        Ok(MapRequest {
            nonce,
            authoritative: b0 & REQ_A != 0,
            probe: b0 & REQ_P != 0,
            smr: b0 & REQ_S != 0,
            pitr: b1 & REQ_PITR != 0,
            smr_invoked: b1 & REQ_SMR_INVOKED != 0,
            source_eid,
            itr_rlocs,
            eids,
            map_reply,
        })
    }
}

impl MapReply {
    /// Appends the Map-Reply and its records.
    fn encode(&self, out: &mut Vec<u8>) {
        let (count, records) = clamp_count(&self.records);
        out.push(
            TYPE_REPLY << 4
                | flag(self.probe, REP_P)
                | flag(self.echo_nonce, REP_E)
                | flag(self.security, REP_S),
        );
        out.extend_from_slice(&[0, 0, count]);
        out.extend_from_slice(&self.nonce.to_be_bytes());
        for rec in records {
            rec.encode(out);
        }
    }

    /// Reads a Map-Reply.
    fn decode(r: &mut Reader<'_>) -> Result<MapReply, DecodeError> {
        let [b0, _, _, count] = r.array()?;
        let nonce = r.u64()?;
        Ok(MapReply {
            nonce,
            probe: b0 & REP_P != 0,
            echo_nonce: b0 & REP_E != 0,
            security: b0 & REP_S != 0,
            records: decode_records(r, count)?,
        })
    }
}

/// Appends the header shared by Map-Register and Map-Notify(-Ack), with zeroed auth data,
/// then the records; the caller signs the result.
fn encode_registration(
    out: &mut Vec<u8>,
    b0: u8,
    b2: u8,
    nonce: u64,
    auth: Auth,
    records: &[Record],
) {
    let (count, records) = clamp_count(records);
    out.extend_from_slice(&[b0, 0, b2, count]);
    out.extend_from_slice(&nonce.to_be_bytes());
    auth.encode(out);
    for rec in records {
        rec.encode(out);
    }
}

impl MapRegister {
    /// Reads a Map-Register, skipping the authentication data.
    fn decode(r: &mut Reader<'_>) -> Result<MapRegister, DecodeError> {
        let [b0, _, b2, count] = r.array()?;
        let nonce = r.u64()?;
        let auth = Auth::decode(r)?;
        Ok(MapRegister {
            nonce,
            proxy_reply: b0 & REG_P != 0,
            want_map_notify: b2 & REG_M != 0,
            auth,
            records: decode_records(r, count)?,
        })
    }
}

impl MapNotify {
    /// Reads a Map-Notify or Map-Notify-Ack, skipping the authentication data.
    fn decode(r: &mut Reader<'_>) -> Result<MapNotify, DecodeError> {
        let [_, _, _, count] = r.array()?;
        let nonce = r.u64()?;
        let auth = Auth::decode(r)?;
        Ok(MapNotify {
            nonce,
            auth,
            records: decode_records(r, count)?,
        })
    }
}

impl Message {
    /// Decodes a control message (bytes after the last record, such as an xTR-ID, are ignored).
    ///
    /// Never panics and never allocates more than in proportion to `buf.len()`; authentication
    /// data is skipped, [`crate::verify`] checks it.
    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        let kind = buf.first().ok_or(DecodeError::Truncated)? >> 4;
        let r = &mut Reader::new(buf);
        Ok(match kind {
            TYPE_REQUEST => Message::Request(MapRequest::decode(r)?),
            TYPE_REPLY => Message::Reply(MapReply::decode(r)?),
            TYPE_REGISTER => Message::Register(MapRegister::decode(r)?),
            TYPE_NOTIFY => Message::Notify(MapNotify::decode(r)?),
            TYPE_NOTIFY_ACK => Message::NotifyAck(MapNotify::decode(r)?),
            TYPE_ECM => Message::Encap(Ecm::decode(r)?),
            _ => return Err(DecodeError::BadType(kind)),
        })
    }

    /// Encodes the message; Map-Register and Map-Notify(-Ack) are signed with `key` when their
    /// `auth` is not [`Auth::None`] (`key` is ignored otherwise).
    pub fn encode(&self, key: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        let auth = match self {
            Message::Request(m) => {
                m.encode(&mut out);
                Auth::None
            }
            Message::Reply(m) => {
                m.encode(&mut out);
                Auth::None
            }
            Message::Register(m) => {
                let b0 = TYPE_REGISTER << 4 | flag(m.proxy_reply, REG_P);
                let b2 = flag(m.want_map_notify, REG_M);
                encode_registration(&mut out, b0, b2, m.nonce, m.auth, &m.records);
                m.auth
            }
            Message::Notify(m) => {
                encode_registration(&mut out, TYPE_NOTIFY << 4, 0, m.nonce, m.auth, &m.records);
                m.auth
            }
            Message::NotifyAck(m) => {
                let b0 = TYPE_NOTIFY_ACK << 4;
                encode_registration(&mut out, b0, 0, m.nonce, m.auth, &m.records);
                m.auth
            }
            Message::Encap(m) => {
                m.encode(&mut out);
                Auth::None
            }
        };
        auth.sign(key, &mut out);
        out
    }

    /// Returns the snake_case name of the message type, fit for a counter name.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Request(_) => "map_request",
            Message::Reply(_) => "map_reply",
            Message::Register(_) => "map_register",
            Message::Notify(_) => "map_notify",
            Message::NotifyAck(_) => "map_notify_ack",
            Message::Encap(_) => "ecm",
        }
    }
}
