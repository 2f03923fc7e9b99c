// SPDX-License-Identifier: GPL-2.0

//! The devices behind Open vSwitch's own `lisp` port type.
//!
//! `ovs-vsctl ... type=lisp options:remote_ip=flow options:key=flow` makes the OVS kernel
//! datapath ask for vport type 105, which `lisp_vport.ko` (rust/vport) provides by calling
//! [`create`] here through the exported `lisp_vport_dev_create` (`export_vport_dev_create!`). The device is an external-mode
//! lisp device (locator and instance ID per packet, from the tunnel metadata the datapath sets
//! with `set_field:...->tun_dst` and `set_tunnel:IID`) of the raw IP kind: OVS treats a LISP
//! port as a legacy layer-3 port, hands it bare IP packets (after a `pop_eth` action) and
//! expects bare IP packets from it. (It finds the tunnel port of a received packet only if the
//! packet has no Ethernet header; it then gives it a dummy one, all-zero MAC addresses.)
//!
//! A port with `options:packet_type=ptap` is packet-type aware instead: OVS then finds its
//! tunnel port for an Ethernet frame too, and sends it Ethernet frames (marked `ETH_P_TEB`).
//! With `ethernet` (lisp_vport.ko's parameter of that name), the device delivers the frame the
//! OVS LISP guide's flows expect, with source and destination `02:00:00:00:00:00`, marked
//! `ETH_P_TEB` so that the datapath keeps the header.

use crate::device::{Config, Lisp};
use crate::sys::bindings;
use crate::sys::export::export_vport_dev_create;
use crate::sys::genl::Net;
use crate::sys::rtnl;
use crate::uapi;
use core::ffi::CStr;
use core::ptr::NonNull;
use kernel::prelude::*;

export_vport_dev_create!(create);

/// Creates, registers and brings up the device of an OVS LISP vport named `name` in `net`,
/// listening on UDP port `port`, delivering Ethernet frames if `ethernet`, else bare IP.
pub(crate) fn create(
    net: Net<'_>,
    name: &CStr,
    port: u16,
    ethernet: bool,
) -> Result<NonNull<bindings::net_device>> {
    if port == 0 {
        return Err(EINVAL);
    }
    let mut config = Config::new();
    config.port = port;
    config.external = true;
    config.raw_ip_ethernet = ethernet;
    rtnl::create::<Lisp>(
        net,
        name,
        |dev| {
            dev.set_raw_ip();
            // As OVS's VXLAN ports: the datapath, not the port, limits packet sizes.
            dev.set_mtu(uapi::LISP_MAX_MTU, uapi::LISP_MIN_MTU, uapi::LISP_MAX_MTU);
        },
        Lisp::init(config)?,
    )
}
