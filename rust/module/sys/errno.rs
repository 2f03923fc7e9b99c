// SPDX-License-Identifier: GPL-2.0

//! Error codes the `kernel` crate of this tree does not declare.

use super::bindings;
use kernel::error::Error;

macro_rules! errno {
    ($($name:ident),* $(,)?) => {$(
        #[doc = concat!("`-", stringify!($name), "`.")]
        #[allow(dead_code, non_snake_case)]
        pub(crate) fn $name() -> Error {
            Error::from_errno(-(bindings::$name as i32))
        }
    )*};
}

errno!(
    EADDRINUSE,
    EADDRNOTAVAIL,
    EOPNOTSUPP,
    EAFNOSUPPORT,
    EMSGSIZE,
    EPROTONOSUPPORT
);
