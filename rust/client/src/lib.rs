// SPDX-License-Identifier: GPL-2.0

//! Client of the "lisp" generic-netlink family of the lisp (RFC 9300) kernel module, shared by
//! `lispctl` and `lispd`.
//!
//! Layout: `model` (objects), `wire` (netlink bytes, no socket), `nl` (the socket), `error`;
//! on top of them `Client` (requests) and `Events` (the "events" multicast group), the small
//! high-level API a daemon needs.

mod client;
pub mod error;
pub mod model;
pub mod nl;
#[cfg(any(test, feature = "test-util"))]
#[doc(hidden)]
pub mod testutil;
pub mod wire;

pub use client::{Client, Events};
pub use error::{Error, KernelError};
pub use model::{Action, DevInfo, EntryInfo, Event, MapEntry, MissInfo, Origin, Prefix, Rloc};
