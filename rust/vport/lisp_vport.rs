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
//! C header: `net/openvswitch/vport.h` (full source trees only).

use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::mem::size_of;
use kernel::prelude::*;

/// The layout comparison, shared with lisp.ko.
#[path = "../module/sys/layout_check.rs"]
mod layout_check;
use layout_check::{compare, offset, size};

#[allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]
mod bindings {
    use kernel::ffi;

    // Mapped by hand, as the kernel's own bindings do (see `bindgen_parameters`).
    type __kernel_size_t = usize;
    type __kernel_ssize_t = isize;
    type __kernel_ptrdiff_t = isize;

    include!("bindings_generated.rs");
}

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

/// `NLA_TYPE_MASK` (linux/netlink.h): the attribute type without the nested/byte-order flags.
const NLA_TYPE_MASK: u16 = !((1 << 15) | (1 << 14));

/// `VPORT_ALIGN` (vport.h): alignment of the private area after `struct vport`.
const VPORT_ALIGN: usize = 8;

/// The vport ops of type 105, registered with the datapath while the module is loaded.
struct VportOps(UnsafeCell<bindings::vport_ops>);

// SAFETY: Written only by `Registration::new` before registering, then by the datapath (its
// `list` member), under its own locking.
unsafe impl Sync for VportOps {}

static OPS: VportOps = VportOps(UnsafeCell::new(bindings::vport_ops {
    type_: OVS_VPORT_TYPE_LISP,
    create: Some(create_callback),
    destroy: Some(bindings::ovs_netdev_tunnel_destroy),
    set_options: None,
    get_options: Some(get_options_callback),
    send: Some(send_callback),
    owner: core::ptr::null_mut(),
    list: bindings::list_head {
        next: core::ptr::null_mut(),
        prev: core::ptr::null_mut(),
    },
}));

/// The registration of vport type 105 with the datapath.
///
/// # Invariants
///
/// `OPS` is registered while this object exists.
struct Registration(());

impl Registration {
    fn new(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: Not registered yet, so nothing else reads `OPS`; the module owns the ops
        // while registered (the datapath takes a module reference per vport).
        // CAST: The same `struct module`, as seen by the `kernel` crate's bindings and ours.
        unsafe { (*OPS.0.get()).owner = module.as_ptr().cast() };
        // SAFETY: `OPS` is a static, so it outlives the registration, undone in `drop`.
        let ret = unsafe { bindings::__ovs_vport_ops_register(OPS.0.get()) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: Registered just above.
        Ok(Self(()))
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant). No vport of the type is left: each holds a
        // reference to this module.
        unsafe { bindings::ovs_vport_ops_unregister(OPS.0.get()) };
    }
}

/// The module: the vport type's registration.
struct LispVport {
    _ops: Registration,
}

impl kernel::Module for LispVport {
    fn init(module: &'static ThisModule) -> Result<Self> {
        check_layout()?;
        Ok(Self {
            _ops: Registration::new(module)?,
        })
    }
}

/// The errno of a pointer that may be an `ERR_PTR`, if it is one.
fn ptr_err<T>(p: *const T) -> Option<Error> {
    // CAST: An `ERR_PTR` is a negative errno, -4095..=-1, in pointer form.
    let v = p as isize;
    (-4095..0)
        .contains(&v)
        .then(|| Error::from_errno(v as c_int))
}

/// Finds `OVS_TUNNEL_ATTR_DST_PORT` in the payload of `OVS_VPORT_ATTR_OPTIONS`.
fn dst_port(mut attrs: &[u8]) -> Option<u16> {
    while let [l0, l1, t0, t1, ..] = *attrs {
        let len = usize::from(u16::from_ne_bytes([l0, l1]));
        let payload = attrs.get(4..len)?;
        if u32::from(u16::from_ne_bytes([t0, t1]) & NLA_TYPE_MASK)
            == bindings::OVS_TUNNEL_ATTR_DST_PORT
        {
            return match *payload {
                [p0, p1] => Some(u16::from_ne_bytes([p0, p1])),
                _ => None,
            };
        }
        attrs = attrs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    None
}

/// The payload of the nested attribute `attr`.
///
/// # Safety
///
/// `attr` must be null or point to an attribute of a validated netlink message that outlives
/// `'a`.
unsafe fn payload<'a>(attr: *const bindings::nlattr) -> &'a [u8] {
    if attr.is_null() {
        return &[];
    }
    // SAFETY: From the function's safety requirements: the attribute's length, header
    // included, lies within the message.
    unsafe {
        let len = usize::from((*attr).nla_len);
        let hdr = size_of::<bindings::nlattr>();
        core::slice::from_raw_parts(attr.cast::<u8>().add(hdr), len.saturating_sub(hdr))
    }
}

/// The private area of a vport of this type: its UDP port, host order.
fn port_slot(vport: *mut bindings::vport) -> *mut u16 {
    // CAST: `vport_priv()`: the private area follows `struct vport`, aligned to `VPORT_ALIGN`.
    vport
        .cast::<u8>()
        .wrapping_add(size_of::<bindings::vport>().next_multiple_of(VPORT_ALIGN))
        .cast()
}

/// `vport_ops::create`: a lisp device named after the port, then the vport on top of it.
///
/// # Safety
///
/// Called by the datapath only, under `ovs_mutex` (not RTNL), with valid parameters.
unsafe extern "C" fn create_callback(parms: *const bindings::vport_parms) -> *mut bindings::vport {
    // SAFETY: The datapath passes parameters valid for the call, the options (if any) from
    // its validated request.
    let (p, options) = unsafe { (&*parms, payload((*parms).options)) };
    // OVS always sends the port of a UDP tunnel; like VXLAN, refuse to guess.
    let Some(port) = dst_port(options).filter(|&p| p != 0) else {
        return EINVAL.to_ptr();
    };
    // SAFETY: `parms` is valid; `OPS` is registered (the datapath found the type through it).
    let vport = unsafe { bindings::ovs_vport_alloc(size_of::<u16>() as c_int, OPS.0.get(), parms) };
    if let Some(e) = ptr_err(vport) {
        return e.to_ptr();
    }
    // SAFETY: `ovs_vport_alloc` allocated the `u16` private area asked for, aligned to 8.
    unsafe { port_slot(vport).write(port) };
    // SAFETY: `dp` is the live datapath the port is added to; `possible_net_t::net` is its
    // namespace (`ovs_dp_get_net`), alive while the datapath is.
    let net = unsafe { (*p.dp).net.net };
    // SAFETY: Reads a module parameter that is fixed at load time.
    let ethernet = unsafe { bindings::lisp_vport_ethernet() };
    // SAFETY: A live namespace and the NUL-terminated name of the request; RTNL is not held.
    let dev = unsafe { bindings::lisp_vport_dev_create(net, p.name, port, ethernet) };
    if let Some(e) = ptr_err(dev) {
        // SAFETY: Allocated above and not published anywhere.
        unsafe { bindings::ovs_vport_free(vport) };
        return e.to_ptr();
    }
    // SAFETY: `vport` is ours, and a device of that name now exists. On failure this frees the
    // vport; the device then stays, as it does for the kernel's own VXLAN vports (another
    // task may already have deleted it, so it is not ours to touch).
    unsafe { bindings::ovs_netdev_link(vport, p.name) }
}

/// `vport_ops::get_options`: the UDP port, which `ovs-vswitchd` compares with its config.
///
/// # Safety
///
/// Called by the datapath only, with a vport of this type and a message being built.
unsafe extern "C" fn get_options_callback(
    vport: *const bindings::vport,
    skb: *mut bindings::sk_buff,
) -> c_int {
    // SAFETY: A vport of this type has its port in the private area (`create_callback`).
    let port = unsafe { port_slot(vport.cast_mut()).read() };
    // SAFETY: `skb` is the message being built, ours to append to during the call. The result
    // is 0 or `-EMSGSIZE`, as the datapath expects.
    unsafe {
        bindings::nla_put(
            skb,
            bindings::OVS_TUNNEL_ATTR_DST_PORT as c_int,
            size_of::<u16>() as c_int,
            core::ptr::from_ref(&port).cast(),
        )
    }
}

/// `vport_ops::send`: `dev_queue_xmit()`, as for the kernel's own tunnel vports.
///
/// # Safety
///
/// Called by the datapath only, with an owned buffer whose `dev` is the vport's device.
unsafe extern "C" fn send_callback(skb: *mut bindings::sk_buff) -> c_int {
    // SAFETY: The buffer is handed over to the device's queue.
    unsafe { bindings::__dev_queue_xmit(skb, core::ptr::null_mut()) }
}

/// What Rust sees; `glue.c` lists the same names in the same order.
const LAYOUT: &[(&str, usize)] = &[
    size!(bindings::vport_ops),
    offset!(bindings::vport_ops, type_),
    offset!(bindings::vport_ops, create),
    offset!(bindings::vport_ops, destroy),
    offset!(bindings::vport_ops, get_options),
    offset!(bindings::vport_ops, send),
    offset!(bindings::vport_ops, owner),
    size!(bindings::vport_parms),
    offset!(bindings::vport_parms, name),
    offset!(bindings::vport_parms, options),
    offset!(bindings::vport_parms, dp),
    size!(bindings::vport),
    offset!(bindings::datapath, net),
    size!(bindings::nlattr),
];

/// Refuses to load (`EINVAL`) if bindgen's layouts differ from the C compiler's.
fn check_layout() -> Result {
    // SAFETY: A constant array of `lisp_vport_layout_len` entries defined in `glue.c`.
    let table = unsafe {
        core::slice::from_raw_parts(
            bindings::lisp_vport_layout_table.as_ptr(),
            bindings::lisp_vport_layout_len as usize,
        )
    };
    let c = table.iter().map(|e| {
        // SAFETY: Every `name` in the C table is a string literal.
        let name = unsafe { CStr::from_ptr(e.name.cast()) };
        (name, e.value)
    });
    compare(c, LAYOUT)
}
