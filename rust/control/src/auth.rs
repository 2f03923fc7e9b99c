// SPDX-License-Identifier: GPL-2.0

//! Authentication of Map-Register, Map-Notify and Map-Notify-Ack (RFC 9301 section 5.6):
//! an HMAC over the whole message with the authentication data zeroed.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::Sha256;

use crate::{AuthError, DecodeError};

/// The offset of the Key ID byte: after the 4-byte header and the 8-byte nonce.
pub(crate) const AUTH_OFFSET: usize = 12;
/// The offset of the authentication data: after Key ID, Algorithm ID and length.
pub(crate) const AUTH_DATA_OFFSET: usize = AUTH_OFFSET + 4;

/// An authentication algorithm.
///
/// The value is the low byte of the 16-bit "Key ID" of RFC 6833, which RFC 9301 splits into an
/// 8-bit Key ID (always 0 here) and this Algorithm ID: byte-compatible with Open Overlay Router.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// No authentication data.
    None = 0,
    /// HMAC-SHA-1-96, sent as the full 20-byte HMAC as implementations do.
    HmacSha1 = 1,
    /// HMAC-SHA-256-128, sent as the full 32-byte HMAC.
    HmacSha256 = 2,
}

impl Auth {
    /// Returns the length of the authentication data of the algorithm.
    pub fn data_len(self) -> usize {
        match self {
            Auth::None => 0,
            Auth::HmacSha1 => 20,
            Auth::HmacSha256 => 32,
        }
    }

    /// Returns the algorithm of an Algorithm ID, if this codec implements it.
    pub fn from_id(id: u8) -> Option<Auth> {
        match id {
            0 => Some(Auth::None),
            1 => Some(Auth::HmacSha1),
            2 => Some(Auth::HmacSha256),
            _ => None,
        }
    }

    /// Reads the Key ID, Algorithm ID, length and data fields, checking they agree.
    pub(crate) fn decode(r: &mut crate::wire::Reader<'_>) -> Result<Auth, DecodeError> {
        // RFC 9301's Key ID selects among keys; one key per peer here, so it is not kept.
        let [_key_id, id] = r.array()?;
        let len = r.u16()?;
        let auth = Auth::from_id(id).ok_or(DecodeError::BadAuthAlgorithm(id))?;
        if usize::from(len) != auth.data_len() {
            return Err(DecodeError::BadAuthLength);
        }
        r.bytes(len.into())?;
        Ok(auth)
    }

    /// Appends the Key ID, Algorithm ID and length fields and zeroed authentication data.
    pub(crate) fn encode(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&[0, self as u8]);
        let len = self.data_len();
        out.extend_from_slice(&(len as u16).to_be_bytes());
        out.resize(out.len() + len, 0);
    }

    /// Computes the HMAC of `msg` (whose authentication data is zero) with `key`.
    fn mac(self, key: &[u8], msg: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length (long ones are hashed), so new_from_slice cannot fail.
        match self {
            Auth::None => Vec::new(),
            Auth::HmacSha1 => match Hmac::<Sha1>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
            Auth::HmacSha256 => match Hmac::<Sha256>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            },
        }
    }

    /// Fills in the authentication data of the encoded message `msg`.
    pub(crate) fn sign(self, key: &[u8], msg: &mut [u8]) {
        let mac = self.mac(key, msg);
        if let Some(dst) = msg.get_mut(AUTH_DATA_OFFSET..AUTH_DATA_OFFSET + mac.len()) {
            dst.copy_from_slice(&mac);
        }
    }
}

/// Checks the authentication data of an encoded Map-Register, Map-Notify or Map-Notify-Ack.
///
/// The HMAC covers the whole message with the authentication data zeroed and is compared in
/// constant time. Fails if the message is not authenticated, its lengths are off, or it mismatches.
pub fn verify(buf: &[u8], key: &[u8]) -> Result<(), AuthError> {
    let kind = buf.first().ok_or(AuthError::Malformed)? >> 4;
    if !matches!(kind, 3..=5) {
        return Err(AuthError::Malformed);
    }
    let hdr = buf
        .get(AUTH_OFFSET..AUTH_DATA_OFFSET)
        .ok_or(AuthError::Malformed)?;
    let id = hdr[1];
    let len = usize::from(u16::from_be_bytes([hdr[2], hdr[3]]));
    let auth = Auth::from_id(id).ok_or(AuthError::Unsupported(id))?;
    if auth == Auth::None {
        return Err(AuthError::Missing);
    }
    if len != auth.data_len() {
        return Err(AuthError::Malformed);
    }
    let end = AUTH_DATA_OFFSET + len;
    let data = buf.get(AUTH_DATA_OFFSET..end).ok_or(AuthError::Malformed)?;
    let mut zeroed = buf.to_vec();
    zeroed[AUTH_DATA_OFFSET..end].fill(0);
    let ok = match auth {
        Auth::HmacSha1 => Hmac::<Sha1>::new_from_slice(key).map(|mut m| {
            m.update(&zeroed);
            m.verify_slice(data).is_ok()
        }),
        Auth::HmacSha256 => Hmac::<Sha256>::new_from_slice(key).map(|mut m| {
            m.update(&zeroed);
            m.verify_slice(data).is_ok()
        }),
        Auth::None => return Err(AuthError::Missing),
    };
    match ok {
        Ok(true) => Ok(()),
        _ => Err(AuthError::Mismatch),
    }
}
