// SPDX-License-Identifier: GPL-2.0

//! Robustness: 200k seeded mutations of the valid vectors (bit flips, truncations, patched counts
//! and lengths, inserted and random bytes) must decode to a message or an error, never panic, and
//! every message decoded must survive its own encoding.

mod common;

use common::{unhex, vectors, KEY};
use lisp_control::*;

/// A xorshift64* generator: deterministic, so a failure replays from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A count or length worth patching in: the edges more often than the rest.
fn edgy(rng: &mut Rng) -> u16 {
    match rng.below(6) {
        0 => 0,
        1 => 0xffff,
        2 => 0xff,
        3 => rng.below(40) as u16,
        _ => rng.next() as u16,
    }
}

fn mutate(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = seeds[rng.below(seeds.len())].clone();
    let len = buf.len();
    match rng.below(6) {
        0 => {
            for _ in 0..1 + rng.below(4) {
                buf[rng.below(len)] ^= 1 << rng.below(8);
            }
        }
        1 => buf.truncate(rng.below(len + 1)),
        2 => {
            let at = rng.below(len - 1);
            buf[at..at + 2].copy_from_slice(&edgy(rng).to_be_bytes());
        }
        3 => buf[rng.below(len)] = edgy(rng) as u8,
        4 => {
            let at = rng.below(len + 1);
            let extra: Vec<u8> = (0..1 + rng.below(24)).map(|_| rng.next() as u8).collect();
            buf.splice(at..at, extra);
        }
        _ => {
            // Random bytes behind a known type, so that they get past the first check.
            let kind = [1u8, 2, 3, 4, 5, 8][rng.below(6)];
            buf = (0..rng.below(96)).map(|_| rng.next() as u8).collect();
            if let Some(b) = buf.first_mut() {
                *b = kind << 4 | (*b & 0x0f);
            }
        }
    }
    buf
}

/// Decodes `buf`; a message decoded must decode the same from its own encoding.
fn check(buf: &[u8], depth: u32) -> bool {
    let _ = verify(buf, KEY);
    let Ok(m) = Message::decode(buf) else {
        return false;
    };
    let again = m.encode(KEY);
    assert_eq!(
        Message::decode(&again).as_ref(),
        Ok(&m),
        "input {}",
        common::hex(buf)
    );
    if let (Message::Encap(ecm), 0) = (&m, depth) {
        check(&ecm.inner, 1);
    }
    true
}

#[test]
fn truncated_at_every_length() {
    for v in vectors() {
        let buf = unhex(v.hex);
        for n in 0..buf.len() {
            assert_eq!(
                Message::decode(&buf[..n]),
                Err(DecodeError::Truncated),
                "{} {n}",
                v.name
            );
        }
    }
}

#[test]
fn mutations_never_panic() {
    let seeds: Vec<Vec<u8>> = vectors().iter().map(|v| unhex(v.hex)).collect();
    let mut rng = Rng(0x1a2b_3c4d_5e6f_7081);
    let mut ok = 0;
    for _ in 0..200_000 {
        let buf = mutate(&mut rng, &seeds);
        if check(&buf, 0) {
            ok += 1;
        }
    }
    eprintln!("{ok} of 200000 mutations decoded");
    // Both outcomes must be common, or the mutations test nothing.
    assert!(ok > 20_000 && ok < 180_000, "{ok} of 200000 decoded");
}
