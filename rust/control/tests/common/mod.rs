// SPDX-License-Identifier: GPL-2.0

//! Byte-exact vectors of every message kind, shared by the tests and `examples/vectors.rs`.

#![allow(dead_code, unreachable_pub)]

use std::net::IpAddr;

use lisp_control::*;

/// The key the authenticated vectors are signed with.
pub const KEY: &[u8] = b"secret";

/// One vector: a name, the message and its expected encoding.
pub struct Vector {
    /// The name printed by `examples/vectors.rs` and checked by the tshark script.
    pub name: &'static str,
    /// The message.
    pub msg: Message,
    /// The encoding of `msg` with [`KEY`], as hex.
    pub hex: &'static str,
}

/// Parses an IP address literal of the vectors.
pub fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Decodes a hex string, ignoring whitespace.
pub fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    s.chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

/// Encodes bytes as lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// A locator with priority 1, the given weight and multicast priority 255.
pub fn loc(addr: &str, weight: u8, local: bool) -> Locator {
    Locator {
        addr: ip(addr),
        priority: 1,
        weight,
        mpriority: 255,
        mweight: 0,
        local,
        probed: false,
        reachable: true,
    }
}

/// The Map-Request for 10.2.0.0/16 in instance 7, from 10.1.0.1 behind ITR 192.0.2.1.
pub fn request_v4() -> MapRequest {
    MapRequest {
        nonce: 0x0123_4567_89ab_cdef,
        authoritative: false,
        probe: false,
        smr: false,
        pitr: false,
        smr_invoked: true,
        source_eid: Some(Eid::new(7, ip("10.1.0.1"), 32)),
        itr_rlocs: vec![ip("192.0.2.1")],
        eids: vec![Eid::new(7, ip("10.2.0.0"), 16)],
        map_reply: None,
    }
}

/// The Map-Request for 2001:db8:2::/48 in instance 0, from an ITR with two RLOCs.
pub fn request_v6() -> MapRequest {
    MapRequest {
        nonce: 0xfedc_ba98_7654_3210,
        authoritative: false,
        probe: false,
        smr: false,
        pitr: false,
        smr_invoked: false,
        source_eid: None,
        itr_rlocs: vec![ip("2001:db8::1"), ip("192.0.2.1")],
        eids: vec![Eid::new(0, ip("2001:db8:2::"), 48)],
        map_reply: None,
    }
}

/// The record registered by the Map-Register and Map-Notify vectors.
pub fn site_record() -> Record {
    Record {
        ttl: 1440,
        eid: Eid::new(7, ip("10.1.0.0"), 16),
        action: Action::NoAction,
        authoritative: true,
        version: 0,
        locators: vec![loc("192.0.2.1", 100, true)],
    }
}

/// The vectors, in the order `examples/vectors.rs` prints them.
pub fn vectors() -> Vec<Vector> {
    vec![
        // tshark 4.0.17 -V -O lisp:
        // Type: Map-Request (1); s bit (SMR-invoked): Set; ITR-RLOC Count: 0; Record Count: 1
        // Nonce: 0x0123456789abcdef
        // Source EID: [7] 10.1.0.1 (LCAF Type: Instance ID (2), Length: 10, Instance ID: 7)
        // ITR-RLOC 1: 192.0.2.1
        // Map-Request Record 1: [7] 10.2.0.0/16
        Vector {
            name: "map_request_iid7_v4",
            msg: Message::Request(request_v4()),
            hex: concat!(
                "10400001 01234567 89abcdef 40030000 ",
                "0200000a 00000007 00010a01 00010001 ",
                "c0000201 00104003 00000200 000a0000 ",
                "00070001 0a020000 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Flags: 0x38: A bit (Authoritative): Set, M bit (Map-Reply present): Set,
        //   P bit (Probe): Set
        // Nonce: 0x00000000deadbeef
        // Source EID: [7] 2001:db8:1::1 (Length: 22, Instance ID: 7); ITR-RLOC 1: 192.0.2.1
        // Map-Request Record 1: [7] 2001:db8:2::/48
        // Map-Reply Record: Mapping Record 1, EID Prefix: [7] 10.1.0.0/16, TTL: 1440, Authoritative
        Vector {
            name: "map_request_probe_mbit",
            msg: Message::Request(MapRequest {
                nonce: 0x0000_0000_dead_beef,
                authoritative: true,
                probe: true,
                smr: false,
                pitr: false,
                smr_invoked: false,
                source_eid: Some(Eid::new(7, ip("2001:db8:1::1"), 128)),
                itr_rlocs: vec![ip("192.0.2.1")],
                eids: vec![Eid::new(7, ip("2001:db8:2::"), 48)],
                map_reply: Some(site_record()),
            }),
            hex: concat!(
                "1e000001 00000000 deadbeef 40030000 ",
                "02000016 00000007 00022001 0db80001 ",
                "00000000 00000000 00010001 c0000201 ",
                "00304003 00000200 00160000 00070002 ",
                "20010db8 00020000 00000000 00000000 ",
                "000005a0 01101000 00004003 00000200 ",
                "000a0000 00070001 0a010000 0164ff00 ",
                "00050001 c0000201 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Type: Map-Reply (2); Record Count: 1; Nonce: 0x0123456789abcdef
        // Mapping Record 1, EID Prefix: 2001:db8:2::/48,
        //   TTL: 1440, Action: No-Action, Authoritative
        // Locator Count: 2; Mapping Version: 5; EID Prefix AFI: IPv6 (2)
        // Locator Record 1, RLOC: 192.0.2.2, Reachable, Priority/Weight: 1/50, ...
        // Locator Record 2, RLOC: 2001:db8::2, Reachable, Priority/Weight: 1/50, ...
        Vector {
            name: "map_reply_v6_2loc",
            msg: Message::Reply(MapReply {
                nonce: 0x0123_4567_89ab_cdef,
                probe: false,
                echo_nonce: false,
                security: false,
                records: vec![Record {
                    ttl: 1440,
                    eid: Eid::new(0, ip("2001:db8:2::"), 48),
                    action: Action::NoAction,
                    authoritative: true,
                    version: 5,
                    locators: vec![loc("192.0.2.2", 50, false), loc("2001:db8::2", 50, false)],
                }],
            }),
            hex: concat!(
                "20000001 01234567 89abcdef 000005a0 ",
                "02301000 00050002 20010db8 00020000 ",
                "00000000 00000000 0132ff00 00010001 ",
                "c0000202 0132ff00 00010002 20010db8 ",
                "00000000 00000000 00000002 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Mapping Record 1, EID Prefix: [7] 10.3.0.0/16,
        //   TTL: 15, Action: Natively-Forward, Not Authoritative
        // Locator Count: 0; 001. .... .... .... = Action: Natively-Forward (1)
        Vector {
            name: "map_reply_negative",
            msg: Message::Reply(MapReply {
                nonce: 0x0123_4567_89ab_cdef,
                probe: false,
                echo_nonce: false,
                security: false,
                records: vec![Record {
                    ttl: 15,
                    eid: Eid::new(7, ip("10.3.0.0"), 16),
                    action: Action::NativelyForward,
                    authoritative: false,
                    version: 0,
                    locators: vec![],
                }],
            }),
            hex: concat!(
                "20000001 01234567 89abcdef 0000000f ",
                "00102000 00004003 00000200 000a0000 ",
                "00070001 0a030000 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Type: Map-Register (3); P bit (Proxy-Map-Reply): Set; M bit (Want-Map-Notify): Set
        // .... .... .... .... .... ...1 = M bit (Want-Map-Notify): Set
        // Nonce: 0x1122334455667788; Key ID: 0x0001; Authentication Data Length: 20
        // Authentication Data: fc0d337be93840b8ef722cacc37e4591e12e7e65
        // Mapping Record 1, EID Prefix: [7] 10.1.0.0/16,
        //   TTL: 1440, Action: No-Action, Authoritative
        // Locator Record 1, Local RLOC: 192.0.2.1, Reachable, Priority/Weight: 1/100; Flags: 0x0005
        // HMAC checked apart: python3 hmac.new(b"secret", msg_with_auth_zeroed, hashlib.sha1)
        //   = fc0d337be93840b8ef722cacc37e4591e12e7e65
        Vector {
            name: "map_register_sha1",
            msg: Message::Register(MapRegister {
                nonce: 0x1122_3344_5566_7788,
                proxy_reply: true,
                want_map_notify: true,
                auth: Auth::HmacSha1,
                records: vec![site_record()],
            }),
            hex: concat!(
                "38000101 11223344 55667788 00010014 ",
                "fc0d337b e93840b8 ef722cac c37e4591 ",
                "e12e7e65 000005a0 01101000 00004003 ",
                "00000200 000a0000 00070001 0a010000 ",
                "0164ff00 00050001 c0000201 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Type: Map-Notify (4); Nonce: 0x1122334455667788
        // Key ID: 0x0002; Authentication Data Length: 32
        // Authentication Data: ebafd869242a552dbd96ee68a99831543c18973e7cc8d7d88c11f012291f55bf
        // Mapping Record 1, EID Prefix: [7] 10.1.0.0/16,
        //   TTL: 1440, Action: No-Action, Authoritative
        // HMAC checked apart: python3 hmac.new(b"secret", msg_with_auth_zeroed, hashlib.sha256)
        //   = the same
        Vector {
            name: "map_notify_sha256",
            msg: Message::Notify(MapNotify {
                nonce: 0x1122_3344_5566_7788,
                auth: Auth::HmacSha256,
                records: vec![site_record()],
            }),
            hex: concat!(
                "40000001 11223344 55667788 00020020 ",
                "ebafd869 242a552d bd96ee68 a9983154 ",
                "3c18973e 7cc8d7d8 8c11f012 291f55bf ",
                "000005a0 01101000 00004003 00000200 ",
                "000a0000 00070001 0a010000 0164ff00 ",
                "00050001 c0000201 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // tshark 4.0 does not know type 5 ("Type: Unknown (5)"); with the type nibble patched to 4:
        // Type: Map-Notify (4); Key ID: 0x0001; Authentication Data Length: 20
        // Authentication Data: 820039d636a29b096381535105b4ba6e5390bbe6
        //   (= python3 HMAC-SHA-1 with "secret")
        // Mapping Record 1, EID Prefix: [7] 10.1.0.0/16, TTL: 1440
        Vector {
            name: "map_notify_ack_sha1",
            msg: Message::NotifyAck(MapNotify {
                nonce: 0x1122_3344_5566_7788,
                auth: Auth::HmacSha1,
                records: vec![site_record()],
            }),
            hex: concat!(
                "50000001 11223344 55667788 00010014 ",
                "820039d6 36a29b09 63815351 05b4ba6e ",
                "5390bbe6 000005a0 01101000 00004003 ",
                "00000200 000a0000 00070001 0a010000 ",
                "0164ff00 00050001 c0000201 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Type: Encapsulated Control Message (8); S bit: Not set; D bit: Not set
        // Internet Protocol Version 4, Src: 10.1.0.1, Dst: 10.2.0.1
        //   Total Length: 84; Time to Live: 64
        // Header Checksum: 0x6695 [correct]
        // User Datagram Protocol, Src Port: 61000, Dst Port: 4342
        //   Length: 64; Checksum: 0xe382 [correct]
        // Locator/ID Separation Protocol: Type: Map-Request (1), as map_request_iid7_v4
        Vector {
            name: "ecm_v4_map_request",
            msg: Message::Encap(Ecm {
                security: false,
                ddt: false,
                src: ip("10.1.0.1"),
                dst: ip("10.2.0.1"),
                sport: 61000,
                dport: 4342,
                inner: Message::Request(request_v4()).encode(KEY),
            }),
            hex: concat!(
                "80000000 45000054 00000000 40116695 ",
                "0a010001 0a020001 ee4810f6 0040e382 ",
                "10400001 01234567 89abcdef 40030000 ",
                "0200000a 00000007 00010a01 00010001 ",
                "c0000201 00104003 00000200 000a0000 ",
                "00070001 0a020000 ",
            ),
        },
        // tshark 4.0.17 -V -O lisp:
        // Type: Encapsulated Control Message (8)
        // Internet Protocol Version 6, Src: 2001:db8:1::1, Dst: 2001:db8:2::1
        // Payload Length: 66; Next Header: UDP (17); Hop Limit: 64
        // User Datagram Protocol, Src Port: 61001, Dst Port: 4342
        //   Length: 66; Checksum: 0x142c [correct]
        // Map-Request: ITR-RLOC Count: 1; Source EID: not set; ITR-RLOC 1: 2001:db8::1;
        // ITR-RLOC 2: 192.0.2.1; Map-Request Record 1: 2001:db8:2::/48
        Vector {
            name: "ecm_v6_map_request",
            msg: Message::Encap(Ecm {
                security: false,
                ddt: false,
                src: ip("2001:db8:1::1"),
                dst: ip("2001:db8:2::1"),
                sport: 61001,
                dport: 4342,
                inner: Message::Request(request_v6()).encode(KEY),
            }),
            hex: concat!(
                "80000000 60000000 00421140 20010db8 ",
                "00010000 00000000 00000001 20010db8 ",
                "00020000 00000000 00000001 ee4910f6 ",
                "0042142c 10000101 fedcba98 76543210 ",
                "00000002 20010db8 00000000 00000000 ",
                "00000001 0001c000 02010030 00022001 ",
                "0db80002 00000000 00000000 0000 ",
            ),
        },
    ]
}
