// SPDX-License-Identifier: GPL-2.0

//! Numbers of the lisp uAPI (rtnetlink kind attributes, generic-netlink family), shared by the
//! kernel module and `lispctl`. The definitions live in `uapi.rs`, which the module includes too.

#![no_std]

include!("uapi.rs");
