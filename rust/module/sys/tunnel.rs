// SPDX-License-Identifier: GPL-2.0

//! UDP tunnel sockets and the mechanics of encapsulation and decapsulation.
//!
//! The LISP logic (which locator, which header, which counters) lives in `device.rs`; this file
//! only knows how to move an `sk_buff` into and out of IP/UDP with a given header.
//!
//! C headers: [`include/net/udp_tunnel.h`](srctree/include/net/udp_tunnel.h),
//! [`include/net/ip_tunnels.h`](srctree/include/net/ip_tunnels.h).

use super::bindings;
use super::genl::Net;
use super::netdev::{DropReason, NetDevice, SkBuff};
use super::rcu::ReadGuard;
use super::skb::Dst;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::to_result;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::Opaque;

const AF_INET: u8 = bindings::AF_INET as u8;
const AF_INET6: u8 = bindings::AF_INET6 as u8;
pub(crate) const ETH_P_IP: u16 = bindings::ETH_P_IP as u16;
pub(crate) const ETH_P_IPV6: u16 = bindings::ETH_P_IPV6 as u16;
/// An Ethernet frame where an IP packet is expected (raw IP devices).
pub(crate) const ETH_P_TEB: u16 = bindings::ETH_P_TEB as u16;
pub(crate) const ETH_HLEN: usize = bindings::ETH_HLEN as usize;
pub(crate) const UDP_HLEN: usize = core::mem::size_of::<bindings::udphdr>();
/// Fixed IPv4 header (no options) and IPv6 header lengths.
const IPV4_HLEN: usize = core::mem::size_of::<bindings::iphdr>();
const IPV6_HLEN: usize = core::mem::size_of::<bindings::ipv6hdr>();
const _: () = assert!(UDP_HLEN == 8 && IPV4_HLEN == 20 && IPV6_HLEN == 40 && ETH_HLEN == 14);

/// Receives the packets that arrive on a tunnel socket.
pub(crate) trait EncapRcv: Sync {
    /// Handles a packet; `skb->data` points at its UDP header.
    fn encap_rcv(&self, skb: SkBuff);
}

/// How generic receive offload reads a tunnel's header, so that the packets of one inner flow
/// (a TCP connection) behind equal headers are merged before decapsulation, as VXLAN and GENEVE
/// do: the tunnel socket's `gro_receive` and `gro_complete`.
pub(crate) trait TunnelGro {
    /// Length of the tunnel header between the UDP header and the inner IP packet.
    const HLEN: usize;

    /// From a tunnel header and the first byte of the inner packet (`HLEN + 1` bytes): what two
    /// packets' headers must share to be merged, and the inner packet's ethertype (`ETH_P_IP`
    /// or `ETH_P_IPV6`); `None` for a packet to leave unmerged.
    fn flow(hdr: &[u8]) -> Option<(u32, u16)>;
}

pub(crate) use crate::proto::addr::IpAddr;

/// Transmit parameters from tunnel metadata (tc `tunnel_key`, `ip route ... encap ip`, OVS).
pub(crate) struct TxMetadata {
    /// Destination locator.
    pub(crate) dst: IpAddr,
    /// Source locator, if set.
    pub(crate) src: Option<IpAddr>,
    /// The 32-bit tunnel key (the instance ID for LISP).
    pub(crate) key: u32,
    /// Outer TOS and TTL (0: not set).
    pub(crate) tos: u8,
    /// Outer TTL (0: not set).
    pub(crate) ttl: u8,
    /// UDP destination port (0: not set).
    pub(crate) port: u16,
    /// UDP checksum requested.
    pub(crate) csum: bool,
}

/// `IP_TUNNEL_INFO_TX`, `IP_TUNNEL_INFO_IPV6`, `IP_TUNNEL_CSUM_BIT`.
const INFO_TX: u8 = 0x01;
const INFO_IPV6: u8 = 0x02;
const CSUM_BIT: usize = 0;

impl SkBuff {
    /// The transmit tunnel metadata attached to the packet, if any.
    pub(crate) fn tx_metadata(&self) -> Option<TxMetadata> {
        // SAFETY: We own the buffer; the metadata, if any, lives as long as its dst reference,
        // which the buffer holds while we read it.
        let info = unsafe { bindings::lisp_skb_tunnel_info(self.as_raw_ptr()).as_ref()? };
        if info.mode & INFO_TX == 0 {
            return None;
        }
        let k = &info.key;
        let v6 = info.mode & INFO_IPV6 != 0;
        let (dst, src) = if v6 {
            // SAFETY: IPv6 metadata (mode bit) uses the `ipv6` member of the union.
            let (d, s) = unsafe { (k.u.ipv6.dst.in6_u.u6_addr8, k.u.ipv6.src.in6_u.u6_addr8) };
            (d, s)
        } else {
            // SAFETY: IPv4 metadata uses the `ipv4` member of the union.
            let (d, s) = unsafe { (k.u.ipv4.dst.to_ne_bytes(), k.u.ipv4.src.to_ne_bytes()) };
            let (mut d16, mut s16) = ([0u8; 16], [0u8; 16]);
            d16[..4].copy_from_slice(&d);
            s16[..4].copy_from_slice(&s);
            (d16, s16)
        };
        let flags = k.tun_flags[0];
        Some(TxMetadata {
            dst: IpAddr { bytes: dst, v6 },
            src: src
                .iter()
                .any(|&b| b != 0)
                .then_some(IpAddr { bytes: src, v6 }),
            // The tunnel ID is the key as a big-endian 64-bit number (`key32_to_tunnel_id`).
            key: (u64::from_be(k.tun_id) & 0xffff_ffff) as u32,
            tos: k.tos,
            ttl: k.ttl,
            port: u16::from_be(k.tp_dst),
            csum: flags & (1 << CSUM_BIT) != 0,
        })
    }
}

/// An address as the kernel's structures hold it.
trait KernelAddr {
    /// The IPv4 address as a `__be32` (its first 4 bytes).
    fn v4_be(&self) -> u32;
    /// The IPv6 address as an `in6_addr`.
    fn in6(&self) -> bindings::in6_addr;
}

impl KernelAddr for IpAddr {
    fn v4_be(&self) -> u32 {
        let a = &self.bytes;
        u32::from_ne_bytes([a[0], a[1], a[2], a[3]])
    }

    fn in6(&self) -> bindings::in6_addr {
        bindings::in6_addr {
            in6_u: bindings::in6_addr__bindgen_ty_1 {
                u6_addr8: self.bytes,
            },
        }
    }
}

/// An open UDP tunnel socket, and a reference to the object its packets go to.
///
/// # Invariants
///
/// `sock` is a kernel socket set up by `setup_udp_tunnel_sock`, owned by this object, whose
/// user data is `user`: a reference given up by `Arc::into_raw` for a type that `put_user`
/// takes back.
pub(crate) struct Socket {
    sock: NonNull<bindings::socket>,
    user: *const c_void,
    put_user: unsafe fn(*const c_void),
}

// SAFETY: Kernel sockets may be used and released from any thread.
unsafe impl Send for Socket {}
// SAFETY: The transmit functions may be called concurrently on a kernel socket.
unsafe impl Sync for Socket {}

impl Socket {
    /// Opens a socket in `net` on `port`, bound to `local` if given, whose packets go to
    /// `user.encap_rcv()`; the socket keeps `user` until it is released.
    pub(crate) fn open<R: EncapRcv + TunnelGro + Send + 'static>(
        net: Net<'_>,
        v6: bool,
        local: Option<&IpAddr>,
        port: u16,
        user: Arc<R>,
    ) -> Result<Self> {
        // SAFETY: All-zero is a valid `udp_port_cfg` (wildcard address, port 0, no flags).
        let mut cfg: bindings::udp_port_cfg = unsafe { core::mem::zeroed() };
        cfg.family = if v6 { AF_INET6 } else { AF_INET };
        cfg.local_udp_port = port.to_be();
        if let Some(l) = local {
            if v6 {
                cfg.__bindgen_anon_1.local_ip6.in6_u.u6_addr8 = l.bytes;
            } else {
                cfg.__bindgen_anon_1.local_ip.s_addr = l.v4_be();
            }
        }
        if v6 {
            cfg.set_ipv6_v6only(1);
            // Left at 0: IPv6 packets with a zero UDP checksum are accepted (RFC 9300, as
            // RFC 6935 allows for tunnels); non-zero checksums are still verified.
        }
        let mut sock: *mut bindings::socket = core::ptr::null_mut();
        // SAFETY: `net` is live; `cfg` and `sock` are valid for the call.
        to_result(unsafe {
            if v6 {
                bindings::udp_sock_create6(net.as_raw(), &mut cfg, &mut sock)
            } else {
                bindings::udp_sock_create4(net.as_raw(), &mut cfg, &mut sock)
            }
        })?;
        let sock = NonNull::new(sock).ok_or(EINVAL)?;
        let user = Arc::into_raw(user).cast::<c_void>();
        // SAFETY: All-zero is a valid `udp_tunnel_sock_cfg` (no callbacks).
        let mut tcfg: bindings::udp_tunnel_sock_cfg = unsafe { core::mem::zeroed() };
        tcfg.sk_user_data = user.cast_mut();
        tcfg.encap_type = 1;
        tcfg.encap_rcv = Some(encap_rcv_callback::<R>);
        tcfg.gro_receive = Some(gro_receive_callback::<R>);
        tcfg.gro_complete = Some(gro_complete_callback::<R>);
        // SAFETY: `sock` was just created; its user data, an `R`, is kept alive by the reference
        // the socket holds until it is released (in `drop`).
        unsafe { bindings::setup_udp_tunnel_sock(net.as_raw(), sock.as_ptr(), &mut tcfg) };
        // INVARIANT: Created and set up above, with `user` as user data.
        Ok(Self {
            sock,
            user,
            put_user: put_arc::<R>,
        })
    }
}

/// Gives back a reference that `Arc::<R>::into_raw` gave up.
///
/// # Safety
///
/// `p` must come from `Arc::<R>::into_raw`, and be given back once.
unsafe fn put_arc<R>(p: *const c_void) {
    // SAFETY: From the function's safety requirements.
    drop(unsafe { Arc::from_raw(p.cast::<R>()) });
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: We own the socket (type invariant). The call clears its user data and waits
        // for the receivers in progress before it releases the socket.
        unsafe { bindings::udp_tunnel_sock_release(self.sock.as_ptr()) };
        // SAFETY: No receiver is left to use the user data; the reference is the socket's
        // (type invariant).
        unsafe { (self.put_user)(self.user) };
    }
}

/// A slot where the transmit path finds a socket under RCU.
///
/// # Invariants
///
/// A non-null `ptr` came from `KBox::into_raw` of a boxed [`Socket`] given to `publish`, and is
/// released only by `release`, after a grace period.
pub(crate) struct SocketSlot {
    ptr: AtomicPtr<Socket>,
}

impl SocketSlot {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Makes `sock` visible to the transmit path. Callers serialise (RTNL).
    pub(crate) fn publish(&self, sock: KBox<Socket>) {
        // INVARIANT: The slot owns the box from now on.
        let old = self.ptr.swap(KBox::into_raw(sock), Ordering::Release);
        if !old.is_null() {
            // Unreachable with balanced open/stop; do not leak it.
            // SAFETY: The old pointer was published by us and is owned by the slot.
            drop(unsafe { KBox::from_raw(old) });
        }
    }

    /// The published socket, for a transmit under the RCU read lock.
    pub(crate) fn get<'a>(&'a self, _rcu: &'a ReadGuard) -> Option<SocketRef<'a>> {
        // SAFETY: A published socket is freed only after a grace period, which `_rcu` holds off
        // (type invariant).
        let sock = unsafe { self.ptr.load(Ordering::Acquire).as_ref() }?;
        Some(SocketRef(sock.sock, PhantomData))
    }

    /// Unpublishes the socket, waits for transmitters and receivers to finish with it, and
    /// releases it.
    pub(crate) fn release(&self) {
        let p = self.ptr.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !p.is_null() {
            super::rcu::synchronize_net();
            // SAFETY: The slot owned the socket (type invariant); no reader is left.
            drop(unsafe { KBox::from_raw(p) });
        }
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        self.release();
    }
}

/// A socket found in a [`SocketSlot`], valid during an RCU read-side section.
pub(crate) struct SocketRef<'a>(NonNull<bindings::socket>, PhantomData<&'a ReadGuard>);

/// `encap_rcv` of tunnel sockets: 0 when the packet was consumed.
///
/// # Safety
///
/// Called by the UDP layer only, under RCU, with a socket set up by [`Socket::open`] for `R`.
unsafe extern "C" fn encap_rcv_callback<R: EncapRcv>(
    sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
) -> c_int {
    let Some(skb) = NonNull::new(skb) else {
        return 0;
    };
    // SAFETY: The UDP layer hands the buffer over to us.
    let skb = unsafe { SkBuff::from_raw(skb) };
    // SAFETY: `sk` is our socket; its user data is the `R` given to `open`, kept until the
    // socket is released, which clears it and waits for receivers first (`Socket::drop`).
    let user = unsafe { bindings::lisp_sk_user_data(sk) }.cast::<R>();
    // SAFETY: As above.
    match unsafe { user.as_ref() } {
        Some(user) => user.encap_rcv(skb),
        None => drop(skb),
    }
    0
}

/// `gro_receive` of tunnel sockets: merges `skb` into a held packet of the same flow through
/// the inner protocol's GRO, or holds it; what it returns is a packet to flush, as for any
/// `gro_receive`.
///
/// # Safety
///
/// Called by the UDP layer's GRO only (`udp_gro_receive`), under RCU, with the list of held
/// packets and a packet whose GRO offset is at the tunnel header of a socket set up for `G`.
unsafe extern "C" fn gro_receive_callback<G: TunnelGro>(
    _sk: *mut bindings::sock,
    head: *mut bindings::list_head,
    skb: *mut bindings::sk_buff,
) -> *mut bindings::sk_buff {
    let len = G::HLEN + 1;
    let mut pp = core::ptr::null_mut();
    let mut flush = 1;
    // SAFETY: `skb` is in GRO (function's safety requirements).
    let off = unsafe { bindings::lisp_skb_gro_offset(skb) };
    // SAFETY: As above; the result is null or `len` readable bytes at `off`.
    let hdr = unsafe { bindings::lisp_skb_gro_header(skb, off + len as u32, off) };
    let flow = NonNull::new(hdr.cast::<u8>()).and_then(|h| {
        // SAFETY: `len` bytes at `h` are readable while `skb` is in GRO (above).
        G::flow(unsafe { core::slice::from_raw_parts(h.as_ptr(), len) })
    });
    if let Some((key, proto)) = flow {
        // A held packet whose tunnel header says another flow may not take this one.
        // SAFETY: `head` is the list of held packets (function's safety requirements).
        let mut p = unsafe { bindings::lisp_gro_list_first(head) };
        while !p.is_null() {
            // SAFETY: `p` is on the list of held packets.
            if unsafe { bindings::lisp_gro_same_flow(p) } {
                // SAFETY: A held packet has its headers in its linear area: the outer ones
                // matched ours, so its tunnel header is at our offset.
                let data = unsafe { (*p).data.add(off as usize) };
                // SAFETY: As above: `len` bytes at `data` are in the linear area.
                let held = unsafe { core::slice::from_raw_parts(data, len) };
                if G::flow(held).map(|f| f.0) != Some(key) {
                    // SAFETY: `p` is on the list of held packets.
                    unsafe { bindings::lisp_gro_clear_same_flow(p) };
                }
            }
            // SAFETY: `p` is on the list `head`.
            p = unsafe { bindings::lisp_gro_list_next(head, p) };
        }
        // SAFETY: `skb` is in GRO and its tunnel header was readable at `off` (above).
        unsafe { bindings::lisp_skb_gro_pull(skb, G::HLEN as u32) };
        // SAFETY: `hdr` is the header just pulled, `G::HLEN` bytes.
        unsafe { bindings::lisp_skb_gro_postpull_rcsum(skb, hdr, G::HLEN as u32) };
        // SAFETY: Looks up the packet offloads of `proto`, under RCU.
        let ptype = unsafe { bindings::gro_find_receive_by_type(proto.to_be()) };
        if !ptype.is_null() {
            // SAFETY: `ptype` is registered and has a `gro_receive`; `skb` is now at the inner
            // IP header.
            pp = unsafe { bindings::lisp_call_gro_receive(ptype, head, skb) };
            flush = 0;
        }
    }
    // SAFETY: `skb` is in GRO; `pp` is what this GRO layer returns.
    unsafe { bindings::lisp_skb_gro_flush_final(skb, pp, flush) };
    pp
}

/// `gro_complete` of tunnel sockets: finishes a merged packet whose tunnel header is at
/// `nhoff` by the inner protocol's `gro_complete`, and marks where the inner packet starts.
///
/// # Safety
///
/// Called by the UDP layer's GRO only (`udp_gro_complete`), with a packet that
/// [`gro_receive_callback`] merged for the same `G`.
unsafe extern "C" fn gro_complete_callback<G: TunnelGro>(
    _sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
    nhoff: c_int,
) -> c_int {
    let enosys = -(bindings::ENOSYS as c_int);
    let Ok(at) = usize::try_from(nhoff) else {
        return enosys;
    };
    // SAFETY: A merged packet has its headers, up to the inner ones, in its linear area.
    let data = unsafe { (*skb).data.add(at) };
    // SAFETY: As above: the tunnel header and the inner header after it are there.
    let hdr = unsafe { core::slice::from_raw_parts(data, G::HLEN + 1) };
    let Some((_, proto)) = G::flow(hdr) else {
        return enosys;
    };
    // SAFETY: Looks up the packet offloads of `proto`, under RCU.
    let ptype = unsafe { bindings::gro_find_complete_by_type(proto.to_be()) };
    if ptype.is_null() {
        return enosys;
    }
    let inner = nhoff + G::HLEN as c_int;
    // SAFETY: `ptype` is registered and has a `gro_complete`; the inner header is at `inner`.
    let err = unsafe { bindings::lisp_call_gro_complete(ptype, skb, inner) };
    // SAFETY: `inner` is within the packet (above).
    unsafe { bindings::lisp_skb_set_inner_mac_header(skb, inner) };
    err
}

/// A per-CPU cache of the route to the locator each CPU sent to last, so that a flow of packets
/// to one RLOC looks its route up once (the kernel's `dst_cache`, plus the locator it is for).
///
/// # Invariants
///
/// `cache` was initialised by `dst_cache_init`; `keys` is a per-CPU allocation of three `u64`s
/// (family marker and address of the cached locator) owned by this object.
pub(crate) struct RouteCache {
    cache: Opaque<bindings::dst_cache>,
    keys: NonNull<u64>,
}

// SAFETY: Each CPU only touches its own slot of both per-CPU areas, with BH disabled.
unsafe impl Send for RouteCache {}
// SAFETY: As above.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    /// An empty cache.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: Plain allocation (zeroed).
        let keys = NonNull::new(unsafe { bindings::lisp_alloc_percpu_u64(3) }).ok_or(ENOMEM)?;
        // SAFETY: All-zero is a valid uninitialised `dst_cache`.
        let cache = Opaque::new(unsafe { core::mem::zeroed::<bindings::dst_cache>() });
        // SAFETY: `cache` is ours; `dst_cache_init` allocates its per-CPU slots.
        if unsafe { bindings::dst_cache_init(cache.get(), kernel::bindings::GFP_KERNEL) } != 0 {
            // SAFETY: Allocated above, not shared.
            unsafe { bindings::free_percpu(keys.as_ptr().cast()) };
            return Err(ENOMEM);
        }
        // INVARIANT: Both initialised above.
        Ok(Self { cache, keys })
    }

    /// This CPU's key slot. The transmit path runs with BH disabled, so nothing else on this
    /// CPU uses the slot while it reads or writes it.
    fn key_slot(&self) -> *mut [u64; 3] {
        // SAFETY: `keys` is a per-CPU `[u64; 3]` (type invariant).
        unsafe { bindings::lisp_this_cpu_u64(self.keys.as_ptr()).cast::<[u64; 3]>() }
    }

    fn key_of(dst: &IpAddr) -> [u64; 3] {
        let a = &dst.bytes;
        let lo = u64::from_ne_bytes([a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]]);
        let hi = u64::from_ne_bytes([a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]]);
        [if dst.v6 { 6 } else { 4 }, lo, hi]
    }

    /// The cache to look `dst` up in, if this CPU's cached route is for `dst`.
    fn slot_for(&self, dst: &IpAddr) -> *mut bindings::dst_cache {
        // SAFETY: This CPU's slot, valid and not used concurrently (see `key_slot`).
        if unsafe { self.key_slot().read() } == Self::key_of(dst) {
            self.cache.get()
        } else {
            core::ptr::null_mut()
        }
    }

    /// Remembers `route` (from source `saddr`) as this CPU's route to `dst`.
    fn remember(&self, dst: &IpAddr, route: &Dst, saddr: &IpAddr) {
        if dst.v6 {
            let saddr = saddr.in6();
            // SAFETY: The cache is initialised (type invariant); it takes its own reference to
            // the valid route, and copies the address.
            unsafe { bindings::dst_cache_set_ip6(self.cache.get(), route.as_raw(), &saddr) };
        } else {
            // SAFETY: As above.
            unsafe { bindings::dst_cache_set_ip4(self.cache.get(), route.as_raw(), saddr.v4_be()) };
        }
        // SAFETY: This CPU's slot, valid and not used concurrently (see `key_slot`).
        unsafe { self.key_slot().write(Self::key_of(dst)) };
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        // SAFETY: The cache is ours (type invariant) and no transmit can run any more.
        unsafe { bindings::dst_cache_destroy(self.cache.get()) };
        // SAFETY: As above, for the keys.
        unsafe { bindings::free_percpu(self.keys.as_ptr().cast()) };
    }
}

/// What to send: everything the encapsulation needs besides the buffer.
pub(crate) struct Encap<'a> {
    /// The tunnel device.
    pub(crate) dev: &'a NetDevice,
    /// Its namespace (where the underlay is).
    pub(crate) net: Net<'a>,
    /// Source (optional) and destination locators, of one family.
    pub(crate) src: Option<IpAddr>,
    /// Destination locator.
    pub(crate) dst: IpAddr,
    /// UDP destination port.
    pub(crate) port: u16,
    /// Outer TOS before ECN encapsulation.
    pub(crate) tos: u8,
    /// Outer TTL.
    pub(crate) ttl: u8,
    /// UDP checksum.
    pub(crate) csum: bool,
    /// The LISP header.
    pub(crate) header: [u8; 8],
    /// Ethertype of the inner packet (`ETH_P_IP` or `ETH_P_IPV6`).
    pub(crate) inner_proto: u16,
    /// Route cache to use, when the source is fixed per destination (not in external mode).
    pub(crate) routes: Option<&'a RouteCache>,
    /// The frame came from a bridge, with an Ethernet header in front of the network header: a
    /// packet too big for the path is answered (ICMP) back into the bridge, as the hypervisor
    /// cannot route to its sender.
    pub(crate) bridged: bool,
}

/// Why [`xmit`] could not send.
pub(crate) enum TxError {
    /// No route to the locator.
    NoRoute,
    /// The buffer could not be prepared (memory, offloads).
    Buffer,
    /// Too big for the path; the buffer became the ICMP error sent back to its sender.
    TooBig,
}

impl TxError {
    /// The reason the buffer was freed with.
    fn reason(&self) -> DropReason {
        match self {
            Self::NoRoute => DropReason::IpOutNoRoutes,
            Self::Buffer | Self::TooBig => DropReason::NoMem,
        }
    }
}

/// Checks a pointer returned by a function that may return `ERR_PTR`.
fn not_err<T>(p: *mut T) -> Option<NonNull<T>> {
    // SAFETY: Plain pointer classification.
    if unsafe { bindings::lisp_is_err(p.cast()) } {
        None
    } else {
        NonNull::new(p)
    }
}

/// A route lookup towards a locator (or, for native forwarding, an inner destination).
struct Route<'a> {
    dev: &'a NetDevice,
    net: Net<'a>,
    sock: &'a SocketRef<'a>,
    dst: &'a IpAddr,
    src: Option<&'a IpAddr>,
    /// UDP ports, network byte order.
    sport: u16,
    dport: u16,
    tos: u8,
    ttl: u8,
    /// The route cache to use and fill, if any.
    cache: Option<&'a RouteCache>,
}

impl Route<'_> {
    /// Looks the route up with the kernel's UDP tunnel helpers, which refuse a route back
    /// through `dev` (a loop): the route and the source address it chose.
    fn lookup(&self, skb: &mut SkBuff) -> Option<(Dst, IpAddr)> {
        let cached = self
            .cache
            .map_or(core::ptr::null_mut(), |c| c.slot_for(self.dst));
        // SAFETY: All-zero is a valid `ip_tunnel_key` (no addresses, no flags).
        let mut key: bindings::ip_tunnel_key = unsafe { core::mem::zeroed() };
        key.tos = self.tos;
        key.ttl = self.ttl;
        let (route, saddr) = if self.dst.v6 {
            key.u.ipv6.dst = self.dst.in6();
            if let Some(s) = self.src {
                key.u.ipv6.src = s.in6();
            }
            let mut saddr = IpAddr::v6([0; 16]).in6();
            // SAFETY: The buffer, device and namespace are live, the socket too (under the RCU
            // read lock `sock` borrows); `cached` is null or this CPU's initialised `dst_cache`;
            // `saddr` and `key` are valid for the call.
            let dst = unsafe {
                bindings::udp_tunnel6_dst_lookup(
                    skb.as_raw_ptr(),
                    self.dev.as_raw(),
                    self.net.as_raw(),
                    self.sock.0.as_ptr(),
                    0,
                    &mut saddr,
                    &key,
                    self.sport,
                    self.dport,
                    self.tos,
                    cached,
                )
            };
            // SAFETY: The helper initialised the address as bytes.
            let addr = unsafe { saddr.in6_u.u6_addr8 };
            (not_err(dst)?, IpAddr::v6(addr))
        } else {
            key.u.ipv4.dst = self.dst.v4_be();
            if let Some(s) = self.src {
                key.u.ipv4.src = s.v4_be();
            }
            let mut saddr = 0u32;
            // SAFETY: As above, without the socket.
            let rt = unsafe {
                bindings::udp_tunnel_dst_lookup(
                    skb.as_raw_ptr(),
                    self.dev.as_raw(),
                    self.net.as_raw(),
                    0,
                    &mut saddr,
                    &key,
                    self.sport,
                    self.dport,
                    self.tos,
                    cached,
                )
            };
            // SAFETY: A route the helper returned (not an error) is a valid `rtable`.
            let dst = unsafe { bindings::lisp_rt_dst(not_err(rt)?.as_ptr()) };
            (NonNull::new(dst)?, IpAddr::v4(saddr.to_ne_bytes()))
        };
        // SAFETY: The helpers return a route with a reference for the caller.
        let route = unsafe { Dst::from_raw(route) };
        if let (Some(c), true) = (self.cache, cached.is_null()) {
            c.remember(self.dst, &route, &saddr);
        }
        Some((route, saddr))
    }
}

/// The outer headers of a packet to send.
struct Outer<'a> {
    saddr: IpAddr,
    daddr: &'a IpAddr,
    tos: u8,
    ttl: u8,
    /// UDP ports, network byte order.
    sport: u16,
    dport: u16,
    csum: bool,
}

/// Hands `skb` (its LISP header at `data`) with its route to the UDP tunnel layer, which adds
/// the UDP and IP headers and sends it.
fn send(skb: SkBuff, route: Dst, sock: &SocketRef<'_>, dev: &NetDevice, o: &Outer<'_>) {
    let skb = skb.into_raw().as_ptr();
    let sk = sock_sk(sock);
    if o.daddr.v6 {
        let (saddr, daddr) = (o.saddr.in6(), o.daddr.in6());
        // SAFETY: The buffer and the route's reference are handed over; the socket is alive
        // under the RCU read lock `sock` borrows; the device is live.
        unsafe {
            bindings::udp_tunnel6_xmit_skb(
                route.into_raw(),
                sk,
                skb,
                dev.as_raw(),
                &saddr,
                &daddr,
                o.tos,
                o.ttl,
                0,
                o.sport,
                o.dport,
                !o.csum,
            )
        };
    } else {
        // SAFETY: As above; an IPv4 route is the `dst` at the start of an `rtable`.
        unsafe {
            bindings::udp_tunnel_xmit_skb(
                route.into_raw().cast(),
                sk,
                skb,
                o.saddr.v4_be(),
                o.daddr.v4_be(),
                o.tos,
                o.ttl,
                0,
                o.sport,
                o.dport,
                false,
                !o.csum,
            )
        };
    }
}

/// Frees `skb` for `err` and returns it.
fn fail(skb: SkBuff, err: TxError) -> Result<(), TxError> {
    skb.drop_reason(err.reason());
    Err(err)
}

/// Encapsulates the IP packet in `skb` (`data` at its network header) and sends it. The IP
/// tunnel layer counts it in the device's statistics.
pub(crate) fn xmit(mut skb: SkBuff, sock: &SocketRef<'_>, e: &Encap<'_>) -> Result<(), TxError> {
    let sport = skb.flow_src_port(e.net);
    let route = Route {
        dev: e.dev,
        net: e.net,
        sock,
        dst: &e.dst,
        src: e.src.as_ref(),
        sport,
        dport: e.port.to_be(),
        tos: e.tos,
        ttl: e.ttl,
        cache: e.routes,
    };
    let Some((dst, saddr)) = route.lookup(&mut skb) else {
        return fail(skb, TxError::NoRoute);
    };
    let ip_hlen = if e.dst.v6 { IPV6_HLEN } else { IPV4_HLEN };
    let overhead = (ip_hlen + UDP_HLEN + e.header.len()) as u32;
    // A packet too big for the path gets its sender told (ICMP): routed, via the inner
    // route; bridged, by a reply built from the frame and received on the device.
    if e.bridged {
        if skb.push(ETH_HLEN).is_none() {
            return fail(skb, TxError::Buffer);
        }
        let r = skb.tunnel_check_pmtu(&dst, overhead, true);
        if r != 0 {
            drop(dst);
            if r < 0 {
                return fail(skb, TxError::Buffer);
            }
            skb.scrub();
            if !skb.eth_type_trans(e.dev) {
                return fail(skb, TxError::Buffer);
            }
            skb.netif_rx();
            return Err(TxError::TooBig);
        }
        skb.pull(ETH_HLEN);
    } else {
        skb.tunnel_check_pmtu(&dst, overhead, false);
    }
    let tos = skb.ecn_encap(e.tos);
    skb.scrub();
    let headroom = dst.headroom() + overhead;
    let at_network = usize::try_from(skb.network_offset()).is_ok_and(|off| skb.pull(off));
    if !at_network || skb.cow_head(headroom).is_err() || skb.udp_tunnel_offloads(e.csum).is_err() {
        return fail(skb, TxError::Buffer);
    }
    let Some(hdr) = skb.push(e.header.len()) else {
        return fail(skb, TxError::Buffer);
    };
    hdr.copy_from_slice(&e.header);
    skb.set_inner_protocol(e.inner_proto);
    let outer = Outer {
        saddr,
        daddr: &e.dst,
        tos,
        ttl: e.ttl,
        sport,
        dport: e.port.to_be(),
        csum: e.csum,
    };
    send(skb, dst, sock, e.dev, &outer);
    Ok(())
}

/// Sends the IP packet in `skb` (`data` at its network header) unencapsulated, routed in
/// `net` by its own destination `dst`: RFC 9301's "natively forward". A route back through
/// `dev` is refused (the lookup reports a loop), as the packet would come straight back.
pub(crate) fn forward_native(
    mut skb: SkBuff,
    sock: &SocketRef<'_>,
    dev: &NetDevice,
    net: Net<'_>,
    dst: &IpAddr,
) -> Result<(), TxError> {
    let route = Route {
        dev,
        net,
        sock,
        dst,
        src: None,
        sport: 0,
        dport: 0,
        tos: 0,
        ttl: 0,
        cache: None,
    };
    let Some((route, _)) = route.lookup(&mut skb) else {
        return fail(skb, TxError::NoRoute);
    };
    skb.scrub();
    skb.clear_cb();
    skb.set_dst(route);
    skb.local_out(net, dst.v6);
    Ok(())
}

/// The `struct sock` of a published socket.
fn sock_sk(sock: &SocketRef<'_>) -> *mut bindings::sock {
    // SAFETY: The socket is alive while `sock` borrows the RCU read lock.
    unsafe { bindings::lisp_socket_sk(sock.0.as_ptr()) }
}

/// GRO cells: received packets are queued per CPU and fed to GRO from NAPI.
///
/// # Invariants
///
/// After `init` succeeded and until `destroy`, the cells are initialised for the device.
pub(crate) struct GroCells(Opaque<bindings::gro_cells>);

// SAFETY: The cells are per CPU; `gro_cells_receive` may be called from any CPU.
unsafe impl Sync for GroCells {}
// SAFETY: As above.
unsafe impl Send for GroCells {}

impl GroCells {
    /// Uninitialised cells; [`GroCells::init`] before use.
    pub(crate) fn new() -> Self {
        // All-zero cells are "not initialised": `gro_cells_destroy` accepts them.
        Self(Opaque::new(
            // SAFETY: All-zero is a valid (empty) `gro_cells`.
            unsafe { core::mem::zeroed() },
        ))
    }

    /// Initialises the cells for `dev`.
    pub(crate) fn init(&self, dev: &NetDevice) -> Result {
        // SAFETY: The cells are ours; `dev` is valid.
        to_result(unsafe { bindings::gro_cells_init(self.0.get(), dev.as_raw()) })
    }

    /// Tears the cells down (they may be initialised again).
    pub(crate) fn destroy(&self) {
        // SAFETY: The cells are ours; destroying empty cells is a no-op.
        unsafe { bindings::gro_cells_destroy(self.0.get()) };
    }
}

/// The inner packet of a received LISP packet, ready to be delivered.
pub(crate) struct Decap {
    skb: SkBuff,
    /// Where the inner IP header is, from `skb->data`: 0, or `ETH_HLEN` for a whole frame.
    ip_at: usize,
}

/// Why [`decap`] dropped a packet.
pub(crate) enum RxError {
    /// The headers could not be pulled (truncated).
    Truncated,
    /// The outer ECN field contradicts the inner one (RFC 6040 drop).
    Ecn,
    /// No memory for the Ethernet header or the metadata.
    NoMem,
}

impl RxError {
    /// The reason the buffer was freed with.
    fn reason(&self) -> DropReason {
        match self {
            Self::Truncated => DropReason::HdrTrunc,
            Self::Ecn => DropReason::IpTunnelEcn,
            Self::NoMem => DropReason::NoMem,
        }
    }

    /// Frees `skb` with this reason and returns the error.
    fn free<T>(self, skb: SkBuff) -> Result<T, Self> {
        skb.drop_reason(self.reason());
        Err(self)
    }
}

/// Strips UDP and LISP headers (`hdr_len` bytes from `skb->data`), applies RFC 6040 ECN
/// decapsulation, and puts an Ethernet header with `mac` as both addresses in front; without
/// `mac` the bare IP packet is delivered. A raw IP device given `mac` delivers the whole frame
/// marked `ETH_P_TEB` (an Open vSwitch datapath port then keeps the Ethernet header).
///
/// With `metadata`, the outer addresses and this key (the instance ID) are attached to the
/// packet as receive tunnel metadata (external mode).
pub(crate) fn decap(
    mut skb: SkBuff,
    dev: &NetDevice,
    hdr_len: usize,
    inner_proto: u16,
    outer_v6: bool,
    mac: Option<&[u8; 6]>,
    metadata: Option<u32>,
) -> Result<Decap, RxError> {
    // The outer header stays in the buffer's head: pulling only moves `data`.
    let outer_at = skb.network_header_at();
    if !skb.iptunnel_pull_header(hdr_len, inner_proto) {
        return RxError::Truncated.free(skb);
    }
    if let Some(key) = metadata {
        // The network header still points at the outer header, where the metadata's
        // addresses are read from.
        if skb.attach_rx_metadata(outer_v6, key).is_err() {
            return RxError::NoMem.free(skb);
        }
    }
    skb.reset_network_header();
    let min = if inner_proto == ETH_P_IPV6 {
        IPV6_HLEN
    } else {
        IPV4_HLEN
    };
    if !skb.may_pull(min) {
        return RxError::Truncated.free(skb);
    }
    if skb.ecn_decapsulate(outer_at, outer_v6) > 1 {
        return RxError::Ecn.free(skb);
    }
    let Some(mac) = mac else {
        // `__iptunnel_pull_header` set the protocol (and `pkt_type` to host); the packet
        // starts at its IP header.
        skb.reset_mac_header();
        skb.set_dev(dev);
        return Ok(Decap { skb, ip_at: 0 });
    };
    if skb.cow_head(ETH_HLEN as u32).is_err() {
        return RxError::NoMem.free(skb);
    }
    let Some(eth) = skb.push(ETH_HLEN) else {
        return RxError::NoMem.free(skb);
    };
    eth[..6].copy_from_slice(mac);
    eth[6..12].copy_from_slice(mac);
    eth[12..].copy_from_slice(&inner_proto.to_be_bytes());
    let whole = dev.is_raw_ip();
    if whole {
        // No link layer of its own to consume: the frame is the packet.
        skb.reset_mac_header();
        skb.set_dev(dev);
        skb.set_protocol(ETH_P_TEB);
    } else if !skb.eth_type_trans(dev) {
        return RxError::Truncated.free(skb);
    }
    // The fixed MAC is not the device's: deliver to the host anyway (routed mode); a
    // bridge port still sees the frame as it is.
    skb.set_pkt_type_host();
    Ok(Decap {
        skb,
        ip_at: if whole { ETH_HLEN } else { 0 },
    })
}

impl Decap {
    /// The first `len` bytes of the inner IP packet, writable.
    pub(crate) fn inner_mut(&mut self, len: usize) -> Option<&mut [u8]> {
        let at = self.ip_at;
        self.skb.writable_network(at + len).map(|b| &mut b[at..])
    }

    /// Delivers the packet through the device's GRO cells.
    pub(crate) fn deliver(self, cells: &GroCells, dev: &NetDevice) {
        let len = self.skb.len() as u32;
        let skb = self.skb.into_raw();
        // SAFETY: We hand the buffer to GRO; the cells are initialised while the device is up
        // (the socket that brought this packet exists only then).
        if unsafe { bindings::gro_cells_receive(cells.0.get(), skb.as_ptr()) } == 0 {
            // SAFETY: The device is live; its per-CPU statistics are set up (`tstats`).
            unsafe { bindings::lisp_dev_sw_netstats_rx_add(dev.as_raw(), len) };
        }
    }
}
