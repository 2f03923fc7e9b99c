// SPDX-License-Identifier: GPL-2.0

//! The map-cache algorithms as the kernel module includes them (`#[path]` from
//! `rust/module/lisp_main.rs`): the same source files the host tests build.

#[path = "addr.rs"]
pub(crate) mod addr;
#[path = "header.rs"]
pub(crate) mod header;
#[path = "rloc.rs"]
pub(crate) mod rloc;
#[path = "trie.rs"]
pub(crate) mod trie;
