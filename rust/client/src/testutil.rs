// SPDX-License-Identifier: GPL-2.0

//! Test helpers: netlink messages spelled out byte by byte, independent of neli, as the kernel
//! sends them. For this crate's tests and (feature `test-util`) for its users' fake kernels.

use std::net::IpAddr;

use lisp_uapi::*;
use neli::consts::nl::NlmF;

use crate::model::{LinkConfig, LinkInfo};

/// A test-side encoder, independent of neli: one attribute, padded.
pub fn a(ty: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((4 + payload.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

/// A nest (NLA_F_NESTED) of already-encoded attributes.
pub fn n(ty: u16, children: &[Vec<u8>]) -> Vec<u8> {
    a(ty | 0x8000, &children.concat())
}

/// A whole message.
pub fn msg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(payload);
    v
}

/// A genl payload.
pub fn genl(cmd: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = vec![cmd, LISP_GENL_VERSION, 0, 0];
    v.extend_from_slice(&attrs.concat());
    v
}

/// An address from its text (tests only: panics on a bad one).
pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The wire bytes of an address from its text.
pub fn ip6(s: &str) -> Vec<u8> {
    match ip(s) {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// IFLA_* numbers (if_link.h), spelled out so the test does not use what it checks.
pub mod libc_ifla {
    pub const IFNAME: u16 = 3;
    pub const MTU: u16 = 4;
    pub const OPERSTATE: u16 = 16;
    pub const LINKINFO: u16 = 18;
}

/// The payload of an RTM_NEWLINK reply for a lisp device, as the kernel's `fill_info`
/// writes IFLA_INFO_DATA (PORT in network order, LOCAL only when set).
pub fn lisp_link_payload(index: i32, name: &str, local: Option<&[u8]>) -> Vec<u8> {
    let mut data = vec![a(IFLA_LISP_PORT, &4341u16.to_be_bytes())];
    if let Some(l) = local {
        data.push(a(IFLA_LISP_LOCAL, l));
    }
    data.extend([
        a(IFLA_LISP_IID, &0u32.to_ne_bytes()),
        a(IFLA_LISP_TTL, &[0]),
        a(IFLA_LISP_TOS, &[LISP_TOS_INHERIT]),
        a(IFLA_LISP_EXTERNAL, &[0]),
        a(IFLA_LISP_UDP_CSUM, &[1]),
        a(IFLA_LISP_NONCE, &[0]),
        a(IFLA_LISP_SRC_CHECK, &[0]),
        a(IFLA_LISP_MAP_MAX, &0u32.to_ne_bytes()),
        a(99, &[1, 2, 3]),
    ]);
    let mut p = vec![0u8; 16];
    p[4..8].copy_from_slice(&index.to_ne_bytes());
    p.extend(a(libc_ifla::IFNAME, &[name.as_bytes(), b"\0"].concat()));
    p.extend(a(libc_ifla::MTU, &1444u32.to_ne_bytes()));
    p.extend(a(libc_ifla::OPERSTATE, &[6]));
    p.extend(a(
        libc_ifla::LINKINFO,
        &[a(1, b"lisp\0"), a(2, &data.concat())].concat(),
    ));
    p.extend(a(52 | 0x8000, &a(53, b"alt\0")));
    p
}

/// A LISP_MAP_A_RLOC nest.
pub fn rloc_nest(addr: &[u8], priority: u8, weight: u8, up: bool) -> Vec<u8> {
    n(
        LISP_MAP_A_RLOC,
        &[
            a(LISP_RLOC_A_ADDR, addr),
            a(LISP_RLOC_A_PRIORITY, &[priority]),
            a(LISP_RLOC_A_WEIGHT, &[weight]),
            a(LISP_RLOC_A_UP, &[u8::from(up)]),
        ],
    )
}

/// A MAP_GET reply as the kernel sends it.
pub fn entry_reply(seq: u32, flags: u16, selected: Option<u32>) -> Vec<u8> {
    let mut map = vec![
        a(LISP_MAP_A_IID, &0u32.to_ne_bytes()),
        a(LISP_MAP_A_EID, &[10, 1, 0, 0]),
        a(LISP_MAP_A_PLEN, &[24]),
        rloc_nest(&[192, 0, 2, 1], 1, 100, true),
        rloc_nest(&ip6("2001:db8::2"), 255, 0, false),
        a(LISP_MAP_A_TTL, &300u32.to_ne_bytes()),
        a(LISP_MAP_A_EXPIRES, &297u32.to_ne_bytes()),
        a(LISP_MAP_A_ORIGIN, &[LISP_ORIGIN_LISPD]),
        a(LISP_MAP_A_USED, &[1]),
    ];
    if let Some(s) = selected {
        map.push(a(LISP_MAP_A_SELECTED, &s.to_ne_bytes()));
    }
    msg(
        0x30,
        flags,
        seq,
        &genl(
            LISP_CMD_MAP_GET,
            &[
                a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                a(LISP_A_IFNAME, b"lisp0\0"),
                n(LISP_A_MAP, &map),
            ],
        ),
    )
}

/// An NLMSG_ERROR for `request` with extack text and offset.
pub fn error_reply(
    seq: u32,
    errno: i32,
    request: &[u8],
    msg_text: Option<&str>,
    offs: Option<u32>,
) -> Vec<u8> {
    let mut p = (-errno).to_ne_bytes().to_vec();
    p.extend_from_slice(request);
    let mut flags = 0;
    if let Some(t) = msg_text {
        p.extend(a(1, &[t.as_bytes(), b"\0"].concat()));
        flags = NlmF::ACK_TLVS.bits();
    }
    if let Some(o) = offs {
        p.extend(a(2, &o.to_ne_bytes()));
        flags = NlmF::ACK_TLVS.bits();
    }
    msg(2, flags, seq, &p)
}

/// What `lisp_link_payload(5, "lisp0", Some(&[10, 0, 0, 1]))` says, parsed.
pub fn lisp_link_info() -> LinkInfo {
    LinkInfo {
        ifindex: 5,
        ifname: Some("lisp0".into()),
        kind: Some("lisp".into()),
        mtu: Some(1444),
        operstate: Some(6),
        config: LinkConfig {
            port: Some(4341),
            local: Some(ip("10.0.0.1")),
            iid: Some(0),
            ttl: Some(0),
            tos: Some(LISP_TOS_INHERIT),
            external: Some(false),
            udp_csum: Some(true),
            nonce: Some(false),
            src_check: Some(false),
            map_max: Some(0),
        },
        map_count: None,
    }
}
