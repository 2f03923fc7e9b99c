// SPDX-License-Identifier: GPL-2.0

//! Functions exported to other modules (`EXPORT_SYMBOL_GPL` in `glue.c`).
//!
//! The driver names the function behind each export with a macro here, as it does for its
//! generic netlink handlers (`export_doit!`): the C-facing shim and its unsafe conversions stay
//! in this module, and this module needs to know nothing of the driver.

/// Defines `lisp_vport_dev_create`, the function `lisp_vport.ko` calls to create the device of
/// an Open vSwitch LISP vport, as `export_vport_dev_create!(create)` with
/// `fn create(Net<'_>, &CStr, u16, bool) -> Result<NonNull<bindings::net_device>>`: in the given
/// namespace, the device named by the string, on the UDP port, delivering Ethernet frames if
/// the flag is set. The export returns the device or an `ERR_PTR`.
macro_rules! export_vport_dev_create {
    ($create:path) => {
        /// Creates the lisp device of an Open vSwitch LISP vport, see
        /// `export_vport_dev_create!`. Called by `lisp_vport.ko` without RTNL held; the device
        /// lives until deleted (`ovs_netdev_tunnel_destroy` does).
        ///
        /// # Safety
        ///
        /// `net` must point to a live namespace and `name` to a NUL-terminated string, both
        /// valid for the duration of the call, and the caller must not hold RTNL.
        #[no_mangle]
        pub(crate) unsafe extern "C" fn lisp_vport_dev_create(
            net: *mut $crate::sys::bindings::net,
            name: *const core::ffi::c_char,
            port: u16,
            ethernet: bool,
        ) -> *mut $crate::sys::bindings::net_device {
            use kernel::error::code::EINVAL;
            // SAFETY: The caller passes a live namespace for the duration of the call.
            let Some(net) = (unsafe { $crate::sys::genl::Net::from_raw(net) }) else {
                return EINVAL.to_ptr();
            };
            if name.is_null() {
                return EINVAL.to_ptr();
            }
            // SAFETY: The caller passes a NUL-terminated string valid for the call.
            let name = unsafe { core::ffi::CStr::from_ptr(name) };
            match $create(net, name, port, ethernet) {
                Ok(dev) => dev.as_ptr(),
                Err(e) => e.to_ptr(),
            }
        }
    };
}
pub(crate) use export_vport_dev_create;
