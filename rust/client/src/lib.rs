// SPDX-License-Identifier: GPL-2.0

//! Client of the "lisp" generic-netlink family of the lisp (RFC 9300) kernel module, shared by
//! `lispctl` and `lispd`.
//!
//! Layout: `model` (objects), `wire` (netlink bytes, no socket), `nl` (the socket), `error`;
//! on top of them `Client` (requests) and `Events` (the "events" multicast group), the small
//! high-level API a daemon needs.
//!
//! ```no_run
//! use lisp_client::{Action, Client, Event, Events, MapEntry, Origin, Prefix};
//!
//! let mut c = Client::open()?;
//! let dev = c.dev_get("lisp0")?;
//! let mut events = Events::open()?;
//! // poll(2) on events.as_raw_fd(), then drain:
//! while let Some(ev) = events.try_next()? {
//!     if let Event::Miss(m) = ev {
//!         let Some(eid) = m.eid else { continue };
//!         // Until the mapping system answers: a negative entry, learned, for a minute.
//!         let e = MapEntry {
//!             prefix: Prefix { addr: eid, len: Prefix::max_len(&eid) },
//!             iid: m.iid.or(dev.default_iid),
//!             rlocs: Default::default(),
//!             ttl: Some(60),
//!             action: Some(Action::Drop),
//!             origin: Some(Origin::Lispd),
//!         };
//!         c.map_replace("lisp0", &e)?;
//!     }
//! }
//! // Refresh only what packets use.
//! for e in c.map_dump("lisp0", None)? {
//!     if e.origin == Some(Origin::Lispd) && e.used == Some(true) {
//!         // ... ask the mapping system again before e.expires runs out
//!     }
//! }
//! # Ok::<(), lisp_client::Error>(())
//! ```

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
pub use model::{
    Action, DevInfo, EntryInfo, Event, MapEntry, MissInfo, Origin, Prefix, Rloc, Rlocs,
};
