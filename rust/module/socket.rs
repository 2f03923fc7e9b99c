// SPDX-License-Identifier: GPL-2.0

//! UDP sockets shared by the lisp devices of a namespace.
//!
//! Devices that use the same port, address family and local address share one socket, as
//! VXLAN devices do; a received packet goes to the device that claims its instance ID, or else
//! to the external-mode device on the socket, if there is one. Sockets are opened when the first
//! such device goes up and released when the last one goes down. Writers (open, stop, a change
//! of instance ID) run under RTNL; receivers find the devices under RCU.
//!
//! This file knows devices only as a [`Member`] kind: it holds counted references to them and
//! asks each for its sockets.

use crate::sys::errno;
use crate::sys::genl::Net;
use crate::sys::netdev::{self, DeviceRef, NetDevice};
use crate::sys::rcu::{RcuBox, RcuSlot, ReadGuard, Writer};
use crate::sys::rtnl::{downcast, LinkDriver};
use crate::sys::tunnel::{EncapRcv, IpAddr, Socket, SocketRef, SocketSlot, TunnelGro};
use core::marker::PhantomData;
use kernel::alloc::KVec;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// What makes two devices' sockets the same one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct SocketKey {
    /// UDP port, host byte order.
    pub(crate) port: u16,
    /// Address family of the socket.
    pub(crate) v6: bool,
    /// Local address the socket is bound to, if any.
    pub(crate) local: Option<IpAddr>,
}

/// Which received packets a device takes from its sockets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    /// Packets with this instance ID.
    Iid(u32),
    /// Every instance ID no other device on the socket claims (external mode).
    External,
}

/// A device kind whose devices share sockets.
pub(crate) trait Member: LinkDriver {
    /// The device's socket for `key`, if it has that one open.
    fn socket_for(&self, key: &SocketKey) -> Option<Arc<SharedSocket<Self>>>;
}

/// The devices a socket delivers to, as of one change; replaced as a whole, readers see one
/// version or the next.
pub(crate) struct Claims<T> {
    /// Devices that claim one instance ID each, sorted by it.
    by_iid: KVec<(u32, DeviceRef)>,
    /// The external-mode device.
    external: Option<DeviceRef>,
    _kind: PhantomData<T>,
}

impl<T: LinkDriver> Claims<T> {
    /// No device.
    fn empty() -> Self {
        Self {
            by_iid: KVec::new(),
            external: None,
            _kind: PhantomData,
        }
    }

    fn device(dev: &DeviceRef) -> Option<(&T, &NetDevice)> {
        Some((downcast::<T>(dev)?, dev))
    }

    /// The device for packets with instance ID `iid`.
    pub(crate) fn find(&self, iid: u32) -> Option<(&T, &NetDevice)> {
        let dev = match self.by_iid.binary_search_by_key(&iid, |e| e.0) {
            Ok(i) => &self.by_iid[i].1,
            Err(_) => self.external.as_ref()?,
        };
        Self::device(dev)
    }

    /// The device that counts packets no device accepts: the external one, else the one with the
    /// lowest instance ID.
    pub(crate) fn fallback(&self) -> Option<(&T, &NetDevice)> {
        let dev = self
            .external
            .as_ref()
            .or_else(|| self.by_iid.first().map(|e| &e.1))?;
        Self::device(dev)
    }

    /// A copy without `dev`.
    fn without(&self, dev: &NetDevice) -> Result<Self> {
        let mut by_iid = KVec::with_capacity(self.by_iid.len() + 1, GFP_KERNEL)?;
        for (iid, d) in self.by_iid.iter().filter(|e| !e.1.is(dev)) {
            by_iid.push((*iid, d.clone()), GFP_KERNEL)?;
        }
        Ok(Self {
            by_iid,
            external: self.external.as_ref().filter(|d| !d.is(dev)).cloned(),
            _kind: PhantomData,
        })
    }

    /// A copy in which `dev` claims `claim` instead of what it claimed before.
    fn with(&self, dev: &NetDevice, claim: Claim) -> Result<Self> {
        let mut new = self.without(dev)?;
        match claim {
            Claim::Iid(iid) => {
                let Err(at) = new.by_iid.binary_search_by_key(&iid, |e| e.0) else {
                    return Err(errno::EADDRINUSE());
                };
                new.by_iid.push((iid, DeviceRef::new(dev)), GFP_KERNEL)?;
                new.by_iid[at..].rotate_right(1);
            }
            Claim::External if new.external.is_some() => return Err(errno::EADDRINUSE()),
            Claim::External => new.external = Some(DeviceRef::new(dev)),
        }
        Ok(new)
    }
}

/// What a socket hands its packets to: the current [`Claims`], and the right to change them.
#[pin_data]
pub(crate) struct Receivers<T> {
    claims: RcuSlot<Claims<T>>,
    #[pin]
    writer: Mutex<Writer>,
}

impl<T: LinkDriver> Receivers<T> {
    fn new() -> Result<impl PinInit<Self>> {
        let (claims, writer) = RcuSlot::new(Some(RcuBox::new(Claims::empty(), GFP_KERNEL)?));
        Ok(pin_init!(Self {
            claims,
            writer <- new_mutex!(writer, "Receivers::writer"),
        }))
    }

    /// The devices, for a packet received under the RCU read lock. `None` once a device could
    /// not be removed for lack of memory: the socket then delivers to none.
    pub(crate) fn claims<'a>(&'a self, rcu: &'a ReadGuard) -> Option<&'a Claims<T>> {
        self.claims.get(rcu)
    }

    /// Replaces the devices by a copy in which `dev` claims `claim`, or nothing.
    fn update(&self, dev: &NetDevice, claim: Option<Claim>) -> Result {
        let mut w = self.writer.lock();
        let empty;
        let cur = match self.claims.get_for(&w) {
            Some(c) => c,
            None => {
                empty = Claims::empty();
                &empty
            }
        };
        let new = match claim {
            Some(c) => cur.with(dev, c)?,
            None => cur.without(dev)?,
        };
        let new = RcuBox::new(new, GFP_KERNEL)?;
        self.claims.replace(&mut w, Some(new)).map_err(|_| EINVAL)
    }

    /// Removes `dev`, which will go away after a grace period. Without memory for the copy that
    /// takes, removes every device rather than keep a reference to it.
    fn remove(&self, dev: &NetDevice) {
        if self.update(dev, None).is_err() {
            let mut w = self.writer.lock();
            let _ = self.claims.replace(&mut w, None);
        }
    }
}

/// A UDP tunnel socket and the devices it delivers to.
pub(crate) struct SharedSocket<T> {
    key: SocketKey,
    sock: SocketSlot,
    receivers: Arc<Receivers<T>>,
}

impl<T: Member> SharedSocket<T>
where
    Receivers<T>: EncapRcv + TunnelGro,
{
    /// Opens the socket for `key` in `net`.
    fn open(net: Net<'_>, key: SocketKey) -> Result<Arc<Self>> {
        let receivers = Arc::pin_init(Receivers::new()?, GFP_KERNEL)?;
        let sock = Socket::open(net, key.v6, key.local.as_ref(), key.port, receivers.clone())?;
        let sock = KBox::new(sock, GFP_KERNEL)?;
        let shared = Arc::new(
            SharedSocket {
                key,
                sock: SocketSlot::new(),
                receivers,
            },
            GFP_KERNEL,
        )?;
        shared.sock.publish(sock);
        Ok(shared)
    }

    /// Joins `dev` to the socket of `net` for `key`, opening it if no device has it open, to
    /// receive what `claim` names. RTNL is held.
    pub(crate) fn join(
        net: Net<'_>,
        key: SocketKey,
        dev: &NetDevice,
        claim: Claim,
    ) -> Result<Arc<Self>> {
        let shared = match Self::find(net, &key) {
            Some(s) => s,
            None => Self::open(net, key)?,
        };
        shared.claim(dev, claim)?;
        Ok(shared)
    }

    /// The open socket of `net` for `key`, if a device has it. RTNL is held.
    fn find(net: Net<'_>, key: &SocketKey) -> Option<Arc<Self>> {
        let rcu = ReadGuard::new();
        let mut next = 0;
        let mut found = None;
        netdev::for_each_rcu(net, &rcu, &mut next, |dev| {
            found = downcast::<T>(dev).and_then(|m| m.socket_for(key));
            found.is_none()
        });
        found
    }
}

impl<T: LinkDriver> SharedSocket<T> {
    /// The socket, for a transmit under the RCU read lock.
    pub(crate) fn socket<'a>(&'a self, rcu: &'a ReadGuard) -> Option<SocketRef<'a>> {
        self.sock.get(rcu)
    }

    /// Stops delivering to `dev`. The caller waits for a grace period before `dev` goes away.
    pub(crate) fn leave(&self, dev: &NetDevice) {
        self.receivers.remove(dev);
    }

    /// Lets `dev` receive what `claim` names instead of what it did.
    pub(crate) fn claim(&self, dev: &NetDevice, claim: Claim) -> Result {
        self.receivers.update(dev, Some(claim))
    }

    /// Whether the socket is the one for `key`.
    pub(crate) fn is(&self, key: &SocketKey) -> bool {
        self.key == *key
    }
}

impl<T> Drop for SharedSocket<T> {
    fn drop(&mut self) {
        // Transmitters are gone: the last device took its reference away and waited. Releasing
        // the socket waits for its receivers, then drops the socket's reference to them.
        self.sock.release();
    }
}
