// SPDX-License-Identifier: GPL-2.0

//! The pure algorithms of the lisp module, testable on the host with `cargo test`: the
//! longest-prefix-match trie of the map-cache ([`trie`]), locator selection ([`rloc`]) and the
//! 8-byte LISP data header ([`header`]).
//!
//! The kernel module compiles the three files unchanged, under one parent module
//! (`#[path = "../proto/src/trie.rs"] mod trie;` and so on), so they use only `core`, refer to
//! each other through `super::`, and never panic outside their tests.

#![no_std]

#[cfg(test)]
extern crate std;

/// IPv4 and IPv6 addresses.
pub mod addr;
/// The 8-byte LISP data header (RFC 9300 section 5.3).
pub mod header;
/// Locator (RLOC) validation and selection.
pub mod rloc;
/// The longest-prefix-match trie of the map-cache, RCU-ready.
pub mod trie;
