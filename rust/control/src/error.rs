// SPDX-License-Identifier: GPL-2.0

//! Why a control message could not be decoded or authenticated.

use std::fmt;

/// Why [`crate::Message::decode`] rejected a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeError {
    /// The buffer ends before the message does, or a count promises more than it holds.
    Truncated,
    /// The message type (the top 4 bits) is not one this codec knows.
    BadType(u8),
    /// An address family is not IPv4, IPv6 or (where allowed) LCAF or "none".
    BadAfi(u16),
    /// An LCAF is not an Instance-ID LCAF, or its length disagrees with its contents.
    BadLcaf,
    /// A mask length exceeds the address width (32 or 128).
    BadPrefixLen,
    /// The ACT field of a record is 6 or 7 (unassigned).
    BadAction,
    /// The authentication data length does not match the algorithm.
    BadAuthLength,
    /// The inner IP or UDP header of an Encapsulated Control Message is invalid.
    BadInnerHeader,
    /// A Map-Request names no usable ITR-RLOC (its first ITR-RLOC AFI is 0).
    NoItrRloc,
    /// The authentication algorithm ID is not none, HMAC-SHA-1 or HMAC-SHA-256.
    BadAuthAlgorithm(u8),
}

impl DecodeError {
    /// Returns a stable snake_case name for the error, fit for a counter name.
    pub fn name(&self) -> &'static str {
        match self {
            DecodeError::Truncated => "truncated",
            DecodeError::BadType(_) => "bad_type",
            DecodeError::BadAfi(_) => "bad_afi",
            DecodeError::BadLcaf => "bad_lcaf",
            DecodeError::BadPrefixLen => "bad_prefix_len",
            DecodeError::BadAction => "bad_action",
            DecodeError::BadAuthLength => "bad_auth_length",
            DecodeError::BadInnerHeader => "bad_inner_header",
            DecodeError::NoItrRloc => "no_itr_rloc",
            DecodeError::BadAuthAlgorithm(_) => "bad_auth_algorithm",
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecodeError::Truncated => write!(f, "truncated message"),
            DecodeError::BadType(t) => write!(f, "unknown message type {t}"),
            DecodeError::BadAfi(a) => write!(f, "unsupported AFI {a}"),
            DecodeError::BadLcaf => write!(f, "unsupported or malformed LCAF"),
            DecodeError::BadPrefixLen => write!(f, "mask length too long for the address"),
            DecodeError::BadAction => write!(f, "unassigned record action"),
            DecodeError::BadAuthLength => {
                write!(f, "authentication data length does not fit the algorithm")
            }
            DecodeError::BadInnerHeader => write!(f, "bad inner IP/UDP header"),
            DecodeError::NoItrRloc => write!(f, "no ITR-RLOC"),
            DecodeError::BadAuthAlgorithm(a) => write!(f, "unknown authentication algorithm {a}"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// Why [`crate::verify`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthError {
    /// The buffer is not a Map-Register, Map-Notify or Map-Notify-Ack, or its lengths are off.
    Malformed,
    /// The algorithm ID is not one this codec implements.
    Unsupported(u8),
    /// The authentication data does not match the key.
    Mismatch,
    /// The message carries no authentication (algorithm 0).
    Missing,
}

impl AuthError {
    /// Returns a stable snake_case name for the error, fit for a counter name.
    pub fn name(&self) -> &'static str {
        match self {
            AuthError::Malformed => "auth_malformed",
            AuthError::Unsupported(_) => "auth_unsupported",
            AuthError::Mismatch => "auth_mismatch",
            AuthError::Missing => "auth_missing",
        }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Malformed => write!(f, "malformed authenticated message"),
            AuthError::Unsupported(a) => write!(f, "unsupported authentication algorithm {a}"),
            AuthError::Mismatch => write!(f, "authentication data mismatch"),
            AuthError::Missing => write!(f, "message is not authenticated"),
        }
    }
}

impl std::error::Error for AuthError {}
