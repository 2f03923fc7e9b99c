// SPDX-License-Identifier: GPL-2.0

//! A longest-prefix-match trie that readers search under RCU.
//!
//! The trie algorithm is `proto::trie` (host-tested, no kernel dependency); this file gives it
//! kernel memory and a safe interface. Values are [`RcuBox`]es owned by the trie: a replaced or
//! removed value comes back to the writer, who drops it after a grace period. Readers prove they
//! hold the RCU read lock with a [`ReadGuard`]; the one writer proves it is alone with the
//! trie's [`Writer`], made together with the trie and not copyable (keep it under a lock).

use super::bindings;
use super::rcu::{RcuBox, ReadGuard, Writer};
use crate::proto::trie::{Node, NodeAlloc, Trie, TrieError};
use core::ptr::NonNull;
use kernel::alloc::{flags::GFP_KERNEL_ACCOUNT, KBox};
use kernel::prelude::*;

/// The node allocator: `kmalloc` charged to the adding task's memory cgroup, and the headless
/// `kvfree_rcu` for nodes readers may still hold. Nodes carry no `rcu_head` (they have no drop
/// glue), which keeps an IPv4 node at 32 bytes.
pub(crate) struct RcuAlloc;

// SAFETY: `alloc` moves nodes into `KBox` memory; `free_deferred` frees it after a grace period
// (tries are read under `rcu_read_lock` only) and `free_now` immediately; both may run on any
// CPU. Nodes have no drop glue (`Link = ()`), so freeing their memory disposes of them.
unsafe impl NodeAlloc for RcuAlloc {
    type Link = ();

    fn new_link(&self) {}

    fn alloc<V, const N: usize>(&self, node: Node<V, (), N>) -> Option<NonNull<Node<V, (), N>>> {
        let b = KBox::new(node, GFP_KERNEL_ACCOUNT).ok()?;
        NonNull::new(KBox::into_raw(b))
    }

    unsafe fn free_deferred<V, const N: usize>(&self, node: NonNull<Node<V, (), N>>) {
        // SAFETY: `node` is a `kmalloc` allocation from `alloc`, freed once. The trie calls this
        // from writers, which run in process context, where `kvfree_rcu_mightsleep` may sleep.
        unsafe { bindings::lisp_kvfree_rcu(node.as_ptr().cast()) };
    }

    unsafe fn free_now<V, const N: usize>(&self, node: NonNull<Node<V, (), N>>) {
        // SAFETY: As above; no reader can hold it (function safety requirement).
        drop(unsafe { KBox::from_raw(node.as_ptr()) });
    }
}

/// A trie mapping `[u8; N]` prefixes to values of type `V`.
///
/// # Invariants
///
/// Every value in `trie` came from [`RcuBox::into_raw`] and is owned by the trie. Exactly one
/// [`Writer`] carries `id`, and only a caller holding it mutably calls the trie's writers.
pub(crate) struct RcuTrie<V, const N: usize> {
    trie: Trie<V, RcuAlloc, N>,
    id: usize,
}

impl<V: Send + Sync, const N: usize> RcuTrie<V, N> {
    /// An empty trie and the right to change it.
    pub(crate) fn new() -> (Self, Writer) {
        let w = Writer::new();
        // INVARIANT: Empty; the only `Writer` with this identity is returned with it.
        let trie = Self {
            trie: Trie::new(RcuAlloc),
            id: w.id(),
        };
        (trie, w)
    }

    /// Whether `w` is this trie's writer.
    fn writes(&self, w: &Writer) -> bool {
        w.id() == self.id
    }

    /// The longest prefix containing `key`: its value and prefix length.
    pub(crate) fn lookup<'a>(&'a self, _rcu: &'a ReadGuard, key: &[u8; N]) -> Option<(&'a V, u8)> {
        self.trie.lookup(key)
    }

    /// The value of exactly the prefix `(key, plen)`.
    pub(crate) fn get_exact<'a>(
        &'a self,
        _rcu: &'a ReadGuard,
        key: &[u8; N],
        plen: u8,
    ) -> Option<&'a V> {
        self.trie.get_exact(key, plen)
    }

    /// Whether the prefix `(key, plen)` has a value; for the writer, which may sleep. Holding
    /// the writer keeps every node in place (`false` for another trie's writer).
    pub(crate) fn contains(&self, w: &Writer, key: &[u8; N], plen: u8) -> bool {
        self.writes(w) && self.trie.get_exact(key, plen).is_some()
    }

    /// Visits the entries after `after` in order until `f` returns `false` (see `Trie::walk`).
    /// Holding the writer keeps every entry in place, so `f` may sleep (another trie's writer
    /// sees no entry).
    pub(crate) fn walk(
        &self,
        w: &Writer,
        after: Option<(&[u8; N], u8)>,
        f: impl FnMut(&[u8; N], u8, &V) -> bool,
    ) -> bool {
        !self.writes(w) || self.trie.walk(after, f)
    }

    /// Sets the value of prefix `(key, plen)`, returning the one it replaces, which readers may
    /// still use: drop it with [`RcuBox::drop_deferred`]. `EINVAL` for a prefix the trie cannot
    /// hold, `ENOMEM` without memory; the trie is unchanged then.
    pub(crate) fn insert(
        &self,
        w: &mut Writer,
        key: &[u8; N],
        plen: u8,
        value: RcuBox<V>,
    ) -> Result<Option<RcuBox<V>>> {
        if !self.writes(w) {
            return Err(EINVAL);
        }
        let p = value.into_raw();
        // SAFETY: `w` is this trie's only writer (type invariant) and is borrowed mutably for
        // the call, so no other writer runs. `p` stays valid until the trie hands it back, and
        // whoever takes it back frees it after a grace period (or when no reader is left).
        match unsafe { self.trie.insert(key, plen, p) } {
            // SAFETY: The value the trie handed back came from `into_raw` (type invariant).
            Ok(old) => Ok(old.map(|o| unsafe { RcuBox::from_raw(o) })),
            Err(e) => {
                // SAFETY: `p` was not stored: it is still ours.
                drop(unsafe { RcuBox::from_raw(p) });
                Err(if e == TrieError::NoMemory {
                    ENOMEM
                } else {
                    EINVAL
                })
            }
        }
    }

    /// Removes prefix `(key, plen)` and returns its value, which readers may still use: drop it
    /// with [`RcuBox::drop_deferred`].
    pub(crate) fn remove(&self, w: &mut Writer, key: &[u8; N], plen: u8) -> Option<RcuBox<V>> {
        if !self.writes(w) {
            return None;
        }
        // SAFETY: `w` is this trie's only writer, borrowed mutably for the call.
        let old = unsafe { self.trie.remove(key, plen) }?;
        // SAFETY: The value came from `into_raw` (type invariant) and is ours again.
        Some(unsafe { RcuBox::from_raw(old) })
    }
}

impl<V, const N: usize> Drop for RcuTrie<V, N> {
    fn drop(&mut self) {
        // SAFETY: Every value came from `RcuBox::into_raw` (type invariant); `&mut self` rules out
        // readers, so the values can be dropped now.
        self.trie.destroy(|v| drop(unsafe { RcuBox::from_raw(v) }));
    }
}
