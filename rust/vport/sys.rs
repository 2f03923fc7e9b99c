// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer of lisp_vport.ko: the Open vSwitch datapath's tunnel vport API, and
//! what lisp.ko exports to it. Every `unsafe` block of the module lives in this file.
//!
//! A [`PortType`] is a vport type: [`Registration`] fills its `vport_ops` with callbacks that
//! reach it through safe types, and keeps the per-vport private value it returns.
//!
//! C headers: `net/openvswitch/vport.h`, `net/openvswitch/vport-netdev.h` (full source trees
//! only).

use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
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

/// `OVS_TUNNEL_ATTR_DST_PORT` (linux/openvswitch.h): the UDP port of a tunnel vport.
pub(crate) const OVS_TUNNEL_ATTR_DST_PORT: u16 = bindings::OVS_TUNNEL_ATTR_DST_PORT as u16;

/// `NLA_TYPE_MASK` (linux/netlink.h): the attribute type without the nested/byte-order flags.
pub(crate) const NLA_TYPE_MASK: u16 = !((1 << 15) | (1 << 14));

/// `VPORT_ALIGN` (vport.h): alignment of the private area after `struct vport`.
const VPORT_ALIGN: usize = 8;

/// A datapath vport type whose vports are backed by a network device.
pub(crate) trait PortType: 'static {
    /// The vport type number (`OVS_VPORT_TYPE_*`).
    const TYPE: u32;

    /// What each vport keeps; it fits in the `VPORT_ALIGN`-aligned private area.
    type Private: Copy;

    /// Makes the device of a new vport (named as the port), returning the vport's private
    /// value. Called under `ovs_mutex`, without RTNL.
    fn create(parms: &Parms<'_>) -> Result<Self::Private>;

    /// The value of `OVS_TUNNEL_ATTR_DST_PORT` that `get_options` reports for a vport.
    fn dst_port(private: &Self::Private) -> u16;
}

/// The parameters of a vport being added.
pub(crate) struct Parms<'a>(&'a bindings::vport_parms);

impl Parms<'_> {
    /// The payload of `OVS_VPORT_ATTR_OPTIONS` (nested attributes), empty if absent.
    pub(crate) fn options(&self) -> &[u8] {
        let attr = self.0.options;
        if attr.is_null() {
            return &[];
        }
        // SAFETY: The attribute belongs to the validated request, valid for the call; its
        // length, header included, lies within the message.
        unsafe {
            let len = usize::from((*attr).nla_len);
            let hdr = size_of::<bindings::nlattr>();
            core::slice::from_raw_parts(attr.cast::<u8>().add(hdr), len.saturating_sub(hdr))
        }
    }

    /// Creates lisp.ko's device for the vport: external mode, raw IP (or Ethernet frames with
    /// `ethernet`), on UDP port `port`, in the datapath's namespace.
    pub(crate) fn create_lisp_device(&self, port: u16, ethernet: bool) -> Result {
        // SAFETY: `dp` is the live datapath the port is added to; `possible_net_t::net` is its
        // namespace (`ovs_dp_get_net`), alive while the datapath is.
        let net = unsafe { (*self.0.dp).net.net };
        // SAFETY: A live namespace and the NUL-terminated name of the request; RTNL is not held,
        // as the function requires.
        let dev = unsafe { bindings::lisp_vport_dev_create(net, self.0.name, port, ethernet) };
        ptr_err(dev).map_or(Ok(()), Err)
    }
}

/// The `ethernet` module parameter.
pub(crate) fn param_ethernet() -> bool {
    // SAFETY: Reads a module parameter that is fixed at load time.
    unsafe { bindings::lisp_vport_ethernet() }
}

/// The errno of a pointer that may be an `ERR_PTR`, if it is one.
fn ptr_err<T>(p: *const T) -> Option<Error> {
    // CAST: An `ERR_PTR` is a negative errno, -4095..=-1, in pointer form.
    let v = p as isize;
    (-4095..0)
        .contains(&v)
        .then(|| Error::from_errno(v as c_int))
}

/// The vport ops of a [`PortType`], to be placed in a `static`.
pub(crate) struct VportOps<T>(UnsafeCell<bindings::vport_ops>, PhantomData<T>);

// SAFETY: Written only by `Registration::new` before registering, then by the datapath (its
// `list` member), under its own locking.
unsafe impl<T> Sync for VportOps<T> {}

impl<T: HasOps> VportOps<T> {
    /// The ops of `T`.
    pub(crate) const fn new() -> Self {
        const {
            assert!(size_of::<T::Private>() <= c_int::MAX as usize);
            assert!(core::mem::align_of::<T::Private>() <= VPORT_ALIGN);
        }
        Self(
            UnsafeCell::new(bindings::vport_ops {
                type_: T::TYPE,
                create: Some(create_callback::<T>),
                destroy: Some(bindings::ovs_netdev_tunnel_destroy),
                set_options: None,
                get_options: Some(get_options_callback::<T>),
                send: Some(send_callback),
                owner: core::ptr::null_mut(),
                list: bindings::list_head {
                    next: core::ptr::null_mut(),
                    prev: core::ptr::null_mut(),
                },
            }),
            PhantomData,
        )
    }
}

/// A [`PortType`] whose ops live in a `static`.
pub(crate) trait HasOps: PortType + Sized {
    /// The type's ops.
    fn ops() -> &'static VportOps<Self>;
}

/// The registration of a vport type with the datapath.
///
/// # Invariants
///
/// `T::ops()` is registered while this object exists.
pub(crate) struct Registration<T: HasOps>(PhantomData<T>);

impl<T: HasOps> Registration<T> {
    /// Registers the type; the datapath finds it from then on.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        check_layout()?;
        let ops = T::ops().0.get();
        // SAFETY: Not registered yet, so nothing else reads the ops; the module owns them while
        // registered (the datapath takes a module reference per vport).
        // CAST: The same `struct module`, as seen by the `kernel` crate's bindings and ours.
        unsafe { (*ops).owner = module.as_ptr().cast() };
        // SAFETY: The ops are a static, so they outlive the registration, undone in `drop`.
        let ret = unsafe { bindings::__ovs_vport_ops_register(ops) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: Registered just above.
        Ok(Self(PhantomData))
    }
}

impl<T: HasOps> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant). No vport of the type is left: each holds a
        // reference to this module.
        unsafe { bindings::ovs_vport_ops_unregister(T::ops().0.get()) };
    }
}

/// The private area of a vport: the value `T::create` returned.
fn private<T: PortType>(vport: *mut bindings::vport) -> *mut T::Private {
    // CAST: `vport_priv()`: the private area follows `struct vport`, aligned to `VPORT_ALIGN`.
    vport
        .cast::<u8>()
        .wrapping_add(size_of::<bindings::vport>().next_multiple_of(VPORT_ALIGN))
        .cast()
}

/// `vport_ops::create`: the vport, then its device, then the link between them.
///
/// # Safety
///
/// Called by the datapath only, under `ovs_mutex` (not RTNL), with valid parameters, for a
/// type registered with `T::ops()`.
unsafe extern "C" fn create_callback<T: HasOps>(
    parms: *const bindings::vport_parms,
) -> *mut bindings::vport {
    // SAFETY: The datapath passes parameters valid for the call.
    let p = Parms(unsafe { &*parms });
    // SAFETY: `parms` is valid; the ops are registered (the datapath found the type by them).
    let vport = unsafe {
        bindings::ovs_vport_alloc(size_of::<T::Private>() as c_int, T::ops().0.get(), parms)
    };
    if let Some(e) = ptr_err(vport) {
        return e.to_ptr();
    }
    match T::create(&p) {
        // SAFETY: `ovs_vport_alloc` allocated the private area asked for, aligned to 8.
        Ok(v) => unsafe { private::<T>(vport).write(v) },
        Err(e) => {
            // SAFETY: Allocated above and not published anywhere.
            unsafe { bindings::ovs_vport_free(vport) };
            return e.to_ptr();
        }
    }
    // SAFETY: `vport` is ours, and a device of that name now exists. On failure this frees the
    // vport; the device then stays, as it does for the kernel's own VXLAN vports (another
    // task may already have deleted it, so it is not ours to touch).
    unsafe { bindings::ovs_netdev_link(vport, p.0.name) }
}

/// `vport_ops::get_options`: the UDP port, which `ovs-vswitchd` compares with its config.
///
/// # Safety
///
/// Called by the datapath only, with a vport of type `T` and a message being built.
unsafe extern "C" fn get_options_callback<T: PortType>(
    vport: *const bindings::vport,
    skb: *mut bindings::sk_buff,
) -> c_int {
    // SAFETY: A vport of type `T` has its private value in place (`create_callback`).
    let port = T::dst_port(unsafe { &*private::<T>(vport.cast_mut()) });
    // SAFETY: `skb` is the message being built, ours to append to during the call. The result
    // is 0 or `-EMSGSIZE`, as the datapath expects.
    unsafe {
        bindings::nla_put(
            skb,
            c_int::from(OVS_TUNNEL_ATTR_DST_PORT),
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
