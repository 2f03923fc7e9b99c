// SPDX-License-Identifier: GPL-2.0

//! Network devices and socket buffers.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h).

use super::bindings;
use core::ptr::NonNull;
use kernel::types::Opaque;

/// A registered (or registering) network device, `struct net_device`.
///
/// # Invariants
///
/// A `&NetDevice` is only made from a pointer to a live `net_device`, valid for the lifetime of
/// the reference.
#[repr(transparent)]
pub(crate) struct NetDevice(Opaque<bindings::net_device>);

impl NetDevice {
    /// Borrows a `net_device`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live `net_device` that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::net_device) -> &'a Self {
        // SAFETY: `NetDevice` is a transparent wrapper of `net_device`; the caller guarantees the
        // pointer is valid for `'a`.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The raw pointer, for FFI calls.
    pub(crate) fn as_raw(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// The interface index (0 before registration).
    pub(crate) fn ifindex(&self) -> i32 {
        // SAFETY: The device is valid (type invariant); `ifindex` is written once, under RTNL,
        // when the device registers.
        unsafe { (*self.as_raw()).ifindex }
    }

    /// Counts a transmit drop in the device's core statistics (`ip -s link`: "TX dropped").
    pub(crate) fn tx_dropped_inc(&self) {
        // SAFETY: The device is valid (type invariant); the counter is per-CPU and lock-free.
        unsafe { bindings::lisp_dev_core_stats_tx_dropped_inc(self.as_raw()) }
    }

    /// The device's private area, where the driver keeps its state.
    pub(crate) fn priv_ptr(&self) -> *mut u8 {
        // SAFETY: The device is valid (type invariant).
        unsafe { bindings::lisp_netdev_priv(self.as_raw()) }.cast()
    }
}

/// A device being set up by `alloc_netdev`, before it is registered.
///
/// # Invariants
///
/// `0` points to a `net_device` under construction that nothing else accesses yet.
pub(crate) struct DeviceSetup(NonNull<bindings::net_device>);

impl DeviceSetup {
    /// Wraps a device inside its `setup` callback.
    ///
    /// # Safety
    ///
    /// `dev` must be the device passed to an `rtnl_link_ops::setup` callback, which runs before
    /// the device is visible to anyone else, and the object must not outlive that callback.
    pub(crate) unsafe fn from_raw(dev: NonNull<bindings::net_device>) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self(dev)
    }

    fn raw(&mut self) -> &mut bindings::net_device {
        // SAFETY: The device is exclusively ours during setup (type invariant).
        unsafe { self.0.as_mut() }
    }

    /// Sets the MTU and the range `ip link set mtu` accepts (the core rejects values outside it).
    pub(crate) fn set_mtu(&mut self, mtu: u32, min: u32, max: u32) {
        let dev = self.raw();
        dev.mtu = mtu;
        dev.min_mtu = min;
        dev.max_mtu = max;
    }

    /// Marks the device as one that cannot change network namespace.
    pub(crate) fn set_netns_immutable(&mut self) {
        // SAFETY: The device is exclusively ours during setup (type invariant).
        unsafe { bindings::lisp_netdev_set_netns_immutable(self.0.as_ptr()) }
    }

    /// Reserves `len` bytes of headroom in front of the frames handed to the device.
    pub(crate) fn set_needed_headroom(&mut self, len: u16) {
        self.raw().needed_headroom = len;
    }
}

/// Why a packet was dropped, reported to `kfree_skb` tracing (`drop_monitor`, `perf`).
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum DropReason {
    /// No more specific reason applies.
    NotSpecified = bindings::skb_drop_reason_SKB_DROP_REASON_NOT_SPECIFIED,
}

/// An owned socket buffer, `struct sk_buff`.
///
/// # Invariants
///
/// `0` points to a valid `sk_buff` of which this object owns one reference.
pub(crate) struct SkBuff(NonNull<bindings::sk_buff>);

impl SkBuff {
    /// Takes ownership of a socket buffer.
    ///
    /// # Safety
    ///
    /// `skb` must be valid, and the caller must hand its reference over to the new object.
    pub(crate) unsafe fn from_raw(skb: NonNull<bindings::sk_buff>) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self(skb)
    }

    /// Frees the buffer, recording why it was dropped.
    pub(crate) fn drop_reason(self, reason: DropReason) {
        let skb = self.0;
        core::mem::forget(self);
        // SAFETY: We own a reference to `skb` (type invariant) and give it up here; `forget`
        // above keeps `Drop` from freeing it a second time.
        unsafe { bindings::lisp_kfree_skb_reason(skb.as_ptr(), reason as u32) }
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: We own a reference to the buffer (type invariant).
        unsafe { bindings::lisp_kfree_skb_reason(self.0.as_ptr(), DropReason::NotSpecified as u32) }
    }
}
