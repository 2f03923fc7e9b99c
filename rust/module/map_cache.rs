// SPDX-License-Identifier: GPL-2.0

//! The map-cache: for each instance ID, longest-prefix-match tables from EID prefixes to sets of
//! locators (RLOCs), or to an action for negative entries.
//!
//! Two tries hold everything: keys are the 24-bit instance ID (3 big-endian bytes) followed by
//! the EID address, so one longest-prefix match per packet covers both, and the entries of
//! one instance ID are contiguous (dumps and flushes per IID walk just that range). Readers (the
//! transmit path, lookups) take no lock: they run under RCU. Writers are serialised by
//! `MapCache::writer`; replaced and deleted entries and trie nodes are freed after a grace
//! period.

use crate::proto::addr::IpAddr;
use crate::proto::rloc::{self, Rloc};
use crate::sys::rcu::{RcuBox, ReadGuard, Writer};
use crate::sys::rcu_trie::RcuTrie;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL_ACCOUNT, Flags};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::Mutex;

/// The allocation flags of everything an entry is made of (the entry, its locators, trie
/// nodes): charged to the memory cgroup of the task adding it, as the kernel does for objects
/// userspace makes it allocate, so that a cgroup's `memory.max` bounds the map-cache it fills
/// and an add over the limit fails with `ENOMEM`.
pub(crate) const GFP: Flags = GFP_KERNEL_ACCOUNT;

/// Key length of IPv4 entries: instance ID (3) + address (4). With it a trie node is 32 bytes.
pub(crate) const V4_KEY: usize = 7;
/// Key length of IPv6 entries: instance ID (3) + address (16).
pub(crate) const V6_KEY: usize = 19;
/// Bits of a key before the address: the instance ID.
const IID_BITS: u8 = 24;

/// An EID prefix in one instance ID.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    /// Instance ID, 0..=LISP_IID_MAX.
    pub(crate) iid: u32,
    /// The address.
    pub(crate) addr: IpAddr,
    /// Prefix length, 0..=32 or 0..=128.
    pub(crate) plen: u8,
}

impl Prefix {
    /// Whether the prefix is of IPv6 addresses.
    pub(crate) fn v6(&self) -> bool {
        self.addr.v6
    }

    fn key<const N: usize>(&self) -> [u8; N] {
        let mut key = [0u8; N];
        key[..3].copy_from_slice(&self.iid.to_be_bytes()[1..]);
        let addr = self.addr.as_bytes();
        key[3..3 + addr.len()].copy_from_slice(addr);
        key
    }

    /// The prefix length in the trie: instance ID bits, then address bits.
    fn key_len(&self) -> u8 {
        self.plen + IID_BITS
    }

    fn from_key(key: &[u8], plen: u8) -> Self {
        Self {
            iid: u32::from_be_bytes([0, key[0], key[1], key[2]]),
            addr: IpAddr::from_slice(&key[3..]).unwrap_or_default(),
            plen: plen.saturating_sub(IID_BITS),
        }
    }
}

/// The locators of an entry: one (the common case) kept inline, more on the heap.
pub(crate) enum Rlocs {
    /// None or one.
    Inline(Option<Rloc>),
    /// Two or more.
    Heap(KVec<Rloc>),
}

impl Rlocs {
    /// No locator.
    pub(crate) const NONE: Rlocs = Rlocs::Inline(None);

    /// Appends a locator.
    pub(crate) fn push(&mut self, r: Rloc) -> Result {
        match self {
            Rlocs::Inline(None) => *self = Rlocs::Inline(Some(r)),
            Rlocs::Inline(Some(first)) => {
                let mut v = KVec::with_capacity(2, GFP)?;
                v.push(*first, GFP)?;
                v.push(r, GFP)?;
                *self = Rlocs::Heap(v);
            }
            Rlocs::Heap(v) => v.push(r, GFP)?,
        }
        Ok(())
    }
}

impl core::ops::Deref for Rlocs {
    type Target = [Rloc];

    fn deref(&self) -> &[Rloc] {
        match self {
            Rlocs::Inline(r) => r.as_slice(),
            Rlocs::Heap(v) => v,
        }
    }
}

/// A map-cache entry. Small enough, with the `rcu_head` of its `RcuBox`, for a 64-byte slab
/// object when it has one RLOC.
pub(crate) struct Entry {
    /// The locators, in the order given; empty for a negative entry.
    pub(crate) rlocs: Rlocs,
    /// Time to live in seconds as given (0: never expires).
    pub(crate) ttl: u32,
    /// When the entry expires, in `ktime_get_seconds()` time (meaningful when `ttl > 0`).
    pub(crate) expires: u32,
    /// What to do with packets of a negative entry (`LISP_ACTION_*`).
    pub(crate) action: u8,
    /// Who installed the entry (`LISP_ORIGIN_*`).
    pub(crate) origin: u8,
    /// Whether a packet used the entry since it was installed (a replacement is a new entry).
    /// Set by the transmit path, read by MAP_GET; `lispd` refreshes only entries in use.
    pub(crate) used: AtomicBool,
}

// `origin` and `used` sit in what was padding after `action`.
const _: () = assert!(core::mem::size_of::<Entry>() <= 48);

impl Entry {
    /// Notes that a packet used the entry. Loads first: once set, the transmit path only reads
    /// the cache line, which then stays shared between CPUs.
    pub(crate) fn mark_used(&self) {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    /// Whether a packet used the entry since it was installed.
    pub(crate) fn was_used(&self) -> bool {
        self.used.load(Ordering::Relaxed)
    }

    /// The index of the RLOC a packet with flow hash `hash` goes to.
    pub(crate) fn select(&self, hash: u32) -> Option<usize> {
        rloc::select(&self.rlocs, hash)
    }
}

/// How `MapCache::add` treats an existing entry for the same prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddMode {
    /// Fail with `EEXIST`.
    Exclusive,
    /// Replace it.
    Replace,
}

/// What the writer lock protects: the right to change the tries, and what goes with it.
struct WriterState {
    v4: Writer,
    v6: Writer,
    /// Entries with a TTL, so that the sweep can be skipped when there are none.
    ttl_entries: usize,
}

/// The map-cache of one device.
#[pin_data]
pub(crate) struct MapCache {
    v4: RcuTrie<Entry, V4_KEY>,
    v6: RcuTrie<Entry, V6_KEY>,
    #[pin]
    writer: Mutex<WriterState>,
    /// Bumped on every change, so dumps can flag an inconsistent view.
    generation: AtomicU32,
    count: AtomicU32,
}

/// Calls `$body` with `$t` bound to the trie of `$p`'s family and `$k` to `$p`'s key in it;
/// with `$w`, also `$tw` to that trie's writer in the writer state `$w`.
macro_rules! with_trie {
    ($self:expr, $p:expr, |$t:ident, $k:ident| $body:expr) => {
        if $p.v6() {
            let $t = &$self.v6;
            let $k = $p.key::<V6_KEY>();
            $body
        } else {
            let $t = &$self.v4;
            let $k = $p.key::<V4_KEY>();
            $body
        }
    };
    ($self:expr, $w:expr, $p:expr, |$t:ident, $tw:ident, $k:ident| $body:expr) => {
        if $p.v6() {
            let ($t, $tw) = (&$self.v6, &mut $w.v6);
            let $k = $p.key::<V6_KEY>();
            $body
        } else {
            let ($t, $tw) = (&$self.v4, &mut $w.v4);
            let $k = $p.key::<V4_KEY>();
            $body
        }
    };
}

impl MapCache {
    /// An empty map-cache.
    pub(crate) fn new() -> impl PinInit<Self> {
        let (v4, w4) = RcuTrie::new();
        let (v6, w6) = RcuTrie::new();
        pin_init!(Self {
            v4,
            v6,
            writer <- new_mutex!(
                WriterState {
                    v4: w4,
                    v6: w6,
                    ttl_entries: 0,
                },
                "MapCache::writer"
            ),
            generation: AtomicU32::new(1),
            count: AtomicU32::new(0),
        })
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    /// The current generation (changes with every update).
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::Relaxed)
    }

    fn changed(&self, delta: i32) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        if delta >= 0 {
            self.count.fetch_add(delta as u32, Ordering::Relaxed);
        } else {
            self.count
                .fetch_sub(delta.unsigned_abs(), Ordering::Relaxed);
        }
    }

    /// Adds an entry for `prefix`, or replaces the existing one (`AddMode::Replace`). A new
    /// entry fails with `ENOSPC` when the cache holds `max` or more (0: no limit); replacing
    /// an existing one always works.
    pub(crate) fn add(
        &self,
        prefix: &Prefix,
        entry: RcuBox<Entry>,
        mode: AddMode,
        max: u32,
    ) -> Result {
        let mut w = self.writer.lock();
        let has_ttl = entry.ttl > 0;
        let plen = prefix.key_len();
        let old = with_trie!(self, w, prefix, |t, tw, k| {
            let exists = t.contains(tw, &k, plen);
            if mode == AddMode::Exclusive && exists {
                return Err(EEXIST);
            }
            if !exists && max != 0 && self.len() >= max {
                return Err(ENOSPC);
            }
            t.insert(tw, &k, plen, entry)?
        });
        if has_ttl {
            w.ttl_entries += 1;
        }
        match old {
            Some(old) => {
                if old.ttl > 0 {
                    w.ttl_entries -= 1;
                }
                old.drop_deferred();
                self.changed(0);
            }
            None => self.changed(1),
        }
        Ok(())
    }

    /// Deletes the entry for `prefix`; `ENOENT` if there is none.
    pub(crate) fn del(&self, prefix: &Prefix) -> Result {
        let mut w = self.writer.lock();
        let plen = prefix.key_len();
        let old = with_trie!(self, w, prefix, |t, tw, k| t.remove(tw, &k, plen)).ok_or(ENOENT)?;
        if old.ttl > 0 {
            w.ttl_entries -= 1;
        }
        old.drop_deferred();
        self.changed(-1);
        Ok(())
    }

    /// Calls `f` with the entry for exactly `prefix`, if any.
    pub(crate) fn get<R>(&self, prefix: &Prefix, f: impl FnOnce(&Entry) -> R) -> Option<R> {
        let rcu = ReadGuard::new();
        let plen = prefix.key_len();
        with_trie!(self, prefix, |t, k| t.get_exact(&rcu, &k, plen).map(f))
    }

    /// Calls `f` with the longest-prefix match for `addr` (4 or 16 bytes) in `iid` and the
    /// matched prefix, if any. Runs under RCU only: usable on the packet path.
    pub(crate) fn lookup<R>(
        &self,
        iid: u32,
        addr: &[u8],
        f: impl FnOnce(&Prefix, &Entry) -> R,
    ) -> Option<R> {
        let rcu = ReadGuard::new();
        let probe = Prefix {
            iid,
            addr: IpAddr::from_slice(addr)?,
            plen: 0,
        };
        with_trie!(self, probe, |t, k| {
            let (entry, plen) = t.lookup(&rcu, &k)?;
            let mut matched = Prefix::from_key(&k, plen);
            mask(&mut matched.addr.bytes, matched.plen);
            Some(f(&matched, entry))
        })
    }

    /// Calls `f` on the entries after `cursor` (IPv4 before IPv6, then by key and prefix
    /// length) until it returns `false`; with `iid`, only that instance ID's entries.
    pub(crate) fn walk(
        &self,
        cursor: Option<&Prefix>,
        iid: Option<u32>,
        mut f: impl FnMut(&Prefix, &Entry) -> bool,
    ) {
        let w = self.writer.lock();
        let go_on = core::cell::Cell::new(true);
        let mut visit = |key: &[u8], plen: u8, e: &Entry| {
            let p = Prefix::from_key(key, plen);
            if iid.is_some_and(|i| i != p.iid) {
                // Keys are ordered by instance ID first: past the wanted one, stop.
                return iid.is_some_and(|i| p.iid < i);
            }
            go_on.set(f(&p, e));
            go_on.get()
        };
        let start = |v6: bool| -> Option<Prefix> {
            match (cursor, iid) {
                (Some(c), _) if c.v6() == v6 => Some(*c),
                (Some(c), _) if c.v6() && !v6 => None,
                (_, Some(i)) if i > 0 => Some(Prefix {
                    iid: i - 1,
                    addr: IpAddr {
                        bytes: [0xff; 16],
                        v6,
                    },
                    plen: if v6 { 128 } else { 32 },
                }),
                _ => None,
            }
        };
        if cursor.map_or(true, |c| !c.v6()) {
            let after = start(false).map(|p| (p.key::<V4_KEY>(), p.key_len()));
            self.v4
                .walk(&w.v4, after.as_ref().map(|(k, l)| (k, *l)), |k, l, e| {
                    visit(k, l, e)
                });
            if !go_on.get() {
                return;
            }
        }
        let after = start(true).map(|p| (p.key::<V6_KEY>(), p.key_len()));
        self.v6
            .walk(&w.v6, after.as_ref().map(|(k, l)| (k, *l)), |k, l, e| {
                visit(k, l, e)
            });
    }

    /// Deletes every entry, or those of `iid`, calling `f` with each. Returns how many.
    pub(crate) fn flush(&self, iid: Option<u32>, mut f: impl FnMut(&Prefix)) -> u32 {
        let mut deleted = 0;
        loop {
            let mut victims: KVec<Prefix> = KVec::new();
            let mut more = false;
            self.walk(None, iid, |p, _| {
                if victims.push(*p, GFP_KERNEL).is_err() {
                    more = true;
                    return false;
                }
                more = victims.len() >= 4096;
                !more
            });
            for p in victims.iter() {
                if self.del(p).is_ok() {
                    f(p);
                    deleted += 1;
                }
            }
            if !more {
                return deleted;
            }
        }
    }

    /// Deletes the entries whose TTL ran out by `now` (`ktime_get_seconds()`). Calls `f` with
    /// each.
    pub(crate) fn expire(&self, now: u32, mut f: impl FnMut(&Prefix)) {
        if self.writer.lock().ttl_entries == 0 {
            return;
        }
        let mut victims: KVec<Prefix> = KVec::new();
        self.walk(None, None, |p, e| {
            if e.ttl > 0 && now >= e.expires {
                return victims.push(*p, GFP_KERNEL).is_ok();
            }
            true
        });
        for p in victims.iter() {
            if self.del(p).is_ok() {
                f(p);
            }
        }
    }
}

/// Clears the bits of `addr` beyond `plen`.
pub(crate) fn mask(addr: &mut [u8], plen: u8) {
    for (i, b) in addr.iter_mut().enumerate() {
        let bits = usize::from(plen).saturating_sub(i * 8).min(8);
        *b &= !(0xffu8.checked_shr(bits as u32).unwrap_or(0));
    }
}

/// Whether `addr` has bits set beyond `plen`.
pub(crate) fn host_bits_set(addr: &[u8], plen: u8) -> bool {
    let mut m = [0u8; 16];
    let Some(m) = m.get_mut(..addr.len()) else {
        return true;
    };
    m.copy_from_slice(addr);
    mask(m, plen);
    m != addr
}
