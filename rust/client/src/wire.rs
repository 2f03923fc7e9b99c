// SPDX-License-Identifier: GPL-2.0

//! Netlink messages as bytes: building the requests of the "lisp" generic-netlink family, of
//! nlctrl and of rtnetlink, and parsing replies, errors, dumps and events. Nothing here touches a
//! socket, so every function is tested on plain byte buffers.
//!
//! One encoder (`MsgBuilder`) writes every request, the packed batches of map changes included;
//! replies are read with one attribute reader. The framing of NLMSG_ERROR/NLMSG_DONE payloads
//! honours NLM_F_CAPPED/NLM_F_ACK_TLVS and tolerates trailing TLVs on acks. neli supplies the
//! constants.

use std::net::IpAddr;

use lisp_uapi::*;
use neli::consts::{
    genl::{CtrlAttr, CtrlAttrMcastGrp, CtrlCmd},
    nl::{GenlId, NlmF, Nlmsg, NlmsgerrAttr},
    rtnl::{Ifla, IflaInfo, Rtm},
};

use crate::error::{Error, KernelError};
use crate::model::*;

/// Size of struct nlmsghdr.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of struct genlmsghdr.
pub const GENL_HDRLEN: usize = 4;
/// Size of struct ifinfomsg.
const IFINFO_LEN: usize = 16;
/// Largest request `map add`/`map replace`/`map del` batches pack their entries into.
pub const BATCH_MSG_MAX: usize = 32 * 1024;

const NLA_HDRLEN: usize = 4;
const NLA_F_NESTED: u16 = 1 << 15;
const NLA_F_NET_BYTEORDER: u16 = 1 << 14;

/// The version nlctrl requests carry (what iproute2's genl and libnl send).
const CTRL_VERSION: u8 = 2;

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

// ---- Building -------------------------------------------------------------------------------

/// A request being built: nlmsghdr, the protocol's fixed header, then attributes and nests.
/// The sequence number is left 0: the socket layer stamps it.
#[derive(Clone, Debug, Default)]
pub struct MsgBuilder {
    buf: Vec<u8>,
}

impl MsgBuilder {
    /// A message of type `ty` with `flags` (NLM_F_REQUEST added) and the fixed header `header`.
    pub fn new(ty: u16, flags: NlmF, header: &[u8]) -> MsgBuilder {
        let mut m = MsgBuilder::default();
        m.reset(ty, flags, header);
        m
    }

    /// `new`, reusing the buffer.
    pub fn reset(&mut self, ty: u16, flags: NlmF, header: &[u8]) {
        let [t0, t1] = ty.to_ne_bytes();
        let [f0, f1] = (flags | NlmF::REQUEST).bits().to_ne_bytes();
        self.buf.clear();
        // Length (set by `finish`), type, flags, sequence number, port id.
        self.buf
            .extend_from_slice(&[0, 0, 0, 0, t0, t1, f0, f1, 0, 0, 0, 0, 0, 0, 0, 0]);
        self.buf.extend_from_slice(header);
    }

    /// A generic-netlink request of `family`.
    pub fn genl(family: u16, flags: NlmF, cmd: u8, version: u8) -> MsgBuilder {
        MsgBuilder::new(family, flags, &[cmd, version, 0, 0])
    }

    /// A request of the lisp family.
    fn lisp(family: u16, flags: NlmF, cmd: u8, dev: &str) -> MsgBuilder {
        let mut m = MsgBuilder::genl(family, flags, cmd, LISP_GENL_VERSION);
        m.str(LISP_A_IFNAME, dev);
        m
    }

    /// An rtnetlink link request: ifinfomsg of `ifindex` (family AF_UNSPEC).
    fn link(ty: Rtm, flags: NlmF, ifindex: i32) -> MsgBuilder {
        let mut ifi = [0u8; IFINFO_LEN];
        ifi[4..8].copy_from_slice(&ifindex.to_ne_bytes());
        MsgBuilder::new(ty.into(), flags, &ifi)
    }

    fn hdr(&mut self, len: usize, ty: u16) {
        let [l0, l1] = (len as u16).to_ne_bytes();
        let [t0, t1] = ty.to_ne_bytes();
        self.buf.extend_from_slice(&[l0, l1, t0, t1]);
    }

    /// An attribute, padded to 4 bytes.
    pub fn put(&mut self, ty: u16, payload: &[u8]) -> &mut Self {
        self.hdr(NLA_HDRLEN + payload.len(), ty);
        self.buf.extend_from_slice(payload);
        self.buf.resize(align4(self.buf.len()), 0);
        self
    }

    pub fn u8(&mut self, ty: u16, v: u8) -> &mut Self {
        let [t0, t1] = ty.to_ne_bytes();
        self.buf.extend_from_slice(&[5, 0, t0, t1, v, 0, 0, 0]);
        self
    }

    pub fn u32(&mut self, ty: u16, v: u32) -> &mut Self {
        let [t0, t1] = ty.to_ne_bytes();
        let [v0, v1, v2, v3] = v.to_ne_bytes();
        self.buf.extend_from_slice(&[8, 0, t0, t1, v0, v1, v2, v3]);
        self
    }

    pub fn opt_u32(&mut self, ty: u16, v: Option<u32>) -> &mut Self {
        if let Some(v) = v {
            self.u32(ty, v);
        }
        self
    }

    /// A NUL-terminated string.
    pub fn str(&mut self, ty: u16, s: &str) -> &mut Self {
        self.hdr(NLA_HDRLEN + s.len() + 1, ty);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.resize(align4(self.buf.len() + 1), 0);
        self
    }

    /// An address: 4 or 16 bytes, network order.
    pub fn addr(&mut self, ty: u16, a: &IpAddr) -> &mut Self {
        // Whole attributes of a fixed size: a batch writes three per line.
        let [t0, t1] = ty.to_ne_bytes();
        match a {
            IpAddr::V4(a) => {
                let [a0, a1, a2, a3] = a.octets();
                self.buf.extend_from_slice(&[8, 0, t0, t1, a0, a1, a2, a3]);
            }
            IpAddr::V6(a) => {
                let mut attr = [0u8; NLA_HDRLEN + 16];
                attr[..NLA_HDRLEN].copy_from_slice(&[20, 0, t0, t1]);
                attr[NLA_HDRLEN..].copy_from_slice(&a.octets());
                self.buf.extend_from_slice(&attr);
            }
        }
        self
    }

    /// Opens a nest of type `ty` (flags included): `end_nest` with what this returns closes it.
    pub fn nest(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.hdr(0, ty);
        at
    }

    pub fn end_nest(&mut self, at: usize) {
        let len = (self.buf.len() - at) as u16;
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
    }

    /// The LISP_A_MAP nest of `e`: IID (if given), EID, PLEN, one RLOC nest per locator (ADDR,
    /// PRIORITY, WEIGHT, UP), TTL, ACTION and ORIGIN (if given). The key of an entry (`map del`,
    /// `map get EID/LEN`) is an entry with only prefix and IID.
    pub fn entry(&mut self, e: &MapEntry) -> &mut Self {
        let map = self.nest(LISP_A_MAP | NLA_F_NESTED);
        self.opt_u32(LISP_MAP_A_IID, e.iid);
        self.addr(LISP_MAP_A_EID, &e.prefix.addr);
        self.u8(LISP_MAP_A_PLEN, e.prefix.len);
        for r in e.rlocs.iter() {
            let rloc = self.nest(LISP_MAP_A_RLOC | NLA_F_NESTED);
            self.addr(LISP_RLOC_A_ADDR, &r.addr);
            self.u8(LISP_RLOC_A_PRIORITY, r.priority);
            self.u8(LISP_RLOC_A_WEIGHT, r.weight);
            self.u8(LISP_RLOC_A_UP, u8::from(r.up));
            self.end_nest(rloc);
        }
        self.opt_u32(LISP_MAP_A_TTL, e.ttl);
        if let Some(action) = e.action {
            self.u8(LISP_MAP_A_ACTION, action.value());
        }
        if let Some(origin) = e.origin {
            self.u8(LISP_MAP_A_ORIGIN, origin.value());
        }
        self.end_nest(map);
        self
    }

    /// The message so far, its length set.
    pub fn bytes(&mut self) -> &mut [u8] {
        let len = self.buf.len() as u32;
        self.buf[..4].copy_from_slice(&len.to_ne_bytes());
        &mut self.buf
    }

    /// The whole message.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes();
        self.buf
    }
}

/// NLM_F_* of a map change: `add` must not replace, `replace` may create, `del` neither.
pub fn map_flags(cmd: u8, replace: bool) -> NlmF {
    match (cmd, replace) {
        (LISP_CMD_MAP_ADD, false) => NlmF::ACK | NlmF::CREATE | NlmF::EXCL,
        (LISP_CMD_MAP_ADD, true) => NlmF::ACK | NlmF::CREATE | NlmF::REPLACE,
        _ => NlmF::ACK,
    }
}

/// MAP_ADD (`replace`: may replace an existing entry) or MAP_DEL of one entry, with an ack.
pub fn map_change(family: u16, cmd: u8, replace: bool, dev: &str, e: &MapEntry) -> Vec<u8> {
    let mut m = MsgBuilder::lisp(family, map_flags(cmd, replace), cmd, dev);
    m.entry(e);
    m.finish()
}

/// DEV_GET of one device (do) or of all (dump, without LISP_A_IFNAME).
pub fn dev_get(family: u16, dev: Option<&str>) -> Vec<u8> {
    match dev {
        Some(d) => MsgBuilder::lisp(family, NlmF::ACK, LISP_CMD_DEV_GET, d).finish(),
        None => MsgBuilder::genl(family, NlmF::DUMP, LISP_CMD_DEV_GET, LISP_GENL_VERSION).finish(),
    }
}

/// MAP_GET do of one exact entry.
pub fn map_get(family: u16, dev: &str, key: &MapEntry) -> Vec<u8> {
    let mut m = MsgBuilder::lisp(family, NlmF::ACK, LISP_CMD_MAP_GET, dev);
    m.entry(key);
    m.finish()
}

/// MAP_GET do of the longest match of `addr`: LISP_A_LOOKUP, LISP_A_IID (if given), LISP_A_HASH.
pub fn map_lookup(family: u16, dev: &str, addr: &IpAddr, iid: Option<u32>, hash: u32) -> Vec<u8> {
    let mut m = MsgBuilder::lisp(family, NlmF::ACK, LISP_CMD_MAP_GET, dev);
    m.addr(LISP_A_LOOKUP, addr)
        .opt_u32(LISP_A_IID, iid)
        .u32(LISP_A_HASH, hash);
    m.finish()
}

/// MAP_GET dump, optionally of one instance ID.
pub fn map_dump(family: u16, dev: &str, iid: Option<u32>) -> Vec<u8> {
    let mut m = MsgBuilder::lisp(family, NlmF::DUMP, LISP_CMD_MAP_GET, dev);
    m.opt_u32(LISP_A_IID, iid);
    m.finish()
}

/// MAP_FLUSH, optionally of one instance ID.
pub fn map_flush(family: u16, dev: &str, iid: Option<u32>) -> Vec<u8> {
    let mut m = MsgBuilder::lisp(family, NlmF::ACK, LISP_CMD_MAP_FLUSH, dev);
    m.opt_u32(LISP_A_IID, iid);
    m.finish()
}

/// Where one LISP_A_MAP nest sits in a packed request, and the batch line it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Offset of the nest's header from the start of the nlmsghdr.
    pub start: usize,
    /// Offset just past its (padded) end.
    pub end: usize,
    /// 1-based line number (or 1 for a command line).
    pub line: usize,
}

/// Packs consecutive LISP_A_MAP nests for one device and command into requests of at most
/// `cap` bytes (a single nest larger than that still goes alone). One buffer serves every
/// request: `start` a kind of request, `push_if_fits` entries, send `request()`, `clear`.
pub struct Packer {
    cap: usize,
    /// The request: header, LISP_A_IFNAME, the nests pushed.
    msg: MsgBuilder,
    /// Length of the header and LISP_A_IFNAME.
    header: usize,
    spans: Vec<Span>,
}

impl Packer {
    pub fn new(cap: usize) -> Packer {
        Packer {
            cap,
            msg: MsgBuilder::default(),
            header: 0,
            spans: Vec::new(),
        }
    }

    /// Empties the packer for requests of `cmd` with `flags` (NLM_F_REQUEST added) to `dev`.
    pub fn start(&mut self, family: u16, cmd: u8, flags: NlmF, dev: &str) {
        self.msg
            .reset(family, flags, &[cmd, LISP_GENL_VERSION, 0, 0]);
        self.msg.buf.reserve(self.room());
        self.msg.str(LISP_A_IFNAME, dev);
        self.header = self.msg.buf.len();
        self.spans.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The capacity a request needs: `cap` and a nest that does not fit (8 IPv6 locators make
    /// 440 bytes), which is written before it is taken back.
    fn room(&self) -> usize {
        self.cap + 512
    }

    /// Pushes `e`, whether it fits or not.
    pub fn push(&mut self, line: usize, e: &MapEntry) {
        let start = self.msg.buf.len();
        self.msg.entry(e);
        self.spans.push(Span {
            start,
            end: self.msg.buf.len(),
            line,
        });
    }

    /// Pushes `e` if it can join the request being filled (always, when it is empty).
    pub fn push_if_fits(&mut self, line: usize, e: &MapEntry) -> bool {
        let start = self.msg.buf.len();
        self.push(line, e);
        if self.msg.buf.len() > self.cap && self.spans.len() > 1 {
            self.spans.pop();
            self.msg.buf.truncate(start);
            return false;
        }
        true
    }

    /// The request filled so far (its length set), and where its nests sit.
    pub fn request_and_spans(&mut self) -> (&mut [u8], &[Span]) {
        (self.msg.bytes(), &self.spans)
    }

    /// Takes the request filled so far and its spans out, leaving the packer empty, with the
    /// same header.
    pub fn take(&mut self) -> (Vec<u8>, Vec<Span>) {
        self.msg.bytes();
        let mut fresh = Vec::with_capacity(self.room());
        fresh.extend_from_slice(&self.msg.buf[..self.header]);
        let req = std::mem::replace(&mut self.msg.buf, fresh);
        (req, std::mem::take(&mut self.spans))
    }

    /// Drops the nests, keeping the header for the next request.
    pub fn clear(&mut self) {
        self.msg.buf.truncate(self.header);
        self.spans.clear();
    }
}

/// The spans of a request `Packer` built (whose nests came from `lines`), found from its bytes.
pub fn spans_of(req: &[u8], lines: &[usize], spans: &mut Vec<Span>) {
    spans.clear();
    // After the headers, LISP_A_IFNAME, then the nests.
    let ifname = usize::from(ne_u16(&req[NLMSG_HDRLEN + GENL_HDRLEN..]));
    let mut start = NLMSG_HDRLEN + GENL_HDRLEN + align4(ifname);
    for &line in lines {
        let end = start + align4(usize::from(ne_u16(&req[start..])));
        spans.push(Span { start, end, line });
        start = end;
    }
    debug_assert_eq!(start, req.len());
}

/// Which batch lines a failed packed request concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// The nest of this line failed; the nests before it in the request were applied.
    Line { line: usize, index: usize },
    /// The kernel did not say which nest: any of these lines may have been applied.
    Range { first: usize, last: usize },
}

/// Maps the extack offset of an error to the batch line whose nest contains it. An offset before
/// the first nest (the header, LISP_A_IFNAME) blames the first line: nothing was applied.
pub fn blame(spans: &[Span], offset: Option<u32>) -> Blame {
    let (first, last) = match (spans.first(), spans.last()) {
        (Some(f), Some(l)) => (f.line, l.line),
        _ => return Blame::Range { first: 0, last: 0 },
    };
    if spans.len() == 1 {
        return Blame::Line {
            line: first,
            index: 0,
        };
    }
    let Some(off) = offset.map(|o| o as usize) else {
        return Blame::Range { first, last };
    };
    if off < spans[0].start {
        return Blame::Line {
            line: first,
            index: 0,
        };
    }
    match spans.iter().position(|s| s.start <= off && off < s.end) {
        Some(index) => Blame::Line {
            line: spans[index].line,
            index,
        },
        None => Blame::Range { first, last },
    }
}

/// nlctrl CTRL_CMD_GETFAMILY for one family name.
pub fn ctrl_get_family(name: &str) -> Vec<u8> {
    let mut m = MsgBuilder::genl(
        GenlId::Ctrl.into(),
        NlmF::ACK,
        CtrlCmd::Getfamily.into(),
        CTRL_VERSION,
    );
    m.str(CtrlAttr::FamilyName.into(), name);
    m.finish()
}

/// IFLA_LINKINFO { IFLA_INFO_KIND "lisp", IFLA_INFO_DATA { the IFLA_LISP_* of `c`, only those
/// set, in attribute order (left out when none is) } }. PORT is a u16 in network order, LOCAL 4
/// or 16 bytes, IID and MAP_MAX u32, the others u8. Like iproute2's, the rtnetlink nests carry
/// no NLA_F_NESTED.
fn linkinfo(m: &mut MsgBuilder, c: &LinkConfig) {
    let info = m.nest(Ifla::Linkinfo.into());
    m.str(IflaInfo::Kind.into(), LISP_KIND);
    if !c.is_empty() {
        let data = m.nest(IflaInfo::Data.into());
        if let Some(port) = c.port {
            m.put(IFLA_LISP_PORT, &port.to_be_bytes());
        }
        if let Some(local) = &c.local {
            m.addr(IFLA_LISP_LOCAL, local);
        }
        m.opt_u32(IFLA_LISP_IID, c.iid);
        for (ty, v) in [
            (IFLA_LISP_TTL, c.ttl),
            (IFLA_LISP_TOS, c.tos),
            (IFLA_LISP_EXTERNAL, c.external.map(u8::from)),
            (IFLA_LISP_UDP_CSUM, c.udp_csum.map(u8::from)),
            (IFLA_LISP_NONCE, c.nonce.map(u8::from)),
            (IFLA_LISP_SRC_CHECK, c.src_check.map(u8::from)),
        ] {
            if let Some(v) = v {
                m.u8(ty, v);
            }
        }
        m.opt_u32(IFLA_LISP_MAP_MAX, c.map_max);
        m.end_nest(data);
    }
    m.end_nest(info);
}

/// RTM_NEWLINK creating a lisp device: IFLA_IFNAME, IFLA_MTU (if given), IFLA_LINKINFO.
pub fn link_new(name: &str, mtu: Option<u32>, c: &LinkConfig) -> Vec<u8> {
    let mut m = MsgBuilder::link(Rtm::Newlink, NlmF::ACK | NlmF::CREATE | NlmF::EXCL, 0);
    m.str(Ifla::Ifname.into(), name)
        .opt_u32(Ifla::Mtu.into(), mtu);
    linkinfo(&mut m, c);
    m.finish()
}

/// RTM_NEWLINK changing the existing device `ifindex` (no NLM_F_CREATE): IFLA_LINKINFO.
pub fn link_change(ifindex: i32, c: &LinkConfig) -> Vec<u8> {
    let mut m = MsgBuilder::link(Rtm::Newlink, NlmF::ACK, ifindex);
    linkinfo(&mut m, c);
    m.finish()
}

/// RTM_GETLINK dump of the lisp devices (IFLA_LINKINFO { IFLA_INFO_KIND "lisp" }, which the
/// kernel filters the dump by).
pub fn link_dump_lisp() -> Vec<u8> {
    let mut m = MsgBuilder::link(Rtm::Getlink, NlmF::DUMP, 0);
    linkinfo(&mut m, &LinkConfig::default());
    m.finish()
}

/// RTM_GETLINK of one device by name.
pub fn link_get(name: &str) -> Vec<u8> {
    let mut m = MsgBuilder::link(Rtm::Getlink, NlmF::ACK, 0);
    m.str(Ifla::Ifname.into(), name);
    m.finish()
}

/// RTM_DELLINK of one device by index.
pub fn link_del(ifindex: i32) -> Vec<u8> {
    MsgBuilder::link(Rtm::Dellink, NlmF::ACK, ifindex).finish()
}

// ---- Parsing --------------------------------------------------------------------------------

/// One netlink message of a received datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Msg<'a> {
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
    pub payload: &'a [u8],
}

fn ne_u16(b: &[u8]) -> u16 {
    u16::from_ne_bytes([b[0], b[1]])
}

fn ne_u32(b: &[u8]) -> u32 {
    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
}

/// Splits a datagram into its messages.
pub fn split(buf: &[u8]) -> Result<Vec<Msg<'_>>, Error> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let rest = &buf[off..];
        if rest.len() < NLMSG_HDRLEN {
            return Err(Error::reply("truncated netlink header"));
        }
        let len = ne_u32(rest) as usize;
        if len < NLMSG_HDRLEN || len > rest.len() {
            return Err(Error::reply(format!("bad netlink message length {len}")));
        }
        out.push(Msg {
            ty: ne_u16(&rest[4..]),
            flags: ne_u16(&rest[6..]),
            seq: ne_u32(&rest[8..]),
            pid: ne_u32(&rest[12..]),
            payload: &rest[NLMSG_HDRLEN..len],
        });
        off += align4(len);
    }
    Ok(out)
}

/// A received attribute: its type without the NLA_F_* flags, and its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    pub ty: u16,
    /// NLA_F_NET_BYTEORDER: the payload is in network byte order.
    pub net_order: bool,
    pub data: &'a [u8],
}

/// The attributes of a buffer (a message's attributes, or a nest's payload).
pub fn attrs_of(mut b: &[u8]) -> Result<Vec<Attr<'_>>, Error> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let len = match b.len() {
            4.. => usize::from(ne_u16(b)),
            _ => 0,
        };
        if len < NLA_HDRLEN || len > b.len() {
            return Err(Error::reply(format!("bad attribute length {len}")));
        }
        let ty = ne_u16(&b[2..]);
        out.push(Attr {
            ty: ty & !(NLA_F_NESTED | NLA_F_NET_BYTEORDER),
            net_order: ty & NLA_F_NET_BYTEORDER != 0,
            data: &b[NLA_HDRLEN..len],
        });
        b = &b[align4(len).min(b.len())..];
    }
    Ok(out)
}

fn bad(what: &str, a: &Attr) -> Error {
    Error::reply(format!("{what} has {} bytes", a.data.len()))
}

fn get_u8(a: &Attr, what: &str) -> Result<u8, Error> {
    match a.data {
        [v] => Ok(*v),
        _ => Err(bad(what, a)),
    }
}

fn get_bool(a: &Attr, what: &str) -> Result<bool, Error> {
    get_u8(a, what).map(|v| v != 0)
}

fn get_u16(a: &Attr, what: &str) -> Result<u16, Error> {
    let b: [u8; 2] = a.data.try_into().map_err(|_| bad(what, a))?;
    Ok(if a.net_order {
        u16::from_be_bytes(b)
    } else {
        u16::from_ne_bytes(b)
    })
}

fn get_u32(a: &Attr, what: &str) -> Result<u32, Error> {
    let b: [u8; 4] = a.data.try_into().map_err(|_| bad(what, a))?;
    Ok(if a.net_order {
        u32::from_be_bytes(b)
    } else {
        u32::from_ne_bytes(b)
    })
}

/// A counter: u64, or u32 from a kernel that sends the short form.
fn get_u64(a: &Attr, what: &str) -> Result<u64, Error> {
    match <[u8; 8]>::try_from(a.data) {
        Ok(b) => Ok(u64::from_ne_bytes(b)),
        Err(_) => get_u32(a, what).map(u64::from),
    }
}

fn get_str(a: &Attr) -> String {
    let end = a.data.iter().position(|&c| c == 0).unwrap_or(a.data.len());
    String::from_utf8_lossy(&a.data[..end]).into_owned()
}

fn get_addr(a: &Attr, what: &str) -> Result<IpAddr, Error> {
    addr_from_bytes(a.data).ok_or_else(|| bad(what, a))
}

/// The extended-ack attributes (message text, offending offset) of an error.
fn extack(tlvs: &[u8], errno: i32) -> KernelError {
    let mut k = KernelError {
        errno,
        msg: None,
        offset: None,
    };
    // A kernel error must be reported even when its TLVs cannot be parsed.
    for a in attrs_of(tlvs).unwrap_or_default() {
        match NlmsgerrAttr::from(a.ty) {
            NlmsgerrAttr::Msg => k.msg = Some(get_str(&a)),
            NlmsgerrAttr::Offset => k.offset = get_u32(&a, "offset").ok(),
            _ => {}
        }
    }
    k
}

/// The payload of NLMSG_ERROR: `None` for an ack, the error otherwise.
pub fn parse_error(flags: u16, payload: &[u8]) -> Result<Option<KernelError>, Error> {
    if payload.len() < 4 {
        return Err(Error::reply("short NLMSG_ERROR"));
    }
    let code = i32::from_ne_bytes(payload[..4].try_into().expect("4 bytes"));
    if code == 0 {
        return Ok(None);
    }
    let echoed = &payload[4..];
    let mut tlvs: &[u8] = &[];
    if flags & NlmF::ACK_TLVS.bits() != 0 && echoed.len() >= NLMSG_HDRLEN {
        // The request comes back whole unless NLM_F_CAPPED says only its header does.
        let skip = if flags & NlmF::CAPPED.bits() != 0 {
            NLMSG_HDRLEN
        } else {
            align4(ne_u32(echoed) as usize)
        };
        tlvs = echoed.get(skip..).unwrap_or(&[]);
    }
    Ok(Some(extack(tlvs, code.saturating_neg())))
}

/// The payload of NLMSG_DONE: the dump's error, if it failed midway.
pub fn parse_done(flags: u16, payload: &[u8]) -> Option<KernelError> {
    if payload.len() < 4 {
        return None;
    }
    let code = i32::from_ne_bytes(payload[..4].try_into().expect("4 bytes"));
    if code >= 0 {
        return None;
    }
    let tlvs = if flags & NlmF::ACK_TLVS.bits() != 0 {
        &payload[4..]
    } else {
        &[]
    };
    Some(extack(tlvs, code.saturating_neg()))
}

/// Whether a request has been fully answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    More,
    Done,
}

/// Handles one datagram received for the request with sequence number `seq`: hands every reply
/// to `on_reply`, ends at the ack (NLMSG_ERROR 0) or NLMSG_DONE, fails on an error. Messages of
/// other sequence numbers (stale replies, notifications) are skipped.
pub fn process(
    buf: &[u8],
    seq: u32,
    on_reply: &mut dyn FnMut(&Msg) -> Result<(), Error>,
) -> Result<Flow, Error> {
    for m in split(buf)? {
        if m.seq != seq {
            continue;
        }
        match Nlmsg::from(m.ty) {
            Nlmsg::Noop => {}
            Nlmsg::Error => {
                return match parse_error(m.flags, m.payload)? {
                    None => Ok(Flow::Done),
                    Some(e) => Err(Error::Kernel(e)),
                };
            }
            Nlmsg::Done => {
                return match parse_done(m.flags, m.payload) {
                    None => Ok(Flow::Done),
                    Some(e) => Err(Error::Kernel(e)),
                };
            }
            Nlmsg::Overrun => return Err(Error::Other("netlink: overrun".into())),
            _ => on_reply(&m)?,
        }
    }
    Ok(Flow::More)
}

/// The command and attributes of a generic-netlink message.
pub fn parse_genl(payload: &[u8]) -> Result<(u8, Vec<Attr<'_>>), Error> {
    if payload.len() < GENL_HDRLEN {
        return Err(Error::reply("short generic netlink header"));
    }
    Ok((payload[0], attrs_of(&payload[GENL_HDRLEN..])?))
}

fn parse_rloc(nest: &Attr) -> Result<Rloc, Error> {
    let mut addr = None;
    let mut r = Rloc::new(IpAddr::from([0u8; 4]));
    for a in attrs_of(nest.data)? {
        match a.ty {
            LISP_RLOC_A_ADDR => addr = Some(get_addr(&a, "LISP_RLOC_A_ADDR")?),
            LISP_RLOC_A_PRIORITY => r.priority = get_u8(&a, "LISP_RLOC_A_PRIORITY")?,
            LISP_RLOC_A_WEIGHT => r.weight = get_u8(&a, "LISP_RLOC_A_WEIGHT")?,
            LISP_RLOC_A_UP => r.up = get_u8(&a, "LISP_RLOC_A_UP")? != 0,
            _ => {}
        }
    }
    r.addr = addr.ok_or_else(|| Error::reply("locator without LISP_RLOC_A_ADDR"))?;
    Ok(r)
}

/// A MAP_GET reply or MAP_ADD/MAP_DEL event: IFINDEX, IFNAME, and one LISP_A_MAP nest.
pub fn parse_entry(attrs: &[Attr]) -> Result<EntryInfo, Error> {
    let mut e = EntryInfo::default();
    let (mut eid, mut plen) = (None, None);
    for a in attrs {
        match a.ty {
            LISP_A_IFINDEX => e.ifindex = Some(get_u32(a, "LISP_A_IFINDEX")?),
            LISP_A_IFNAME => e.ifname = Some(get_str(a)),
            LISP_A_MAP => {
                for m in attrs_of(a.data)? {
                    match m.ty {
                        LISP_MAP_A_IID => e.iid = Some(get_u32(&m, "LISP_MAP_A_IID")?),
                        LISP_MAP_A_EID => eid = Some(get_addr(&m, "LISP_MAP_A_EID")?),
                        LISP_MAP_A_PLEN => plen = Some(get_u8(&m, "LISP_MAP_A_PLEN")?),
                        LISP_MAP_A_RLOC => e.rlocs.push(parse_rloc(&m)?),
                        LISP_MAP_A_TTL => e.ttl = Some(get_u32(&m, "LISP_MAP_A_TTL")?),
                        LISP_MAP_A_ACTION => e.action = Some(get_u8(&m, "LISP_MAP_A_ACTION")?),
                        LISP_MAP_A_EXPIRES => e.expires = Some(get_u32(&m, "LISP_MAP_A_EXPIRES")?),
                        LISP_MAP_A_SELECTED => {
                            e.selected = Some(get_u32(&m, "LISP_MAP_A_SELECTED")?)
                        }
                        LISP_MAP_A_ORIGIN => {
                            e.origin = Some(Origin::from_value(get_u8(&m, "LISP_MAP_A_ORIGIN")?))
                        }
                        LISP_MAP_A_USED => e.used = Some(get_u8(&m, "LISP_MAP_A_USED")? != 0),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    match (eid, plen) {
        (Some(addr), Some(len)) if len <= Prefix::max_len(&addr) => {
            e.prefix = Some(Prefix { addr, len })
        }
        (Some(_), Some(len)) => {
            return Err(Error::reply(format!("EID prefix length {len}")));
        }
        _ => return Err(Error::reply("entry without LISP_MAP_A_EID/LISP_MAP_A_PLEN")),
    }
    Ok(e)
}

/// A DEV_GET reply: IFINDEX, IFNAME, DEFAULT_IID, PORT, MAP_COUNT, STATS nest.
pub fn parse_dev(attrs: &[Attr]) -> Result<DevInfo, Error> {
    let mut d = DevInfo::default();
    for a in attrs {
        match a.ty {
            LISP_A_IFINDEX => d.ifindex = Some(get_u32(a, "LISP_A_IFINDEX")?),
            LISP_A_IFNAME => d.ifname = Some(get_str(a)),
            LISP_A_DEFAULT_IID => d.default_iid = Some(get_u32(a, "LISP_A_DEFAULT_IID")?),
            LISP_A_PORT => d.port = Some(get_u16(a, "LISP_A_PORT")?),
            LISP_A_MAP_COUNT => d.map_count = Some(get_u32(a, "LISP_A_MAP_COUNT")?),
            LISP_A_STATS => {
                for s in attrs_of(a.data)? {
                    // Zero-length attributes are the padding nla_put_u64_64bit() inserts to
                    // align the u64s (LISP_STAT_A_PAD), not counters.
                    if !s.data.is_empty() {
                        d.stats.push((s.ty, get_u64(&s, "counter")?));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(d)
}

/// A MISS event: IFINDEX, IFNAME, IID, LOOKUP.
pub fn parse_miss(attrs: &[Attr]) -> Result<MissInfo, Error> {
    let mut m = MissInfo::default();
    for a in attrs {
        match a.ty {
            LISP_A_IFINDEX => m.ifindex = Some(get_u32(a, "LISP_A_IFINDEX")?),
            LISP_A_IFNAME => m.ifname = Some(get_str(a)),
            LISP_A_IID => m.iid = Some(get_u32(a, "LISP_A_IID")?),
            LISP_A_LOOKUP => m.eid = Some(get_addr(a, "LISP_A_LOOKUP")?),
            _ => {}
        }
    }
    Ok(m)
}

/// A message of the "events" group; `None` for commands this tool does not know.
pub fn parse_event(payload: &[u8]) -> Result<Option<Event>, Error> {
    let (cmd, attrs) = parse_genl(payload)?;
    Ok(match cmd {
        LISP_CMD_MAP_ADD => Some(Event::MapAdd(parse_entry(&attrs)?)),
        LISP_CMD_MAP_DEL => Some(Event::MapDel(parse_entry(&attrs)?)),
        LISP_CMD_MISS => Some(Event::Miss(parse_miss(&attrs)?)),
        _ => None,
    })
}

/// What nlctrl says about a family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Family {
    pub id: u16,
    pub version: Option<u32>,
    /// (name, id) of each multicast group.
    pub groups: Vec<(String, u32)>,
}

/// A CTRL_CMD_NEWFAMILY reply.
pub fn parse_family(payload: &[u8]) -> Result<Family, Error> {
    let (_, attrs) = parse_genl(payload)?;
    let mut f = Family::default();
    let mut id = None;
    for a in &attrs {
        match CtrlAttr::from(a.ty) {
            CtrlAttr::FamilyId => id = Some(get_u16(a, "CTRL_ATTR_FAMILY_ID")?),
            CtrlAttr::Version => f.version = get_u32(a, "version").ok(),
            CtrlAttr::McastGroups => {
                for g in attrs_of(a.data)? {
                    let (mut name, mut gid) = (None, None);
                    for ga in attrs_of(g.data)? {
                        match CtrlAttrMcastGrp::from(ga.ty) {
                            CtrlAttrMcastGrp::Name => name = Some(get_str(&ga)),
                            CtrlAttrMcastGrp::Id => {
                                gid = Some(get_u32(&ga, "CTRL_ATTR_MCAST_GRP_ID")?)
                            }
                            _ => {}
                        }
                    }
                    if let (Some(n), Some(i)) = (name, gid) {
                        f.groups.push((n, i));
                    }
                }
            }
            _ => {}
        }
    }
    f.id = id.ok_or_else(|| Error::reply("family without CTRL_ATTR_FAMILY_ID"))?;
    Ok(f)
}

/// A u16 in network byte order (IFLA_LISP_PORT carries no NLA_F_NET_BYTEORDER).
fn get_be16(a: &Attr, what: &str) -> Result<u16, Error> {
    let b: [u8; 2] = a.data.try_into().map_err(|_| bad(what, a))?;
    Ok(u16::from_be_bytes(b))
}

/// The IFLA_INFO_DATA of a lisp device. Unknown attributes are ignored.
pub fn parse_info_data(b: &[u8]) -> Result<LinkConfig, Error> {
    let mut c = LinkConfig::default();
    for a in attrs_of(b)? {
        match a.ty {
            IFLA_LISP_PORT => c.port = Some(get_be16(&a, "IFLA_LISP_PORT")?),
            IFLA_LISP_LOCAL => c.local = Some(get_addr(&a, "IFLA_LISP_LOCAL")?),
            IFLA_LISP_IID => c.iid = Some(get_u32(&a, "IFLA_LISP_IID")?),
            IFLA_LISP_TTL => c.ttl = Some(get_u8(&a, "IFLA_LISP_TTL")?),
            IFLA_LISP_TOS => c.tos = Some(get_u8(&a, "IFLA_LISP_TOS")?),
            IFLA_LISP_EXTERNAL => c.external = Some(get_bool(&a, "IFLA_LISP_EXTERNAL")?),
            IFLA_LISP_UDP_CSUM => c.udp_csum = Some(get_bool(&a, "IFLA_LISP_UDP_CSUM")?),
            IFLA_LISP_NONCE => c.nonce = Some(get_bool(&a, "IFLA_LISP_NONCE")?),
            IFLA_LISP_SRC_CHECK => c.src_check = Some(get_bool(&a, "IFLA_LISP_SRC_CHECK")?),
            IFLA_LISP_MAP_MAX => c.map_max = Some(get_u32(&a, "IFLA_LISP_MAP_MAX")?),
            _ => {}
        }
    }
    Ok(c)
}

/// An RTM_NEWLINK message (a reply to RTM_GETLINK): index, IFLA_IFNAME, IFLA_MTU,
/// IFLA_OPERSTATE, and IFLA_LINKINFO's IFLA_INFO_KIND; its IFLA_INFO_DATA is parsed as a lisp
/// device's when the kind is "lisp".
pub fn parse_link_info(payload: &[u8]) -> Result<LinkInfo, Error> {
    if payload.len() < IFINFO_LEN {
        return Err(Error::reply("short RTM_NEWLINK"));
    }
    let mut l = LinkInfo {
        ifindex: ne_u32(&payload[4..]) as i32,
        ..LinkInfo::default()
    };
    let mut info_data = None;
    for a in attrs_of(&payload[IFINFO_LEN..])? {
        match Ifla::from(a.ty) {
            Ifla::Ifname => l.ifname = Some(get_str(&a)),
            Ifla::Mtu => l.mtu = Some(get_u32(&a, "IFLA_MTU")?),
            Ifla::Operstate => l.operstate = Some(get_u8(&a, "IFLA_OPERSTATE")?),
            Ifla::Linkinfo => {
                for i in attrs_of(a.data)? {
                    match IflaInfo::from(i.ty) {
                        IflaInfo::Kind => l.kind = Some(get_str(&i)),
                        IflaInfo::Data => info_data = Some(i.data),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    if let (Some(b), Some(LISP_KIND)) = (info_data, l.kind.as_deref()) {
        l.config = parse_info_data(b)?;
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn sample_entry() -> MapEntry {
        MapEntry {
            prefix: Prefix::parse("10.1.0.0/24", false).unwrap(),
            iid: Some(7),
            rlocs: [
                Rloc::new(ip("192.0.2.1")),
                Rloc {
                    addr: ip("2001:db8::1"),
                    priority: 2,
                    weight: 50,
                    up: false,
                },
            ]
            .into_iter()
            .collect(),
            ttl: Some(300),
            action: None,
            origin: None,
        }
    }

    /// The nest `MsgBuilder::entry` writes.
    fn nest_of(e: &MapEntry) -> Vec<u8> {
        let mut m = MsgBuilder::default();
        m.entry(e);
        m.buf
    }

    #[test]
    fn entry_nest_bytes() {
        let got = nest_of(&sample_entry());
        let want = n(
            LISP_A_MAP,
            &[
                a(LISP_MAP_A_IID, &7u32.to_ne_bytes()),
                a(LISP_MAP_A_EID, &[10, 1, 0, 0]),
                a(LISP_MAP_A_PLEN, &[24]),
                rloc_nest(&[192, 0, 2, 1], 1, 100, true),
                rloc_nest(&ip6("2001:db8::1"), 2, 50, false),
                a(LISP_MAP_A_TTL, &300u32.to_ne_bytes()),
            ],
        );
        assert_eq!(got, want);
        // Spelled out: the nest is 4 + 8 (IID) + 8 (EID) + 8 (PLEN) + 36 + 48 (RLOCs) + 8 (TTL).
        assert_eq!(got.len(), 120);
        assert_eq!(&got[..4], &[120, 0, 0x03, 0x80][..]);
        assert_eq!(&got[28..32], &[36, 0, 0x04, 0x80][..]);
        assert_eq!(&got[32..40], &[8, 0, 1, 0, 192, 0, 2, 1][..]);
        assert_eq!(&got[40..48], &[5, 0, 2, 0, 1, 0, 0, 0][..]);
        // A negative entry with an origin; a key.
        let neg = MapEntry {
            rlocs: Rlocs::default(),
            ttl: None,
            action: Some(Action::Notify),
            origin: Some(Origin::Lispd),
            ..sample_entry()
        };
        let want = n(
            LISP_A_MAP,
            &[
                a(LISP_MAP_A_IID, &7u32.to_ne_bytes()),
                a(LISP_MAP_A_EID, &[10, 1, 0, 0]),
                a(LISP_MAP_A_PLEN, &[24]),
                a(LISP_MAP_A_ACTION, &[LISP_ACTION_NOTIFY]),
                a(LISP_MAP_A_ORIGIN, &[LISP_ORIGIN_LISPD]),
            ],
        );
        assert_eq!(nest_of(&neg), want);
        let key = MapEntry::key(Prefix::parse("2001:db8::/32", false).unwrap(), None);
        let want = n(
            LISP_A_MAP,
            &[
                a(LISP_MAP_A_EID, &ip6("2001:db8::")),
                a(LISP_MAP_A_PLEN, &[32]),
            ],
        );
        assert_eq!(nest_of(&key), want);
    }

    /// The request a packer holds, taken out.
    fn take(p: &mut Packer) -> Option<(Vec<u8>, Vec<Span>)> {
        (!p.is_empty()).then(|| p.take())
    }

    #[test]
    fn map_add_message() {
        let mut p = Packer::new(BATCH_MSG_MAX);
        let flags = map_flags(LISP_CMD_MAP_ADD, false);
        // Device names of every length, for the padding of LISP_A_IFNAME.
        for len in 1..16 {
            let dev = &"abcdefghijklmnop"[..len];
            p.start(0x1234, LISP_CMD_MAP_ADD, flags, dev);
            p.push(1, &sample_entry());
            p.push(3, &sample_entry());
            let (bytes, spans) = take(&mut p).unwrap();
            let name = a(LISP_A_IFNAME, &[dev.as_bytes(), b"\0"].concat());
            let nest = nest_of(&sample_entry());
            let want = msg(
                0x1234,
                (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL).bits(),
                0,
                &genl(LISP_CMD_MAP_ADD, &[name.clone(), nest.clone(), nest]),
            );
            assert_eq!(bytes, want);
            let start = 16 + 4 + name.len();
            assert_eq!(
                spans,
                vec![
                    Span {
                        start,
                        end: start + 120,
                        line: 1
                    },
                    Span {
                        start: start + 120,
                        end: start + 240,
                        line: 3
                    }
                ]
            );
            // The spans are found again from the bytes and the lines.
            let mut again = Vec::new();
            spans_of(&bytes, &[1, 3], &mut again);
            assert_eq!(again, spans);
            assert!(take(&mut p).is_none());
        }
        assert_eq!(
            map_flags(LISP_CMD_MAP_ADD, true),
            NlmF::ACK | NlmF::CREATE | NlmF::REPLACE
        );
        assert_eq!(map_flags(LISP_CMD_MAP_DEL, false), NlmF::ACK);
    }

    #[test]
    fn packing_respects_cap_and_lines() {
        let cap = 1000;
        let mut p = Packer::new(cap);
        p.start(0x20, LISP_CMD_MAP_DEL, NlmF::ACK, "lisp0");
        let mut out = Vec::new();
        for i in 0..100usize {
            let key = MapEntry::key(
                Prefix::parse(&format!("10.0.{i}.0/24"), false).unwrap(),
                None,
            );
            // Line numbers with gaps, as with comments in between.
            if !p.push_if_fits(2 * i + 3, &key) {
                out.push(take(&mut p).unwrap());
                p.push(2 * i + 3, &key);
            }
        }
        out.extend(take(&mut p));
        // 32-byte header (16 + 4 + "lisp0"), 20-byte nests: 48 per message.
        assert_eq!(out.len(), 3);
        let mut want_line = 3;
        let mut total = 0;
        for (bytes_, spans) in &out {
            assert!(bytes_.len() <= cap);
            assert_eq!(ne_u32(bytes_) as usize, bytes_.len());
            let (cmd, attrs) = parse_genl(&bytes_[16..]).unwrap();
            assert_eq!(cmd, LISP_CMD_MAP_DEL);
            assert_eq!(attrs.len(), spans.len() + 1);
            for (s, attr) in spans.iter().zip(&attrs[1..]) {
                assert_eq!(s.line, want_line);
                want_line += 2;
                // The span is where the nest really is.
                assert_eq!(s.end - s.start, 4 + attr.data.len());
                assert_eq!(&bytes_[s.start + 4..s.end], attr.data);
            }
            total += spans.len();
        }
        assert_eq!(total, 100);
        assert_eq!(out[0].1.len(), 48);
        // A nest larger than the cap still goes, alone.
        let mut p = Packer::new(10);
        p.start(0x20, LISP_CMD_MAP_DEL, NlmF::ACK, "lisp0");
        let key = MapEntry::key(Prefix::parse("10.0.0.0/8", false).unwrap(), None);
        assert!(p.push_if_fits(1, &key));
        assert!(!p.push_if_fits(2, &key));
        assert_eq!(p.take().1.len(), 1);
    }

    #[test]
    fn blame_offsets() {
        let spans = [
            Span {
                start: 32,
                end: 52,
                line: 5,
            },
            Span {
                start: 52,
                end: 72,
                line: 6,
            },
            Span {
                start: 72,
                end: 92,
                line: 9,
            },
        ];
        assert_eq!(blame(&spans, Some(52)), Blame::Line { line: 6, index: 1 });
        assert_eq!(blame(&spans, Some(80)), Blame::Line { line: 9, index: 2 });
        assert_eq!(blame(&spans, Some(32)), Blame::Line { line: 5, index: 0 });
        // In the header or LISP_A_IFNAME: nothing of the message was applied.
        assert_eq!(blame(&spans, Some(20)), Blame::Line { line: 5, index: 0 });
        assert_eq!(blame(&spans, None), Blame::Range { first: 5, last: 9 });
        assert_eq!(blame(&spans, Some(500)), Blame::Range { first: 5, last: 9 });
        assert_eq!(blame(&spans[..1], None), Blame::Line { line: 5, index: 0 });
    }

    /// A request of the lisp family 0x30 to device "l", as the test encoder spells it.
    fn lisp_req(flags: NlmF, cmd: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
        let attrs = [&[a(LISP_A_IFNAME, b"l\0")][..], attrs].concat();
        msg(0x30, (NlmF::REQUEST | flags).bits(), 0, &genl(cmd, &attrs))
    }

    #[test]
    fn requests() {
        let lookup = [
            a(LISP_A_LOOKUP, &[10, 1, 2, 3]),
            a(LISP_A_IID, &4u32.to_ne_bytes()),
            a(LISP_A_HASH, &9u32.to_ne_bytes()),
        ];
        assert_eq!(
            map_lookup(0x30, "l", &ip("10.1.2.3"), Some(4), 9),
            lisp_req(NlmF::ACK, LISP_CMD_MAP_GET, &lookup)
        );
        let dump = lisp_req(NlmF::DUMP, LISP_CMD_MAP_GET, &[]);
        assert_eq!(map_dump(0x30, "l", None), dump);
        let key = MapEntry::key(Prefix::parse("2001:db8::/32", false).unwrap(), None);
        let nest = n(
            LISP_A_MAP,
            &[
                a(LISP_MAP_A_EID, &ip6("2001:db8::")),
                a(LISP_MAP_A_PLEN, &[32]),
            ],
        );
        assert_eq!(
            map_get(0x30, "l", &key),
            lisp_req(NlmF::ACK, LISP_CMD_MAP_GET, &[nest])
        );
        let iid = a(LISP_A_IID, &1u32.to_ne_bytes());
        assert_eq!(
            map_flush(0x30, "l", Some(1)),
            lisp_req(NlmF::ACK, LISP_CMD_MAP_FLUSH, &[iid])
        );
        let dump = msg(
            0x30,
            (NlmF::REQUEST | NlmF::DUMP).bits(),
            0,
            &genl(LISP_CMD_DEV_GET, &[]),
        );
        assert_eq!(dev_get(0x30, None), dump);
        let mut ctrl = ctrl_get_family("lisp");
        assert_eq!(
            ctrl.split_off(16),
            [&[3u8, 2, 0, 0][..], &a(2, b"lisp\0")].concat()
        );
        assert_eq!(ne_u16(&ctrl[4..]), 0x10);
    }

    #[test]
    fn link_requests() {
        let r = link_new("lisp0", Some(1400), &LinkConfig::default());
        let mut ifi = vec![0u8; 16];
        ifi.extend(a(libc_ifla::IFNAME, b"lisp0\0"));
        ifi.extend(a(libc_ifla::MTU, &1400u32.to_ne_bytes()));
        ifi.extend(a(libc_ifla::LINKINFO, &a(1, b"lisp\0")));
        let flags = (NlmF::REQUEST | NlmF::ACK | NlmF::CREATE | NlmF::EXCL).bits();
        assert_eq!(r, msg(16, flags, 0, &ifi));
        let r = link_del(7);
        let mut ifi = vec![0u8; 16];
        ifi[4..8].copy_from_slice(&7i32.to_ne_bytes());
        assert_eq!(r, msg(17, (NlmF::REQUEST | NlmF::ACK).bits(), 0, &ifi));
    }

    #[test]
    fn link_info_data_options() {
        // Only the options given, IPv6 local, inherit values.
        let c = LinkConfig {
            local: Some(ip("2001:db8::1")),
            ttl: Some(0),
            tos: Some(LISP_TOS_INHERIT),
            udp_csum: Some(true),
            ..LinkConfig::default()
        };
        let data = [
            a(IFLA_LISP_LOCAL, &ip6("2001:db8::1")),
            a(IFLA_LISP_TTL, &[0]),
            a(IFLA_LISP_TOS, &[1]),
            a(IFLA_LISP_UDP_CSUM, &[1]),
        ]
        .concat();
        let info = a(
            libc_ifla::LINKINFO,
            &[a(1, b"lisp\0"), a(2, &data)].concat(),
        );
        assert!(link_new("l", None, &c).ends_with(&info));
        assert_eq!(parse_info_data(&data).unwrap(), c);
        // link set: RTM_NEWLINK by index, without NLM_F_CREATE, no IFLA_IFNAME.
        let c = LinkConfig {
            iid: Some(3),
            nonce: Some(false),
            ..LinkConfig::default()
        };
        let r = link_change(9, &c);
        let mut ifi = vec![0u8; 16];
        ifi[4..8].copy_from_slice(&9i32.to_ne_bytes());
        ifi.extend(a(
            libc_ifla::LINKINFO,
            &[
                a(1, b"lisp\0"),
                a(
                    2,
                    &[
                        a(IFLA_LISP_IID, &3u32.to_ne_bytes()),
                        a(IFLA_LISP_NONCE, &[0]),
                    ]
                    .concat(),
                ),
            ]
            .concat(),
        ));
        assert_eq!(r, msg(16, (NlmF::REQUEST | NlmF::ACK).bits(), 0, &ifi));
        // link show: a dump filtered by kind.
        let r = link_dump_lisp();
        let mut ifi = vec![0u8; 16];
        ifi.extend(a(libc_ifla::LINKINFO, &a(1, b"lisp\0")));
        assert_eq!(r, msg(18, (NlmF::REQUEST | NlmF::DUMP).bits(), 0, &ifi));
    }

    #[test]
    fn link_reply() {
        let l = parse_link_info(&lisp_link_payload(5, "lisp0", Some(&[10, 0, 0, 1]))).unwrap();
        assert_eq!(l, lisp_link_info());
        let l = parse_link_info(&lisp_link_payload(6, "l", Some(&ip6("2001:db8::9")))).unwrap();
        assert_eq!(l.config.local, Some(ip("2001:db8::9")));
        assert_eq!(
            parse_link_info(&lisp_link_payload(6, "l", None))
                .unwrap()
                .config
                .local,
            None
        );
        // Empty IFLA_INFO_DATA; another kind's data is not read as lisp's.
        let mut p = vec![0u8; 16];
        p[4..8].copy_from_slice(&9i32.to_ne_bytes());
        p.extend(a(libc_ifla::IFNAME, b"lisp0\0"));
        p.extend(a(
            libc_ifla::LINKINFO,
            &[a(1, b"lisp\0"), a(2, &[])].concat(),
        ));
        p.extend(a(52 | 0x8000, &a(53, b"alt\0")));
        let l = parse_link_info(&p).unwrap();
        assert_eq!((l.ifindex, l.kind.as_deref()), (9, Some("lisp")));
        assert!(l.config.is_empty());
        let mut p = vec![0u8; 16];
        p.extend(a(
            libc_ifla::LINKINFO,
            &[a(1, b"vxlan\0"), a(2, &a(IFLA_LISP_PORT, &[1, 2, 3]))].concat(),
        ));
        let l = parse_link_info(&p).unwrap();
        assert_eq!(l.kind.as_deref(), Some("vxlan"));
        assert!(l.config.is_empty());
        let mut p = vec![0u8; 16];
        p[4..8].copy_from_slice(&1i32.to_ne_bytes());
        p.extend(a(libc_ifla::IFNAME, b"lo\0"));
        let l = parse_link_info(&p).unwrap();
        assert_eq!((l.ifindex, l.kind), (1, None));
        // Broken attributes are errors, not panics.
        let mut p = vec![0u8; 16];
        p.extend(a(
            libc_ifla::LINKINFO,
            &[a(1, b"lisp\0"), a(2, &a(IFLA_LISP_PORT, &[1, 2, 3]))].concat(),
        ));
        assert!(parse_link_info(&p).is_err());
        let mut p = vec![0u8; 16];
        p.extend(a(libc_ifla::MTU, &[1]));
        assert!(parse_link_info(&p).is_err());
        assert!(parse_link_info(&[0; 8]).is_err());
    }

    #[test]
    fn entry_replies() {
        let m = entry_reply(1, 0, Some(0));
        let msgs = split(&m).unwrap();
        assert_eq!(msgs.len(), 1);
        let (cmd, attrs) = parse_genl(msgs[0].payload).unwrap();
        assert_eq!(cmd, LISP_CMD_MAP_GET);
        let e = parse_entry(&attrs).unwrap();
        assert_eq!(
            e,
            EntryInfo {
                ifindex: Some(5),
                ifname: Some("lisp0".into()),
                iid: Some(0),
                prefix: Prefix::parse("10.1.0.0/24", false),
                rlocs: vec![
                    Rloc::new(ip("192.0.2.1")),
                    Rloc {
                        addr: ip("2001:db8::2"),
                        priority: 255,
                        weight: 0,
                        up: false
                    }
                ],
                ttl: Some(300),
                expires: Some(297),
                action: None,
                selected: Some(0),
                origin: Some(Origin::Lispd),
                used: Some(true),
            }
        );
        // A negative entry, with an attribute from the future.
        let p = genl(
            LISP_CMD_MAP_ADD,
            &[
                a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                a(LISP_A_IFNAME, b"lisp0\0"),
                n(
                    LISP_A_MAP,
                    &[
                        a(LISP_MAP_A_IID, &3u32.to_ne_bytes()),
                        a(LISP_MAP_A_EID, &ip6("2001:db8::")),
                        a(LISP_MAP_A_PLEN, &[32]),
                        a(LISP_MAP_A_ACTION, &[LISP_ACTION_NOTIFY]),
                        a(200, &[1, 2, 3]),
                    ],
                ),
            ],
        );
        let Some(Event::MapAdd(e)) = parse_event(&p).unwrap() else {
            panic!()
        };
        assert_eq!(e.action, Some(LISP_ACTION_NOTIFY));
        assert_eq!(e.prefix.unwrap().to_string(), "2001:db8::/32");
        assert!(e.rlocs.is_empty());
        // Broken replies are errors, not panics.
        let p = genl(
            LISP_CMD_MAP_ADD,
            &[n(LISP_A_MAP, &[a(LISP_MAP_A_EID, &[1, 2, 3])])],
        );
        assert!(parse_event(&p).is_err());
        let p = genl(
            LISP_CMD_MAP_DEL,
            &[n(LISP_A_MAP, &[a(LISP_MAP_A_PLEN, &[8])])],
        );
        assert!(parse_event(&p).is_err());
        assert!(parse_genl(&[1, 2]).is_err());
        assert!(attrs_of(&[200, 0, 1, 0]).is_err());
        assert!(split(&[20, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn dev_and_miss_replies() {
        let p = genl(
            LISP_CMD_DEV_GET,
            &[
                a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                a(LISP_A_IFNAME, b"lisp0\0"),
                a(LISP_A_DEFAULT_IID, &0u32.to_ne_bytes()),
                a(LISP_A_PORT, &4341u16.to_ne_bytes()),
                a(LISP_A_MAP_COUNT, &2u32.to_ne_bytes()),
                n(
                    LISP_A_STATS,
                    &[
                        a(12, &[]),
                        a(LISP_STAT_A_TX_PACKETS, &10u64.to_ne_bytes()),
                        a(12, &[]),
                        a(LISP_STAT_A_RX_PACKETS, &(1u64 << 40).to_ne_bytes()),
                    ],
                ),
            ],
        );
        let (_, attrs) = parse_genl(&p).unwrap();
        let d = parse_dev(&attrs).unwrap();
        assert_eq!(
            d,
            DevInfo {
                ifindex: Some(5),
                ifname: Some("lisp0".into()),
                default_iid: Some(0),
                port: Some(4341),
                map_count: Some(2),
                stats: vec![
                    (LISP_STAT_A_TX_PACKETS, 10),
                    (LISP_STAT_A_RX_PACKETS, 1 << 40)
                ],
            }
        );
        // A port sent in network order says so with NLA_F_NET_BYTEORDER.
        let p = genl(
            LISP_CMD_DEV_GET,
            &[a(LISP_A_PORT | 0x4000, &4341u16.to_be_bytes())],
        );
        let (_, attrs) = parse_genl(&p).unwrap();
        assert_eq!(parse_dev(&attrs).unwrap().port, Some(4341));
        let p = genl(
            LISP_CMD_MISS,
            &[
                a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                a(LISP_A_IFNAME, b"lisp0\0"),
                a(LISP_A_IID, &0u32.to_ne_bytes()),
                a(LISP_A_LOOKUP, &[10, 9, 9, 9]),
            ],
        );
        assert_eq!(
            parse_event(&p).unwrap(),
            Some(Event::Miss(MissInfo {
                ifindex: Some(5),
                ifname: Some("lisp0".into()),
                iid: Some(0),
                eid: Some(ip("10.9.9.9")),
            }))
        );
        assert_eq!(parse_event(&genl(99, &[])).unwrap(), None);
    }

    #[test]
    fn errors_and_acks() {
        let req = map_dump(0x30, "lisp0", None);
        let e = error_reply(7, 19, &req, Some("no such lisp device"), Some(20));
        let mut seen = 0;
        let r = process(&e, 7, &mut |_| {
            seen += 1;
            Ok(())
        });
        let Err(Error::Kernel(k)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(
            k,
            KernelError {
                errno: 19,
                msg: Some("no such lisp device".into()),
                offset: Some(20)
            }
        );
        assert_eq!(seen, 0);
        // Without extack: the errno.
        let e = error_reply(7, 1, &req, None, None);
        let Err(Error::Kernel(k)) = process(&e, 7, &mut |_| Ok(())) else {
            panic!()
        };
        assert_eq!(
            (k.errno, k.to_string()),
            (1, "Operation not permitted".to_string())
        );
        // Capped: only the request's header is echoed.
        let mut p = (-22i32).to_ne_bytes().to_vec();
        p.extend_from_slice(&req[..16]);
        p.extend(a(1, b"bad\0"));
        let e = msg(2, (NlmF::CAPPED | NlmF::ACK_TLVS).bits(), 7, &p);
        let Err(Error::Kernel(k)) = process(&e, 7, &mut |_| Ok(())) else {
            panic!()
        };
        assert_eq!(k.msg.as_deref(), Some("bad"));
        // An ack (even one carrying TLVs) ends the request; stale messages are skipped.
        let mut d = entry_reply(6, 0, None);
        d.extend(entry_reply(7, 0, None));
        let mut ack = 0i32.to_ne_bytes().to_vec();
        ack.extend_from_slice(&req[..16]);
        ack.extend(a(3, &[1, 2, 3, 4]));
        d.extend(msg(2, NlmF::ACK_TLVS.bits(), 7, &ack));
        let mut seen = 0;
        assert_eq!(
            process(&d, 7, &mut |_| {
                seen += 1;
                Ok(())
            })
            .unwrap(),
            Flow::Done
        );
        assert_eq!(seen, 1);
    }

    #[test]
    fn dumps() {
        let multi = NlmF::MULTI.bits();
        let mut d = entry_reply(3, multi, None);
        d.extend(entry_reply(3, multi, None));
        let mut entries = Vec::new();
        let mut on = |m: &Msg| {
            let (_, attrs) = parse_genl(m.payload)?;
            entries.push(parse_entry(&attrs)?);
            Ok(())
        };
        assert_eq!(process(&d, 3, &mut on).unwrap(), Flow::More);
        let done = msg(3, multi, 3, &0i32.to_ne_bytes());
        assert_eq!(process(&done, 3, &mut on).unwrap(), Flow::Done);
        assert_eq!(entries.len(), 2);
        // A dump that fails midway says so in NLMSG_DONE.
        let mut p = (-5i32).to_ne_bytes().to_vec();
        p.extend(a(1, b"table changed\0"));
        let done = msg(3, multi | NlmF::ACK_TLVS.bits(), 3, &p);
        let Err(Error::Kernel(k)) = process(&done, 3, &mut |_| Ok(())) else {
            panic!()
        };
        assert_eq!((k.errno, k.msg.as_deref()), (5, Some("table changed")));
        // A reply handler's error stops the processing.
        let r = process(&entry_reply(3, multi, None), 3, &mut |_| {
            Err(Error::Other("x".into()))
        });
        assert!(matches!(r, Err(Error::Other(_))));
    }

    #[test]
    fn family_reply() {
        let p = genl(
            1,
            &[
                a(2, b"lisp\0"),
                a(1, &0x1fu16.to_ne_bytes()),
                a(3, &1u32.to_ne_bytes()),
                n(7, &[n(1, &[a(2, &7u32.to_ne_bytes()), a(1, b"events\0")])]),
            ],
        );
        assert_eq!(
            parse_family(&p).unwrap(),
            Family {
                id: 0x1f,
                version: Some(1),
                groups: vec![("events".into(), 7)]
            }
        );
        assert!(parse_family(&genl(1, &[a(2, b"lisp\0")])).is_err());
    }
}
