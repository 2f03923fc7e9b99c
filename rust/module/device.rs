// SPDX-License-Identifier: GPL-2.0

//! The lisp device: an Ethernet-type net device of rtnetlink kind `lisp`.

use crate::sys::errno;
use crate::sys::netdev::{DeviceSetup, DropReason, NetDevice, SkBuff};
use crate::sys::netlink::{Attrs, ExtAck};
use crate::sys::rtnl::{LinkDriver, LinkOps};
use crate::uapi;
use core::ffi::CStr;
use kernel::prelude::*;

/// `IFLA_ADDRESS` (linux/if_link.h).
const IFLA_ADDRESS: u32 = 1;

/// The rtnetlink operations of kind `lisp`.
static LINK_OPS: LinkOps<Lisp> = LinkOps::new();

/// The private state of one lisp device.
pub(crate) struct Lisp {}

/// Returns the reason an Ethernet address is unusable as a device address, if it is.
fn ether_addr_error(addr: &[u8]) -> Option<&'static CStr> {
    match addr {
        [a0, ..] if addr.len() == 6 && a0 & 1 != 0 => Some(c"Address is a multicast address"),
        [0, 0, 0, 0, 0, 0] => Some(c"Address is all zeros"),
        _ if addr.len() != 6 => Some(c"Address must be 6 bytes (Ethernet)"),
        _ => None,
    }
}

impl LinkDriver for Lisp {
    const KIND: &'static CStr = c"lisp";

    fn link_ops() -> &'static LinkOps<Self> {
        &LINK_OPS
    }

    fn setup(dev: &mut DeviceSetup) {
        dev.set_mtu(
            uapi::LISP_DEFAULT_MTU,
            uapi::LISP_MIN_MTU,
            uapi::LISP_MAX_MTU,
        );
        // The underlay sockets belong to the namespace the device was created in.
        dev.set_netns_immutable();
        dev.set_needed_headroom(uapi::LISP_MAX_OVERHEAD as u16);
    }

    fn validate(tb: &Attrs<'_>, _data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result {
        if let Some(attr) = tb.get(IFLA_ADDRESS) {
            if let Some(msg) = ether_addr_error(attr.data()) {
                extack.msg_attr(msg, attr);
                return Err(if attr.data().len() != 6 {
                    EINVAL
                } else {
                    errno::EADDRNOTAVAIL()
                });
            }
        }
        Ok(())
    }

    fn new_link(
        _dev: &NetDevice,
        _data: &Attrs<'_>,
        _extack: &mut ExtAck<'_>,
    ) -> Result<impl PinInit<Self, Error>> {
        Ok(Lisp {})
    }

    fn start_xmit(&self, dev: &NetDevice, skb: SkBuff) {
        // No map-cache yet: nothing can be encapsulated.
        dev.tx_dropped_inc();
        skb.drop_reason(DropReason::NotSpecified);
    }
}
