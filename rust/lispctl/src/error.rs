// SPDX-License-Identifier: GPL-2.0

//! The exit codes errors map to.

pub use lisp_client::error::*;

/// Exit code of usage errors (bad command line, bad batch line, unreadable batch file).
pub const EXIT_USAGE: i32 = 1;
/// Exit code of everything that went wrong past the command line: kernel errors, netlink I/O.
pub const EXIT_KERNEL: i32 = 2;

/// The exit code of an error.
pub trait ExitCode {
    fn exit_code(&self) -> i32;
}

impl ExitCode for Error {
    fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Kernel(_) | Error::Other(_) => EXIT_KERNEL,
            Error::Closed => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        let k = KernelError {
            errno: 17,
            msg: None,
            offset: None,
        };
        assert_eq!(Error::Kernel(k).exit_code(), 2);
        assert_eq!(Error::Other("x".into()).exit_code(), 2);
        assert_eq!(Error::Usage("x".into()).exit_code(), 1);
        assert_eq!(Error::Closed.exit_code(), 0);
    }
}
