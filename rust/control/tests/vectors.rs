// SPDX-License-Identifier: GPL-2.0

//! Byte-exact vectors, checked once against tshark 4.0 (see `tests/common/mod.rs` and
//! `scripts/check-control-tshark.sh`): the encoder must reproduce them, the decoder invert them.

mod common;

use common::{unhex, vectors, KEY};
use lisp_control::*;

#[test]
fn encode_matches_vectors() {
    for v in vectors() {
        assert_eq!(
            common::hex(&v.msg.encode(KEY)),
            common::hex(&unhex(v.hex)),
            "{}",
            v.name
        );
    }
}

#[test]
fn decode_matches_vectors() {
    for v in vectors() {
        assert_eq!(Message::decode(&unhex(v.hex)), Ok(v.msg), "{}", v.name);
    }
}

#[test]
fn kinds() {
    let kinds: Vec<_> = vectors().iter().map(|v| v.msg.kind()).collect();
    assert_eq!(
        kinds,
        [
            "map_request",
            "map_request",
            "map_reply",
            "map_reply",
            "map_register",
            "map_notify",
            "map_notify_ack",
            "ecm",
            "ecm"
        ]
    );
}

#[test]
fn authenticated_vectors_verify() {
    let mut n = 0;
    for v in vectors() {
        let buf = unhex(v.hex);
        match v.msg {
            Message::Register(_) | Message::Notify(_) | Message::NotifyAck(_) => {
                assert_eq!(verify(&buf, KEY), Ok(()), "{}", v.name);
                assert_eq!(
                    verify(&buf, b"secreT"),
                    Err(AuthError::Mismatch),
                    "{}",
                    v.name
                );
                // Any flipped bit outside the auth data breaks the HMAC.
                let mut bad = buf.clone();
                *bad.last_mut().unwrap() ^= 1;
                assert_eq!(verify(&bad, KEY), Err(AuthError::Mismatch), "{}", v.name);
                assert_eq!(verify(&buf[..buf.len() - 1], KEY), Err(AuthError::Mismatch));
                assert_eq!(verify(&buf[..20], KEY), Err(AuthError::Malformed));
                n += 1;
            }
            _ => assert_eq!(verify(&buf, KEY), Err(AuthError::Malformed), "{}", v.name),
        }
    }
    assert_eq!(n, 3);
}

#[test]
fn verify_rejects() {
    let reg = Message::Register(MapRegister {
        nonce: 1,
        proxy_reply: false,
        want_map_notify: false,
        auth: Auth::None,
        records: vec![common::site_record()],
    });
    let buf = reg.encode(KEY);
    assert_eq!(verify(&buf, KEY), Err(AuthError::Missing));
    let mut buf = unhex(vectors()[4].hex);
    buf[13] = 9;
    assert_eq!(verify(&buf, KEY), Err(AuthError::Unsupported(9)));
    buf[13] = 2;
    assert_eq!(verify(&buf, KEY), Err(AuthError::Malformed));
    assert_eq!(verify(&[], KEY), Err(AuthError::Malformed));
}

#[test]
fn ecm_inner_decodes() {
    for v in vectors() {
        if let Message::Encap(ecm) = &v.msg {
            let inner = Message::decode(&ecm.inner).unwrap();
            assert_eq!(inner.kind(), "map_request", "{}", v.name);
            assert_eq!(
                ecm.header_len() + ecm.inner.len(),
                unhex(v.hex).len(),
                "{}",
                v.name
            );
        }
    }
}
