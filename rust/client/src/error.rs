// SPDX-License-Identifier: GPL-2.0

//! Errors of netlink requests: the kernel's (errno and extended ack) and everything else.

use std::fmt;
use std::io;

/// An error the kernel returned in NLMSG_ERROR (or NLMSG_DONE of a dump).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelError {
    /// Positive errno.
    pub errno: i32,
    /// NLMSGERR_ATTR_MSG: the extended-ack text.
    pub msg: Option<String>,
    /// NLMSGERR_ATTR_OFFS: offset of the offending attribute from the start of the request's
    /// nlmsghdr.
    pub offset: Option<u32>,
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.msg {
            Some(m) if !m.is_empty() => f.write_str(m),
            _ => f.write_str(&errno_text(self.errno)),
        }
    }
}

/// `strerror()` without Rust's " (os error N)" suffix.
pub fn errno_text(errno: i32) -> String {
    let s = io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// What can go wrong talking to the lisp family.
#[derive(Debug)]
pub enum Error {
    /// A request the caller described is invalid (for lispctl: a bad command or batch line).
    Usage(String),
    /// The kernel refused a request.
    Kernel(KernelError),
    /// Anything else: socket I/O, malformed replies, a missing family or device.
    Other(String),
    /// The consumer of the results went away (lispctl: `lispctl monitor | head`).
    Closed,
}

impl Error {
    /// A malformed kernel reply.
    pub fn reply(what: impl fmt::Display) -> Error {
        Error::Other(format!("malformed netlink reply: {what}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(s) | Error::Other(s) => f.write_str(s),
            Error::Kernel(k) => k.fmt(f),
            Error::Closed => f.write_str("output closed"),
        }
    }
}

/// The text of an I/O error, without the " (os error N)" suffix.
pub fn errno_text_of(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => errno_text(n),
        None => e.to_string(),
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Other(format!("netlink: {}", errno_text_of(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts() {
        let k = KernelError {
            errno: 17,
            msg: None,
            offset: None,
        };
        assert_eq!(k.to_string(), "File exists");
        let k = KernelError {
            msg: Some("prefix already present".into()),
            ..k
        };
        assert_eq!(k.to_string(), "prefix already present");
        assert_eq!(Error::Kernel(k).to_string(), "prefix already present");
    }
}
