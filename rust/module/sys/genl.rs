// SPDX-License-Identifier: GPL-2.0

//! Generic netlink: the registration of a family, the requests its handlers get, and the
//! messages they build (replies, dump parts, multicast events).
//!
//! A family, its policies and its operations are static C tables (`nl_tables.c`), which the
//! driver names once with [`genl_family!`]; the handlers they name are exported from Rust with
//! [`export_doit!`] and [`export_dumpit!`]. Requests and dumps find their family (and its
//! attribute count) in what genetlink hands them.
//!
//! C header: [`include/net/genetlink.h`](srctree/include/net/genetlink.h).

use super::bindings;
use super::errno::EMSGSIZE;
use super::netlink::{AttrIter, Attrs, ExtAck};
use core::ffi::{c_void, CStr};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::to_result;
use kernel::prelude::*;

/// Request flags a handler reads from [`Request::flags`] (linux/netlink.h).
pub(crate) const NLM_F_REPLACE: u16 = bindings::NLM_F_REPLACE as u16;
pub(crate) const NLM_F_EXCL: u16 = bindings::NLM_F_EXCL as u16;

/// A network namespace, borrowed for the duration of a request.
///
/// # Invariants
///
/// `0` points to a live `struct net` for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a>(NonNull<bindings::net>, PhantomData<&'a bindings::net>);

impl Net<'_> {
    /// Wraps a namespace pointer.
    ///
    /// # Safety
    ///
    /// `net` must point to a live namespace for the returned lifetime.
    pub(crate) unsafe fn from_raw<'a>(net: *mut bindings::net) -> Option<Net<'a>> {
        // INVARIANT: From the function's safety requirements.
        NonNull::new(net).map(|p| Net(p, PhantomData))
    }

    /// The raw pointer, for FFI calls.
    pub(crate) fn as_raw(&self) -> *mut bindings::net {
        self.0.as_ptr()
    }
}

/// A generic netlink family defined by a static C table; see [`genl_family!`].
///
/// # Invariants
///
/// `table` points to a static `genl_family` that only genetlink changes; `events` is the index
/// of one of its multicast groups.
pub(crate) struct Family {
    table: *mut bindings::genl_family,
    events: u32,
}

// SAFETY: The table is only handed to genetlink, which serialises its own changes to it.
unsafe impl Sync for Family {}

impl Family {
    /// Names the family table `table`, whose multicast group `events` gets the events.
    ///
    /// # Safety
    ///
    /// `table` must point to a static `genl_family` that nothing but genetlink changes, and
    /// `events` be the index of one of its multicast groups.
    pub(crate) const unsafe fn new(table: *mut bindings::genl_family, events: u32) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self { table, events }
    }
}

/// Declares `static $name: Family` for the C table `bindings::$table`, whose events go to the
/// multicast group with index `$events`.
macro_rules! genl_family {
    ($vis:vis static $name:ident = $table:ident, events: $events:expr) => {
        $vis static $name: $crate::sys::genl::Family = {
            let table = core::ptr::addr_of_mut!($crate::sys::bindings::$table);
            let events: u32 = $events;
            // SAFETY: `table` is a static table of `nl_tables.c`, changed only by genetlink, and
            // `events` one of its groups (both checked by the family's registration and
            // selftests).
            unsafe { $crate::sys::genl::Family::new(table, events) }
        };
    };
}
pub(crate) use genl_family;

/// The registration of a generic netlink family.
///
/// # Invariants
///
/// `family` is registered while this object exists.
pub(crate) struct Registration {
    family: &'static Family,
}

impl Registration {
    /// Registers `family`; its operations may run from then on.
    pub(crate) fn new(family: &'static Family) -> Result<Self> {
        // SAFETY: The family is a static table, only ever passed to genetlink (type invariant
        // of `Family`).
        to_result(unsafe { bindings::genl_register_family(family.table) })?;
        // INVARIANT: Registered just above.
        Ok(Self { family })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered (type invariant). Waits for running operations to finish.
        unsafe { bindings::genl_unregister_family(self.family.table) };
    }
}

/// A `doit` request: its parsed attributes, its sender, where errors go.
///
/// # Invariants
///
/// `info` points to the request's `genl_info`, valid for `'a`.
pub(crate) struct Request<'a> {
    info: NonNull<bindings::genl_info>,
    _p: PhantomData<&'a bindings::genl_info>,
}

impl<'a> Request<'a> {
    /// Wraps the `info` argument of a `doit` handler.
    ///
    /// # Safety
    ///
    /// `info` must be the argument of a running `doit` handler of the family, and the object must
    /// not outlive the handler.
    pub(crate) unsafe fn from_raw(info: NonNull<bindings::genl_info>) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self {
            info,
            _p: PhantomData,
        }
    }

    fn info(&self) -> &'a bindings::genl_info {
        // SAFETY: Valid for `'a` (type invariant).
        unsafe { &*self.info.as_ptr() }
    }

    /// The top-level attributes, validated against the family policy.
    pub(crate) fn attrs(&self) -> Attrs<'a> {
        let info = self.info();
        // SAFETY: The request's family is a registered table, alive while its handlers run.
        let max = unsafe { (*info.family).maxattr };
        // SAFETY: genetlink parsed the request into `attrs`, `maxattr + 1` entries, valid for
        // the handler's duration.
        unsafe { Attrs::from_raw(info.attrs, max) }
    }

    /// Every top-level attribute of the request in order, repeated ones included.
    pub(crate) fn attr_stream(&self) -> AttrIter<'a> {
        const NLMSG_HDRLEN: usize = 16;
        const GENL_HDRLEN: usize = 4;
        let info = self.info();
        // SAFETY: `nlhdr` heads the request, `nlmsg_len` bytes long and already validated.
        let len = unsafe { (*info.nlhdr).nlmsg_len } as usize;
        let payload = len.saturating_sub(NLMSG_HDRLEN + GENL_HDRLEN);
        // SAFETY: The attributes follow the genetlink header (the family has no user header)
        // and fill the rest of the request.
        let data = unsafe {
            core::slice::from_raw_parts(info.genlhdr.cast::<u8>().add(GENL_HDRLEN), payload)
        };
        AttrIter::new(data)
    }

    /// Where error messages for the sender go.
    pub(crate) fn extack(&self) -> ExtAck<'a> {
        // SAFETY: The request's extack lives as long as the request; handlers run one at a time
        // per request.
        unsafe { ExtAck::from_raw(self.info().extack) }
    }

    /// The sender's network namespace.
    pub(crate) fn net(&self) -> Result<Net<'a>> {
        // SAFETY: The request is valid (type invariant).
        let net = unsafe { bindings::lisp_genl_info_net(self.info.as_ptr()) };
        // SAFETY: The sender's namespace outlives its request.
        unsafe { Net::from_raw(net) }.ok_or(EINVAL)
    }

    /// The request's `nlmsg_flags` (`NLM_F_EXCL`, `NLM_F_REPLACE`, ...).
    pub(crate) fn nlmsg_flags(&self) -> u16 {
        // SAFETY: `nlhdr` points into the request (type invariant).
        unsafe { (*self.info().nlhdr).nlmsg_flags }
    }

    /// Starts a reply to this request with command `cmd`.
    pub(crate) fn reply(&self, cmd: u8) -> Result<Msg> {
        let info = self.info();
        Msg::new(info.family, info.snd_portid, info.snd_seq, cmd, false)
    }

    /// Sends a reply built with [`Request::reply`].
    pub(crate) fn send(&self, msg: Msg) -> Result {
        let skb = msg.finish();
        // SAFETY: `skb` is a finished message we own, handed over to genetlink.
        to_result(unsafe { bindings::lisp_genlmsg_reply(skb, self.info.as_ptr()) })
    }
}

/// Appends attributes to a message.
///
/// # Invariants
///
/// `skb` points to a message buffer that may be appended to for `'a`.
pub(crate) struct Writer<'a> {
    skb: *mut bindings::sk_buff,
    _p: PhantomData<&'a mut bindings::sk_buff>,
}

impl Writer<'_> {
    /// Appends to a netlink message being built by the core (e.g. rtnetlink's `fill_info`).
    ///
    /// # Safety
    ///
    /// `skb` must be a message buffer that may be appended to for the returned lifetime.
    pub(crate) unsafe fn from_raw<'a>(skb: *mut bindings::sk_buff) -> Writer<'a> {
        // INVARIANT: From the function's safety requirements.
        Writer {
            skb,
            _p: PhantomData,
        }
    }

    /// Appends an attribute with the payload `data`; `EMSGSIZE` when the buffer is full.
    pub(crate) fn put(&mut self, ty: u16, data: &[u8]) -> Result {
        let len = i32::try_from(data.len()).map_err(|_| EINVAL)?;
        // SAFETY: `skb` may be appended to (type invariant); `data` is valid for reads.
        to_result(unsafe {
            bindings::nla_put(self.skb, ty.into(), len, data.as_ptr().cast::<c_void>())
        })
    }

    /// Appends an `u8` attribute.
    pub(crate) fn put_u8(&mut self, ty: u16, v: u8) -> Result {
        self.put(ty, &[v])
    }

    /// Appends an `u16` attribute (host byte order).
    pub(crate) fn put_u16(&mut self, ty: u16, v: u16) -> Result {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends an `u32` attribute (host byte order).
    pub(crate) fn put_u32(&mut self, ty: u16, v: u32) -> Result {
        self.put(ty, &v.to_ne_bytes())
    }

    /// Appends an `u64` attribute, aligned with a padding attribute `pad` where needed.
    pub(crate) fn put_u64(&mut self, ty: u16, v: u64, pad: u16) -> Result {
        let b = v.to_ne_bytes();
        // SAFETY: As in `put`.
        to_result(unsafe {
            bindings::nla_put_64bit(
                self.skb,
                ty.into(),
                8,
                b.as_ptr().cast::<c_void>(),
                pad.into(),
            )
        })
    }

    /// Appends a NUL-terminated string attribute.
    pub(crate) fn put_str(&mut self, ty: u16, s: &CStr) -> Result {
        self.put(ty, s.to_bytes_with_nul())
    }

    /// Appends a nested attribute whose content `f` writes; on error the nest is removed whole.
    pub(crate) fn nest(&mut self, ty: u16, f: impl FnOnce(&mut Self) -> Result) -> Result {
        // SAFETY: As in `put`.
        let start = unsafe { bindings::lisp_nla_nest_start(self.skb, ty.into()) };
        if start.is_null() {
            return Err(EMSGSIZE());
        }
        match f(self) {
            Ok(()) => {
                // SAFETY: `start` was returned by `nla_nest_start` on this buffer just above.
                unsafe { bindings::lisp_nla_nest_end(self.skb, start) };
                Ok(())
            }
            Err(e) => {
                // SAFETY: As above; this trims the buffer back to `start`.
                unsafe { bindings::lisp_nla_nest_cancel(self.skb, start) };
                Err(e)
            }
        }
    }
}

/// An owned generic netlink message of a family (a reply or an event) being built.
///
/// # Invariants
///
/// `skb` is a message buffer we own; `hdr` is the genetlink header put at its start, for
/// the registered family `family`.
pub(crate) struct Msg {
    skb: NonNull<bindings::sk_buff>,
    hdr: NonNull<c_void>,
    family: *const bindings::genl_family,
}

// SAFETY: The message is a plain buffer owned by this object.
unsafe impl Send for Msg {}

impl Msg {
    fn new(
        family: *const bindings::genl_family,
        portid: u32,
        seq: u32,
        cmd: u8,
        atomic: bool,
    ) -> Result<Self> {
        // SAFETY: Plain allocation.
        let skb = NonNull::new(unsafe { bindings::lisp_genlmsg_new_default(gfp(atomic)) })
            .ok_or(ENOMEM)?;
        // SAFETY: `skb` is a fresh buffer; the family is a registered static table.
        let hdr = unsafe { bindings::genlmsg_put(skb.as_ptr(), portid, seq, family, 0, cmd) };
        let Some(hdr) = NonNull::new(hdr) else {
            // SAFETY: We own `skb` and nothing else refers to it.
            unsafe { bindings::lisp_nlmsg_free(skb.as_ptr()) };
            return Err(EMSGSIZE());
        };
        // INVARIANT: Allocated and headed just above.
        Ok(Self { skb, hdr, family })
    }

    /// Starts an event of `family` (to be multicast) with command `cmd`. The family must be
    /// registered (its events come from its devices, which exist only then).
    pub(crate) fn event(family: &'static Family, cmd: u8, atomic: bool) -> Result<Self> {
        Self::new(family.table, 0, 0, cmd, atomic)
    }

    /// Appends attributes.
    pub(crate) fn writer(&mut self) -> Writer<'_> {
        // INVARIANT: We own the buffer, borrowed mutably for the writer's life.
        Writer {
            skb: self.skb.as_ptr(),
            _p: PhantomData,
        }
    }

    /// Completes the message and gives up ownership of its buffer.
    fn finish(self) -> *mut bindings::sk_buff {
        let (skb, hdr) = (self.skb.as_ptr(), self.hdr.as_ptr());
        core::mem::forget(self);
        // SAFETY: `hdr` heads `skb` (type invariant).
        unsafe { bindings::lisp_genlmsg_end(skb, hdr) };
        skb
    }

    /// Sends the message to `family`'s events group in `net`.
    pub(crate) fn multicast(self, family: &'static Family, net: Net<'_>, atomic: bool) -> Result {
        if !core::ptr::eq(self.family, family.table) {
            return Err(EINVAL);
        }
        let skb = self.finish();
        // SAFETY: `skb` is a finished message of `family` handed over (freed by genetlink in
        // every case); `net` is live (type invariant of `Net`).
        let ret = unsafe {
            bindings::lisp_genlmsg_multicast_netns(
                family.table,
                net.as_raw(),
                skb,
                family.events,
                gfp(atomic),
            )
        };
        // No listener is not an error for an event.
        if ret < 0 && ret != -(kernel::bindings::ESRCH as i32) {
            return Err(Error::from_errno(ret));
        }
        Ok(())
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: We own the buffer (type invariant).
        unsafe { bindings::lisp_nlmsg_free(self.skb.as_ptr()) };
    }
}

/// The allocation flags for a context that may (`false`) or may not (`true`) sleep.
fn gfp(atomic: bool) -> bindings::gfp_t {
    if atomic {
        kernel::bindings::GFP_ATOMIC
    } else {
        kernel::bindings::GFP_KERNEL
    }
}

/// Whether anyone listens to `family`'s events group in `net` (to skip building unwanted
/// events).
pub(crate) fn has_listeners(family: &'static Family, net: Net<'_>) -> bool {
    // SAFETY: `net` is live (type invariant of `Net`); the family is a static table.
    unsafe { bindings::lisp_genl_has_listeners(family.table, net.as_raw(), family.events) != 0 }
}

/// One call of a dump (`dumpit`): the buffer to fill and the state kept between calls.
///
/// # Invariants
///
/// `skb` is the dump's buffer and `cb` its callback state, both valid for `'a`; the family has a
/// policy, so `cb` carries a `genl_dumpit_info`.
pub(crate) struct Dump<'a> {
    skb: NonNull<bindings::sk_buff>,
    cb: NonNull<bindings::netlink_callback>,
    _p: PhantomData<&'a mut bindings::netlink_callback>,
}

/// The per-dump state a handler keeps in `netlink_callback::ctx` (48 bytes, zero at start).
pub(crate) type DumpCtx = [u8; 48];

impl<'a> Dump<'a> {
    /// Wraps the arguments of a `dumpit` handler.
    ///
    /// # Safety
    ///
    /// `skb` and `cb` must be the arguments of a running `dumpit` handler of the family, and the
    /// object must not outlive the handler.
    pub(crate) unsafe fn from_raw(
        skb: NonNull<bindings::sk_buff>,
        cb: NonNull<bindings::netlink_callback>,
    ) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self {
            skb,
            cb,
            _p: PhantomData,
        }
    }

    fn info(&self) -> *const bindings::genl_info {
        // SAFETY: `cb` is a dump of a family with a policy (type invariant).
        unsafe { bindings::lisp_genl_info_dump(self.cb.as_ptr()) }
    }

    /// The request's top-level attributes, validated against the family policy.
    pub(crate) fn attrs(&self) -> Attrs<'a> {
        let info = self.info();
        // SAFETY: The dump's family is a registered table, alive while its handlers run.
        let max = unsafe { (*(*info).family).maxattr };
        // SAFETY: genetlink parsed the dump request when it started, into `maxattr + 1`
        // entries, and keeps the table until the dump is done.
        unsafe { Attrs::from_raw((*info).attrs, max) }
    }

    /// Where error messages for the requester go (only the first call can report them).
    pub(crate) fn extack(&self) -> ExtAck<'a> {
        // SAFETY: `cb` is valid (type invariant); the extack is null after the first call.
        unsafe { ExtAck::from_raw((*self.cb.as_ptr()).extack) }
    }

    /// The requester's network namespace.
    pub(crate) fn net(&self) -> Result<Net<'a>> {
        // SAFETY: The dump info is valid (type invariant) and its namespace outlives the dump.
        unsafe { Net::from_raw(bindings::lisp_genl_info_net(self.info())) }.ok_or(EINVAL)
    }

    /// The handler's state, kept across the calls of one dump.
    pub(crate) fn ctx(&mut self) -> &mut DumpCtx {
        // SAFETY: `cb` is valid and ours for the call (type invariant); `ctx` is plain bytes.
        unsafe { &mut (*self.cb.as_ptr()).__bindgen_anon_1.ctx }
    }

    /// Records the generation of the data being dumped; parts of the dump produced under
    /// another generation carry `NLM_F_DUMP_INTR`.
    pub(crate) fn set_generation(&mut self, gen: u32) {
        // SAFETY: As in `ctx`.
        unsafe { (*self.cb.as_ptr()).seq = gen.max(1) };
    }

    /// Appends one message (`cmd`, attributes written by `f`). `Ok(false)` when the buffer is
    /// full: the message is removed and the dump continues in the next call.
    pub(crate) fn entry(
        &mut self,
        cmd: u8,
        f: impl FnOnce(&mut Writer<'_>) -> Result,
    ) -> Result<bool> {
        let info = self.info();
        // SAFETY: `skb` is the dump buffer, `info` the dump's request (type invariant).
        let hdr = unsafe {
            bindings::genlmsg_put(
                self.skb.as_ptr(),
                (*info).snd_portid,
                (*info).snd_seq,
                (*info).family,
                bindings::NLM_F_MULTI as i32,
                cmd,
            )
        };
        if hdr.is_null() {
            return Ok(false);
        }
        // SAFETY: `hdr` heads the message just put in the dump buffer.
        unsafe { bindings::lisp_genl_dump_check_consistent(self.cb.as_ptr(), hdr) };
        // INVARIANT: The dump buffer may be appended to during the call.
        let mut w = Writer {
            skb: self.skb.as_ptr(),
            _p: PhantomData,
        };
        match f(&mut w) {
            Ok(()) => {
                // SAFETY: `hdr` heads the message being built in this buffer.
                unsafe { bindings::lisp_genlmsg_end(self.skb.as_ptr(), hdr) };
                Ok(true)
            }
            Err(e) => {
                // SAFETY: As above; this trims the buffer back to before `hdr`.
                unsafe { bindings::lisp_genlmsg_cancel(self.skb.as_ptr(), hdr) };
                if e == EMSGSIZE() {
                    Ok(false)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// What `dumpit` returns: the bytes filled (0 ends the dump).
    pub(crate) fn len(&self) -> i32 {
        // SAFETY: The buffer is valid (type invariant).
        unsafe { bindings::lisp_skb_len(self.skb.as_ptr()) as i32 }
    }
}

/// Exports `doit` handlers under the names `nl_tables.c` gives them:
/// `export_doit!(lisp_nl_x_doit => handler)` with `fn handler(&Request<'_>) -> Result`.
macro_rules! export_doit {
    ($($name:ident => $handler:path),* $(,)?) => {$(
        /// Generic netlink `doit` handler, called by genetlink only.
        ///
        /// # Safety
        ///
        /// `info` must be the request of a running `doit` of the "lisp" family.
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $name(
            _skb: *mut $crate::sys::bindings::sk_buff,
            info: *mut $crate::sys::bindings::genl_info,
        ) -> core::ffi::c_int {
            kernel::error::from_result(|| {
                let info = core::ptr::NonNull::new(info).ok_or(kernel::error::code::EINVAL)?;
                // SAFETY: genetlink calls `doit` with the request's info, valid for the call.
                let req = unsafe { $crate::sys::genl::Request::from_raw(info) };
                $handler(&req).map(|()| 0)
            })
        }
    )*};
}
pub(crate) use export_doit;

/// Exports `dumpit` handlers: `export_dumpit!(lisp_nl_x_dumpit => handler)` with
/// `fn handler(&mut Dump<'_>) -> Result`; the return value to genetlink is the bytes filled.
macro_rules! export_dumpit {
    ($($name:ident => $handler:path),* $(,)?) => {$(
        /// Generic netlink `dumpit` handler, called by genetlink only.
        ///
        /// # Safety
        ///
        /// `skb` and `cb` must be the arguments of a running dump of the "lisp" family.
        #[no_mangle]
        pub(crate) unsafe extern "C" fn $name(
            skb: *mut $crate::sys::bindings::sk_buff,
            cb: *mut $crate::sys::bindings::netlink_callback,
        ) -> core::ffi::c_int {
            kernel::error::from_result(|| {
                let skb = core::ptr::NonNull::new(skb).ok_or(kernel::error::code::EINVAL)?;
                let cb = core::ptr::NonNull::new(cb).ok_or(kernel::error::code::EINVAL)?;
                // SAFETY: genetlink calls `dumpit` with the dump's buffer and state.
                let mut dump = unsafe { $crate::sys::genl::Dump::from_raw(skb, cb) };
                $handler(&mut dump)?;
                Ok(dump.len())
            })
        }
    )*};
}
pub(crate) use export_dumpit;
