// SPDX-License-Identifier: GPL-2.0

//! Read-copy-update: read-side critical sections and deferred freeing.
//!
//! C header: [`include/linux/rcupdate.h`](srctree/include/linux/rcupdate.h).

use super::bindings;
use core::marker::PhantomData;
use core::mem::offset_of;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use kernel::alloc::{AllocError, Flags, KBox};
use kernel::sync::Arc;
use kernel::types::Opaque;

/// Waits until every reader that may have found something unpublished before the call (RCU read
/// sides and softirq receive paths) is done with it. Expedited while RTNL is held.
pub(crate) fn synchronize_net() {
    // SAFETY: Plain FFI call; it may sleep, and our callers run in process context.
    unsafe { bindings::synchronize_net() };
}

/// Source of the identities that tie a [`Writer`] to the object it changes.
static NEXT_WRITER: AtomicUsize = AtomicUsize::new(1);

/// The right to change one RCU-protected object ([`RcuSlot`], `RcuTrie`): made together with
/// the object, one per object, not copyable. Its owner keeps it under a lock, so that holding
/// it mutably proves no other writer runs.
pub(crate) struct Writer {
    id: usize,
}

impl Writer {
    /// A writer for a new object, which records `id()`.
    pub(super) fn new() -> Self {
        Self {
            id: NEXT_WRITER.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// The identity of the object this writer changes.
    pub(super) fn id(&self) -> usize {
        self.id
    }
}

/// A slot holding an owned object, or nothing, that readers borrow under RCU and its one
/// [`Writer`] replaces; a replaced object is dropped after a grace period.
///
/// # Invariants
///
/// A non-null `ptr` came from [`RcuBox::into_raw`] and is owned by the slot. Only the holder of
/// the [`Writer`] with identity `id` changes `ptr`.
pub(crate) struct RcuSlot<T> {
    ptr: AtomicPtr<T>,
    id: usize,
}

impl<T: Send + Sync> RcuSlot<T> {
    /// A slot holding `value`, and the right to change it.
    pub(crate) fn new(value: Option<RcuBox<T>>) -> (Self, Writer) {
        let w = Writer::new();
        let ptr = value.map_or(core::ptr::null_mut(), |v| v.into_raw().as_ptr());
        // INVARIANT: `ptr` is null or owned; the only writer is returned with the slot.
        let slot = Self {
            ptr: AtomicPtr::new(ptr),
            id: w.id(),
        };
        (slot, w)
    }

    /// The object, for a reader under the RCU read lock.
    pub(crate) fn get<'a>(&'a self, _rcu: &'a ReadGuard) -> Option<&'a T> {
        // SAFETY: A non-null pointer is owned by the slot (type invariant); a replaced object
        // is freed only after a grace period, which `_rcu` holds off.
        unsafe { self.ptr.load(Ordering::Acquire).as_ref() }
    }

    /// The object, for its writer, which may sleep while it borrows it. `None` also when `w`
    /// is not this slot's writer.
    pub(crate) fn get_for<'a>(&'a self, w: &'a Writer) -> Option<&'a T> {
        if w.id() != self.id {
            return None;
        }
        // SAFETY: Only the writer, borrowed for as long as the result, replaces the object
        // (type invariant), so it stays in the slot.
        unsafe { self.ptr.load(Ordering::Acquire).as_ref() }
    }

    /// Publishes `value`; the object it replaces is dropped after a grace period. Returns
    /// `value` back, unpublished, when `w` is not this slot's writer.
    pub(crate) fn replace(
        &self,
        w: &mut Writer,
        value: Option<RcuBox<T>>,
    ) -> Result<(), Option<RcuBox<T>>> {
        if w.id() != self.id {
            return Err(value);
        }
        let new = value.map_or(core::ptr::null_mut(), |v| v.into_raw().as_ptr());
        // INVARIANT: `new` is null or owned; `w`, borrowed mutably, is the only writer.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        if let Some(old) = NonNull::new(old) {
            // SAFETY: `old` was owned by the slot (type invariant) and is unpublished now.
            unsafe { RcuBox::from_raw(old) }.drop_deferred();
        }
        Ok(())
    }
}

impl<T> Drop for RcuSlot<T> {
    fn drop(&mut self) {
        if let Some(p) = NonNull::new(*self.ptr.get_mut()) {
            // SAFETY: Owned by the slot (type invariant); no reader is left, as the slot itself
            // is going away.
            drop(unsafe { RcuBox::from_raw(p) });
        }
    }
}

/// A slot holding one reference to an [`Arc<T>`] that readers under RCU can borrow.
///
/// Writers are serialised by the caller (RTNL for the devices' sockets); readers only borrow.
///
/// # Invariants
///
/// A non-null `ptr` came from `Arc::into_raw` and owns that reference.
pub(crate) struct ArcSlot<T> {
    ptr: AtomicPtr<T>,
}

impl<T: Send + Sync> ArcSlot<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Publishes `value`, returning what the slot held before (to be dropped after a grace
    /// period if readers may hold it).
    pub(crate) fn replace(&self, value: Option<Arc<T>>) -> Option<Arc<T>> {
        let new = value.map_or(core::ptr::null_mut(), |a| Arc::into_raw(a).cast_mut());
        // INVARIANT: `new` is null or owns a reference given up just above.
        let old = self.ptr.swap(new, Ordering::AcqRel);
        // SAFETY: A non-null `old` owned a reference (type invariant), now transferred back.
        (!old.is_null()).then(|| unsafe { Arc::from_raw(old) })
    }

    /// The value, for a reader under the RCU read lock.
    pub(crate) fn get<'a>(&'a self, _rcu: &'a ReadGuard) -> Option<&'a T> {
        // SAFETY: The slot's reference keeps the value alive until `replace` takes it, and
        // whoever takes it waits for a grace period before dropping it while `_rcu` lives.
        unsafe { self.ptr.load(Ordering::Acquire).as_ref() }
    }

    /// A counted reference to the value, for a writer (no concurrent `replace`).
    pub(crate) fn get_arc(&self) -> Option<Arc<T>> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: `p` owns a reference (type invariant) that stays in the slot while we borrow
        // it: writers are serialised, so no `replace` runs concurrently.
        (!p.is_null()).then(|| unsafe { kernel::sync::ArcBorrow::from_raw(p) }.into())
    }
}

impl<T> Drop for ArcSlot<T> {
    fn drop(&mut self) {
        let p = *self.ptr.get_mut();
        if !p.is_null() {
            // SAFETY: The slot owned this reference (type invariant); no reader is left, as the
            // slot itself is going away.
            drop(unsafe { Arc::from_raw(p) });
        }
    }
}

/// A read-side critical section; readers may dereference RCU-protected pointers while it lives.
///
/// # Invariants
///
/// `rcu_read_lock` was called when this object was made and is undone when it is dropped.
pub(crate) struct ReadGuard(PhantomData<*mut ()>);

impl ReadGuard {
    /// Enters a read-side critical section.
    pub(crate) fn new() -> Self {
        // SAFETY: Plain FFI call, paired with the unlock in `drop`.
        unsafe { bindings::lisp_rcu_read_lock() };
        // INVARIANT: Locked just above.
        Self(PhantomData)
    }
}

impl Drop for ReadGuard {
    fn drop(&mut self) {
        // SAFETY: Locked in `new` (type invariant), on this CPU (the guard is `!Send`).
        unsafe { bindings::lisp_rcu_read_unlock() };
    }
}

/// A heap object that can be freed after an RCU grace period: the `rcu_head` is kept in front
/// of the value.
#[repr(C)]
struct Cell<T> {
    head: Opaque<bindings::callback_head>,
    value: T,
}

/// An owned heap object that readers may reach under RCU, so that it can be freed only after a
/// grace period ([`RcuBox::drop_deferred`]).
///
/// # Invariants
///
/// `0` points to the `value` of a `Cell<T>` allocated by `KBox` and owned by this object.
pub(crate) struct RcuBox<T>(NonNull<T>);

// SAFETY: An `RcuBox<T>` owns a `T` like a `KBox<T>` does.
unsafe impl<T: Send> Send for RcuBox<T> {}
// SAFETY: As for `Send`.
unsafe impl<T: Sync> Sync for RcuBox<T> {}

impl<T> RcuBox<T> {
    /// Allocates `value` on the heap.
    pub(crate) fn new(value: T, flags: Flags) -> Result<Self, AllocError> {
        let cell = KBox::new(
            Cell {
                head: Opaque::uninit(),
                value,
            },
            flags,
        )?;
        let cell = KBox::into_raw(cell);
        // SAFETY: `cell` is a valid allocation; `value` is within it.
        let value = unsafe { NonNull::new_unchecked(core::ptr::addr_of_mut!((*cell).value)) };
        // INVARIANT: Points to the value of a `Cell<T>` we own.
        Ok(Self(value))
    }

    /// Gives up ownership, returning the pointer to the value.
    pub(crate) fn into_raw(self) -> NonNull<T> {
        let p = self.0;
        core::mem::forget(self);
        p
    }

    /// Takes back ownership of a pointer returned by [`RcuBox::into_raw`].
    ///
    /// # Safety
    ///
    /// `p` must come from `into_raw` and not have been taken back before.
    pub(crate) unsafe fn from_raw(p: NonNull<T>) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self(p)
    }

    fn cell(&self) -> *mut Cell<T> {
        // SAFETY: By the type invariant `0` is the `value` field of a `Cell<T>`, so stepping
        // back by its offset stays inside that allocation.
        unsafe { self.0.as_ptr().byte_sub(offset_of!(Cell<T>, value)).cast() }
    }

    /// Drops the value and frees the memory after an RCU grace period: readers that found it
    /// before it was unpublished may still be using it until then.
    pub(crate) fn drop_deferred(self) {
        let cell = self.cell();
        core::mem::forget(self);
        // SAFETY: `cell` is ours; `head` is not in use. The callback runs once, after a grace
        // period; the module waits for pending callbacks (`rcu_barrier`) before it unloads.
        unsafe {
            bindings::call_rcu(
                Opaque::raw_get(core::ptr::addr_of!((*cell).head)),
                Some(free_cell::<T>),
            )
        };
    }
}

impl<T> core::ops::Deref for RcuBox<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: We own a valid `T` (type invariant).
        unsafe { self.0.as_ref() }
    }
}

impl<T> Drop for RcuBox<T> {
    fn drop(&mut self) {
        // SAFETY: The cell was allocated by `KBox` and is owned by us (type invariant); dropping
        // now is the caller's choice, made when no reader can hold the object.
        drop(unsafe { KBox::from_raw(self.cell()) });
    }
}

/// `call_rcu` callback freeing an [`RcuBox`]'s cell.
///
/// # Safety
///
/// `head` must be the `head` of a `Cell<T>` given up by `RcuBox::drop_deferred`.
unsafe extern "C" fn free_cell<T>(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `#[repr(C)]` `Cell<T>` (function safety
    // requirement), so the pointers coincide; the cell was allocated by `KBox`.
    drop(unsafe { KBox::from_raw(head.cast::<Cell<T>>()) });
}
