// SPDX-License-Identifier: GPL-2.0

//! Network devices and socket buffers.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h).

use super::bindings;
use super::genl::Net;
use super::rcu::ReadGuard;
use core::ffi::CStr;
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

    /// Counts a receive drop in the device's core statistics ("RX dropped").
    pub(crate) fn rx_dropped_inc(&self) {
        // SAFETY: The device is valid (type invariant); the counter is per-CPU and lock-free.
        unsafe { bindings::lisp_dev_core_stats_rx_dropped_inc(self.as_raw()) }
    }

    /// Whether the device is a port of a Linux bridge or an Open vSwitch datapath.
    pub(crate) fn is_bridge_port(&self) -> bool {
        // SAFETY: The device is valid (type invariant); the call only reads its flags.
        unsafe { bindings::lisp_netif_is_any_bridge_port(self.as_raw()) }
    }

    /// Whether the device carries bare IP packets (`ARPHRD_NONE`) rather than Ethernet frames.
    pub(crate) fn is_raw_ip(&self) -> bool {
        // SAFETY: The device is valid (type invariant); `type` is set before registration and
        // never changed afterwards.
        u32::from(unsafe { (*self.as_raw()).type_ }) == bindings::ARPHRD_NONE
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
    /// Wraps a device inside its `setup` callback, or between its allocation and registration.
    ///
    /// # Safety
    ///
    /// `dev` must be a device nobody else sees yet: the one passed to an `rtnl_link_ops::setup`
    /// callback, or one allocated by the caller and not yet registered. The object must not
    /// outlive that state.
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

    /// Marks the device as one that needs no neighbour resolution (`IFF_NOARP`).
    pub(crate) fn set_noarp(&mut self) {
        self.raw().flags |= bindings::net_device_flags_IFF_NOARP;
    }

    /// Keeps the route (`skb_dst`) of packets handed to the device: a tunnel records path MTUs
    /// on it and reads tunnel metadata from it.
    pub(crate) fn keep_dst(&mut self) {
        // SAFETY: The device is exclusively ours during setup (type invariant).
        unsafe { bindings::lisp_netif_keep_dst(self.0.as_ptr()) }
    }

    /// Marks the device as one that cannot change network namespace.
    pub(crate) fn set_netns_immutable(&mut self) {
        // SAFETY: The device is exclusively ours during setup (type invariant).
        unsafe { bindings::lisp_netdev_set_netns_immutable(self.0.as_ptr()) }
    }

    /// Advertises the offloads a UDP tunnel can keep (scatter-gather, checksums, GSO), so that
    /// large packets reach the device unsegmented and leave as UDP-tunnel GSO packets.
    pub(crate) fn set_tunnel_features(&mut self) {
        // SAFETY: Plain read of a constant.
        let f = unsafe { bindings::lisp_tunnel_features() };
        let dev = self.raw();
        dev.features |= f;
        dev.hw_features |= f;
    }

    /// Makes the device a raw IP one (`ARPHRD_NONE`, no link-layer header or address, point to
    /// point), as the Open vSwitch datapath expects of a layer-3 tunnel port: it hands such a
    /// port bare IP packets (after a `pop_eth` action) and drops them on an Ethernet device.
    pub(crate) fn set_raw_ip(&mut self) {
        let dev = self.raw();
        dev.header_ops = core::ptr::null();
        dev.type_ = bindings::ARPHRD_NONE as u16;
        dev.hard_header_len = 0;
        dev.addr_len = 0;
        dev.flags =
            bindings::net_device_flags_IFF_POINTOPOINT | bindings::net_device_flags_IFF_NOARP;
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
    /// Nowhere to send it: no map-cache entry, a negative one, or no tunnel metadata.
    NoTxTarget = bindings::skb_drop_reason_SKB_DROP_REASON_NO_TX_TARGET,
    /// Not a protocol the device carries (transmit: not IPv4/IPv6; receive: inner version).
    UnhandledProto = bindings::skb_drop_reason_SKB_DROP_REASON_UNHANDLED_PROTO,
    /// No route to the locator.
    IpOutNoRoutes = bindings::skb_drop_reason_SKB_DROP_REASON_IP_OUTNOROUTES,
    /// Out of memory (headroom, metadata).
    NoMem = bindings::skb_drop_reason_SKB_DROP_REASON_NOMEM,
    /// Headers shorter than they must be.
    HdrTrunc = bindings::skb_drop_reason_SKB_DROP_REASON_HDR_TRUNC,
    /// A malformed encapsulation header.
    InvalidProto = bindings::skb_drop_reason_SKB_DROP_REASON_INVALID_PROTO,
    /// For an instance ID no device here serves.
    OtherHost = bindings::skb_drop_reason_SKB_DROP_REASON_OTHERHOST,
    /// Outer and inner ECN contradict each other (RFC 6040).
    IpTunnelEcn = bindings::skb_drop_reason_SKB_DROP_REASON_IP_TUNNEL_ECN,
    /// Tunnel metadata unusable for transmit.
    TunnelTxInfo = bindings::skb_drop_reason_SKB_DROP_REASON_TUNNEL_TXINFO,
    /// The source address failed a check (the source check of decapsulated packets).
    IpRpFilter = bindings::skb_drop_reason_SKB_DROP_REASON_IP_RPFILTER,
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

impl NetDevice {
    /// A copy of the device's name, NUL-terminated (it may change at any time under RTNL).
    pub(crate) fn name(&self) -> [u8; 16] {
        // SAFETY: The device is valid (type invariant). The name is a fixed array that renames
        // rewrite in place; a racing rename yields an old or new name, always NUL-terminated
        // within the array because `dev_change_name` writes a terminated string.
        let mut name =
            unsafe { core::ptr::read_volatile(core::ptr::addr_of!((*self.as_raw()).name)) };
        name[15] = 0;
        name
    }

    /// The namespace the device lives in.
    pub(crate) fn net(&self) -> Option<Net<'_>> {
        // SAFETY: The device is valid (type invariant), and a device holds its namespace.
        unsafe { Net::from_raw(bindings::lisp_dev_net(self.as_raw())) }
    }
}

/// A counted reference to a network device, which keeps it (and its private state) allocated.
///
/// # Invariants
///
/// `0` points to a device on which this object holds one reference (`dev_hold`).
pub(crate) struct DeviceRef(NonNull<bindings::net_device>);

// SAFETY: Device references may be dropped from any thread.
unsafe impl Send for DeviceRef {}
// SAFETY: `&NetDevice` methods are safe to call concurrently.
unsafe impl Sync for DeviceRef {}

impl DeviceRef {
    /// Takes a reference to `dev`.
    pub(crate) fn new(dev: &NetDevice) -> Self {
        // SAFETY: The device is valid for the duration of the borrow; the reference taken keeps
        // it so afterwards.
        unsafe { bindings::lisp_dev_hold(dev.as_raw()) };
        // INVARIANT: Held just above.
        Self(NonNull::from(dev).cast())
    }

    /// Whether the reference is to `dev`.
    pub(crate) fn is(&self, dev: &NetDevice) -> bool {
        core::ptr::eq(self.0.as_ptr(), dev.as_raw())
    }

    /// Looks a device up by interface index in `net`.
    pub(crate) fn by_index(net: Net<'_>, ifindex: i32) -> Option<Self> {
        // SAFETY: `net` is live; the call returns a held device or null.
        let dev = unsafe { bindings::dev_get_by_index(net.as_raw(), ifindex) };
        // INVARIANT: `dev_get_by_index` took the reference.
        NonNull::new(dev).map(Self)
    }

    /// Looks a device up by name in `net`.
    pub(crate) fn by_name(net: Net<'_>, name: &CStr) -> Option<Self> {
        // SAFETY: `net` is live and `name` NUL-terminated; the call returns a held device or null.
        let dev = unsafe { bindings::dev_get_by_name(net.as_raw(), name.as_ptr().cast()) };
        // INVARIANT: `dev_get_by_name` took the reference.
        NonNull::new(dev).map(Self)
    }
}

impl core::ops::Deref for DeviceRef {
    type Target = NetDevice;

    fn deref(&self) -> &NetDevice {
        // SAFETY: We hold a reference, so the device is alive as long as `self` (type invariant).
        unsafe { NetDevice::from_raw(self.0.as_ptr()) }
    }
}

impl Clone for DeviceRef {
    fn clone(&self) -> Self {
        Self::new(self)
    }
}

impl Drop for DeviceRef {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant) and give it back.
        unsafe { bindings::lisp_dev_put(self.0.as_ptr()) };
    }
}

/// Calls `f` on the devices of `net` with an interface index of at least `*next`, in index order,
/// until `f` returns `false`; `*next` is then the index to resume from.
pub(crate) fn for_each_rcu(
    net: Net<'_>,
    _guard: &ReadGuard,
    next: &mut usize,
    mut f: impl FnMut(&NetDevice) -> bool,
) {
    loop {
        let mut index = *next;
        // SAFETY: `net` is live; the RCU read lock (`_guard`) keeps the devices found alive.
        let dev = unsafe { bindings::lisp_next_netdev_rcu(net.as_raw(), &mut index) };
        if dev.is_null() {
            return;
        }
        *next = index;
        // SAFETY: Found under the RCU read lock, so valid until `_guard` is dropped.
        if !f(unsafe { NetDevice::from_raw(dev) }) {
            return;
        }
        *next = index + 1;
    }
}

/// The current time in jiffies.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: Plain read of the jiffies counter.
    unsafe { bindings::lisp_jiffies() as u64 }
}

/// The `miss_rate` module parameter: cache-miss notifications per second and device.
pub(crate) fn miss_rate() -> u32 {
    // SAFETY: A plain (READ_ONCE) read of a module parameter.
    unsafe { bindings::lisp_miss_rate() }
}

/// `secs` seconds in jiffies.
pub(crate) fn secs_to_jiffies(secs: u32) -> u64 {
    // SAFETY: Plain conversion.
    unsafe { bindings::lisp_msecs_to_jiffies(secs.saturating_mul(1000)) as u64 }
}

/// Seconds of monotonic time (`ktime_get_seconds`), for expiry times.
pub(crate) fn seconds() -> u32 {
    // SAFETY: Plain read of the clock.
    let s = unsafe { bindings::ktime_get_seconds() };
    u32::try_from(s).unwrap_or(u32::MAX)
}

impl SkBuff {
    /// The linear part of the buffer (`skb->data`, `skb_headlen` bytes).
    pub(crate) fn linear(&self) -> &[u8] {
        // SAFETY: We own the buffer (type invariant); its linear data is valid for reads for
        // `len - data_len` bytes while we hold it.
        unsafe {
            let skb = self.0.as_ptr();
            let len = (*skb).len - (*skb).data_len;
            core::slice::from_raw_parts((*skb).data, len as usize)
        }
    }
}

impl SkBuff {
    /// The raw pointer, for FFI calls that do not take ownership.
    pub(crate) fn as_raw_ptr(&self) -> *mut bindings::sk_buff {
        self.0.as_ptr()
    }

    /// Gives up ownership of the buffer.
    pub(crate) fn into_raw(self) -> NonNull<bindings::sk_buff> {
        let p = self.0;
        core::mem::forget(self);
        p
    }

    /// Makes the first `len` bytes linear; `false` if the buffer is shorter.
    pub(crate) fn may_pull(&mut self, len: usize) -> bool {
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        // SAFETY: We own the buffer (type invariant).
        unsafe { bindings::lisp_pskb_may_pull(self.0.as_ptr(), len) }
    }

    /// Removes `len` bytes from the front (`skb_pull`) and makes the network header start there.
    pub(crate) fn pull_to_network(&mut self, len: usize) -> bool {
        if !self.may_pull(len) {
            return false;
        }
        let pulled = self.pull(len);
        self.reset_network_header();
        pulled
    }

    /// The first `len` bytes from `skb->data`, made writable (unshared); `None` if too short.
    pub(crate) fn writable_network(&mut self, len: usize) -> Option<&mut [u8]> {
        let l = u32::try_from(len).ok()?;
        // SAFETY: We own the buffer (type invariant).
        if unsafe { bindings::skb_ensure_writable(self.0.as_ptr(), l) } != 0 {
            return None;
        }
        // SAFETY: `skb_ensure_writable` made `len` bytes from `data` linear and private to us.
        Some(unsafe { core::slice::from_raw_parts_mut((*self.0.as_ptr()).data, len) })
    }

    /// The bytes from `skb->data` to the end of the packet (`skb->len`), linear or not.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: We own the buffer (type invariant).
        unsafe { bindings::lisp_skb_len(self.0.as_ptr()) as usize }
    }

    /// `skb->protocol`, in host byte order.
    pub(crate) fn protocol(&self) -> u16 {
        // SAFETY: We own the buffer (type invariant).
        u16::from_be(unsafe { bindings::lisp_skb_protocol(self.0.as_ptr()) })
    }

    /// The TTL or hop limit of the outer IP header (the network header on receive).
    pub(crate) fn outer_ttl(&self, v6: bool) -> Option<u8> {
        // SAFETY: On receive the IP layer has pulled and validated the outer header, which the
        // network header points to; TTL/hop limit lie within its first 20 bytes.
        Some(unsafe {
            *bindings::lisp_skb_network_header(self.0.as_ptr()).add(if v6 { 7 } else { 8 })
        })
    }

    /// The source address of the outer IP header (the network header on receive): 4 bytes
    /// for IPv4, 16 for IPv6.
    pub(crate) fn outer_saddr(&self, v6: bool) -> &[u8] {
        let (off, len) = if v6 { (8, 16) } else { (12, 4) };
        // SAFETY: On receive the IP layer has pulled and validated the outer header, which the
        // network header points to: the source address lies within its linear 20 or 40 bytes,
        // valid while we hold the buffer.
        unsafe {
            core::slice::from_raw_parts(
                bindings::lisp_skb_network_header(self.0.as_ptr()).add(off),
                len,
            )
        }
    }

    /// The flow hash of the packet (computed once, then cached in the buffer).
    pub(crate) fn hash(&mut self) -> u32 {
        // SAFETY: We own the buffer (type invariant).
        unsafe { bindings::lisp_skb_get_hash(self.0.as_ptr()) }
    }
}

/// A random 32-bit number (for nonces).
pub(crate) fn random_u32() -> u32 {
    // SAFETY: Plain FFI call.
    unsafe { bindings::get_random_u32() }
}
