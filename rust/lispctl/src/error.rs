// SPDX-License-Identifier: GPL-2.0

//! Errors and the exit codes they map to.

use std::fmt;
use std::io;

/// Exit code of usage errors (bad command line, bad batch line, unreadable batch file).
pub const EXIT_USAGE: i32 = 1;
/// Exit code of everything that went wrong past the command line: kernel errors, netlink I/O.
pub const EXIT_KERNEL: i32 = 2;

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

#[derive(Debug)]
pub enum Error {
    /// Bad command line or batch line: exit 1.
    Usage(String),
    /// The kernel refused a request: exit 2.
    Kernel(KernelError),
    /// Anything else past the command line (socket I/O, malformed replies): exit 2.
    Other(String),
    /// The reader of the output went away (`lispctl monitor | head`): exit 0, quietly.
    Closed,
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Kernel(_) | Error::Other(_) => EXIT_KERNEL,
            Error::Closed => 0,
        }
    }

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
        assert_eq!(Error::Kernel(k).exit_code(), 2);
        assert_eq!(Error::Usage("x".into()).exit_code(), 1);
    }
}
