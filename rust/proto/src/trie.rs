// SPDX-License-Identifier: GPL-2.0
//
// Longest-prefix-match trie of the map-cache.
//
// A path-compressed binary trie keyed by fixed-size byte arrays (`[u8; N]`, prefix lengths
// `0..=8*N`), in the spirit of WireGuard's allowedips. The kernel keys IPv4 EIDs with N = 8
// (instance ID, big-endian, then the address; prefix length 32 + plen) and IPv6 EIDs with N = 20.
//
// Readers (`lookup`, `get_exact`, `walk`, `len`) run concurrently with one writer and take no
// lock: every pointer a reader follows is an `AtomicPtr` that the writer publishes with a
// `Release` store once what it points to is fully initialised, and readers load with `Acquire`.
// A node's key and prefix length never change after it is published; the writer never frees a
// node a reader may still hold, but hands unpublished nodes to `NodeAlloc::free_deferred` (an RCU
// grace period in the kernel). Writers (`insert`, `remove`, `clear`) are `unsafe fn`s whose
// callers promise that no other writer runs at the same time (the kernel holds a mutex).
//
// Shape: every node either holds a value or has two children (nodes without a value and with
// fewer than two children are pruned), so a trie of `n` entries has fewer than `2n` nodes. Child
// `b` of a node with prefix length `c` extends the node's prefix and has bit `c` equal to `b`.
// In pre-order (node, child 0, child 1) the nodes are sorted by (key bytes, prefix length), the
// order `walk` visits entries in.

use core::ffi::CStr;
use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// A trie node: one prefix, its value if any, and two children.
///
/// Nodes are created by the trie and moved into memory by [`NodeAlloc::alloc`]; an allocator
/// only moves, stores and frees them. `Node` has no drop glue of its own (only `L` may have
/// some), so freeing its memory is enough to dispose of it.
///
/// # Invariants
///
/// `key` has no bit set past `cidr <= 8 * N`, and neither changes once the node is published.
/// `left`, `right` and `value` are null or hold pointers as described for [`Trie`].
pub struct Node<V, L, const N: usize> {
    /// The child whose bit at position `cidr` is 0.
    left: AtomicPtr<Node<V, L, N>>,
    /// The child whose bit at position `cidr` is 1.
    right: AtomicPtr<Node<V, L, N>>,
    /// The entry's value; null for a node that only joins two subtrees.
    value: AtomicPtr<V>,
    /// The prefix; bits past `cidr` are zero.
    key: [u8; N],
    /// The prefix length, at most `8 * N`.
    cidr: u8,
    /// Storage for the allocator's own use (the kernel keeps an `rcu_head` here).
    pub link: L,
}

impl<V, L, const N: usize> Node<V, L, N> {
    /// Makes an unpublished node with no children.
    fn new(key: [u8; N], cidr: u8, value: *mut V, link: L) -> Self {
        Self {
            left: AtomicPtr::new(ptr::null_mut()),
            right: AtomicPtr::new(ptr::null_mut()),
            value: AtomicPtr::new(value),
            key,
            cidr,
            link,
        }
    }

    /// Returns the child slot for bit value `b`.
    fn child(&self, b: bool) -> &AtomicPtr<Self> {
        if b {
            &self.right
        } else {
            &self.left
        }
    }

    /// Returns the prefix of this node (bits past [`Node::prefix_len`] are zero).
    pub fn key(&self) -> &[u8; N] {
        &self.key
    }

    /// Returns the prefix length of this node.
    pub fn prefix_len(&self) -> u8 {
        self.cidr
    }
}

/// Allocates and frees the trie's nodes.
///
/// The kernel implements it with kmalloc and `call_rcu`; host tests with `Box`.
///
/// # Safety
///
/// Implementations must:
/// - return from [`NodeAlloc::alloc`] a pointer to a properly aligned node holding exactly the
///   node they were given, which stays valid and in place until it is passed to
///   [`NodeAlloc::free_deferred`] or [`NodeAlloc::free_now`];
/// - in [`NodeAlloc::free_deferred`], keep the node valid until every call of a reader method
///   ([`Trie::lookup`], [`Trie::get_exact`], [`Trie::walk`]) on the trie that was in progress when
///   `free_deferred` was called has returned. In the kernel: the node is freed after an RCU grace
///   period (`call_rcu`), and the module calls reader methods only inside RCU read-side critical
///   sections (for example by reaching the trie only through a read guard);
/// - allow [`NodeAlloc::Link`] values and nodes to be freed from any thread.
pub unsafe trait NodeAlloc {
    /// Per-node storage for the allocator's own use (an `rcu_head` in the kernel; `()` on the
    /// host). The trie never touches it after [`NodeAlloc::new_link`] made it.
    type Link;

    /// Makes the [`NodeAlloc::Link`] of a node about to be allocated.
    fn new_link(&self) -> Self::Link;

    /// Moves `node` into memory; `None` when out of memory.
    fn alloc<V, const N: usize>(
        &self,
        node: Node<V, Self::Link, N>,
    ) -> Option<NonNull<Node<V, Self::Link, N>>>;

    /// Frees `node` once no reader can hold it any more (after an RCU grace period in the kernel).
    ///
    /// # Safety
    ///
    /// `node` must come from [`NodeAlloc::alloc`] on this allocator, must not have been freed
    /// already and must no longer be reachable from the trie by readers that start now.
    unsafe fn free_deferred<V, const N: usize>(&self, node: NonNull<Node<V, Self::Link, N>>);

    /// Frees `node` now (teardown, when no reader can exist).
    ///
    /// # Safety
    ///
    /// `node` must come from [`NodeAlloc::alloc`] on this allocator, must not have been freed
    /// already, and no reader may hold it or be able to reach it.
    unsafe fn free_now<V, const N: usize>(&self, node: NonNull<Node<V, Self::Link, N>>);
}

/// Why [`Trie::insert`] refused a prefix; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrieError {
    /// The prefix length is larger than the key's `8 * N` bits.
    PrefixTooLong,
    /// The key has bits set past the prefix length.
    HostBits,
    /// A node could not be allocated.
    NoMemory,
}

impl TrieError {
    /// Returns a message for the user (netlink extended ack).
    pub fn message(&self) -> &'static CStr {
        match self {
            Self::PrefixTooLong => c"EID prefix length too long for the address family",
            Self::HostBits => c"EID prefix has host bits set",
            Self::NoMemory => c"out of memory for the map-cache",
        }
    }
}

/// The node type of a trie using allocator `A`.
type NodeOf<V, A, const N: usize> = Node<V, <A as NodeAlloc>::Link, N>;

/// How many pending subtrees [`Trie::walk`] keeps on its stack (8 bytes each); deeper walks
/// re-seek from the root when the stack runs dry after it overflowed.
const WALK_STACK: usize = 32;

/// How many ancestors the teardown keeps; deeper trees re-descend from the root when needed.
const FREE_STACK: usize = 32;

/// A longest-prefix-match trie from `[u8; N]` prefixes to caller-owned values `NonNull<V>`.
///
/// Reader methods take `&self` and need no lock; writer methods are `unsafe` and must not run
/// concurrently with each other. Values stay owned by the caller: the trie only stores the
/// pointers and hands each one back exactly once (from [`Trie::insert`] when replaced, from
/// [`Trie::remove`], or to the closure of [`Trie::clear`] or [`Trie::destroy`]).
///
/// Dropping the trie frees its nodes but not the values still in it: call [`Trie::destroy`] (or
/// [`Trie::clear`]) first to get them back.
///
/// # Invariants
///
/// - Every node reachable from `root` came from `alloc`, is reachable through exactly one
///   pointer, and its `key` has no bit set past `cidr <= 8 * N`.
/// - Child `b` of a node with prefix `(k, c)` has a prefix length larger than `c`, agrees with
///   `k` on the first `c` bits and has bit `c` equal to `b`.
/// - A node without a value has two children.
/// - `len` is the number of reachable nodes with a value, and every value pointer was given to
///   [`Trie::insert`], whose contract keeps it valid for shared access.
pub struct Trie<V, A: NodeAlloc, const N: usize> {
    /// The root node, null when the trie is empty.
    root: AtomicPtr<NodeOf<V, A, N>>,
    /// The number of entries (nodes with a value).
    len: AtomicUsize,
    /// The node allocator.
    alloc: A,
    /// The trie shares `&V` with readers and passes values between threads.
    _values: PhantomData<*const V>,
}

// SAFETY: Moving the trie moves its nodes (which the allocator may free from any thread, by the
// `NodeAlloc` contract) and the value pointers it hands back later on that thread: `V: Send`.
// Readers on other threads get `&V` only through `&Trie`, covered by `Sync` below.
unsafe impl<V: Send + Sync, A: NodeAlloc + Send, const N: usize> Send for Trie<V, A, N> {}

// SAFETY: Through `&Trie`, readers on any thread get `&V` (`V: Sync`), writers on any thread
// take values out (`V: Send`) and use `&A` (`A: Sync`); all shared node fields are atomics or
// immutable after publication.
unsafe impl<V: Send + Sync, A: NodeAlloc + Sync, const N: usize> Sync for Trie<V, A, N> {}

/// Returns bit `i` of `key`, counting from the most significant bit of byte 0; `false` past the
/// end.
fn bit<const N: usize>(key: &[u8; N], i: usize) -> bool {
    key.get(i >> 3).is_some_and(|b| (b << (i & 7)) & 0x80 != 0)
}

/// Returns how many leading bits `a` and `b` have in common (`8 * N` when they are equal).
fn common_bits<const N: usize>(a: &[u8; N], b: &[u8; N]) -> usize {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let d = x ^ y;
        if d != 0 {
            return i * 8 + d.leading_zeros() as usize;
        }
    }
    N * 8
}

/// Returns whether `a` and `b` agree on their first `bits` bits.
fn prefix_eq<const N: usize>(a: &[u8; N], b: &[u8; N], bits: usize) -> bool {
    let full = bits >> 3;
    let rem = bits & 7;
    match (a.get(..full), b.get(..full)) {
        (Some(x), Some(y)) if x == y => {}
        _ => return false,
    }
    if rem == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    match (a.get(full), b.get(full)) {
        (Some(x), Some(y)) => (x ^ y) & mask == 0,
        _ => false,
    }
}

/// Returns the mask of the bits of byte `i` that lie within a prefix of `plen` bits.
fn byte_mask(i: usize, plen: usize) -> u8 {
    let start = i * 8;
    if plen <= start {
        0
    } else if plen - start >= 8 {
        0xff
    } else {
        !(0xffu8 >> (plen - start))
    }
}

/// Returns whether `key` has bits set past the first `plen`.
fn has_host_bits<const N: usize>(key: &[u8; N], plen: usize) -> bool {
    key.iter()
        .enumerate()
        .any(|(i, &b)| b & !byte_mask(i, plen) != 0)
}

/// Returns `key` with the bits past the first `plen` cleared.
fn masked<const N: usize>(key: &[u8; N], plen: usize) -> [u8; N] {
    let mut out = *key;
    for (i, b) in out.iter_mut().enumerate() {
        *b &= byte_mask(i, plen);
    }
    out
}

/// A bounded stack of non-null pointers that forgets its bottom entry when pushed while full.
///
/// # Invariants
///
/// `len <= S`, `bottom < S` (or 0 when `S == 0`), and the entries are `buf[(bottom + i) % S]`
/// for `i` in `0..len`, bottom first.
struct Stack<T, const S: usize> {
    /// Ring buffer of entries.
    buf: [*mut T; S],
    /// Index of the bottom entry in `buf`.
    bottom: usize,
    /// Number of entries, at most `S`.
    len: usize,
    /// Set when an entry was forgotten.
    lost: bool,
}

impl<T, const S: usize> Stack<T, S> {
    /// Makes an empty stack.
    fn new() -> Self {
        Self {
            buf: [ptr::null_mut(); S],
            bottom: 0,
            len: 0,
            lost: false,
        }
    }

    /// Maps `i < 2 * S` into `0..S`.
    fn wrap(i: usize) -> usize {
        if i >= S {
            i - S
        } else {
            i
        }
    }

    /// Pushes `p` unless it is null, forgetting the bottom entry if the stack is full.
    fn push(&mut self, p: *mut T) {
        if p.is_null() {
            return;
        }
        if self.len >= S {
            if S == 0 {
                self.lost = true;
                return;
            }
            self.bottom = Self::wrap(self.bottom + 1);
            self.len -= 1;
            self.lost = true;
        }
        if let Some(slot) = self.buf.get_mut(Self::wrap(self.bottom + self.len)) {
            *slot = p;
            self.len += 1;
        }
    }

    /// Returns the top entry.
    fn peek(&self) -> Option<*mut T> {
        let top = self.len.checked_sub(1)?;
        self.buf.get(Self::wrap(self.bottom + top)).copied()
    }

    /// Removes and returns the top entry.
    fn pop(&mut self) -> Option<*mut T> {
        let p = self.peek()?;
        self.len -= 1;
        Some(p)
    }
}

impl<V, A: NodeAlloc, const N: usize> Trie<V, A, N> {
    /// The number of bits of a key.
    const BITS: usize = {
        assert!(N >= 1 && N <= 31, "keys must be 1 to 31 bytes long");
        8 * N
    };

    /// Makes an empty trie that allocates its nodes with `alloc`.
    pub const fn new(alloc: A) -> Self {
        let _ = Self::BITS;
        Self {
            root: AtomicPtr::new(ptr::null_mut()),
            len: AtomicUsize::new(0),
            alloc,
            _values: PhantomData,
        }
    }

    /// Returns the node allocator.
    pub fn allocator(&self) -> &A {
        &self.alloc
    }

    /// Returns the number of entries (prefixes with a value).
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Returns whether the trie has no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checks that `(key, plen)` is a valid prefix.
    fn check(key: &[u8; N], plen: u8) -> Result<usize, TrieError> {
        let plen = usize::from(plen);
        if plen > Self::BITS {
            Err(TrieError::PrefixTooLong)
        } else if has_host_bits(key, plen) {
            Err(TrieError::HostBits)
        } else {
            Ok(plen)
        }
    }

    /// Returns the node at `p`, if any.
    ///
    /// # Safety
    ///
    /// `p` must be null or have been loaded, during the current call of a method of this trie,
    /// from `root` or from a child slot of a node this function returned in that call. Then the
    /// node is fully initialised (published with `Release`, loaded with `Acquire`) and stays
    /// valid until the call returns: nodes are freed only after being unpublished, either with
    /// `free_deferred`, which waits for readers in progress (`NodeAlloc` contract), or with
    /// `free_now` by `destroy` (`&mut self`) on nodes it no longer visits.
    unsafe fn node(&self, p: *mut NodeOf<V, A, N>) -> Option<&NodeOf<V, A, N>> {
        // SAFETY: Valid and initialised for the lifetime of `&self` in this call, as required.
        NonNull::new(p).map(|p| unsafe { p.as_ref() })
    }

    /// Returns the value at `v`, if any.
    ///
    /// # Safety
    ///
    /// `v` must be null or have been loaded, during the current call, from the value slot of a
    /// node returned by [`Trie::node`]: it was given to `insert`, whose contract keeps it valid
    /// for shared access until it is handed back and the readers in progress then have finished.
    unsafe fn value(&self, v: *mut V) -> Option<&V> {
        // SAFETY: Valid for shared access for the lifetime of `&self` in this call, as required.
        NonNull::new(v).map(|v| unsafe { v.as_ref() })
    }

    /// Finds the longest prefix that contains `addr`; returns its value and prefix length.
    ///
    /// Reader: O(key bits), no allocation, no lock.
    pub fn lookup(&self, addr: &[u8; N]) -> Option<(&V, u8)> {
        let mut best = None;
        let mut cur = self.root.load(Ordering::Acquire);
        // SAFETY: `cur` comes from `root` or a child slot of a node returned by `node`.
        while let Some(node) = unsafe { self.node(cur) } {
            if !prefix_eq(&node.key, addr, usize::from(node.cidr)) {
                break;
            }
            let v = node.value.load(Ordering::Acquire);
            if !v.is_null() {
                best = Some((v, node.cidr));
            }
            cur = node
                .child(bit(addr, usize::from(node.cidr)))
                .load(Ordering::Acquire);
        }
        let (v, plen) = best?;
        // SAFETY: `v` comes from the value slot of a node returned by `node`.
        Some((unsafe { self.value(v) }?, plen))
    }

    /// Finds the node of exactly `(key, plen)`, with or without a value.
    fn find_exact(&self, key: &[u8; N], plen: u8) -> Option<&NodeOf<V, A, N>> {
        let mut cur = self.root.load(Ordering::Acquire);
        // SAFETY: `cur` comes from `root` or a child slot of a node returned by `node`.
        while let Some(node) = unsafe { self.node(cur) } {
            if node.cidr > plen || !prefix_eq(&node.key, key, usize::from(node.cidr)) {
                return None;
            }
            if node.cidr == plen {
                return (node.key == *key).then_some(node);
            }
            cur = node
                .child(bit(key, usize::from(node.cidr)))
                .load(Ordering::Acquire);
        }
        None
    }

    /// Returns the value of exactly the prefix `(key, plen)` (for `NLM_F_EXCL`).
    ///
    /// Reader. A key with host bits set or a too long prefix is never found.
    pub fn get_exact(&self, key: &[u8; N], plen: u8) -> Option<&V> {
        let node = self.find_exact(key, plen)?;
        // SAFETY: Loaded from the value slot of a node returned by `node` (in `find_exact`).
        unsafe { self.value(node.value.load(Ordering::Acquire)) }
    }

    /// Allocates `node`, mapping failure to [`TrieError::NoMemory`].
    fn alloc_node(&self, node: NodeOf<V, A, N>) -> Result<NonNull<NodeOf<V, A, N>>, TrieError> {
        self.alloc.alloc(node).ok_or(TrieError::NoMemory)
    }

    /// Sets the value of prefix `(key, plen)`, returning the value it replaces.
    ///
    /// Writer. Fails, changing nothing, when `plen > 8 * N`, when `key` has bits set past `plen`,
    /// or when out of memory (at most two nodes are allocated). The returned value is the
    /// caller's again, but readers may still use it: free it after a grace period.
    ///
    /// # Safety
    ///
    /// - No other writer ([`Trie::insert`], [`Trie::remove`], [`Trie::clear`]) runs concurrently
    ///   on this trie.
    /// - `value` must stay valid for shared access until the trie hands it back (from `insert`,
    ///   `remove`, `clear` or `destroy`) and no reader still uses a reference to it obtained from
    ///   the trie (in the kernel: until an RCU grace period after it was handed back).
    pub unsafe fn insert(
        &self,
        key: &[u8; N],
        plen: u8,
        value: NonNull<V>,
    ) -> Result<Option<NonNull<V>>, TrieError> {
        let bits = Self::check(key, plen)?;
        // Find the node of exactly this prefix, or the slot the new node goes in.
        let mut slot = &self.root;
        // SAFETY: `slot` is `root` or a child slot of a node returned by `node`.
        while let Some(node) = unsafe { self.node(slot.load(Ordering::Acquire)) } {
            if node.cidr > plen || !prefix_eq(&node.key, key, usize::from(node.cidr)) {
                break;
            }
            if node.cidr == plen {
                let old = node.value.swap(value.as_ptr(), Ordering::AcqRel);
                if old.is_null() {
                    self.len.store(self.len() + 1, Ordering::Relaxed);
                }
                return Ok(NonNull::new(old));
            }
            slot = node.child(bit(key, usize::from(node.cidr)));
        }

        let down = slot.load(Ordering::Acquire);
        let new = Node::new(*key, plen, value.as_ptr(), self.alloc.new_link());
        // SAFETY: `down` was loaded from `root` or a child slot of a node returned by `node`.
        let publish = match unsafe { self.node(down) } {
            None => self.alloc_node(new)?,
            Some(d) => {
                // `d` does not lie on the path to the new prefix: either the new prefix
                // contains it, or the two branch off at bit `cl`.
                let cl = common_bits(&d.key, key).min(bits).min(usize::from(d.cidr));
                if cl == bits {
                    new.child(bit(&d.key, bits)).store(down, Ordering::Relaxed);
                    self.alloc_node(new)?
                } else {
                    let leaf = self.alloc_node(new)?;
                    let cl8 = u8::try_from(cl).unwrap_or(plen);
                    let join =
                        Node::new(masked(key, cl), cl8, ptr::null_mut(), self.alloc.new_link());
                    let b = bit(key, cl);
                    join.child(b).store(leaf.as_ptr(), Ordering::Relaxed);
                    join.child(!b).store(down, Ordering::Relaxed);
                    match self.alloc_node(join) {
                        Ok(j) => j,
                        Err(e) => {
                            // SAFETY: `leaf` came from our allocator and was never published.
                            unsafe { self.alloc.free_now(leaf) };
                            return Err(e);
                        }
                    }
                }
            }
        };
        // The new node is fully initialised: publish it.
        slot.store(publish.as_ptr(), Ordering::Release);
        self.len.store(self.len() + 1, Ordering::Relaxed);
        Ok(None)
    }

    /// Removes prefix `(key, plen)` and returns its value; `None` (and no change) if absent.
    ///
    /// Writer. Nodes that become unnecessary are unpublished and freed with
    /// [`NodeAlloc::free_deferred`]. The returned value is the caller's again, but readers may
    /// still use it: free it after a grace period.
    ///
    /// # Safety
    ///
    /// No other writer ([`Trie::insert`], [`Trie::remove`], [`Trie::clear`]) runs concurrently
    /// on this trie.
    pub unsafe fn remove(&self, key: &[u8; N], plen: u8) -> Option<NonNull<V>> {
        Self::check(key, plen).ok()?;
        // The parent of `node`, and the slot holding it.
        let mut parent = None;
        let mut pslot = &self.root;
        let mut slot = &self.root;
        let node = loop {
            // SAFETY: `slot` is `root` or a child slot of a node returned by `node`.
            let node = unsafe { self.node(slot.load(Ordering::Acquire)) }?;
            if node.cidr > plen || !prefix_eq(&node.key, key, usize::from(node.cidr)) {
                return None;
            }
            if node.cidr == plen {
                break node;
            }
            parent = Some(node);
            pslot = slot;
            slot = node.child(bit(key, usize::from(node.cidr)));
        };
        let old = NonNull::new(node.value.load(Ordering::Acquire))?;
        let left = node.left.load(Ordering::Acquire);
        let right = node.right.load(Ordering::Acquire);
        let this = NonNull::from(node);
        match (left.is_null(), right.is_null()) {
            // Still joins two subtrees: keep the node without a value.
            (false, false) => node.value.store(ptr::null_mut(), Ordering::Release),
            // One child: it takes the node's place.
            (false, true) | (true, false) => {
                slot.store(if left.is_null() { right } else { left }, Ordering::Release);
                // SAFETY: `this` came from our allocator and was just unpublished; we do not
                // touch it again.
                unsafe { self.alloc.free_deferred(this) };
            }
            (true, true) => match parent {
                // A parent without a value has one other child, which takes its place.
                Some(parent) if parent.value.load(Ordering::Acquire).is_null() => {
                    let sibling = parent
                        .child(!bit(key, usize::from(parent.cidr)))
                        .load(Ordering::Acquire);
                    pslot.store(sibling, Ordering::Release);
                    let parent = NonNull::from(parent);
                    // SAFETY: Both nodes came from our allocator and were just unpublished; we do
                    // not touch them again.
                    unsafe {
                        self.alloc.free_deferred(this);
                        self.alloc.free_deferred(parent);
                    }
                }
                _ => {
                    slot.store(ptr::null_mut(), Ordering::Release);
                    // SAFETY: `this` came from our allocator and was just unpublished; we do not
                    // touch it again.
                    unsafe { self.alloc.free_deferred(this) };
                }
            },
        }
        self.len
            .store(self.len().saturating_sub(1), Ordering::Relaxed);
        Some(old)
    }

    /// Visits the entries in order of (key bytes, prefix length) until `f` returns `false`.
    ///
    /// Reader. With `after = Some((key, plen))` the walk starts strictly after that position,
    /// whether or not it is an entry; it seeks there in O(key bits). Returns `true` when the walk
    /// reached the end, `false` when `f` stopped it (at the entry for which it returned `false`,
    /// so a dump should resume after the last entry `f` accepted). Run concurrently with a
    /// writer, the walk sees each entry at most once and in strictly increasing order.
    pub fn walk(
        &self,
        after: Option<(&[u8; N], u8)>,
        f: impl FnMut(&[u8; N], u8, &V) -> bool,
    ) -> bool {
        self.walk_with::<WALK_STACK>(after, f)
    }

    /// [`Trie::walk`] with a stack of `S` pending subtrees.
    fn walk_with<const S: usize>(
        &self,
        after: Option<(&[u8; N], u8)>,
        mut f: impl FnMut(&[u8; N], u8, &V) -> bool,
    ) -> bool {
        let mut stack = Stack::<NodeOf<V, A, N>, S>::new();
        self.seek(&mut stack, after);
        // The last node taken from the stack: everything up to it has been visited.
        let mut last: Option<&NodeOf<V, A, N>> = None;
        loop {
            let p = match stack.pop() {
                Some(p) => p,
                None if stack.lost => {
                    // Pending subtrees were forgotten: find them again from the root.
                    stack.lost = false;
                    let cursor = match last {
                        Some(n) => Some((&n.key, n.cidr)),
                        None => after,
                    };
                    self.seek(&mut stack, cursor);
                    match stack.pop() {
                        Some(p) => p,
                        None => return true,
                    }
                }
                None => return true,
            };
            // SAFETY: Everything on the stack was loaded (by `seek` or below) from `root` or a
            // child slot of a node returned by `node`.
            let Some(node) = (unsafe { self.node(p) }) else {
                return true;
            };
            last = Some(node);
            stack.push(node.right.load(Ordering::Acquire));
            stack.push(node.left.load(Ordering::Acquire));
            // SAFETY: Loaded from the value slot of a node returned by `node`.
            if let Some(v) = unsafe { self.value(node.value.load(Ordering::Acquire)) } {
                if !f(&node.key, node.cidr, v) {
                    return false;
                }
            }
        }
    }

    /// Pushes onto `stack` the subtrees holding everything after `after` (everything when
    /// `None`), smallest on top.
    fn seek<const S: usize>(
        &self,
        stack: &mut Stack<NodeOf<V, A, N>, S>,
        after: Option<(&[u8; N], u8)>,
    ) {
        let mut cur = self.root.load(Ordering::Acquire);
        let Some((ck, cp)) = after else {
            stack.push(cur);
            return;
        };
        // SAFETY: `cur` comes from `root` or a child slot of a node returned by `node`.
        while let Some(node) = unsafe { self.node(cur) } {
            let c = usize::from(node.cidr);
            let m = common_bits(&node.key, ck);
            if m < c {
                // The cursor branches off the node's prefix at bit `m`: the whole subtree is
                // after the cursor if the cursor has a 0 there, before it otherwise.
                if !bit(ck, m) {
                    stack.push(cur);
                }
                return;
            }
            if node.key == *ck {
                match cp.cmp(&node.cidr) {
                    core::cmp::Ordering::Less => {
                        stack.push(cur);
                        return;
                    }
                    core::cmp::Ordering::Equal => {
                        stack.push(node.right.load(Ordering::Acquire));
                        stack.push(node.left.load(Ordering::Acquire));
                        return;
                    }
                    core::cmp::Ordering::Greater => {}
                }
            }
            // The node is before the cursor, which lies within child `b`; child 1 is after it.
            let b = bit(ck, c);
            if !b {
                stack.push(node.right.load(Ordering::Acquire));
            }
            cur = node.child(b).load(Ordering::Acquire);
        }
    }

    /// Detaches every entry, hands each value to `f` and frees the nodes with
    /// [`NodeAlloc::free_deferred`].
    ///
    /// Writer. Readers in progress still see the old entries, so free the values after a grace
    /// period.
    ///
    /// # Safety
    ///
    /// No other writer ([`Trie::insert`], [`Trie::remove`], [`Trie::clear`]) runs concurrently
    /// on this trie.
    pub unsafe fn clear(&self, mut f: impl FnMut(NonNull<V>)) {
        let root = self.root.swap(ptr::null_mut(), Ordering::AcqRel);
        self.len.store(0, Ordering::Relaxed);
        // SAFETY: `root` was just unpublished, and we are the only writer.
        unsafe { self.free_tree(root, &mut f, true) };
    }

    /// Empties the trie, freeing the nodes now with [`NodeAlloc::free_now`] and handing each value
    /// to `f`. Dropping the trie does the same, without giving back the values.
    pub fn destroy(&mut self, mut f: impl FnMut(NonNull<V>)) {
        let root = self.root.swap(ptr::null_mut(), Ordering::AcqRel);
        self.len.store(0, Ordering::Relaxed);
        // SAFETY: `root` was just unpublished, and `&mut self` rules out readers and writers.
        unsafe { self.free_tree(root, &mut f, false) };
    }

    /// Frees the tree under `root`, children before parents, handing each value to `f`.
    ///
    /// It reads only nodes that it has not freed yet, keeping at most [`FREE_STACK`] ancestors
    /// and finding forgotten ones again from `root` (freed last).
    ///
    /// # Safety
    ///
    /// The tree under `root` must be unreachable from the trie, and no writer may change it. With
    /// `deferred == false`, no reader may be in it either.
    unsafe fn free_tree(
        &self,
        root: *mut NodeOf<V, A, N>,
        f: &mut impl FnMut(NonNull<V>),
        deferred: bool,
    ) {
        let mut path = Stack::<NodeOf<V, A, N>, FREE_STACK>::new();
        // SAFETY: `root` was loaded from `self.root`; nothing is freed yet.
        unsafe { self.descend_first(&mut path, root) };
        while let Some(x) = path.pop() {
            // SAFETY: `x` was loaded from `root` or a child slot of a node returned by `node`,
            // and it is freed only below, after its children.
            let Some(node) = (unsafe { self.node(x) }) else {
                return;
            };
            let key = node.key;
            let value = node.value.load(Ordering::Acquire);
            let this = NonNull::from(node);
            if deferred {
                // SAFETY: `this` came from our allocator, was unpublished with the tree, and is
                // visited once; we do not touch it again.
                unsafe { self.alloc.free_deferred(this) };
            } else {
                // SAFETY: As above, and no reader can be in the tree (function contract).
                unsafe { self.alloc.free_now(this) };
            }
            if let Some(v) = NonNull::new(value) {
                f(v);
            }
            if x == root {
                return;
            }
            if path.peek().is_none() {
                // The parent was forgotten: find the (not yet freed) ancestors again.
                let mut cur = root;
                while cur != x {
                    // SAFETY: `cur` is `root` or a child slot of a node returned by `node`, and
                    // an ancestor of `x`, so not freed yet.
                    let Some(n) = (unsafe { self.node(cur) }) else {
                        break;
                    };
                    path.push(cur);
                    cur = n
                        .child(bit(&key, usize::from(n.cidr)))
                        .load(Ordering::Acquire);
                }
            }
            // SAFETY: The path holds ancestors of `x` loaded from `root` or child slots of nodes
            // returned by `node`; ancestors are freed after their descendants.
            let Some(parent) = path.peek().and_then(|p| unsafe { self.node(p) }) else {
                return;
            };
            // After the left child comes the right subtree, then the parent itself.
            if parent.left.load(Ordering::Acquire) == x {
                let right = parent.right.load(Ordering::Acquire);
                // SAFETY: A child slot of a node returned by `node`; the right subtree is not
                // freed yet (post-order).
                unsafe { self.descend_first(&mut path, right) };
            }
        }
    }

    /// Pushes the path from `p` down to the first node of its subtree in post-order.
    ///
    /// # Safety
    ///
    /// `p` must satisfy the requirements of [`Trie::node`], and the subtree must not be freed
    /// while this runs.
    unsafe fn descend_first<const S: usize>(
        &self,
        path: &mut Stack<NodeOf<V, A, N>, S>,
        mut p: *mut NodeOf<V, A, N>,
    ) {
        // SAFETY: `p` satisfies `node`'s requirements (function contract), and so do the
        // children followed here.
        while let Some(node) = unsafe { self.node(p) } {
            path.push(p);
            let left = node.left.load(Ordering::Acquire);
            p = if left.is_null() {
                node.right.load(Ordering::Acquire)
            } else {
                left
            };
        }
    }
}

impl<V, A: NodeAlloc, const N: usize> Drop for Trie<V, A, N> {
    fn drop(&mut self) {
        self.destroy(|_| {});
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::boxed::Box;
    use std::collections::HashSet;
    use std::println;
    use std::sync::atomic::AtomicBool;
    use std::sync::Mutex;
    use std::thread;
    use std::vec::Vec;

    /// Frees a node that `Counting::alloc` boxed.
    ///
    /// # Safety
    ///
    /// `p` must come from `Box::into_raw` of a `Node<V, (), N>` and not be freed yet.
    unsafe fn drop_node<V, const N: usize>(p: usize) {
        // SAFETY: As the function requires.
        drop(unsafe { Box::from_raw(p as *mut Node<V, (), N>) });
    }

    /// The bookkeeping of [`Counting`].
    #[derive(Default)]
    struct Counts {
        /// Nodes allocated and not freed yet.
        live: HashSet<usize>,
        /// Nodes freed with `free_deferred`, waiting for `synchronize`.
        pending: Vec<(usize, unsafe fn(usize))>,
        /// Nodes allocated.
        allocs: usize,
        /// Nodes freed with `free_deferred`.
        deferred: usize,
        /// Nodes freed with `free_now`.
        now: usize,
        /// Allocations left before one fails (`None`: never).
        fail_in: Option<usize>,
    }

    /// A node allocator that checks every node is freed exactly once, delays deferred frees
    /// until [`Counting::synchronize`] (a grace period) and fails allocations on demand.
    #[derive(Default)]
    struct Counting(Mutex<Counts>);

    impl Counting {
        /// Returns the bookkeeping.
        fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
            self.0.lock().unwrap()
        }

        /// Ends a grace period: frees the nodes given to `free_deferred`.
        fn synchronize(&self) {
            let pending = core::mem::take(&mut self.counts().pending);
            for (p, free) in pending {
                // SAFETY: `p` was boxed by `alloc` with the type `free` was made for, and
                // `free_deferred` took it out of `live`, so it is freed once.
                unsafe { free(p) };
            }
        }

        /// Returns the number of nodes allocated and not yet given back.
        fn live(&self) -> usize {
            self.counts().live.len()
        }

        /// Makes the allocation after `n` more succeed fail.
        fn fail_in(&self, n: Option<usize>) {
            self.counts().fail_in = n;
        }

        /// Asserts that every node allocated was freed exactly once.
        fn check_all_freed(&self) {
            self.synchronize();
            let c = self.counts();
            assert!(c.live.is_empty(), "{} nodes leaked", c.live.len());
            assert_eq!(c.allocs, c.deferred + c.now);
        }
    }

    // SAFETY: Nodes are boxed and stay in place until freed; deferred frees wait for
    // `synchronize`, which the tests call only when no reader runs.
    unsafe impl NodeAlloc for &Counting {
        type Link = ();

        fn new_link(&self) {}

        fn alloc<V, const N: usize>(
            &self,
            node: Node<V, (), N>,
        ) -> Option<NonNull<Node<V, (), N>>> {
            let mut c = self.counts();
            if let Some(n) = c.fail_in {
                if n == 0 {
                    return None;
                }
                c.fail_in = Some(n - 1);
            }
            let p = Box::into_raw(Box::new(node));
            assert!(c.live.insert(p as usize));
            c.allocs += 1;
            NonNull::new(p)
        }

        unsafe fn free_deferred<V, const N: usize>(&self, node: NonNull<Node<V, (), N>>) {
            let mut c = self.counts();
            let p = node.as_ptr() as usize;
            assert!(c.live.remove(&p), "node freed twice or not ours");
            c.deferred += 1;
            c.pending.push((p, drop_node::<V, N>));
        }

        unsafe fn free_now<V, const N: usize>(&self, node: NonNull<Node<V, (), N>>) {
            let p = node.as_ptr() as usize;
            {
                let mut c = self.counts();
                assert!(c.live.remove(&p), "node freed twice or not ours");
                c.now += 1;
            }
            // SAFETY: Boxed by `alloc`, taken out of `live` just above, so freed once.
            unsafe { drop_node::<V, N>(p) };
        }
    }

    /// The trie the tests use: values are boxed ids.
    type T<'a, const N: usize> = Trie<u64, &'a Counting, N>;

    /// Takes back a value boxed by [`ins`].
    fn take(v: NonNull<u64>) -> u64 {
        // SAFETY: Boxed by `ins` and handed back by the trie exactly once; the tests run no
        // reader at the same time.
        *unsafe { Box::from_raw(v.as_ptr()) }
    }

    /// Inserts a boxed `id`, returning the id it replaced.
    fn ins<const N: usize>(
        t: &T<'_, N>,
        k: &[u8; N],
        p: u8,
        id: u64,
    ) -> Result<Option<u64>, TrieError> {
        let v = NonNull::from(Box::leak(Box::new(id)));
        // SAFETY: One writer (this thread); the value stays boxed until `take`.
        match unsafe { t.insert(k, p, v) } {
            Ok(old) => Ok(old.map(take)),
            Err(e) => {
                take(v);
                Err(e)
            }
        }
    }

    /// Removes a prefix, returning its id.
    fn rem<const N: usize>(t: &T<'_, N>, k: &[u8; N], p: u8) -> Option<u64> {
        // SAFETY: One writer (this thread).
        unsafe { t.remove(k, p) }.map(take)
    }

    /// Clears the trie, returning the ids it held.
    fn clear<const N: usize>(t: &T<'_, N>) -> Vec<u64> {
        let mut ids = Vec::new();
        // SAFETY: One writer (this thread).
        unsafe { t.clear(|v| ids.push(take(v))) };
        ids
    }

    /// Returns the entries in walk order, through a stack of `S` pending subtrees.
    fn walk_all<const N: usize, const S: usize>(
        t: &T<'_, N>,
        after: Option<(&[u8; N], u8)>,
    ) -> Vec<([u8; N], u8, u64)> {
        let mut out = Vec::new();
        assert!(t.walk_with::<S>(after, |k, p, v| {
            out.push((*k, p, *v));
            true
        }));
        out
    }

    /// Checks the trie's invariants; returns its number of nodes.
    fn check_shape<const N: usize>(t: &T<'_, N>) -> usize {
        let mut nodes = 0;
        let mut values = 0;
        // (node, prefix length of the parent + 1, parent key, bit)
        let mut todo = Vec::new();
        todo.push((
            t.root.load(Ordering::Acquire),
            None::<([u8; N], usize, bool)>,
        ));
        while let Some((p, up)) = todo.pop() {
            // SAFETY: Loaded from the trie; no writer runs.
            let Some(n) = (unsafe { t.node(p) }) else {
                continue;
            };
            nodes += 1;
            let c = usize::from(n.cidr);
            assert!(c <= 8 * N);
            assert_eq!(n.key, masked(&n.key, c), "host bits in a node");
            if let Some((pk, pc, b)) = up {
                assert!(c > pc, "child not longer than its parent");
                assert!(prefix_eq(&n.key, &pk, pc), "child outside its parent");
                assert_eq!(bit(&n.key, pc), b, "child on the wrong side");
            }
            let l = n.left.load(Ordering::Acquire);
            let r = n.right.load(Ordering::Acquire);
            if n.value.load(Ordering::Acquire).is_null() {
                assert!(!l.is_null() && !r.is_null(), "needless node");
            } else {
                values += 1;
            }
            todo.push((l, Some((n.key, c, false))));
            todo.push((r, Some((n.key, c, true))));
        }
        assert_eq!(values, t.len());
        nodes
    }

    /// A small deterministic random number generator (splitmix64).
    struct Rng(u64);

    impl Rng {
        /// Returns the next 64 random bits.
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        /// Returns a number in `0..n`.
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }

        /// Returns random bytes.
        fn bytes<const N: usize>(&mut self) -> [u8; N] {
            let mut k = [0; N];
            for b in &mut k {
                *b = self.next() as u8;
            }
            k
        }
    }

    /// Flips bit `i` of `k`.
    fn flip<const N: usize>(k: &mut [u8; N], i: usize) {
        k[i / 8] ^= 0x80 >> (i % 8);
    }

    /// The naive reference: a list of (key, prefix length, id).
    struct Model<const N: usize>(Vec<([u8; N], u8, u64)>);

    impl<const N: usize> Model<N> {
        /// Returns the index of prefix `(k, p)`.
        fn find(&self, k: &[u8; N], p: u8) -> Option<usize> {
            self.0.iter().position(|e| e.0 == *k && e.1 == p)
        }

        /// Longest prefix match by linear scan.
        fn lpm(&self, addr: &[u8; N]) -> Option<(u64, u8)> {
            self.0
                .iter()
                .filter(|e| prefix_eq(&e.0, addr, usize::from(e.1)))
                .max_by_key(|e| e.1)
                .map(|e| (e.2, e.1))
        }

        /// Returns the entries in walk order.
        fn sorted(&self) -> Vec<([u8; N], u8, u64)> {
            let mut v = self.0.clone();
            v.sort_by_key(|e| (e.0, e.1));
            v
        }
    }

    /// Random prefixes and addresses, biased so that prefixes overlap and share bits.
    struct Gen<const N: usize> {
        rng: Rng,
        bases: Vec<[u8; N]>,
        lens: &'static [usize],
    }

    impl<const N: usize> Gen<N> {
        /// Makes a generator around a few related base keys.
        fn new(seed: u64, lens: &'static [usize]) -> Self {
            let mut rng = Rng(seed);
            let mut bases: Vec<[u8; N]> = Vec::new();
            let iids = [[0u8, 0, 0, 0], [0, 0, 0, 1], [0, 0xff, 0xff, 0xff]];
            for i in 0..8 {
                let mut k: [u8; N] = if i > 0 && rng.below(2) == 0 {
                    // A relative of an earlier base, branching off somewhere.
                    let mut k = bases[rng.below(bases.len())];
                    let b = rng.below(8 * N);
                    flip(&mut k, b);
                    k
                } else {
                    rng.bytes()
                };
                k[..4].copy_from_slice(&iids[rng.below(iids.len())]);
                bases.push(k);
            }
            Self { rng, bases, lens }
        }

        /// Returns a random prefix (key masked to its length).
        fn prefix(&mut self) -> ([u8; N], u8) {
            let bits = 8 * N;
            let mut k = self.bases[self.rng.below(self.bases.len())];
            let p = match self.rng.below(10) {
                0 => self.rng.below(bits + 1),
                1 => bits - self.rng.below(3),
                _ => {
                    let l = self.lens[self.rng.below(self.lens.len())];
                    (l + self.rng.below(3)).saturating_sub(1).min(bits)
                }
            };
            for _ in 0..self.rng.below(4) {
                if p > 0 {
                    let i = p - 1 - self.rng.below(p.min(12));
                    flip(&mut k, i);
                }
            }
            (masked(&k, p), p as u8)
        }

        /// Returns a random address near the bases.
        fn addr(&mut self) -> [u8; N] {
            if self.rng.below(20) == 0 {
                return self.rng.bytes();
            }
            let mut k = self.bases[self.rng.below(self.bases.len())];
            for _ in 0..self.rng.below(4) {
                let l = self.lens[self.rng.below(self.lens.len())].min(8 * N);
                let i = l.saturating_sub(1 + self.rng.below(16));
                flip(&mut k, i);
            }
            k
        }
    }

    /// Compares every way of walking the trie with the model.
    ///
    /// With `thorough`, also with a stack of one entry, which re-seeks at almost every node.
    fn check_walks<const N: usize>(t: &T<'_, N>, m: &Model<N>, g: &mut Gen<N>, thorough: bool) {
        let sorted = m.sorted();
        assert_eq!(t.len(), sorted.len());
        assert_eq!(walk_all::<N, WALK_STACK>(t, None), sorted);
        if thorough {
            assert_eq!(walk_all::<N, 1>(t, None), sorted);
        }
        assert_eq!(walk_all::<N, 3>(t, None), sorted);
        // Resume from an entry in the middle.
        if let Some(mid) = sorted.get(sorted.len() / 2) {
            let rest = &sorted[sorted.len() / 2 + 1..];
            assert_eq!(walk_all::<N, WALK_STACK>(t, Some((&mid.0, mid.1))), rest);
            assert_eq!(walk_all::<N, 2>(t, Some((&mid.0, mid.1))), rest);
        }
        // Resume from anywhere, entry or not, even with host bits set or too long a prefix.
        for i in 0..4 {
            let (mut k, mut p) = g.prefix();
            if i == 3 {
                k = g.addr();
                p = g.rng.below(8 * N + 3) as u8;
            }
            let rest: Vec<_> = sorted
                .iter()
                .filter(|e| (e.0, e.1) > (k, p))
                .copied()
                .collect();
            assert_eq!(walk_all::<N, WALK_STACK>(t, Some((&k, p))), rest);
            if thorough {
                assert_eq!(walk_all::<N, 1>(t, Some((&k, p))), rest);
            }
        }
        // Stop early.
        let mut seen = 0;
        let stop = sorted.len().min(5);
        let done = t.walk(None, |_, _, _| {
            seen += 1;
            seen < stop
        });
        assert_eq!(done, stop == 0);
        assert_eq!(seen, stop);
    }

    /// Dumps the trie `batch` entries at a time, each batch resuming after the last one.
    fn dump<const N: usize>(t: &T<'_, N>, batch: usize) -> Vec<([u8; N], u8, u64)> {
        let mut out: Vec<([u8; N], u8, u64)> = Vec::new();
        loop {
            let cursor = out.last().map(|e| (e.0, e.1));
            let mut n = 0;
            let done = t.walk(cursor.as_ref().map(|c| (&c.0, c.1)), |k, p, v| {
                if n == batch {
                    return false;
                }
                n += 1;
                out.push((*k, p, *v));
                true
            });
            if done {
                return out;
            }
        }
    }

    /// Random inserts, replacements, removals and lookups against the naive model.
    fn differential<const N: usize>(seed: u64, ops: usize, lens: &'static [usize]) {
        let alloc = Counting::default();
        let mut t = T::<N>::new(&alloc);
        let mut m = Model::<N>(Vec::new());
        let mut g = Gen::<N>::new(seed, lens);
        let mut next_id = 0;
        let (mut inserts, mut replaces, mut removes, mut misses, mut hits) = (0, 0, 0, 0, 0);
        let mut peak = 0;
        for op in 0..ops {
            match g.rng.below(100) {
                0..=34 => {
                    let (k, p) = g.prefix();
                    next_id += 1;
                    let old = ins(&t, &k, p, next_id).unwrap();
                    match m.find(&k, p) {
                        Some(i) => {
                            assert_eq!(old, Some(m.0[i].2));
                            m.0[i].2 = next_id;
                            replaces += 1;
                        }
                        None => {
                            assert_eq!(old, None);
                            m.0.push((k, p, next_id));
                            inserts += 1;
                        }
                    }
                }
                35..=64 => {
                    let (k, p) = if !m.0.is_empty() && g.rng.below(10) < 7 {
                        let e = m.0[g.rng.below(m.0.len())];
                        (e.0, e.1)
                    } else {
                        g.prefix()
                    };
                    let got = rem(&t, &k, p);
                    match m.find(&k, p) {
                        Some(i) => {
                            assert_eq!(got, Some(m.0.swap_remove(i).2));
                            removes += 1;
                        }
                        None => {
                            assert_eq!(got, None);
                            misses += 1;
                        }
                    }
                }
                65..=69 => {
                    let (k, p) = g.prefix();
                    let want = m.find(&k, p).map(|i| m.0[i].2);
                    assert_eq!(t.get_exact(&k, p).copied(), want);
                }
                _ => {
                    let a = g.addr();
                    let got = t.lookup(&a).map(|(v, p)| (*v, p));
                    assert_eq!(got, m.lpm(&a), "lookup {a:?}");
                    hits += usize::from(got.is_some());
                }
            }
            peak = peak.max(m.0.len());
            if op % 50 == 0 {
                alloc.synchronize();
            }
            if op % 1000 == 999 {
                alloc.synchronize();
                let nodes = check_shape(&t);
                assert_eq!(nodes, alloc.live());
                assert!(nodes <= (2 * t.len()).saturating_sub(1));
                check_walks(&t, &m, &mut g, op % 10_000 == 999);
            }
            if op == ops / 2 {
                let mut ids = clear(&t);
                ids.sort_unstable();
                let mut want: Vec<u64> = m.0.drain(..).map(|e| e.2).collect();
                want.sort_unstable();
                assert_eq!(ids, want);
                assert!(t.is_empty() && t.lookup(&g.addr()).is_none());
                alloc.synchronize();
                assert_eq!(alloc.live(), 0);
            }
        }
        assert_eq!(dump(&t, 7), m.sorted());
        assert_eq!(dump(&t, 1), m.sorted());
        println!(
            "N={N}: {inserts} inserts, {replaces} replaces, {removes} removes, {misses} absent \
             removes, {hits} lookup hits; {peak} entries at most, {} at the end",
            m.0.len()
        );
        assert!(inserts > ops / 10 && replaces > ops / 50 && removes > ops / 10);
        assert!(misses > ops / 50 && hits > ops / 20);
        let mut left = 0;
        t.destroy(|v| {
            take(v);
            left += 1;
        });
        assert_eq!(left, m.0.len());
        drop(t);
        alloc.check_all_freed();
    }

    #[test]
    fn differential_v4() {
        differential::<8>(0x5eed_0004, 100_000, &[32, 40, 48, 52, 56, 60, 64]);
    }

    #[test]
    fn differential_v6() {
        differential::<20>(0x5eed_0006, 100_000, &[32, 64, 80, 96, 112, 128, 160]);
    }

    /// Makes an IPv4 key: instance ID, then address.
    fn k4(iid: u32, a: [u8; 4]) -> [u8; 8] {
        let mut k = [0; 8];
        k[..4].copy_from_slice(&iid.to_be_bytes());
        k[4..].copy_from_slice(&a);
        k
    }

    #[test]
    fn empty() {
        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        assert!(t.is_empty());
        assert_eq!(t.lookup(&[0; 8]), None);
        assert_eq!(t.lookup(&[0xff; 8]), None);
        assert_eq!(t.get_exact(&[0; 8], 0), None);
        assert_eq!(rem(&t, &[0; 8], 0), None);
        assert!(walk_all::<8, WALK_STACK>(&t, None).is_empty());
        assert!(walk_all::<8, WALK_STACK>(&t, Some((&[0; 8], 3))).is_empty());
        assert!(clear(&t).is_empty());
        drop(t);
        alloc.check_all_freed();
        assert_eq!(alloc.counts().allocs, 0);
    }

    #[test]
    fn default_route_and_full_length() {
        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        assert_eq!(ins(&t, &[0; 8], 0, 1), Ok(None));
        assert_eq!(t.lookup(&[0xff; 8]).map(|(v, p)| (*v, p)), Some((1, 0)));
        let host = k4(7, [10, 1, 2, 3]);
        assert_eq!(ins(&t, &host, 64, 2), Ok(None));
        assert_eq!(t.lookup(&host).map(|(v, p)| (*v, p)), Some((2, 64)));
        assert_eq!(
            t.lookup(&k4(7, [10, 1, 2, 4])).map(|(v, p)| (*v, p)),
            Some((1, 0))
        );
        assert_eq!(ins(&t, &host, 64, 3), Ok(Some(2)));
        assert_eq!(ins(&t, &[0; 8], 0, 4), Ok(Some(1)));
        assert_eq!(t.len(), 2);
        assert_eq!(rem(&t, &[0; 8], 0), Some(4));
        assert_eq!(t.lookup(&[0xff; 8]), None);
        assert_eq!(t.lookup(&host).map(|(v, p)| (*v, p)), Some((3, 64)));
        assert_eq!(rem(&t, &host, 64), Some(3));
        assert!(t.is_empty());
        alloc.synchronize();
        assert_eq!(alloc.live(), 0);

        let alloc6 = Counting::default();
        let t6 = T::<20>::new(&alloc6);
        let mut k = [0xa5; 20];
        k[..4].copy_from_slice(&[0, 0, 0, 9]);
        assert_eq!(ins(&t6, &k, 160, 1), Ok(None));
        assert_eq!(ins(&t6, &[0; 20], 0, 2), Ok(None));
        assert_eq!(t6.lookup(&k).map(|(v, p)| (*v, p)), Some((1, 160)));
        let mut other = k;
        flip(&mut other, 159);
        assert_eq!(t6.lookup(&other).map(|(v, p)| (*v, p)), Some((2, 0)));
        assert_eq!(ins(&t6, &other, 160, 3), Ok(None));
        assert_eq!(t6.lookup(&other).map(|(v, p)| (*v, p)), Some((3, 160)));
        assert_eq!(
            check_shape(&t6),
            4,
            "two /160 siblings need a join node under /0"
        );
        assert_eq!(clear(&t6).len(), 3);
        drop(t6);
        alloc6.check_all_freed();
    }

    #[test]
    fn overlapping_prefixes() {
        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        let iid = 0x00ab_cdef;
        ins(&t, &k4(iid, [0, 0, 0, 0]), 32, 1).unwrap(); // the whole instance
        ins(&t, &k4(iid, [10, 0, 0, 0]), 40, 2).unwrap(); // 10/8
        ins(&t, &k4(iid, [10, 1, 0, 0]), 48, 3).unwrap(); // 10.1/16
        ins(&t, &k4(iid, [10, 1, 2, 0]), 56, 4).unwrap(); // 10.1.2/24
        ins(&t, &k4(iid, [10, 1, 3, 0]), 56, 5).unwrap(); // 10.1.3/24
        ins(&t, &k4(iid, [10, 1, 2, 128]), 57, 6).unwrap(); // 10.1.2.128/25
        let at = |a| t.lookup(&k4(iid, a)).map(|(v, p)| (*v, p));
        assert_eq!(at([10, 1, 2, 200]), Some((6, 57)));
        assert_eq!(at([10, 1, 2, 1]), Some((4, 56)));
        assert_eq!(at([10, 1, 3, 1]), Some((5, 56)));
        assert_eq!(at([10, 1, 4, 1]), Some((3, 48)));
        assert_eq!(at([10, 2, 0, 1]), Some((2, 40)));
        assert_eq!(at([11, 0, 0, 1]), Some((1, 32)));
        assert_eq!(
            t.lookup(&k4(iid + 1, [10, 1, 2, 1])),
            None,
            "other instance"
        );
        assert_eq!(t.get_exact(&k4(iid, [10, 1, 0, 0]), 48), Some(&3));
        assert_eq!(t.get_exact(&k4(iid, [10, 1, 0, 0]), 47), None);

        // Absent prefixes, including the join node of the two /24s (10.1.2/23): no change.
        alloc.synchronize();
        let (nodes, before) = (alloc.live(), walk_all::<8, WALK_STACK>(&t, None));
        for (a, p) in [
            ([10, 1, 2, 0], 55),
            ([10, 1, 0, 0], 47),
            ([10, 1, 2, 0], 64),
            ([9, 0, 0, 0], 40),
        ] {
            assert_eq!(rem(&t, &k4(iid, a), p), None);
            assert_eq!(t.get_exact(&k4(iid, a), p), None);
        }
        assert_eq!(rem(&t, &k4(iid + 1, [0; 4]), 32), None);
        alloc.synchronize();
        assert_eq!(alloc.live(), nodes);
        assert_eq!(walk_all::<8, WALK_STACK>(&t, None), before);

        // Remove in the middle of the chain: lookups fall back to the next shorter prefix.
        assert_eq!(rem(&t, &k4(iid, [10, 1, 0, 0]), 48), Some(3));
        assert_eq!(at([10, 1, 4, 1]), Some((2, 40)));
        assert_eq!(at([10, 1, 2, 200]), Some((6, 57)));
        assert_eq!(rem(&t, &k4(iid, [10, 1, 2, 0]), 56), Some(4));
        assert_eq!(at([10, 1, 2, 1]), Some((2, 40)));
        assert_eq!(at([10, 1, 2, 200]), Some((6, 57)));
        alloc.synchronize();
        assert_eq!(check_shape(&t), alloc.live());
        assert_eq!(clear(&t).len(), 4);
        drop(t);
        alloc.check_all_freed();
    }

    #[test]
    fn rejects_bad_prefixes() {
        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 1]), 56, 1),
            Err(TrieError::HostBits)
        );
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 0]), 65, 1),
            Err(TrieError::PrefixTooLong)
        );
        assert_eq!(ins(&t, &[0; 8], 255, 1), Err(TrieError::PrefixTooLong));
        assert_eq!(ins(&t, &[1; 8], 0, 1), Err(TrieError::HostBits));
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 0x80]), 56, 1),
            Err(TrieError::HostBits)
        );
        assert_eq!(ins(&t, &k4(1, [10, 0, 0, 0x80]), 57, 1), Ok(None));
        assert_eq!(rem(&t, &k4(1, [10, 0, 0, 0x80]), 56), None);
        assert_eq!(rem(&t, &k4(1, [10, 0, 0, 0x80]), 65), None);
        assert_eq!(t.get_exact(&k4(1, [10, 0, 0, 0x80]), 56), None);
        assert_eq!(t.len(), 1);
        for e in [
            TrieError::HostBits,
            TrieError::PrefixTooLong,
            TrieError::NoMemory,
        ] {
            assert!(!e.message().to_bytes().is_empty());
        }
        assert_eq!(clear(&t), [1]);
        drop(t);
        alloc.check_all_freed();
    }

    #[test]
    fn out_of_memory_changes_nothing() {
        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        alloc.fail_in(Some(0));
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 0]), 56, 1),
            Err(TrieError::NoMemory)
        );
        assert!(t.is_empty());
        alloc.fail_in(None);
        ins(&t, &k4(1, [10, 0, 0, 0]), 56, 1).unwrap();
        ins(&t, &k4(1, [10, 0, 0, 0]), 40, 2).unwrap();
        let before = walk_all::<8, WALK_STACK>(&t, None);
        let nodes = alloc.live();
        // A sibling needs a leaf and a join node: fail either allocation.
        for n in [0, 1] {
            alloc.fail_in(Some(n));
            assert_eq!(
                ins(&t, &k4(1, [10, 0, 1, 0]), 56, 3),
                Err(TrieError::NoMemory)
            );
            alloc.synchronize();
            assert_eq!(alloc.live(), nodes);
            assert_eq!(walk_all::<8, WALK_STACK>(&t, None), before);
            assert_eq!(t.len(), 2);
        }
        // A new prefix above or below an existing one needs one node.
        alloc.fail_in(Some(0));
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 0]), 48, 4),
            Err(TrieError::NoMemory)
        );
        assert_eq!(
            ins(&t, &k4(1, [0, 0, 0, 0]), 32, 4),
            Err(TrieError::NoMemory)
        );
        // Replacing a value and turning a join node into an entry need none.
        assert_eq!(ins(&t, &k4(1, [10, 0, 0, 0]), 56, 5), Ok(Some(1)));
        alloc.fail_in(None);
        ins(&t, &k4(1, [10, 0, 1, 0]), 56, 6).unwrap();
        alloc.fail_in(Some(0));
        assert_eq!(
            ins(&t, &k4(1, [10, 0, 0, 0]), 55, 7),
            Ok(None),
            "the join node"
        );
        assert_eq!(t.len(), 4);
        alloc.fail_in(None);
        check_shape(&t);
        assert_eq!(clear(&t).len(), 4);
        drop(t);
        alloc.check_all_freed();
    }

    #[test]
    fn node_sizes_and_nodes_per_entry() {
        let s8 = size_of::<Node<(), (), 8>>();
        let s20 = size_of::<Node<(), (), 20>>();
        println!("size_of::<Node<(), (), 8>>() = {s8}, size_of::<Node<(), (), 20>>() = {s20}");
        assert!(s8 <= 40 && s20 <= 48);
        // In the kernel each node also carries a 16-byte `rcu_head` (kmalloc-64 for both).
        let k8 = size_of::<Node<(), [usize; 2], 8>>();
        let k20 = size_of::<Node<(), [usize; 2], 20>>();
        println!("with a 16-byte rcu_head: {k8} and {k20} bytes");
        assert!(k8 <= 64 && k20 <= 64);

        let alloc = Counting::default();
        let t = T::<8>::new(&alloc);
        let mut rng = Rng(24);
        for id in 0..100_000 {
            let r = rng.next();
            ins(
                &t,
                &k4(0, [(r >> 16) as u8, (r >> 8) as u8, r as u8, 0]),
                56,
                id,
            )
            .unwrap();
        }
        alloc.synchronize();
        let nodes = alloc.live();
        let per = nodes as f64 / t.len() as f64;
        println!(
            "100k random IPv4 /24s: {} entries, {nodes} nodes, {per:.3} nodes per entry, \
             {:.1} bytes per entry",
            t.len(),
            per * s8 as f64
        );
        assert_eq!(check_shape(&t), nodes);
        assert!(per < 2.0);
        let len = t.len();
        assert_eq!(clear(&t).len(), len);
        drop(t);
        alloc.check_all_freed();
    }

    /// Builds a trie of depth 161: /0 to /160 along one key, each with a sibling leaf.
    fn deep(t: &T<'_, 20>, m: &mut Model<20>) {
        let base = [0x5a; 20];
        for p in 0..=160usize {
            let k = masked(&base, p);
            ins(t, &k, p as u8, p as u64).unwrap();
            m.0.push((k, p as u8, p as u64));
            if p > 0 {
                let mut s = base;
                flip(&mut s, p - 1);
                let s = masked(&s, 160);
                ins(t, &s, 160, 1000 + p as u64).unwrap();
                m.0.push((s, 160, 1000 + p as u64));
            }
        }
    }

    #[test]
    fn deep_trie_walks_and_frees() {
        let alloc = Counting::default();
        let mut t = T::<20>::new(&alloc);
        let mut m = Model(Vec::new());
        deep(&t, &mut m);
        let mut g = Gen::<20>::new(7, &[32, 64, 128, 160]);
        check_walks(&t, &m, &mut g, true);
        assert_eq!(dump(&t, 3), m.sorted());
        for e in &m.0 {
            assert_eq!(
                t.lookup(&e.0).map(|(v, p)| (*v, p)).map(|x| x.1 >= e.1),
                Some(true)
            );
        }
        // Clearing frees children before parents, re-finding ancestors past the stack's depth.
        assert_eq!(clear(&t).len(), m.0.len());
        alloc.synchronize();
        assert_eq!(alloc.live(), 0);
        deep(&t, &mut Model(Vec::new()));
        let mut n = 0;
        t.destroy(|v| {
            take(v);
            n += 1;
        });
        assert_eq!(n, m.0.len());
        assert_eq!(alloc.live(), 0);
        deep(&t, &mut Model(Vec::new()));
        let _ = clear(&t);
        drop(t);
        alloc.check_all_freed();
        let c = alloc.counts();
        assert!(c.now > 0 && c.deferred > 0);
    }

    #[test]
    fn drop_frees_nodes() {
        let alloc = Counting::default();
        let mut values = [0u64; 64];
        {
            let t = Trie::<u64, &Counting, 8>::new(&alloc);
            for (i, v) in values.iter_mut().enumerate() {
                let k = k4(i as u32 % 3, [i as u8, 0, 0, 0]);
                // SAFETY: One writer; the values outlive the trie.
                unsafe { t.insert(&k, 40, NonNull::from(v)) }.unwrap();
            }
            assert_eq!(t.len(), 64);
            // Dropped with its entries: the nodes are freed, the values stay the caller's.
        }
        alloc.check_all_freed();
        let c = alloc.counts();
        assert_eq!(c.now, c.allocs);
    }

    #[test]
    fn is_send_and_sync() {
        fn check<S: Send + Sync>() {}
        check::<Trie<u64, &Counting, 8>>();
    }

    /// A value that knows its own prefix, so readers can check what they find.
    struct Tagged {
        key: [u8; 8],
        plen: u8,
    }

    #[test]
    fn concurrent_readers() {
        // Nothing is freed until the threads are done: an endless grace period.
        let alloc = Counting::default();
        let t = Trie::<Tagged, &Counting, 8>::new(&alloc);
        let done = AtomicBool::new(false);
        let mut gone: Vec<usize> = Vec::new();
        thread::scope(|s| {
            s.spawn(|| {
                let mut g = Gen::<8>::new(99, &[32, 40, 48, 56, 64]);
                for _ in 0..20_000 {
                    let (key, plen) = g.prefix();
                    if g.rng.below(3) == 0 {
                        // SAFETY: The only writer.
                        gone.extend(unsafe { t.remove(&key, plen) }.map(|v| v.as_ptr() as usize));
                    } else {
                        let v = NonNull::from(Box::leak(Box::new(Tagged { key, plen })));
                        // SAFETY: The only writer; values are freed after the readers end.
                        gone.extend(
                            unsafe { t.insert(&key, plen, v) }
                                .unwrap()
                                .map(|v| v.as_ptr() as usize),
                        );
                    }
                }
                done.store(true, Ordering::Release);
            });
            for seed in 0..2 {
                let (t, done) = (&t, &done);
                s.spawn(move || {
                    let mut g = Gen::<8>::new(99, &[32, 40, 48, 56, 64]);
                    g.rng = Rng(seed);
                    let mut rounds = 0;
                    while !done.load(Ordering::Acquire) || rounds < 10 {
                        rounds += 1;
                        for _ in 0..100 {
                            let a = g.addr();
                            if let Some((v, p)) = t.lookup(&a) {
                                assert_eq!(v.plen, p);
                                assert!(prefix_eq(&v.key, &a, usize::from(p)));
                            }
                        }
                        let mut last: Option<([u8; 8], u8)> = None;
                        t.walk(None, |k, p, v| {
                            assert!(last < Some((*k, p)), "walk out of order");
                            assert_eq!((v.key, v.plen), (*k, p));
                            last = Some((*k, p));
                            true
                        });
                    }
                });
            }
        });
        let mut t = t;
        let removed = gone.len();
        t.destroy(|v| gone.push(v.as_ptr() as usize));
        assert!(removed > 1000 && gone.len() > removed);
        for v in gone {
            // SAFETY: Boxed by the writer, handed back once, no reader left.
            drop(unsafe { Box::from_raw(v as *mut Tagged) });
        }
        drop(t);
        alloc.check_all_freed();
    }
}
