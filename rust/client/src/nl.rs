// SPDX-License-Identifier: GPL-2.0

//! The socket layer, kept thin: send a request, receive datagrams until it is answered, and
//! listen to a multicast group. Everything about message contents lives in `wire`.

use std::io;
use std::os::fd::{AsRawFd, RawFd};

use neli::consts::socket::{Msg as MsgFlags, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use lisp_uapi::{LISP_GENL_NAME, LISP_MCGRP_EVENTS};

use crate::error::{Error, KernelError};
use crate::wire::{self, process, split, Family, Flow, Msg};

/// What the command layer needs from a netlink socket (a fake kernel implements it in tests).
pub trait Transport {
    /// Sends `req` (a whole message; its sequence number is stamped here) and hands every reply
    /// to `on_reply` until the ack or NLMSG_DONE. A kernel error is `Error::Kernel`.
    fn request(
        &mut self,
        req: &mut [u8],
        on_reply: &mut dyn FnMut(&Msg) -> Result<(), Error>,
    ) -> Result<(), Error>;

    /// Joins a multicast group.
    fn join(&mut self, group: u32) -> Result<(), Error>;

    /// Hands every notification to `on_event`, until it fails. Lost notifications (a receive
    /// buffer overrun) are handed on as one message of type `NLMSG_OVERRUN`, without payload.
    fn listen(&mut self, on_event: &mut dyn FnMut(&Msg) -> Result<(), Error>) -> Result<(), Error>;
}

/// Resolves the lisp family (id, groups) through nlctrl; a clear error when the module is not
/// loaded.
pub fn lisp_family(t: &mut dyn Transport) -> Result<Family, Error> {
    let mut req = wire::ctrl_get_family(LISP_GENL_NAME);
    let mut fam = None;
    let r = t.request(&mut req, &mut |m| {
        fam = Some(wire::parse_family(m.payload)?);
        Ok(())
    });
    match r {
        Err(Error::Kernel(KernelError { errno, .. })) if errno == libc::ENOENT => {
            return Err(Error::Other(format!(
                "generic netlink family \"{LISP_GENL_NAME}\" not found (is the lisp module \
                 loaded?)"
            )));
        }
        r => r?,
    }
    fam.ok_or_else(|| Error::reply("no nlctrl reply"))
}

/// The id of the lisp family's "events" multicast group.
pub fn events_group(fam: &Family) -> Result<u32, Error> {
    fam.groups
        .iter()
        .find(|(n, _)| n == LISP_MCGRP_EVENTS)
        .map(|(_, id)| *id)
        .ok_or_else(|| {
            Error::Other(format!(
                "family \"{LISP_GENL_NAME}\" has no \"{LISP_MCGRP_EVENTS}\" group"
            ))
        })
}

/// The message type `Transport::listen` hands on when notifications were lost (ENOBUFS).
pub const NLMSG_OVERRUN: u16 = 4;

/// The protocols lispctl speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Generic,
    Route,
}

/// A netlink socket of neli with extended acks on.
pub struct NlConn {
    sock: NlSocket,
    seq: u32,
    buf: Vec<u8>,
}

impl NlConn {
    pub fn open(proto: Proto) -> Result<NlConn, Error> {
        let family = match proto {
            Proto::Generic => NlFamily::Generic,
            Proto::Route => NlFamily::Route,
        };
        let sock = NlSocket::connect(family, None, Groups::empty())?;
        // Kernels without extended acks still report the errno.
        let _ = sock.enable_ext_ack(true);
        Ok(NlConn {
            sock,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    /// Makes receiving non-blocking: `recv` fails with `WouldBlock` when nothing is queued.
    pub fn set_nonblocking(&mut self) -> Result<(), Error> {
        self.sock.nonblock()?;
        Ok(())
    }

    /// Receives one datagram whole, however large (an error echoes the request it answers).
    fn recv(&mut self) -> io::Result<usize> {
        loop {
            let peek = self
                .sock
                .recv(&mut [0u8; 0][..], MsgFlags::PEEK | MsgFlags::TRUNC);
            match peek {
                Ok((len, _)) if len > self.buf.len() => self.buf.resize(len, 0),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
            match self.sock.recv(&mut self.buf[..], MsgFlags::empty()) {
                Ok((n, _)) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

impl NlConn {
    /// The next datagram, split into messages.
    pub fn next_datagram(&mut self) -> io::Result<&[u8]> {
        let n = self.recv()?;
        Ok(&self.buf[..n])
    }
}

impl AsRawFd for NlConn {
    fn as_raw_fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }
}

impl Transport for NlConn {
    fn request(
        &mut self,
        req: &mut [u8],
        on_reply: &mut dyn FnMut(&Msg) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.seq = self.seq.wrapping_add(1).max(1);
        req[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        loop {
            match self.sock.send(&*req, MsgFlags::empty()) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => r?,
            };
            break;
        }
        loop {
            let n = self.recv()?;
            if process(&self.buf[..n], self.seq, on_reply)? == Flow::Done {
                return Ok(());
            }
        }
    }

    fn join(&mut self, group: u32) -> Result<(), Error> {
        // A bigger buffer loses fewer events in bursts (a flush of many entries).
        let _ = self.sock.set_recv_buffer_size(4 << 20);
        self.sock
            .add_mcast_membership(Groups::new_groups(&[group]))?;
        Ok(())
    }

    fn listen(&mut self, on_event: &mut dyn FnMut(&Msg) -> Result<(), Error>) -> Result<(), Error> {
        loop {
            match self.recv() {
                Ok(n) => {
                    for m in split(&self.buf[..n])? {
                        on_event(&m)?;
                    }
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => on_event(&Msg {
                    ty: NLMSG_OVERRUN,
                    flags: 0,
                    seq: 0,
                    pid: 0,
                    payload: &[],
                })?,
                Err(e) => return Err(e.into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The socket layer against the running kernel's nlctrl and rtnetlink (no lisp module
    //! needed). Skipped where netlink sockets cannot be opened.

    use super::*;
    use crate::wire::{self, attrs_of, MsgBuilder};
    use neli::consts::nl::NlmF;

    fn conn(proto: Proto) -> Option<NlConn> {
        match NlConn::open(proto) {
            Ok(c) => Some(c),
            Err(e) => {
                eprintln!("skipped: no netlink socket: {e}");
                None
            }
        }
    }

    #[test]
    fn nlctrl_dump_and_error() {
        let Some(mut c) = conn(Proto::Generic) else {
            return;
        };
        // A multi-part dump of every family ends with NLMSG_DONE and includes nlctrl itself.
        let mut req = MsgBuilder::genl(0x10, NlmF::DUMP, 3, 2).finish();
        let mut names = Vec::new();
        c.request(&mut req, &mut |m| {
            let f = wire::parse_family(m.payload)?;
            names.push(f.id);
            Ok(())
        })
        .unwrap();
        assert!(names.contains(&0x10), "{names:?}");
        // A do with an ack.
        let mut req = wire::ctrl_get_family("nlctrl");
        let mut fam = None;
        c.request(&mut req, &mut |m| {
            fam = Some(wire::parse_family(m.payload)?);
            Ok(())
        })
        .unwrap();
        let fam = fam.unwrap();
        assert_eq!(fam.id, 0x10);
        assert!(fam.groups.iter().any(|(n, _)| n == "notify"));
        // An unknown family: ENOENT, and the socket stays usable.
        let mut req = wire::ctrl_get_family("nosuchfam");
        let r = c.request(&mut req, &mut |_| Ok(()));
        let Err(Error::Kernel(k)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(k.errno, libc::ENOENT);
        c.join(fam.groups[0].1).unwrap();
    }

    #[test]
    fn rtnetlink_extack_offset_and_big_echo() {
        let Some(mut c) = conn(Proto::Route) else {
            return;
        };
        // IFLA_IFNAME longer than IFNAMSIZ: policy error, extack text and offset of the attribute
        // (16-byte nlmsghdr + 16-byte ifinfomsg).
        let long = "x".repeat(40);
        let mut req = wire::link_get(&long);
        let r = c.request(&mut req, &mut |_| Ok(()));
        let Err(Error::Kernel(k)) = r else {
            panic!("{r:?}")
        };
        assert!(k.msg.is_some(), "{k:?}");
        assert_eq!(k.offset, Some(32), "{k:?}");
        // The same after a 40 KB attribute the kernel ignores: the error echoes the whole request
        // (more than neli's 32 KiB default buffer) and is still received whole.
        let mut req = wire::link_get(&long);
        let filler = crate::testutil::a(1000, &[0u8; 40_000]);
        let name_attr = req.split_off(32);
        req.extend_from_slice(&filler);
        req.extend_from_slice(&name_attr);
        let len = req.len() as u32;
        req[..4].copy_from_slice(&len.to_ne_bytes());
        let r = c.request(&mut req, &mut |_| Ok(()));
        let Err(Error::Kernel(k)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(k.offset, Some(32 + filler.len() as u32), "{k:?}");
        // And a normal request on the same socket still works.
        let mut req = wire::link_get("lo");
        let mut link = None;
        c.request(&mut req, &mut |m| {
            link = Some(wire::parse_link_info(m.payload)?);
            Ok(())
        })
        .unwrap();
        let l = link.unwrap();
        assert!(l.ifindex > 0);
        assert_eq!(l.kind, None);
        assert_eq!(l.ifname.as_deref(), Some("lo"));
        assert!(l.mtu.is_some() && l.operstate.is_some(), "{l:?}");
        assert!(attrs_of(&[]).unwrap().is_empty());
    }
}
