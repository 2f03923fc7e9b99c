// SPDX-License-Identifier: GPL-2.0

//! The LISP control-message codec of the `lispd` control plane: Map-Request, Map-Reply,
//! Map-Register, Map-Notify(-Ack) and Encapsulated Control Messages (RFC 9301 section 5), with
//! EIDs in Instance-ID LCAFs (RFC 8060 section 4.1) and HMAC authentication.
//!
//! Decoding never panics and allocates at most in proportion to the input; encoding cannot fail.
//! Authentication is checked apart from decoding, on the received bytes:
//!
//! ```
//! use lisp_control::{verify, Auth, MapRegister, Message};
//!
//! let reg = Message::Register(MapRegister {
//!     nonce: 1,
//!     proxy_reply: false,
//!     want_map_notify: true,
//!     auth: Auth::HmacSha256,
//!     records: vec![],
//! });
//! let buf = reg.encode(b"secret");
//! assert_eq!(verify(&buf, b"secret"), Ok(()));
//! assert_eq!(Message::decode(&buf), Ok(reg));
//! ```

/// AFI-encoded addresses and EID prefixes.
pub mod addr;
/// HMAC authentication of Map-Register and Map-Notify.
pub mod auth;
/// Encapsulated Control Messages.
pub mod ecm;
mod error;
/// The control messages and their headers.
pub mod message;
/// Mapping records and locators.
pub mod record;
mod wire;

pub use addr::Eid;
pub use auth::{verify, Auth};
pub use ecm::Ecm;
pub use error::{AuthError, DecodeError};
pub use message::{MapNotify, MapRegister, MapReply, MapRequest, Message};
pub use record::{Action, Locator, Record};
