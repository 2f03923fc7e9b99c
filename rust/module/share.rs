// SPDX-License-Identifier: GPL-2.0

//! UDP sockets shared by the lisp devices of a namespace.
//!
//! Devices that use the same port, address family and local address share one socket, as
//! VXLAN devices do; a received packet goes to the device serving its instance ID, or else to
//! the external-mode device on the socket, if there is one. Sockets are opened when the first
//! such device goes up and released when the last one goes down. Writers (open, stop, a change
//! of instance ID) run under RTNL; receivers find the devices under RCU.

use crate::device::Lisp;
use crate::sys::errno;
use crate::sys::genl::Net;
use crate::sys::netdev::{self, NetDevice};
use crate::sys::rcu::{self, RcuBox, ReadGuard};
use crate::sys::rtnl::{self, downcast};
use crate::sys::tunnel::{IpAddr, Socket, SocketRef, SocketSlot};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::KVec;
use kernel::prelude::*;
use kernel::sync::Arc;

/// What makes two devices' sockets the same one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    /// UDP port, host byte order.
    pub(crate) port: u16,
    /// Address family of the socket.
    pub(crate) v6: bool,
    /// Local address the socket is bound to, if any.
    pub(crate) local: Option<IpAddr>,
}

/// How a device receives from a shared socket.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Serves {
    /// Packets with this instance ID.
    Iid(u32),
    /// Every instance ID no other device on the socket serves (external mode).
    External,
}

/// The devices a socket delivers to; replaced as a whole, readers see one version or the next.
///
/// # Invariants
///
/// Every pointer is the private state of a registered lisp device, which removes itself from
/// the table, and waits for a grace period, before that state goes away (`Lisp::stop`).
pub(crate) struct Receivers {
    /// Devices that serve one instance ID each, sorted by it.
    by_iid: KVec<(u32, NonNull<Lisp>)>,
    /// The external-mode device.
    external: Option<NonNull<Lisp>>,
}

// SAFETY: The table only hands out shared references to `Lisp`, which is `Sync`.
unsafe impl Send for Receivers {}
// SAFETY: As above.
unsafe impl Sync for Receivers {}

impl Receivers {
    fn device(&self, p: NonNull<Lisp>) -> (&Lisp, &NetDevice) {
        // SAFETY: `p` is valid while the table is reachable (type invariant); the table is
        // borrowed from under the RCU read lock.
        let lisp = unsafe { p.as_ref() };
        // SAFETY: `p` is a device's private state made by `newlink` (type invariant).
        (lisp, unsafe { rtnl::device_of(lisp) })
    }

    /// The device for packets with instance ID `iid`.
    pub(crate) fn find(&self, iid: u32) -> Option<(&Lisp, &NetDevice)> {
        let p = match self.by_iid.binary_search_by_key(&iid, |e| e.0) {
            Ok(i) => self.by_iid[i].1,
            Err(_) => self.external?,
        };
        Some(self.device(p))
    }

    /// The device that counts packets no device accepts: the external one, else the one with the
    /// lowest instance ID.
    pub(crate) fn fallback(&self) -> Option<(&Lisp, &NetDevice)> {
        let p = self.external.or_else(|| self.by_iid.first().map(|e| e.1))?;
        Some(self.device(p))
    }

    /// A copy without `lisp`, and with it serving `serves` if given.
    fn with(&self, lisp: &Lisp, serves: Option<Serves>) -> Result<Self> {
        let me = NonNull::from(lisp);
        let mut by_iid = KVec::with_capacity(self.by_iid.len() + 1, GFP_KERNEL)?;
        for &(iid, p) in self.by_iid.iter().filter(|e| e.1 != me) {
            by_iid.push((iid, p), GFP_KERNEL)?;
        }
        let mut external = self.external.filter(|&p| p != me);
        match serves {
            Some(Serves::Iid(iid)) => {
                let Err(at) = by_iid.binary_search_by_key(&iid, |e| e.0) else {
                    return Err(errno::EADDRINUSE());
                };
                by_iid.push((iid, me), GFP_KERNEL)?;
                by_iid[at..].rotate_right(1);
            }
            Some(Serves::External) if external.is_some() => return Err(errno::EADDRINUSE()),
            Some(Serves::External) => external = Some(me),
            None => {}
        }
        Ok(Self { by_iid, external })
    }
}

/// A UDP tunnel socket and the devices it delivers to.
pub(crate) struct Share {
    key: Key,
    sock: SocketSlot,
    /// An `RcuBox<Receivers>`, never null.
    receivers: AtomicPtr<Receivers>,
}

impl Share {
    /// Opens the socket for `key` in `net`.
    fn open(net: Net<'_>, key: Key) -> Result<Arc<Self>> {
        let empty = RcuBox::new(
            Receivers {
                by_iid: KVec::new(),
                external: None,
            },
            GFP_KERNEL,
        )?;
        let share = Arc::new(
            Share {
                key,
                sock: SocketSlot::new(),
                receivers: AtomicPtr::new(empty.into_raw().as_ptr()),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: The share owns the socket and releases it in `drop` before it is freed.
        let sock = unsafe { Socket::open(net, key.v6, key.local.as_ref(), key.port, &*share) }?;
        share.sock.publish(sock);
        Ok(share)
    }

    /// The socket, for a transmit under the RCU read lock.
    pub(crate) fn socket<'a>(&'a self, rcu: &'a ReadGuard) -> Option<SocketRef<'a>> {
        self.sock.get(rcu)
    }

    /// The devices the socket delivers to.
    pub(crate) fn receivers<'a>(&'a self, _rcu: &'a ReadGuard) -> &'a Receivers {
        // SAFETY: Never null; a replaced table is freed only after a grace period, which `_rcu`
        // holds off.
        unsafe { &*self.receivers.load(Ordering::Acquire) }
    }

    /// Replaces the table by a copy without `lisp`, and with it serving `serves` if given.
    /// RTNL serialises callers.
    fn update(&self, lisp: &Lisp, serves: Option<Serves>) -> Result {
        // SAFETY: Never null. Only writers replace the table, and RTNL, which callers hold,
        // serialises them: it stays valid while we copy it (allocating, so not under RCU).
        let table = unsafe { &*self.receivers.load(Ordering::Acquire) }.with(lisp, serves)?;
        let new = RcuBox::new(table, GFP_KERNEL)?.into_raw();
        let old = self.receivers.swap(new.as_ptr(), Ordering::AcqRel);
        // SAFETY: `old` came from `RcuBox::into_raw` and is owned by the share until now.
        unsafe { RcuBox::from_raw(NonNull::new_unchecked(old)) }.drop_deferred();
        Ok(())
    }

    /// Stops delivering to `lisp`. The caller waits for a grace period before `lisp` goes away.
    pub(crate) fn leave(&self, lisp: &Lisp) {
        // Removing it takes a new table. Without memory for one (`update` changed nothing),
        // stop receiving on the socket rather than keep a pointer to a device that goes away.
        if self.update(lisp, None).is_err() {
            self.sock.release();
        }
    }

    /// Lets `lisp` receive what `serves` names instead of what it did.
    pub(crate) fn serve(&self, lisp: &Lisp, serves: Serves) -> Result {
        self.update(lisp, Some(serves))
    }

    /// Whether the share is the one for `key`.
    pub(crate) fn is(&self, key: &Key) -> bool {
        self.key == *key
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        // Transmitters are gone: the last device took its reference away and waited.
        self.sock.release();
        // Receivers that found the share before the socket was released are done after this.
        rcu::synchronize_net();
        // SAFETY: Never null, owned by the share; no reader is left (see above).
        drop(unsafe { RcuBox::from_raw(NonNull::new_unchecked(*self.receivers.get_mut())) });
    }
}

/// Joins `lisp` to the socket of `net` for `key`, opening it if no device has it open. RTNL is
/// held.
pub(crate) fn join(net: Net<'_>, key: Key, lisp: &Lisp, serves: Serves) -> Result<Arc<Share>> {
    let share = match find(net, &key) {
        Some(s) => s,
        None => Share::open(net, key)?,
    };
    share.serve(lisp, serves)?;
    Ok(share)
}

/// The open socket of `net` for `key`, if a device has it. RTNL is held.
fn find(net: Net<'_>, key: &Key) -> Option<Arc<Share>> {
    let rcu = ReadGuard::new();
    let mut next = 0;
    let mut found = None;
    netdev::for_each_rcu(net, &rcu, &mut next, |dev| {
        found = downcast::<Lisp>(dev).and_then(|l| l.share_for(key));
        found.is_none()
    });
    found
}
