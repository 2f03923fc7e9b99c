// SPDX-License-Identifier: GPL-2.0

//! Device kinds created through rtnetlink (`ip link add NAME type KIND`).
//!
//! A [`LinkDriver`] is the driver's private state of one device. The adapter here fills
//! `rtnl_link_ops` and `net_device_ops` with callbacks that reach the driver through safe
//! references, and manages the lifetime of the private state: it is initialised in place (pinned)
//! in the device's private area by `newlink`, before registration, and dropped by the device's
//! `priv_destructor`, once the core has released the last reference to the device.
//!
//! C header: [`include/net/rtnetlink.h`](srctree/include/net/rtnetlink.h).

use super::bindings;
use super::genl::{Net, Writer};
use super::netdev::{DeviceSetup, NetDevice, SkBuff};
use super::netlink::{Attrs, ExtAck};
use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::{from_result, to_result};
use kernel::prelude::*;
use kernel::types::Opaque;

/// The device private area is aligned to `NETDEV_ALIGN`.
const NETDEV_ALIGN: usize = 32;

/// Link attributes a [`LinkDriver`] reads from its request's table (linux/if_link.h): the
/// device address, and the kind's own attributes nested in `IFLA_LINKINFO`/`IFLA_INFO_DATA`.
pub(crate) const IFLA_ADDRESS: u32 = bindings::IFLA_ADDRESS;
pub(crate) const IFLA_LINKINFO: u32 = bindings::IFLA_LINKINFO;
pub(crate) const IFLA_INFO_DATA: u16 = bindings::IFLA_INFO_DATA as u16;

/// The attribute policy of a kind's `IFLA_INFO_DATA`, a static C table; see [`rtnl_policy!`].
///
/// # Invariants
///
/// `0` is null or points to a static `nla_policy` table that is never written.
#[derive(Clone, Copy)]
pub(crate) struct Policy(*const bindings::nla_policy);

impl Policy {
    /// No policy (a kind without attributes of its own).
    pub(crate) const NONE: Self = Self(core::ptr::null());

    /// Names the policy table `table`.
    ///
    /// # Safety
    ///
    /// `table` must point to a static, never written `nla_policy` table with an entry for every
    /// attribute type up to the kind's [`LinkDriver::MAXTYPE`].
    pub(crate) const unsafe fn new(table: *const bindings::nla_policy) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self(table)
    }
}

/// The [`Policy`] of the C table `bindings::$table`.
macro_rules! rtnl_policy {
    ($table:ident) => {{
        let table = core::ptr::addr_of!($crate::sys::bindings::$table).cast();
        // SAFETY: `table` is a constant table of `nl_tables.c`, sized by the kind's `MAXTYPE`.
        unsafe { $crate::sys::rtnl::Policy::new(table) }
    }};
}
pub(crate) use rtnl_policy;

/// A kind of Ethernet-type virtual device, and the private state of each device of that kind.
pub(crate) trait LinkDriver: Sized + Send + Sync + 'static {
    /// The rtnetlink kind (`ip link add ... type KIND`).
    const KIND: &'static CStr;

    /// Highest `IFLA_INFO_DATA` attribute type of this kind (0: none).
    const MAXTYPE: u32 = 0;

    /// The policy of the `IFLA_INFO_DATA` attributes, `MAXTYPE + 1` entries.
    const POLICY: Policy = Policy::NONE;

    /// The static operations table of this kind.
    fn link_ops() -> &'static LinkOps<Self>;

    /// Sets device fields before registration. Called for every new device.
    fn setup(dev: &mut DeviceSetup);

    /// Checks the request's attributes (`tb`: `IFLA_*`, `data`: `IFLA_INFO_DATA`).
    fn validate(tb: &Attrs<'_>, data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result;

    /// Applies a change request (`ip link set ... type KIND ...`), under RTNL.
    fn change_link(&self, dev: &NetDevice, data: &Attrs<'_>, extack: &mut ExtAck<'_>) -> Result;

    /// Writes the device's `IFLA_INFO_DATA` attributes.
    fn fill_info(&self, dev: &NetDevice, w: &mut Writer<'_>) -> Result;

    /// Upper bound of what [`LinkDriver::fill_info`] writes, in bytes.
    const INFO_SIZE: usize;

    /// The device goes up.
    fn open(&self, dev: &NetDevice) -> Result;

    /// The device goes down.
    fn stop(&self, dev: &NetDevice);

    /// Returns the initialiser of a new device's private state.
    fn new_link(
        dev: &NetDevice,
        data: &Attrs<'_>,
        extack: &mut ExtAck<'_>,
    ) -> Result<impl PinInit<Self, Error>>;

    /// Transmits (or drops) a frame. Called without locks, possibly on several CPUs at once.
    fn start_xmit(&self, dev: &NetDevice, skb: SkBuff);

    /// Periodic housekeeping, from a work item, while the device is registered. Returns the
    /// milliseconds until the next call.
    fn periodic(&self, dev: &NetDevice) -> u32;
}

/// What lives in the private area of a device of kind `T`: the driver's state, and the work
/// item that calls [`LinkDriver::periodic`] with the device it belongs to.
#[repr(C)]
struct Private<T> {
    work: Opaque<bindings::delayed_work>,
    dev: *mut bindings::net_device,
    inner: T,
}

/// The `rtnl_link_ops` of a [`LinkDriver`], to be placed in a `static`.
///
/// The core links registered ops into a list, so they need a fixed address and interior
/// mutability.
pub(crate) struct LinkOps<T> {
    ops: UnsafeCell<bindings::rtnl_link_ops>,
    _p: PhantomData<T>,
}

// SAFETY: After construction the table is only written by the rtnetlink core, under its own
// locking, while registered.
unsafe impl<T> Sync for LinkOps<T> {}

impl<T: LinkDriver> LinkOps<T> {
    /// Builds the table for `T`.
    pub(crate) const fn new() -> Self {
        const {
            assert!(core::mem::align_of::<Private<T>>() <= NETDEV_ALIGN);
        }
        // SAFETY: All-zero is a valid `rtnl_link_ops`: null pointers and `None` callbacks.
        let mut ops: bindings::rtnl_link_ops = unsafe { core::mem::zeroed() };
        ops.kind = T::KIND.as_ptr().cast();
        ops.priv_size = core::mem::size_of::<Private<T>>();
        ops.maxtype = T::MAXTYPE;
        ops.setup = Some(setup_callback::<T>);
        ops.validate = Some(validate_callback::<T>);
        ops.newlink = Some(newlink_callback::<T>);
        ops.changelink = Some(changelink_callback::<T>);
        ops.get_size = Some(get_size_callback::<T>);
        ops.fill_info = Some(fill_info_callback::<T>);
        if T::MAXTYPE > 0 {
            ops.policy = T::POLICY.0;
        }
        Self {
            ops: UnsafeCell::new(ops),
            _p: PhantomData,
        }
    }

    fn as_raw(&self) -> *mut bindings::rtnl_link_ops {
        self.ops.get()
    }
}

/// Returns the private state of `dev` if it is a device of kind `T`.
pub(crate) fn downcast<T: LinkDriver>(dev: &NetDevice) -> Option<&T> {
    // SAFETY: The device is valid; `rtnl_link_ops` is set before registration and never changed.
    let ops = unsafe { (*dev.as_raw()).rtnl_link_ops };
    if !core::ptr::eq(ops, T::link_ops().as_raw()) {
        return None;
    }
    // SAFETY: A device of kind `T` that others can find passed `newlink_callback`, which
    // initialised a `T` in the private area; it is dropped only when the device is freed, which
    // the caller's reference to the device (RCU or counted) prevents.
    Some(unsafe { driver::<T>(dev) })
}

/// The registration of a device kind with rtnetlink.
///
/// # Invariants
///
/// `T::link_ops()` is registered while this object exists.
pub(crate) struct Registration<T: LinkDriver>(PhantomData<T>);

impl<T: LinkDriver> Registration<T> {
    /// Registers the kind; `ip link add ... type KIND` works from then on.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: The ops are a `static` built by `LinkOps::new`, so they outlive the
        // registration; they are unregistered in `drop`.
        to_result(unsafe { bindings::rtnl_link_register(T::link_ops().as_raw()) })?;
        // INVARIANT: Registered just above.
        Ok(Self(PhantomData))
    }
}

impl<T: LinkDriver> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant). This deletes every device of the kind and waits
        // until their private state is dropped.
        unsafe { bindings::rtnl_link_unregister(T::link_ops().as_raw()) };
        // SAFETY: Plain FFI call; waits for RCU callbacks the devices may have queued.
        unsafe { bindings::rcu_barrier() };
    }
}

/// The `net_device_ops` of devices of kind `T`.
struct Adapter<T>(PhantomData<T>);

impl<T: LinkDriver> Adapter<T> {
    const NETDEV_OPS: bindings::net_device_ops = {
        // SAFETY: All-zero is a valid `net_device_ops`: every callback `None`.
        let mut ops: bindings::net_device_ops = unsafe { core::mem::zeroed() };
        ops.ndo_start_xmit = Some(start_xmit_callback::<T>);
        ops.ndo_uninit = Some(uninit_callback::<T>);
        ops.ndo_open = Some(open_callback::<T>);
        ops.ndo_stop = Some(stop_callback::<T>);
        ops.ndo_set_mac_address = Some(bindings::eth_mac_addr);
        ops.ndo_validate_addr = Some(bindings::eth_validate_addr);
        ops
    };
}

/// Private state of `dev`, a device of kind `T`.
///
/// # Safety
///
/// `dev` must be a device of kind `T` whose private state was initialised by `newlink_callback`
/// and not yet dropped.
unsafe fn driver<T: LinkDriver>(dev: &NetDevice) -> &T {
    // SAFETY: From the function's safety requirements.
    unsafe { &(*private::<T>(dev)).inner }
}

/// The private area of `dev`, a device of kind `T`.
fn private<T: LinkDriver>(dev: &NetDevice) -> *mut Private<T> {
    dev.priv_ptr().cast::<Private<T>>()
}

/// `rtnl_link_ops::setup`: prepares a freshly allocated device.
///
/// # Safety
///
/// Called by `alloc_netdev` only, with a device nobody else sees yet.
unsafe extern "C" fn setup_callback<T: LinkDriver>(dev: *mut bindings::net_device) {
    let Some(ptr) = NonNull::new(dev) else { return };
    // SAFETY: `alloc_netdev` calls `setup` with the new device before anyone else can see it.
    unsafe {
        bindings::ether_setup(dev);
        (*dev).netdev_ops = &Adapter::<T>::NETDEV_OPS;
        // The core frees the device after `priv_destructor` when the last reference goes.
        (*dev).needs_free_netdev = true;
        bindings::lisp_netdev_set_lltx(dev);
        bindings::lisp_netdev_set_tstats(dev);
        bindings::lisp_netdev_set_no_queue(dev);
        bindings::lisp_eth_hw_addr_random(dev);
    }
    // SAFETY: As above; `setup` lives only for this call.
    let mut setup = unsafe { DeviceSetup::from_raw(ptr) };
    T::setup(&mut setup);
}

/// `rtnl_link_ops::validate`.
///
/// # Safety
///
/// Called by rtnetlink only, with parsed attribute tables (`data` may be null) and its extack.
unsafe extern "C" fn validate_callback<T: LinkDriver>(
    tb: *mut *mut bindings::nlattr,
    data: *mut *mut bindings::nlattr,
    extack: *mut bindings::netlink_ext_ack,
) -> c_int {
    // SAFETY: rtnetlink passes `tb` parsed up to `IFLA_MAX`, `data` (or null) parsed up to our
    // `maxtype`, and its extack, all valid for the duration of the call.
    let (tb, data, mut extack) = unsafe {
        (
            Attrs::from_raw(tb, bindings::__IFLA_MAX - 1),
            Attrs::from_raw(data, T::MAXTYPE),
            ExtAck::from_raw(extack),
        )
    };
    from_result(|| T::validate(&tb, &data, &mut extack).map(|()| 0))
}

/// `rtnl_link_ops::newlink`: initialises the private state, then registers the device.
///
/// # Safety
///
/// Called by rtnetlink only, under RTNL, with an unregistered device allocated with our ops.
unsafe extern "C" fn newlink_callback<T: LinkDriver>(
    _src_net: *mut bindings::net,
    dev: *mut bindings::net_device,
    _tb: *mut *mut bindings::nlattr,
    data: *mut *mut bindings::nlattr,
    extack: *mut bindings::netlink_ext_ack,
) -> c_int {
    // SAFETY: rtnetlink passes a device allocated with our ops (so `setup_callback` ran), not yet
    // registered, plus the parsed request; all valid for the call, under RTNL.
    let (ndev, data, mut extack) = unsafe {
        (
            NetDevice::from_raw(dev),
            Attrs::from_raw(data, T::MAXTYPE),
            ExtAck::from_raw(extack),
        )
    };
    from_result(|| {
        let init = T::new_link(ndev, &data, &mut extack)?;
        // SAFETY: From the callback's contract: RTNL held, `dev` allocated with our ops and not
        // yet registered.
        unsafe { register::<T>(ndev, init) }.map(|()| 0)
    })
}

/// Initialises the private state of `ndev` with `init` and registers the device.
///
/// On failure the private state is dropped again; the device is left unregistered, for the
/// caller to free.
///
/// # Safety
///
/// The caller must hold RTNL, and `ndev` must be an unregistered device allocated with
/// `T::link_ops()` (so `setup_callback` ran) whose private state is not initialised.
unsafe fn register<T: LinkDriver>(ndev: &NetDevice, init: impl PinInit<T, Error>) -> Result {
    let dev = ndev.as_raw();
    let private = private::<T>(ndev);
    // SAFETY: The private area is `priv_size == size_of::<Private<T>>()` bytes, aligned to
    // `NETDEV_ALIGN >= align_of::<Private<T>>()` (checked in `LinkOps::new`), and
    // uninitialised. It never moves: the device is freed as a whole.
    let slot = unsafe { core::ptr::addr_of_mut!((*private).inner) };
    // SAFETY: As above.
    unsafe { init.__pinned_init(slot)? };
    // SAFETY: As above; the work item and its device are set before anything can queue it.
    unsafe {
        core::ptr::addr_of_mut!((*private).dev).write(dev);
        bindings::lisp_init_delayed_work(
            Opaque::raw_get(core::ptr::addr_of!((*private).work)),
            Some(work_callback::<T>),
        )
    };
    // SAFETY: `dev` is a valid, unregistered device and the caller holds RTNL.
    let ret = unsafe { bindings::register_netdevice(dev) };
    if ret < 0 {
        // SAFETY: Initialised above; the device will be freed without our destructor.
        unsafe { core::ptr::drop_in_place(slot) };
        return Err(Error::from_errno(ret));
    }
    // Only now: a failed `register_netdevice` would have called the destructor itself.
    // SAFETY: The caller holds RTNL; the device is registered and its state initialised.
    unsafe { (*dev).priv_destructor = Some(destructor_callback::<T>) };
    schedule::<T>(ndev, 1000);
    pr_debug!("{:?} device {} created\n", T::KIND, ndev.ifindex());
    Ok(())
}

/// Holds RTNL while it exists.
struct RtnlGuard(());

impl RtnlGuard {
    fn lock() -> Self {
        // SAFETY: Plain FFI call; the caller holds no lock RTNL nests inside.
        unsafe { bindings::rtnl_lock() };
        Self(())
    }
}

impl Drop for RtnlGuard {
    fn drop(&mut self) {
        // SAFETY: Taken in `lock`.
        unsafe { bindings::rtnl_unlock() };
    }
}

/// Creates a device of kind `T` named `name` in `net` for a kernel caller (rather than an
/// rtnetlink request), registers it and brings it up. `configure` adjusts the device before
/// registration; `init` initialises its private state.
///
/// Takes RTNL: the caller must not hold it. The device lives until deleted (by rtnetlink or
/// `rtnl_delete_link`); the returned pointer is valid until then.
pub(crate) fn create<T: LinkDriver>(
    net: Net<'_>,
    name: &CStr,
    configure: impl FnOnce(&mut DeviceSetup),
    init: impl PinInit<T, Error>,
) -> Result<NonNull<bindings::net_device>> {
    let _rtnl = RtnlGuard::lock();
    let mut tb = [core::ptr::null_mut::<bindings::nlattr>(); bindings::__IFLA_MAX as usize];
    // SAFETY: `net` is live and we hold RTNL; `tb` is an empty attribute table of `IFLA_MAX + 1`
    // entries and extack may be null. The ops are `T`'s static table.
    let dev = unsafe {
        bindings::rtnl_create_link(
            net.as_raw(),
            name.as_ptr().cast(),
            NET_NAME_USER,
            T::link_ops().as_raw(),
            tb.as_mut_ptr(),
            core::ptr::null_mut(),
        )
    };
    let dev = not_err(dev)?;
    // SAFETY: Allocated just above and not registered: nobody else sees it.
    configure(&mut unsafe { DeviceSetup::from_raw(dev) });
    // SAFETY: As above; the device stays alive until freed or deleted below.
    let ndev = unsafe { NetDevice::from_raw(dev.as_ptr()) };
    // SAFETY: We hold RTNL; the device was allocated with `T`'s ops and is unregistered.
    if let Err(e) = unsafe { register::<T>(ndev, init) } {
        // SAFETY: Never registered, so still ours alone.
        unsafe { bindings::free_netdev(dev.as_ptr()) };
        return Err(e);
    }
    // SAFETY: We hold RTNL; the device is registered.
    let flags = unsafe { (*dev.as_ptr()).flags } | bindings::net_device_flags_IFF_UP;
    // SAFETY: As above.
    let ret = unsafe { bindings::dev_change_flags(dev.as_ptr(), flags, core::ptr::null_mut()) };
    if ret < 0 {
        // SAFETY: As above; deleting frees the device once its last reference goes.
        unsafe { bindings::rtnl_delete_link(dev.as_ptr(), 0, core::ptr::null()) };
        return Err(Error::from_errno(ret));
    }
    Ok(dev)
}

/// `NET_NAME_USER` (include/linux/netdevice.h): the name was chosen by userspace.
const NET_NAME_USER: u8 = 3;

/// Converts a pointer that may be an `ERR_PTR` into a result.
fn not_err<T>(p: *mut T) -> Result<NonNull<T>> {
    // SAFETY: Plain pointer classification.
    if unsafe { bindings::lisp_is_err(p.cast()) } {
        // CAST: An `ERR_PTR` is a negative errno in pointer form.
        Err(Error::from_errno(p as isize as c_int))
    } else {
        NonNull::new(p).ok_or(ENOMEM)
    }
}

/// `net_device::priv_destructor`: drops the private state.
///
/// # Safety
///
/// Called by the core only, once, when the last reference to the device is gone.
unsafe extern "C" fn destructor_callback<T: LinkDriver>(dev: *mut bindings::net_device) {
    // SAFETY: The core calls `priv_destructor` once, when the last reference to the device is
    // gone, just before freeing it.
    let ndev = unsafe { NetDevice::from_raw(dev) };
    pr_debug!("{:?} device {} destroyed\n", T::KIND, ndev.ifindex());
    // SAFETY: Set only once `newlink_callback` initialised the state; nothing uses it any more
    // (the work item was cancelled by `uninit_callback` when the device was unregistered).
    unsafe { core::ptr::drop_in_place(core::ptr::addr_of_mut!((*private::<T>(ndev)).inner)) };
}

/// Queues the device's periodic work to run in `ms` milliseconds.
fn schedule<T: LinkDriver>(dev: &NetDevice, ms: u32) {
    // SAFETY: Plain conversion.
    let delay = unsafe { bindings::lisp_msecs_to_jiffies(ms) };
    // SAFETY: The work item of a registered device of kind `T` is initialised; it is cancelled
    // (and cannot requeue) before the private state goes away.
    unsafe {
        bindings::lisp_schedule_delayed_work(
            Opaque::raw_get(core::ptr::addr_of!((*private::<T>(dev)).work)),
            delay,
        )
    };
}

/// `ndo_uninit`: stops the periodic work as the device unregisters.
///
/// # Safety
///
/// Called by the core only, under RTNL, for a device of kind `T` that went through `newlink`.
unsafe extern "C" fn uninit_callback<T: LinkDriver>(dev: *mut bindings::net_device) {
    // SAFETY: The core passes a valid device of our kind.
    let ndev = unsafe { NetDevice::from_raw(dev) };
    // SAFETY: The work item was initialised in `newlink_callback`, before registration, so
    // before any call of this callback. Cancelling also stops it from requeueing itself.
    unsafe {
        bindings::cancel_delayed_work_sync(Opaque::raw_get(core::ptr::addr_of!(
            (*private::<T>(ndev)).work
        )))
    };
}

/// The periodic work item of a device of kind `T`.
///
/// # Safety
///
/// Called by the workqueue only, for a work item initialised by `newlink_callback`.
unsafe extern "C" fn work_callback<T: LinkDriver>(work: *mut bindings::work_struct) {
    // CAST: `work` is the first field of a `delayed_work`, the first field of `Private<T>`
    // (`#[repr(C)]`), which is the device's private area.
    let private = work.cast::<Private<T>>();
    // SAFETY: The private area belongs to a device that is still registered: unregistering
    // cancels this work and waits for it (`uninit_callback`). `dev` was set before the work
    // was first queued.
    let dev = unsafe { NetDevice::from_raw((*private).dev) };
    // SAFETY: As above; the state was initialised before the work was first queued.
    let next = unsafe { &(*private).inner }.periodic(dev);
    if next > 0 {
        schedule::<T>(dev, next);
    }
}

/// `ndo_start_xmit`.
///
/// # Safety
///
/// Called by the core only, with a registered device of kind `T` and an owned buffer.
unsafe extern "C" fn start_xmit_callback<T: LinkDriver>(
    skb: *mut bindings::sk_buff,
    dev: *mut bindings::net_device,
) -> bindings::netdev_tx_t {
    // SAFETY: The core calls `ndo_start_xmit` with a registered device of our kind.
    let ndev = unsafe { NetDevice::from_raw(dev) };
    if let Some(skb) = NonNull::new(skb) {
        // SAFETY: The core hands its reference to the buffer over to the driver.
        let skb = unsafe { SkBuff::from_raw(skb) };
        // SAFETY: A registered device of kind `T` has its private state initialised.
        unsafe { driver::<T>(ndev) }.start_xmit(ndev, skb);
    }
    bindings::netdev_tx_NETDEV_TX_OK
}

/// `rtnl_link_ops::changelink`.
///
/// # Safety
///
/// Called by rtnetlink only, under RTNL, with a registered device of kind `T`.
unsafe extern "C" fn changelink_callback<T: LinkDriver>(
    dev: *mut bindings::net_device,
    _tb: *mut *mut bindings::nlattr,
    data: *mut *mut bindings::nlattr,
    extack: *mut bindings::netlink_ext_ack,
) -> c_int {
    // SAFETY: rtnetlink passes a registered device of our kind, `data` parsed up to our
    // `maxtype` (or null) and its extack, valid for the call.
    let (ndev, data, mut extack) = unsafe {
        (
            NetDevice::from_raw(dev),
            Attrs::from_raw(data, T::MAXTYPE),
            ExtAck::from_raw(extack),
        )
    };
    // SAFETY: A registered device of kind `T` has its private state initialised.
    let this = unsafe { driver::<T>(ndev) };
    from_result(|| this.change_link(ndev, &data, &mut extack).map(|()| 0))
}

/// `rtnl_link_ops::get_size`.
///
/// # Safety
///
/// Called by rtnetlink only.
unsafe extern "C" fn get_size_callback<T: LinkDriver>(_dev: *const bindings::net_device) -> usize {
    T::INFO_SIZE
}

/// `rtnl_link_ops::fill_info`.
///
/// # Safety
///
/// Called by rtnetlink only, with a message being built and a registered device of kind `T`.
unsafe extern "C" fn fill_info_callback<T: LinkDriver>(
    skb: *mut bindings::sk_buff,
    dev: *const bindings::net_device,
) -> c_int {
    // SAFETY: rtnetlink passes a registered device of our kind, alive for the call.
    let ndev = unsafe { NetDevice::from_raw(dev.cast_mut()) };
    // SAFETY: `skb` is the message rtnetlink is building, ours to append to during the call.
    let mut w = unsafe { Writer::from_raw(skb) };
    // SAFETY: A registered device of kind `T` has its private state initialised.
    let this = unsafe { driver::<T>(ndev) };
    from_result(|| this.fill_info(ndev, &mut w).map(|()| 0))
}

/// `ndo_open`.
///
/// # Safety
///
/// Called by the core only, under RTNL, with a registered device of kind `T`.
unsafe extern "C" fn open_callback<T: LinkDriver>(dev: *mut bindings::net_device) -> c_int {
    // SAFETY: The core passes a registered device of our kind.
    let ndev = unsafe { NetDevice::from_raw(dev) };
    // SAFETY: A registered device of kind `T` has its private state initialised.
    let this = unsafe { driver::<T>(ndev) };
    from_result(|| this.open(ndev).map(|()| 0))
}

/// `ndo_stop`.
///
/// # Safety
///
/// Called by the core only, under RTNL, with a registered device of kind `T`.
unsafe extern "C" fn stop_callback<T: LinkDriver>(dev: *mut bindings::net_device) -> c_int {
    // SAFETY: The core passes a registered device of our kind.
    let ndev = unsafe { NetDevice::from_raw(dev) };
    // SAFETY: A registered device of kind `T` has its private state initialised.
    unsafe { driver::<T>(ndev) }.stop(ndev);
    0
}
