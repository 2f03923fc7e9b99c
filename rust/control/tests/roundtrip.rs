// SPDX-License-Identifier: GPL-2.0

//! Round trips of every message kind, and the decoder's answer to each kind of malformed input.

mod common;

use common::{ip, loc, unhex, vectors, KEY};
use lisp_control::*;

const ACTIONS: [Action; 6] = [
    Action::NoAction,
    Action::NativelyForward,
    Action::SendMapRequest,
    Action::Drop,
    Action::DropPolicyDenied,
    Action::DropAuthFailure,
];

/// EIDs of both families, in instance 0 and others, of several lengths.
fn eids() -> Vec<Eid> {
    let mut v = Vec::new();
    for iid in [0, 7, 0xffff_ffff] {
        v.push(Eid::new(iid, ip("10.1.0.0"), 16));
        v.push(Eid::new(iid, ip("0.0.0.0"), 0));
        v.push(Eid::new(iid, ip("10.1.2.3"), 32));
        v.push(Eid::new(iid, ip("2001:db8::"), 32));
        v.push(Eid::new(iid, ip("2001:db8::1"), 128));
    }
    v
}

/// Records: positive ones with several locators of both families, negative ones of each action.
fn records() -> Vec<Record> {
    let mut v = Vec::new();
    for (i, eid) in eids().into_iter().enumerate() {
        let mut l = [loc("192.0.2.1", 10, true), loc("2001:db8::9", 20, false)];
        l[1].probed = true;
        l[1].reachable = false;
        l[1].priority = 255;
        v.push(Record {
            ttl: [0, 1440, 0xffff_ffff][i % 3],
            eid,
            action: Action::NoAction,
            authoritative: i % 2 == 0,
            version: (i as u16 * 273) & 0xfff,
            locators: l[..i % 3].to_vec(),
        });
        v.push(Record {
            ttl: 15,
            eid,
            action: ACTIONS[i % ACTIONS.len()],
            authoritative: i % 2 == 1,
            version: 0xfff,
            locators: vec![],
        });
    }
    v
}

fn messages() -> Vec<Message> {
    let recs = records();
    let mut v = Vec::new();
    for (i, eid) in eids().into_iter().enumerate() {
        let bit = |n: usize| (i >> n) & 1 == 1;
        v.push(Message::Request(MapRequest {
            nonce: 0x0123_4567_89ab_cdef ^ i as u64,
            authoritative: bit(0),
            probe: bit(1),
            smr: bit(2),
            pitr: bit(3),
            smr_invoked: bit(0),
            source_eid: bit(1).then(|| Eid::host(eid.iid, eid.addr)),
            itr_rlocs: vec![ip("192.0.2.1"), ip("2001:db8::1")][..1 + i % 2].to_vec(),
            eids: vec![eid; 1 + i % 3],
            map_reply: bit(2).then(|| recs[i].clone()),
        }));
    }
    for (i, chunk) in recs.chunks(3).enumerate() {
        let bit = |n: usize| (i >> n) & 1 == 1;
        let auth = [Auth::None, Auth::HmacSha1, Auth::HmacSha256][i % 3];
        v.push(Message::Reply(MapReply {
            nonce: i as u64,
            probe: bit(0),
            echo_nonce: bit(1),
            security: bit(2),
            records: chunk.to_vec(),
        }));
        v.push(Message::Register(MapRegister {
            nonce: !(i as u64),
            proxy_reply: bit(0),
            want_map_notify: bit(1),
            auth,
            records: chunk.to_vec(),
        }));
        let notify = MapNotify {
            nonce: i as u64,
            auth,
            records: chunk.to_vec(),
        };
        v.push(Message::Notify(notify.clone()));
        v.push(Message::NotifyAck(notify));
    }
    let inner = Message::Reply(MapReply {
        nonce: 1,
        probe: false,
        echo_nonce: false,
        security: false,
        records: vec![],
    });
    for (src, dst) in [("10.0.0.1", "10.0.0.2"), ("2001:db8::1", "2001:db8::2")] {
        for (security, ddt) in [(false, false), (true, false), (false, true)] {
            v.push(Message::Encap(Ecm {
                security,
                ddt,
                src: ip(src),
                dst: ip(dst),
                sport: 4342,
                dport: 4342,
                inner: inner.encode(KEY),
            }));
        }
    }
    // An empty UDP payload and an odd-length one exercise the checksum's edges.
    for inner in [vec![], vec![0x20; 3]] {
        v.push(Message::Encap(Ecm {
            security: false,
            ddt: false,
            src: ip("192.0.2.1"),
            dst: ip("192.0.2.2"),
            sport: 1,
            dport: 2,
            inner,
        }));
    }
    v
}

#[test]
fn round_trips() {
    let msgs = messages();
    assert!(msgs.len() > 60);
    for m in msgs {
        let buf = m.encode(KEY);
        assert_eq!(Message::decode(&buf).as_ref(), Ok(&m), "{m:?}");
        if let Message::Register(MapRegister { auth, .. })
        | Message::Notify(MapNotify { auth, .. }) = &m
        {
            let want = if *auth == Auth::None {
                Err(AuthError::Missing)
            } else {
                Ok(())
            };
            assert_eq!(verify(&buf, KEY), want);
        }
    }
}

#[test]
fn lcaf_iid_0_and_plain_addresses_are_instance_0() {
    // The IPv4 Map-Request vector with its LCAF IIDs patched to 0.
    let mut buf = unhex(vectors()[0].hex);
    buf[20..24].fill(0);
    buf[46..50].fill(0);
    let Ok(Message::Request(m)) = Message::decode(&buf) else {
        panic!()
    };
    assert_eq!(m.source_eid, Some(Eid::host(0, ip("10.1.0.1"))));
    assert_eq!(m.eids, [Eid::new(0, ip("10.2.0.0"), 16)]);
    // Re-encoded, instance 0 goes plain: 2 x 12 bytes of LCAF fewer.
    assert_eq!(Message::Request(m).encode(KEY).len(), buf.len() - 24);
}

/// Decodes `hex` with byte `at` replaced by `val`.
fn patched(v: usize, at: usize, val: u8) -> Result<Message, DecodeError> {
    let mut buf = unhex(vectors()[v].hex);
    buf[at] = val;
    Message::decode(&buf)
}

#[test]
fn rejects() {
    use DecodeError::*;
    assert_eq!(Message::decode(&[]), Err(Truncated));
    for t in [0, 6, 7, 9, 15] {
        assert_eq!(Message::decode(&[t << 4, 0, 0, 0]), Err(BadType(t)));
    }
    // Map-Request (vector 0): source EID LCAF type, length, inner AFI; mask-len; ITR-RLOC AFI.
    assert_eq!(patched(0, 16, 1), Err(BadLcaf));
    assert_eq!(patched(0, 19, 11), Err(BadLcaf));
    assert_eq!(patched(0, 25, 3), Err(BadAfi(3)));
    assert_eq!(patched(0, 37, 33), Err(BadPrefixLen));
    assert_eq!(patched(0, 31, 0), Err(NoItrRloc));
    assert_eq!(patched(0, 12, 0x41), Err(BadAfi(0x4103)));
    // Record count 255 in a buffer holding one: truncated, not a huge allocation.
    assert_eq!(patched(0, 3, 255), Err(Truncated));
    // Map-Reply (vector 2): mask-len 129, ACT 6 and 7, locator AFI 0, locator count 255.
    assert_eq!(patched(2, 17, 129), Err(BadPrefixLen));
    assert_eq!(patched(2, 18, 0xd0), Err(BadAction));
    assert_eq!(patched(2, 18, 0xe0), Err(BadAction));
    assert_eq!(patched(2, 47, 0), Err(BadAfi(0)));
    assert_eq!(patched(2, 16, 255), Err(Truncated));
    // Map-Register (vector 4): algorithm 7, auth length 19.
    assert_eq!(patched(4, 13, 7), Err(BadAuthAlgorithm(7)));
    assert_eq!(patched(4, 15, 19), Err(BadAuthLength));
    assert_eq!(patched(4, 13, 0), Err(BadAuthLength));
    // ECM over IPv4 (vector 7): inner version, IHL, protocol, total and UDP lengths.
    assert_eq!(patched(7, 4, 0x55), Err(BadInnerHeader));
    assert_eq!(patched(7, 4, 0x44), Err(BadInnerHeader));
    assert_eq!(patched(7, 13, 6), Err(BadInnerHeader));
    assert_eq!(patched(7, 7, 0xff), Err(Truncated));
    assert_eq!(patched(7, 7, 27), Err(BadInnerHeader));
    assert_eq!(patched(7, 29, 7), Err(BadInnerHeader));
    assert_eq!(patched(7, 29, 0xff), Err(BadInnerHeader));
    // ECM over IPv6 (vector 8): next header, payload length.
    assert_eq!(patched(8, 10, 0), Err(BadInnerHeader));
    assert_eq!(patched(8, 9, 0xff), Err(Truncated));
    for n in 0..unhex(vectors()[5].hex).len() {
        assert_eq!(
            Message::decode(&unhex(vectors()[5].hex)[..n]),
            Err(Truncated),
            "{n}"
        );
    }
}

#[test]
fn empty_itr_rloc_list_does_not_decode() {
    let Message::Request(mut m) = vectors()[0].msg.clone() else {
        panic!()
    };
    m.itr_rlocs.clear();
    assert_eq!(
        Message::decode(&Message::Request(m).encode(KEY)),
        Err(DecodeError::NoItrRloc)
    );
}

#[test]
fn ipv4_options_are_skipped() {
    let Message::Encap(ecm) = vectors()[7].msg.clone() else {
        panic!()
    };
    let mut buf = unhex(vectors()[7].hex);
    // Insert 8 bytes of NOP options after the 20-byte inner header (IHL 7, total length + 8).
    buf.splice(24..24, [1u8; 8]);
    buf[4] = 0x47;
    buf[7] += 8;
    assert_eq!(Message::decode(&buf), Ok(Message::Encap(ecm)));
}

#[test]
fn error_names() {
    use DecodeError::*;
    let names: Vec<_> = [
        Truncated,
        BadType(6),
        BadAfi(3),
        BadLcaf,
        BadPrefixLen,
        BadAction,
        BadAuthLength,
        BadInnerHeader,
        NoItrRloc,
        BadAuthAlgorithm(3),
    ]
    .iter()
    .map(|e| {
        assert!(!e.to_string().is_empty());
        e.name()
    })
    .collect();
    assert_eq!(
        names,
        [
            "truncated",
            "bad_type",
            "bad_afi",
            "bad_lcaf",
            "bad_prefix_len",
            "bad_action",
            "bad_auth_length",
            "bad_inner_header",
            "no_itr_rloc",
            "bad_auth_algorithm"
        ]
    );
}
