// SPDX-License-Identifier: GPL-2.0

//! Functions exported to other modules (`EXPORT_SYMBOL_GPL` in `glue.c`).

use super::bindings;
use super::genl::Net;
use core::ffi::{c_char, CStr};
use kernel::prelude::*;

/// Creates the lisp device of an Open vSwitch LISP vport (see `crate::vport`): an external-mode,
/// raw IP device named `name` in `net` on UDP port `port`, registered and up. Returns the device
/// or an `ERR_PTR`. With `ethernet`, it delivers decapsulated packets as Ethernet frames (see
/// `crate::vport`). Called by `lisp_vport.ko` without RTNL held; the device lives until
/// deleted (`ovs_netdev_tunnel_destroy` does).
///
/// # Safety
///
/// `net` must point to a live namespace and `name` to a NUL-terminated string, both valid for
/// the duration of the call, and the caller must not hold RTNL.
#[no_mangle]
pub(crate) unsafe extern "C" fn lisp_vport_dev_create(
    net: *mut bindings::net,
    name: *const c_char,
    port: u16,
    ethernet: bool,
) -> *mut bindings::net_device {
    // SAFETY: The caller passes a live namespace for the duration of the call.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return EINVAL.to_ptr();
    };
    if name.is_null() {
        return EINVAL.to_ptr();
    }
    // SAFETY: The caller passes a NUL-terminated string valid for the call.
    let name = unsafe { CStr::from_ptr(name) };
    match crate::vport::create(net, name, port, ethernet) {
        Ok(dev) => dev.as_ptr(),
        Err(e) => e.to_ptr(),
    }
}
