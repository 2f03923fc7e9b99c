// SPDX-License-Identifier: GPL-2.0

//! Open vSwitch's `lisp` port type (datapath vport type 105) on lisp devices.
//!
//! `ovs-vsctl add-port br0 lisp0 -- set Interface lisp0 type=lisp options:remote_ip=flow
//! options:key=flow` makes `ovs-vswitchd` ask the kernel datapath for a vport of type
//! `OVS_VPORT_TYPE_LISP` (105, a number only OVS userspace defines), and the datapath loads
//! `vport-type-105` to find one. This module registers that type, as `vport-vxlan.c` does for
//! VXLAN: each vport is backed by an external-mode, raw IP lisp device made by lisp.ko
//! (`lisp_vport_dev_create`), which takes the locator and instance ID of each packet from the
//! tunnel metadata the datapath attaches (`set_field:RLOC->tun_dst`, `set_tunnel:IID`) and
//! attaches the same metadata to what it receives.
//!
//! What the device delivers depends on the OVS port's `packet_type` option, which the datapath
//! is not told: bare IP for the default (`legacy_l3`), Ethernet frames with the fixed MAC
//! `02:00:00:00:00:00` when the module is loaded with `ethernet=1`, for ports with
//! `options:packet_type=ptap` (then the OVS LISP guide's flows match as written).
//!
//! The datapath's API is wrapped in `sys.rs`; this file holds no `unsafe`.

use kernel::prelude::*;

mod sys;
use sys::{Parms, PortType, Registration, VportOps, NLA_TYPE_MASK, OVS_TUNNEL_ATTR_DST_PORT};

module! {
    type: LispVport,
    name: "lisp_vport",
    author: "The lisp developers",
    description: "Open vSwitch LISP port type (vport type 105) on lisp devices",
    license: "GPL",
    alias: ["vport-type-105"],
}

/// `OVS_VPORT_TYPE_LISP` of Open vSwitch's userspace (its `datapath/linux` compat headers).
const OVS_VPORT_TYPE_LISP: u32 = 105;

/// The vport type: a lisp device per port; each vport remembers its UDP port (host order).
struct LispPort;

static OPS: VportOps<LispPort> = VportOps::new();

impl sys::HasOps for LispPort {
    fn ops() -> &'static VportOps<Self> {
        &OPS
    }
}

impl PortType for LispPort {
    const TYPE: u32 = OVS_VPORT_TYPE_LISP;
    type Private = u16;

    fn create(parms: &Parms<'_>) -> Result<u16> {
        // OVS always sends the port of a UDP tunnel; like VXLAN, refuse to guess.
        let port = dst_port(parms.options())
            .filter(|&p| p != 0)
            .ok_or(EINVAL)?;
        parms.create_lisp_device(port, sys::param_ethernet())?;
        Ok(port)
    }

    fn dst_port(port: &u16) -> u16 {
        *port
    }
}

/// The module: the vport type's registration.
struct LispVport {
    _ops: Registration<LispPort>,
}

impl kernel::Module for LispVport {
    fn init(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            _ops: Registration::new(module)?,
        })
    }
}

/// Finds `OVS_TUNNEL_ATTR_DST_PORT` in the payload of `OVS_VPORT_ATTR_OPTIONS`.
fn dst_port(mut attrs: &[u8]) -> Option<u16> {
    while let [l0, l1, t0, t1, ..] = *attrs {
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        let payload = attrs.get(4..len)?;
        if u16::from_ne_bytes([t0, t1]) & NLA_TYPE_MASK == OVS_TUNNEL_ATTR_DST_PORT {
            return match *payload {
                [p0, p1] => Some(u16::from_ne_bytes([p0, p1])),
                _ => None,
            };
        }
        attrs = attrs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    None
}
