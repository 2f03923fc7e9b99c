// SPDX-License-Identifier: GPL-2.0

//! Prints the byte-exact test vectors as `NAME HEX` lines, for `scripts/check-control-tshark.sh`
//! to decode with tshark. The bytes printed are what the encoder produces now.

#[path = "../tests/common/mod.rs"]
mod common;

fn main() {
    for v in common::vectors() {
        println!("{} {}", v.name, common::hex(&v.msg.encode(common::KEY)));
    }
}
