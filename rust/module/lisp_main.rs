// SPDX-License-Identifier: GPL-2.0

//! LISP (RFC 9300) layer-3 tunnel devices.
//!
//! `ip link add lisp0 type lisp` creates an Ethernet-type device that encapsulates the IPv4 and
//! IPv6 packets it is given in LISP/UDP towards the locator its map-cache names, and delivers
//! decapsulated packets behind the fixed MAC address `02:00:00:00:00:00`.

use kernel::prelude::*;

mod decap;
mod device;
mod encap;
mod link;
mod map_cache;
mod netlink;
mod socket;
mod sys;
mod vport;

/// The map-cache algorithms, shared with the host tests (see `rust/proto`).
#[allow(dead_code, unreachable_pub)]
#[path = "../proto/src/kernel.rs"]
mod proto;

/// The uAPI numbers, shared with `lispctl` (see `rust/uapi`).
#[allow(dead_code, unreachable_pub)]
mod uapi {
    include!("../uapi/src/uapi.rs");
}

module! {
    type: LispModule,
    name: "lisp",
    author: "The lisp developers",
    description: "LISP (RFC 9300) layer-3 tunnel devices",
    license: "GPL",
    alias: ["rtnl-link-lisp", "net-pf-16-proto-16-family-lisp"],
}

/// The module's registrations. Fields are dropped in declaration order, the reverse of `init`.
struct LispModule {
    _genl: sys::genl::Registration,
    _link: sys::rtnl::Registration<device::Lisp>,
}

impl kernel::Module for LispModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        sys::check_layout()?;
        // Devices first: the family's handlers look devices up.
        let link = sys::rtnl::Registration::new()?;
        Ok(Self {
            _genl: sys::genl::Registration::new(&netlink::FAMILY)?,
            _link: link,
        })
    }
}
