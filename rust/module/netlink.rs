// SPDX-License-Identifier: GPL-2.0

//! The generic netlink family "lisp": map-cache updates, lookups, dumps, device counters and
//! events. The wire format is described in `rust/uapi/src/uapi.rs` and
//! `Documentation/netlink/specs/lisp.yaml`.

use crate::device::{Lisp, Stat};
use crate::map_cache::{self, host_bits_set, AddMode, Entry, Prefix, Rlocs};
use crate::proto::addr::IpAddr;
use crate::proto::rloc::{self, Rloc};
use crate::sys::errno;
use crate::sys::genl::{
    self, export_doit, export_dumpit, genl_family, Dump, Msg, Net, Request, Writer, NLM_F_EXCL,
    NLM_F_REPLACE,
};
use crate::sys::netdev::{self, DeviceRef, NetDevice};
use crate::sys::netlink::{Attr, Attrs, ExtAck};
use crate::sys::rcu::{RcuBox, ReadGuard};
use crate::sys::rtnl::downcast;
use crate::uapi::*;
use core::ffi::CStr;
use core::sync::atomic::AtomicBool;
use kernel::prelude::*;

// The "lisp" family: its operations, policies and "events" group are tables in `nl_tables.c`.
genl_family!(pub(crate) static FAMILY = lisp_genl_family, events: LISP_MCGRP_EVENTS_INDEX);

/// Finds the lisp device a request names (exactly one of `LISP_A_IFINDEX`, `LISP_A_IFNAME`).
fn find_device(attrs: &Attrs<'_>, net: Net<'_>, extack: &mut ExtAck<'_>) -> Result<DeviceRef> {
    let dev = match (attrs.get(LISP_A_IFINDEX), attrs.get(LISP_A_IFNAME)) {
        (Some(_), Some(name)) => {
            extack.msg_attr(
                c"give the device by LISP_A_IFINDEX or LISP_A_IFNAME, not both",
                name,
            );
            return Err(EINVAL);
        }
        (None, None) => {
            extack.msg(c"no device given: LISP_A_IFINDEX or LISP_A_IFNAME is required");
            return Err(EINVAL);
        }
        (Some(idx), None) => {
            let ifindex = idx
                .get_u32()
                .and_then(|i| i32::try_from(i).ok())
                .unwrap_or(0);
            DeviceRef::by_index(net, ifindex).ok_or_else(|| {
                extack.msg_attr(c"no device with this LISP_A_IFINDEX", idx);
                ENODEV
            })?
        }
        (None, Some(name)) => {
            let cname = CStr::from_bytes_until_nul(name.data()).map_err(|_| EINVAL)?;
            DeviceRef::by_name(net, cname).ok_or_else(|| {
                extack.msg_attr(c"no device with this LISP_A_IFNAME", name);
                ENODEV
            })?
        }
    };
    if downcast::<Lisp>(&dev).is_none() {
        extack.msg(c"the device is not a lisp device");
        return Err(errno::EOPNOTSUPP());
    }
    Ok(dev)
}

/// The lisp state of a device [`find_device`] returned.
fn lisp(dev: &NetDevice) -> Result<&Lisp> {
    downcast::<Lisp>(dev).ok_or(errno::EOPNOTSUPP())
}

/// Records `msg` about `attr` and returns `EINVAL`.
fn invalid(extack: &mut ExtAck<'_>, msg: &'static CStr, attr: &Attr) -> Error {
    extack.msg_attr(msg, attr);
    EINVAL
}

/// Reads an address attribute: 4 bytes (IPv4) or 16 (IPv6).
fn address(attr: &Attr, msg: &'static CStr, extack: &mut ExtAck<'_>) -> Result<IpAddr> {
    IpAddr::from_slice(attr.data()).ok_or_else(|| invalid(extack, msg, attr))
}

/// Parses the prefix of a `LISP_A_MAP` nest.
fn parse_prefix(map: &Attr, default_iid: u32, extack: &mut ExtAck<'_>) -> Result<Prefix> {
    let (mut iid, mut eid, mut plen) = (default_iid, None, None);
    for a in map.nested() {
        match a.ty() {
            LISP_MAP_A_IID => {
                iid = a.get_u32().unwrap_or(u32::MAX);
                if iid > LISP_IID_MAX {
                    return Err(invalid(
                        extack,
                        c"LISP_MAP_A_IID exceeds 16777215 (24 bits)",
                        a,
                    ));
                }
            }
            LISP_MAP_A_EID => eid = Some(a),
            LISP_MAP_A_PLEN => plen = Some(a),
            _ => {}
        }
    }
    let Some(eid) = eid else {
        extack.msg_attr(
            c"LISP_MAP_A_EID is missing: an entry needs an EID prefix",
            map,
        );
        return Err(EINVAL);
    };
    let addr = address(
        eid,
        c"LISP_MAP_A_EID must be 4 (IPv4) or 16 (IPv6) bytes",
        extack,
    )?;
    let v6 = addr.v6;
    let Some(plen_attr) = plen else {
        extack.msg_attr(
            c"LISP_MAP_A_PLEN is missing: an entry needs a prefix length",
            map,
        );
        return Err(EINVAL);
    };
    let plen = plen_attr.get_u8();
    if plen > if v6 { 128 } else { 32 } {
        let msg = if v6 {
            c"LISP_MAP_A_PLEN exceeds 128 for an IPv6 EID"
        } else {
            c"LISP_MAP_A_PLEN exceeds 32 for an IPv4 EID"
        };
        return Err(invalid(extack, msg, plen_attr));
    }
    let p = Prefix { iid, addr, plen };
    if host_bits_set(p.addr.as_bytes(), plen) {
        return Err(invalid(
            extack,
            c"LISP_MAP_A_EID has host bits set beyond LISP_MAP_A_PLEN",
            eid,
        ));
    }
    Ok(p)
}

/// Parses one `LISP_MAP_A_RLOC` nest.
fn parse_rloc(nest: &Attr, extack: &mut ExtAck<'_>) -> Result<Rloc> {
    let mut r = Rloc {
        addr: IpAddr::default(),
        priority: 1,
        weight: 100,
        up: true,
    };
    let mut have_addr = false;
    for a in nest.nested() {
        match a.ty() {
            LISP_RLOC_A_ADDR => {
                r.addr = address(
                    a,
                    c"LISP_RLOC_A_ADDR must be 4 (IPv4) or 16 (IPv6) bytes",
                    extack,
                )?;
                have_addr = true;
            }
            LISP_RLOC_A_PRIORITY => r.priority = a.get_u8(),
            LISP_RLOC_A_WEIGHT => {
                r.weight = a.get_u8();
                if r.weight > LISP_WEIGHT_MAX {
                    return Err(invalid(extack, c"LISP_RLOC_A_WEIGHT exceeds 100", a));
                }
            }
            LISP_RLOC_A_UP => {
                r.up = match a.get_u8() {
                    0 => false,
                    1 => true,
                    _ => return Err(invalid(extack, c"LISP_RLOC_A_UP must be 0 or 1", a)),
                }
            }
            _ => {}
        }
    }
    if !have_addr {
        return Err(invalid(
            extack,
            c"LISP_RLOC_A_ADDR is missing: an RLOC needs an address",
            nest,
        ));
    }
    if let Err(e) = rloc::validate(core::slice::from_ref(&r)) {
        return Err(invalid(extack, e.message(), nest));
    }
    Ok(r)
}

/// Parses the body of a `LISP_A_MAP` nest for MAP_ADD.
fn parse_entry(map: &Attr, extack: &mut ExtAck<'_>) -> Result<Entry> {
    let mut entry = Entry {
        rlocs: Rlocs::NONE,
        ttl: 0,
        expires: 0,
        action: LISP_ACTION_DROP,
        origin: LISP_ORIGIN_STATIC,
        used: AtomicBool::new(false),
    };
    let mut action = None;
    for a in map.nested() {
        match a.ty() {
            LISP_MAP_A_RLOC => {
                if entry.rlocs.len() >= LISP_MAX_RLOCS {
                    return Err(invalid(extack, c"too many LISP_MAP_A_RLOC: at most 8", a));
                }
                let r = parse_rloc(a, extack)?;
                entry.rlocs.push(r)?;
            }
            LISP_MAP_A_TTL => entry.ttl = a.get_u32().unwrap_or(0),
            LISP_MAP_A_ACTION => action = Some(a),
            // The policy limits it to LISP_ORIGIN_MAX.
            LISP_MAP_A_ORIGIN => entry.origin = a.get_u8(),
            _ => {}
        }
    }
    match (action, entry.rlocs.is_empty()) {
        (None, true) => {
            extack.msg_attr(
                c"an entry needs a LISP_MAP_A_RLOC or a LISP_MAP_A_ACTION",
                map,
            );
            return Err(EINVAL);
        }
        (Some(a), false) => {
            return Err(invalid(
                extack,
                c"LISP_MAP_A_ACTION is for negative entries (no RLOC)",
                a,
            ));
        }
        (Some(a), true) => {
            entry.action = a.get_u8();
            if entry.action > LISP_ACTION_NOTIFY {
                return Err(invalid(
                    extack,
                    c"LISP_MAP_A_ACTION must be 0 (drop), 1 (forward) or 2 (notify)",
                    a,
                ));
            }
        }
        (None, false) => {}
    }
    if entry.ttl > 0 {
        entry.expires = netdev::seconds().saturating_add(entry.ttl);
    }
    Ok(entry)
}

/// Writes `IFINDEX` and `IFNAME` of `dev`.
fn put_device(w: &mut Writer<'_>, dev: &NetDevice) -> Result {
    w.put_u32(LISP_A_IFINDEX, dev.ifindex() as u32)?;
    let name = dev.name();
    let cname = CStr::from_bytes_until_nul(&name).map_err(|_| EINVAL)?;
    w.put_str(LISP_A_IFNAME, cname)
}

/// Writes a `LISP_A_MAP` nest for `p` and `e`; `selected` for lookups.
fn put_entry(w: &mut Writer<'_>, p: &Prefix, e: Option<&Entry>, selected: Option<usize>) -> Result {
    w.nest(LISP_A_MAP, |w| {
        w.put_u32(LISP_MAP_A_IID, p.iid)?;
        w.put(LISP_MAP_A_EID, p.addr.as_bytes())?;
        w.put_u8(LISP_MAP_A_PLEN, p.plen)?;
        let Some(e) = e else { return Ok(()) };
        for r in e.rlocs.iter() {
            w.nest(LISP_MAP_A_RLOC, |w| {
                w.put(LISP_RLOC_A_ADDR, r.addr.as_bytes())?;
                w.put_u8(LISP_RLOC_A_PRIORITY, r.priority)?;
                w.put_u8(LISP_RLOC_A_WEIGHT, r.weight)?;
                w.put_u8(LISP_RLOC_A_UP, r.up.into())
            })?;
        }
        if e.rlocs.is_empty() {
            w.put_u8(LISP_MAP_A_ACTION, e.action)?;
        }
        if e.ttl > 0 {
            w.put_u32(LISP_MAP_A_TTL, e.ttl)?;
            w.put_u32(
                LISP_MAP_A_EXPIRES,
                e.expires.saturating_sub(netdev::seconds()),
            )?;
        }
        w.put_u8(LISP_MAP_A_ORIGIN, e.origin)?;
        w.put_u8(LISP_MAP_A_USED, e.was_used().into())?;
        if let Some(i) = selected {
            w.put_u32(LISP_MAP_A_SELECTED, i as u32)?;
        }
        Ok(())
    })
}

/// Builds a map-change event (`LISP_CMD_MAP_ADD`/`LISP_CMD_MAP_DEL`), if anyone listens.
/// Sleeps: not for RCU read-side sections.
fn map_event(dev: &NetDevice, cmd: u8, p: &Prefix, e: Option<&Entry>) -> Option<Msg> {
    if !genl::has_listeners(&FAMILY, dev.net()?) {
        return None;
    }
    let mut msg = Msg::event(&FAMILY, cmd, false).ok()?;
    let mut w = msg.writer();
    put_device(&mut w, dev).ok()?;
    put_entry(&mut w, p, e, None).ok()?;
    Some(msg)
}

/// Sends an event built by [`map_event`] to the "events" group of `dev`'s namespace.
fn send_event(dev: &NetDevice, msg: Option<Msg>) {
    if let (Some(msg), Some(net)) = (msg, dev.net()) {
        // A lost event is not an error for the change that caused it.
        let _ = msg.multicast(&FAMILY, net, false);
    }
}

/// Multicasts a map change (`LISP_CMD_MAP_ADD`/`LISP_CMD_MAP_DEL`) to the "events" group.
/// Sleeps: not for RCU read-side sections.
pub(crate) fn notify_map(dev: &NetDevice, cmd: u8, p: &Prefix, e: Option<&Entry>) {
    send_event(dev, map_event(dev, cmd, p, e));
}

/// Multicasts a cache miss (`LISP_CMD_MISS`); may run on the packet path.
pub(crate) fn notify_miss(dev: &NetDevice, iid: u32, addr: &[u8]) -> bool {
    let Some(net) = dev.net() else { return false };
    if !genl::has_listeners(&FAMILY, net) {
        return false;
    }
    let Ok(mut msg) = Msg::event(&FAMILY, LISP_CMD_MISS, true) else {
        return false;
    };
    let mut w = msg.writer();
    if put_device(&mut w, dev).is_err()
        || w.put_u32(LISP_A_IID, iid).is_err()
        || w.put(LISP_A_LOOKUP, addr).is_err()
    {
        return false;
    }
    msg.multicast(&FAMILY, net, true).is_ok()
}

/// Points the user at the entry an `ENOMEM` stopped at: the entries before it in the request
/// are in the map-cache, this one and those after it are not.
fn no_memory(extack: &mut ExtAck<'_>, e: Error, map: &Attr) {
    if e == ENOMEM {
        extack.msg_attr(c"cannot allocate memory for this map-cache entry", map);
    }
}

fn map_add(req: &Request<'_>) -> Result {
    let mut extack = req.extack();
    let dev = find_device(&req.attrs(), req.net()?, &mut extack)?;
    let lisp = lisp(&dev)?;
    let flags = req.nlmsg_flags();
    let mode = if flags & NLM_F_REPLACE != 0 && flags & NLM_F_EXCL == 0 {
        AddMode::Replace
    } else {
        AddMode::Exclusive
    };
    let mut any = false;
    // Entries are applied in order; the first failure stops the request, and its extack points
    // into the failing nest so the sender can tell which entry it was.
    for map in req.attr_stream().filter(|a| a.ty() == LISP_A_MAP) {
        any = true;
        let prefix = parse_prefix(map, lisp.default_iid(), &mut extack)?;
        let entry = parse_entry(map, &mut extack)
            .and_then(|e| Ok(RcuBox::new(e, map_cache::GFP)?))
            .inspect_err(|&e| no_memory(&mut extack, e, map))?;
        // Built before the entry goes into the map, where it may only be read under RCU.
        let event = map_event(&dev, LISP_CMD_MAP_ADD, &prefix, Some(&entry));
        let max = lisp.map_max();
        if let Err(e) = lisp.map().add(&prefix, entry, mode, max) {
            if e == EEXIST {
                extack.msg_attr(c"map-cache entry exists (NLM_F_REPLACE replaces it)", map);
            } else if e == ENOSPC {
                extack.msg_fmt_attr(
                    format_args!("map-cache full ({max} entries, IFLA_LISP_MAP_MAX)"),
                    map,
                );
            }
            no_memory(&mut extack, e, map);
            return Err(e);
        }
        send_event(&dev, event);
    }
    if !any {
        extack.msg(c"no LISP_A_MAP entry in the request");
        return Err(EINVAL);
    }
    Ok(())
}

fn map_del(req: &Request<'_>) -> Result {
    let mut extack = req.extack();
    let dev = find_device(&req.attrs(), req.net()?, &mut extack)?;
    let lisp = lisp(&dev)?;
    let mut any = false;
    for map in req.attr_stream().filter(|a| a.ty() == LISP_A_MAP) {
        any = true;
        let prefix = parse_prefix(map, lisp.default_iid(), &mut extack)?;
        if let Err(e) = lisp.map().del(&prefix) {
            extack.msg_attr(c"no such map-cache entry", map);
            return Err(e);
        }
        notify_map(&dev, LISP_CMD_MAP_DEL, &prefix, None);
    }
    if !any {
        extack.msg(c"no LISP_A_MAP entry in the request");
        return Err(EINVAL);
    }
    Ok(())
}

fn map_get(req: &Request<'_>) -> Result {
    let mut extack = req.extack();
    let attrs = req.attrs();
    let dev = find_device(&attrs, req.net()?, &mut extack)?;
    let lisp = lisp(&dev)?;
    let mut msg = req.reply(LISP_CMD_MAP_GET)?;
    let mut w = msg.writer();
    put_device(&mut w, &dev)?;
    let found = if let Some(addr_attr) = attrs.get(LISP_A_LOOKUP) {
        let iid = attrs
            .get(LISP_A_IID)
            .and_then(Attr::get_u32)
            .unwrap_or(lisp.default_iid());
        if iid > LISP_IID_MAX {
            extack.msg(c"LISP_A_IID exceeds 16777215 (24 bits)");
            return Err(EINVAL);
        }
        let addr = address(
            addr_attr,
            c"LISP_A_LOOKUP must be 4 (IPv4) or 16 (IPv6) bytes",
            &mut extack,
        )?;
        let hash = attrs.get(LISP_A_HASH).and_then(Attr::get_u32).unwrap_or(0);
        lisp.map().lookup(iid, addr.as_bytes(), |p, e| {
            put_entry(&mut w, p, Some(e), e.select(hash))
        })
    } else if let Some(map) = attrs.get(LISP_A_MAP) {
        let prefix = parse_prefix(map, lisp.default_iid(), &mut extack)?;
        lisp.map()
            .get(&prefix, |e| put_entry(&mut w, &prefix, Some(e), None))
    } else {
        extack.msg(c"MAP_GET needs a LISP_A_MAP prefix or a LISP_A_LOOKUP address");
        return Err(EINVAL);
    };
    match found {
        Some(r) => r?,
        None => {
            extack.msg(c"no map-cache entry matches");
            return Err(ENOENT);
        }
    }
    req.send(msg)
}

fn map_flush(req: &Request<'_>) -> Result {
    let mut extack = req.extack();
    let attrs = req.attrs();
    let dev = find_device(&attrs, req.net()?, &mut extack)?;
    let iid = attrs.get(LISP_A_IID).and_then(Attr::get_u32);
    if iid.is_some_and(|i| i > LISP_IID_MAX) {
        extack.msg(c"LISP_A_IID exceeds 16777215 (24 bits)");
        return Err(EINVAL);
    }
    lisp(&dev)?
        .map()
        .flush(iid, |p| notify_map(&dev, LISP_CMD_MAP_DEL, p, None));
    Ok(())
}

/// Writes the DEV_GET attributes of `dev`.
fn put_dev_info(w: &mut Writer<'_>, dev: &NetDevice, lisp: &Lisp) -> Result {
    put_device(w, dev)?;
    w.put_u32(LISP_A_DEFAULT_IID, lisp.default_iid())?;
    w.put_u16(LISP_A_PORT, lisp.port())?;
    w.put_u32(LISP_A_MAP_COUNT, lisp.map().len())?;
    w.nest(LISP_A_STATS, |w| {
        for s in Stat::ALL {
            w.put_u64(s as u16, lisp.stat(s), LISP_STAT_A_PAD)?;
        }
        Ok(())
    })
}

fn dev_get(req: &Request<'_>) -> Result {
    let mut extack = req.extack();
    let dev = find_device(&req.attrs(), req.net()?, &mut extack)?;
    let mut msg = req.reply(LISP_CMD_DEV_GET)?;
    put_dev_info(&mut msg.writer(), &dev, lisp(&dev)?)?;
    req.send(msg)
}

/// Dump state in `netlink_callback::ctx`: `[0]` started, `[1]` family of the cursor (6 or 4),
/// `[2]` cursor prefix length, `[4..8]` cursor IID, `[8..24]` cursor address.
fn map_dump(dump: &mut Dump<'_>) -> Result {
    let attrs = dump.attrs();
    let mut extack = dump.extack();
    let dev = find_device(&attrs, dump.net()?, &mut extack)?;
    let lisp = lisp(&dev)?;
    let iid = attrs.get(LISP_A_IID).and_then(Attr::get_u32);
    if iid.is_some_and(|i| i > LISP_IID_MAX) {
        extack.msg(c"LISP_A_IID exceeds 16777215 (24 bits)");
        return Err(EINVAL);
    }
    let ctx = *dump.ctx();
    let cursor = (ctx[0] != 0).then(|| {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&ctx[8..24]);
        Prefix {
            iid: u32::from_ne_bytes([ctx[4], ctx[5], ctx[6], ctx[7]]),
            addr: IpAddr {
                bytes,
                v6: ctx[1] == 6,
            },
            plen: ctx[2],
        }
    });
    dump.set_generation(lisp.map().generation());
    let mut last = None;
    let mut result = Ok(());
    lisp.map().walk(cursor.as_ref(), iid, |p, e| {
        match dump.entry(LISP_CMD_MAP_GET, |w| {
            put_device(w, &dev)?;
            put_entry(w, p, Some(e), None)
        }) {
            Ok(true) => {
                last = Some(*p);
                true
            }
            Ok(false) => false,
            Err(err) => {
                result = Err(err);
                false
            }
        }
    });
    result?;
    if let Some(p) = last {
        let ctx = dump.ctx();
        ctx[0] = 1;
        ctx[1] = if p.v6() { 6 } else { 4 };
        ctx[2] = p.plen;
        ctx[4..8].copy_from_slice(&p.iid.to_ne_bytes());
        ctx[8..24].copy_from_slice(&p.addr.bytes);
    }
    Ok(())
}

/// Dump state: `[0..8]` the next interface index to look at.
fn dev_dump(dump: &mut Dump<'_>) -> Result {
    let net = dump.net()?;
    let mut next = usize::from_ne_bytes(dump.ctx()[..8].try_into().map_err(|_| EINVAL)?);
    let rcu = ReadGuard::new();
    let mut result = Ok(());
    netdev::for_each_rcu(net, &rcu, &mut next, |dev| {
        let Some(lisp) = downcast::<Lisp>(dev) else {
            return true;
        };
        match dump.entry(LISP_CMD_DEV_GET, |w| put_dev_info(w, dev, lisp)) {
            Ok(full) => full,
            Err(e) => {
                result = Err(e);
                false
            }
        }
    });
    drop(rcu);
    dump.ctx()[..8].copy_from_slice(&next.to_ne_bytes());
    result
}

export_doit! {
    lisp_nl_map_add_doit => map_add,
    lisp_nl_map_del_doit => map_del,
    lisp_nl_map_get_doit => map_get,
    lisp_nl_map_flush_doit => map_flush,
    lisp_nl_dev_get_doit => dev_get,
}

export_dumpit! {
    lisp_nl_map_get_dumpit => map_dump,
    lisp_nl_dev_get_dumpit => dev_dump,
}
