// SPDX-License-Identifier: GPL-2.0

//! The high-level API of a daemon: `Client`, requests one at a time to the lisp family, and
//! `Events`, the "events" multicast group read without blocking (for poll(2) loops).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use lisp_uapi::*;

use crate::error::{Error, KernelError};
use crate::model::{DevInfo, EntryInfo, Event, MapEntry, Prefix};
use crate::nl::{self, NlConn, Proto, Transport};
use crate::wire;

/// A generic-netlink socket with the lisp family resolved.
pub struct Client {
    conn: NlConn,
    family: u16,
}

/// Whether `r` failed with `errno` from the kernel.
fn is_errno(r: &Result<(), Error>, errno: i32) -> bool {
    matches!(r, Err(Error::Kernel(KernelError { errno: e, .. })) if *e == errno)
}

impl Client {
    /// Opens a socket and resolves the family "lisp" (an error saying so when the module is not
    /// loaded).
    pub fn open() -> Result<Client, Error> {
        let mut conn = NlConn::open(Proto::Generic)?;
        let family = nl::lisp_family(&mut conn)?.id;
        Ok(Client { conn, family })
    }

    /// Sends `req`, parsing every reply with `on`.
    fn call(
        &mut self,
        mut req: Vec<u8>,
        on: &mut dyn FnMut(&[wire::Attr]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.conn.request(&mut req, &mut |m| {
            let (_, attrs) = wire::parse_genl(m.payload)?;
            on(&attrs)
        })
    }

    /// Adds or replaces (NLM_F_CREATE|NLM_F_REPLACE) one entry on device `dev`.
    pub fn map_replace(&mut self, dev: &str, e: &MapEntry) -> Result<(), Error> {
        let req = wire::map_change(self.family, LISP_CMD_MAP_ADD, true, dev, e);
        self.call(req, &mut |_| Ok(()))
    }

    /// Deletes the entry for exactly iid/prefix; Ok(false) if it did not exist (ENOENT), Ok(true)
    /// if deleted.
    pub fn map_del(&mut self, dev: &str, iid: u32, prefix: &Prefix) -> Result<bool, Error> {
        let key = MapEntry::key(*prefix, Some(iid));
        let req = wire::map_change(self.family, LISP_CMD_MAP_DEL, false, dev, &key);
        let r = self.call(req, &mut |_| Ok(()));
        if is_errno(&r, libc::ENOENT) {
            return Ok(false);
        }
        r.map(|_| true)
    }

    /// The entry for exactly iid/prefix, if any.
    pub fn map_get(
        &mut self,
        dev: &str,
        iid: u32,
        prefix: &Prefix,
    ) -> Result<Option<EntryInfo>, Error> {
        let k = MapEntry::key(*prefix, Some(iid));
        let mut found = None;
        let r = self.call(wire::map_get(self.family, dev, &k), &mut |attrs| {
            found = Some(wire::parse_entry(attrs)?);
            Ok(())
        });
        if is_errno(&r, libc::ENOENT) {
            return Ok(None);
        }
        r.map(|_| found)
    }

    /// Every entry of `dev` (of one iid if given).
    pub fn map_dump(&mut self, dev: &str, iid: Option<u32>) -> Result<Vec<EntryInfo>, Error> {
        let mut out = Vec::new();
        self.call(wire::map_dump(self.family, dev, iid), &mut |attrs| {
            out.push(wire::parse_entry(attrs)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The device's ifindex, default instance ID and port (DEV_GET); an error naming `dev` if
    /// there is no lisp device of that name.
    pub fn dev_get(&mut self, dev: &str) -> Result<DevInfo, Error> {
        let mut info = None;
        let r = self.call(wire::dev_get(self.family, Some(dev)), &mut |attrs| {
            info = Some(wire::parse_dev(attrs)?);
            Ok(())
        });
        match r {
            Err(Error::Kernel(k)) if k.errno == libc::ENODEV || k.errno == libc::EOPNOTSUPP => {
                Err(Error::Other(format!("no lisp device \"{dev}\": {k}")))
            }
            r => {
                r?;
                info.ok_or_else(|| Error::reply("no DEV_GET reply"))
            }
        }
    }
}

/// A second socket, non-blocking, joined to the "events" multicast group.
pub struct Events {
    conn: NlConn,
    family: u16,
    /// Events of a datagram not handed out yet (one datagram may carry several).
    queued: VecDeque<Result<Event, Error>>,
}

impl Events {
    /// Opens a socket, resolves the family and joins its "events" group.
    pub fn open() -> Result<Events, Error> {
        let mut conn = NlConn::open(Proto::Generic)?;
        let fam = nl::lisp_family(&mut conn)?;
        conn.join(nl::events_group(&fam)?)?;
        conn.set_nonblocking()?;
        Ok(Events {
            conn,
            family: fam.id,
            queued: VecDeque::new(),
        })
    }

    /// The socket, for poll(2): readable when `try_next` has something.
    pub fn as_raw_fd(&self) -> RawFd {
        self.conn.as_raw_fd()
    }

    /// Non-blocking: the next decoded event, Ok(None) when none is queued (EAGAIN). ENOBUFS
    /// (overrun) is reported as Ok(Some(Event::Overrun)). A malformed event is an error; the
    /// events after it are still delivered by the next calls.
    pub fn try_next(&mut self) -> Result<Option<Event>, Error> {
        loop {
            if let Some(ev) = self.queued.pop_front() {
                return ev.map(Some);
            }
            let buf = match self.conn.next_datagram() {
                Ok(b) => b,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => {
                    return Ok(Some(Event::Overrun))
                }
                Err(e) => return Err(e.into()),
            };
            queue_events(&mut self.queued, self.family, buf)?;
        }
    }
}

impl AsRawFd for Events {
    fn as_raw_fd(&self) -> RawFd {
        self.conn.as_raw_fd()
    }
}

/// Queues the events of the lisp family in one datagram (other messages are skipped).
fn queue_events(
    q: &mut VecDeque<Result<Event, Error>>,
    family: u16,
    buf: &[u8],
) -> Result<(), Error> {
    for m in wire::split(buf)? {
        if m.ty != family {
            continue;
        }
        match wire::parse_event(m.payload) {
            Ok(Some(ev)) => q.push_back(Ok(ev)),
            Ok(None) => {}
            Err(e) => q.push_back(Err(e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    #[test]
    fn events_of_a_datagram() {
        let fam: u16 = 0x1f;
        // A MAP_GET reply turned into a MAP_ADD event of family `fam`.
        let mut add = entry_reply(1, 0, None);
        add[4..6].copy_from_slice(&fam.to_ne_bytes());
        add[16] = LISP_CMD_MAP_ADD;
        let miss = msg(
            fam,
            0,
            0,
            &genl(
                LISP_CMD_MISS,
                &[
                    a(LISP_A_IFINDEX, &5u32.to_ne_bytes()),
                    a(LISP_A_IID, &7u32.to_ne_bytes()),
                    a(LISP_A_LOOKUP, &[10, 9, 9, 9]),
                ],
            ),
        );
        let other = msg(0x10, 0, 0, &genl(1, &[]));
        let broken = msg(fam, 0, 0, &genl(LISP_CMD_MAP_DEL, &[]));
        let unknown = msg(fam, 0, 0, &genl(99, &[]));
        let d = [add, other, broken, unknown, miss].concat();
        let mut q = VecDeque::new();
        queue_events(&mut q, fam, &d).unwrap();
        assert_eq!(q.len(), 3);
        let Some(Ok(Event::MapAdd(e))) = q.pop_front() else {
            panic!()
        };
        assert_eq!(e.prefix, Prefix::parse("10.1.0.0/24", false));
        assert!(matches!(q.pop_front(), Some(Err(_))));
        let Some(Ok(Event::Miss(m))) = q.pop_front() else {
            panic!()
        };
        assert_eq!((m.iid, m.eid), (Some(7), Some(ip("10.9.9.9"))));
        assert!(queue_events(&mut q, fam, &[1, 2, 3]).is_err());
    }

    #[test]
    fn requests() {
        let k = MapEntry::key(Prefix::parse("10.1.0.0/24", false).unwrap(), Some(7));
        let del = wire::map_change(0x1f, LISP_CMD_MAP_DEL, false, "lisp0", &k);
        let get = wire::map_get(0x1f, "lisp0", &k);
        // The same nest; MAP_DEL vs MAP_GET, both with an ack only.
        assert_eq!(del[20..], get[20..]);
        assert_eq!((del[16], get[16]), (LISP_CMD_MAP_DEL, LISP_CMD_MAP_GET));
        assert_eq!(del[6..8], get[6..8]);
    }

    /// Against the running kernel: without the lisp module, `open` says so; with it, a device
    /// that does not exist is named in the error.
    #[test]
    fn open_without_or_with_module() {
        match Client::open() {
            Ok(mut c) => {
                let e = c.dev_get("nosuchlisp9").unwrap_err();
                assert!(e.to_string().contains("nosuchlisp9"), "{e}");
            }
            Err(Error::Other(s)) if s.contains("netlink:") => {
                eprintln!("skipped: no netlink socket: {s}")
            }
            Err(e) => assert!(e.to_string().contains("is the lisp module loaded"), "{e}"),
        }
        if let Ok(mut ev) = Events::open() {
            assert!(ev.as_raw_fd() >= 0);
            // Nothing queued on a fresh socket (or an event of another test's kernel).
            let _ = ev.try_next().unwrap();
        }
    }
}
