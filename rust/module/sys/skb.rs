// SPDX-License-Identifier: GPL-2.0

//! What the tunnel paths do to a socket buffer, one kernel call each, and owned routes.
//!
//! Each operation keeps the buffer valid: a length the buffer cannot take is refused (`None`,
//! `false`, an error) rather than handed to a helper that would `BUG()` on it.
//!
//! C headers: [`include/linux/skbuff.h`](srctree/include/linux/skbuff.h),
//! [`include/net/dst.h`](srctree/include/net/dst.h).

use super::bindings;
use super::genl::Net;
use super::netdev::{NetDevice, SkBuff};
use super::tunnel::ETH_HLEN;
use core::ffi::c_int;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A counted reference to a route (`struct dst_entry`).
///
/// # Invariants
///
/// `0` is a valid route on which this object holds one reference.
pub(crate) struct Dst(NonNull<bindings::dst_entry>);

impl Dst {
    /// Takes over a reference to a route.
    ///
    /// # Safety
    ///
    /// `dst` must be a valid route, and the caller must hand one reference to it over.
    pub(crate) unsafe fn from_raw(dst: NonNull<bindings::dst_entry>) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self(dst)
    }

    /// The raw pointer, for calls that do not take the reference.
    pub(crate) fn as_raw(&self) -> *mut bindings::dst_entry {
        self.0.as_ptr()
    }

    /// Gives up the reference, for a call that takes it.
    pub(crate) fn into_raw(self) -> *mut bindings::dst_entry {
        let p = self.0.as_ptr();
        core::mem::forget(self);
        p
    }

    /// Room in front of the packet that the route's device and headers need.
    pub(crate) fn headroom(&self) -> u32 {
        // SAFETY: The route is valid while we hold our reference (type invariant).
        unsafe { bindings::lisp_dst_headroom(self.as_raw()) }
    }
}

impl Drop for Dst {
    fn drop(&mut self) {
        // SAFETY: We hold one reference (type invariant) and give it back.
        unsafe { bindings::dst_release(self.as_raw()) };
    }
}

impl SkBuff {
    fn raw(&self) -> *mut bindings::sk_buff {
        self.as_raw_ptr()
    }

    /// Bytes between the start of the buffer's head and `data`.
    fn headroom(&self) -> usize {
        // SAFETY: We own the buffer; `data` lies within the head, after `head`.
        let room = unsafe { (*self.raw()).data.offset_from((*self.raw()).head) };
        usize::try_from(room).unwrap_or(0)
    }

    /// The network header's offset from the start of the head.
    pub(crate) fn network_header_at(&self) -> usize {
        // SAFETY: We own the buffer; the network header lies within its head.
        let at = unsafe {
            bindings::lisp_skb_network_header(self.raw()).offset_from((*self.raw()).head)
        };
        usize::try_from(at).unwrap_or(0)
    }

    /// Prepends `len` bytes (`skb_push`) for the caller to fill; `None` without the headroom.
    pub(crate) fn push(&mut self, len: usize) -> Option<&mut [u8]> {
        if self.headroom() < len {
            return None;
        }
        // SAFETY: We own the buffer, which has `len` bytes of headroom (checked above).
        let p = unsafe { bindings::skb_push(self.raw(), len as u32) }.cast::<u8>();
        // SAFETY: `skb_push` moved `data` back by `len` bytes of the head, ours to write.
        Some(unsafe { core::slice::from_raw_parts_mut(p, len) })
    }

    /// Removes `len` bytes from the front (`skb_pull`); `false` if fewer are linear.
    pub(crate) fn pull(&mut self, len: usize) -> bool {
        if self.linear().len() < len {
            return false;
        }
        // SAFETY: We own the buffer, and its first `len` bytes are linear (checked above).
        unsafe { bindings::skb_pull(self.raw(), len as u32) };
        true
    }

    /// Makes the network header start at `data`.
    pub(crate) fn reset_network_header(&mut self) {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_reset_network_header(self.raw()) };
    }

    /// Makes the link-layer header start at `data`.
    pub(crate) fn reset_mac_header(&mut self) {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_reset_mac_header(self.raw()) };
    }

    /// The network header's offset from `data` (negative when `data` is past it).
    pub(crate) fn network_offset(&self) -> i32 {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_network_offset(self.raw()) }
    }

    /// Clears what the buffer carries from the namespace and layer it was in (`skb_scrub_packet`).
    pub(crate) fn scrub(&mut self) {
        // SAFETY: We own the buffer.
        unsafe { bindings::skb_scrub_packet(self.raw(), false) };
    }

    /// Clears the control block, for a layer that reads its own from it.
    pub(crate) fn clear_cb(&mut self) {
        // SAFETY: We own the buffer; `cb` is plain bytes.
        unsafe { (*self.raw()).cb.fill(0) };
    }

    /// Makes sure of `headroom` bytes in front of `data`, in a head of our own.
    pub(crate) fn cow_head(&mut self, headroom: u32) -> Result {
        // SAFETY: We own the buffer.
        match unsafe { bindings::lisp_skb_cow_head(self.raw(), headroom) } {
            0 => Ok(()),
            _ => Err(ENOMEM),
        }
    }

    /// Sets up segmentation and checksum offload for UDP encapsulation.
    pub(crate) fn udp_tunnel_offloads(&mut self, csum: bool) -> Result {
        // SAFETY: We own the buffer.
        match unsafe { bindings::lisp_udp_tunnel_handle_offloads(self.raw(), csum) } {
            0 => Ok(()),
            _ => Err(ENOMEM),
        }
    }

    /// Records the protocol of what is inside the encapsulation (for offloads).
    pub(crate) fn set_inner_protocol(&mut self, proto: u16) {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_set_inner_protocol(self.raw(), proto.to_be()) };
    }

    /// Sets `skb->protocol` (host byte order given).
    pub(crate) fn set_protocol(&mut self, proto: u16) {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_set_protocol(self.raw(), proto.to_be()) };
    }

    /// Marks the buffer as addressed to this host.
    pub(crate) fn set_pkt_type_host(&mut self) {
        // SAFETY: We own the buffer.
        unsafe { bindings::lisp_skb_set_pkt_type_host(self.raw()) };
    }

    /// Makes `dev` the device the buffer arrives on.
    pub(crate) fn set_dev(&mut self, dev: &NetDevice) {
        // SAFETY: We own the buffer; the device outlives the buffer's delivery (its receive
        // path holds it, as any device a buffer names).
        unsafe { bindings::lisp_skb_set_dev(self.raw(), dev.as_raw()) };
    }

    /// Consumes the Ethernet header at `data` as received on `dev` (`eth_type_trans`), setting
    /// the protocol and packet type; `false` if the header is not linear.
    pub(crate) fn eth_type_trans(&mut self, dev: &NetDevice) -> bool {
        if self.linear().len() < ETH_HLEN {
            return false;
        }
        // SAFETY: We own the buffer, which has a linear Ethernet header at `data`.
        let proto = unsafe { bindings::eth_type_trans(self.raw(), dev.as_raw()) };
        self.set_protocol(u16::from_be(proto));
        true
    }

    /// Hands the buffer to the receive path of its device (`netif_rx`).
    pub(crate) fn netif_rx(self) {
        // SAFETY: We own the buffer and give it to the stack.
        unsafe { bindings::netif_rx(self.into_raw().as_ptr()) };
    }

    /// The UDP source port for the buffer's flow, network byte order.
    pub(crate) fn flow_src_port(&mut self, net: Net<'_>) -> u16 {
        // SAFETY: We own the buffer; `net` is live.
        unsafe { bindings::lisp_udp_flow_src_port(net.as_raw(), self.raw()) }
    }

    /// The outer TOS for `tos` with the ECN bits of the packet at the network header (RFC 6040);
    /// `tos` itself when there is no linear IP header there.
    pub(crate) fn ecn_encap(&self, tos: u8) -> u8 {
        let at = usize::try_from(self.network_offset()).unwrap_or(usize::MAX);
        if self.linear().len() < at.saturating_add(2) {
            return tos;
        }
        // SAFETY: We own the buffer; the first bytes of its network header, which the helper
        // reads, are linear (checked above).
        unsafe { bindings::lisp_ip_tunnel_ecn_encap(tos, self.raw()) }
    }

    /// Checks the packet against the path MTU of `dst` with `overhead` bytes of encapsulation,
    /// telling its sender (ICMP) if it is too big. With `reply` the buffer holds an Ethernet
    /// frame, and a positive result means it became the reply, to be received on the device.
    pub(crate) fn tunnel_check_pmtu(&mut self, dst: &Dst, overhead: u32, reply: bool) -> c_int {
        // SAFETY: We own the buffer and a reference to the route; the helper checks the lengths
        // of the headers it reads.
        unsafe {
            bindings::skb_tunnel_check_pmtu(self.raw(), dst.as_raw(), overhead as c_int, reply)
        }
    }

    /// Gives the buffer the route `dst`.
    pub(crate) fn set_dst(&mut self, dst: Dst) {
        // SAFETY: We own the buffer; the reference to the route is handed over to it.
        unsafe { bindings::lisp_skb_dst_set(self.raw(), dst.into_raw()) };
    }

    /// Sends the buffer on its route as a locally generated packet (`ip_local_out`).
    pub(crate) fn local_out(self, net: Net<'_>, v6: bool) {
        let skb = self.into_raw().as_ptr();
        // SAFETY: We give the buffer to the stack; `net` is live.
        unsafe {
            if v6 {
                bindings::ip6_local_out(net.as_raw(), core::ptr::null_mut(), skb)
            } else {
                bindings::ip_local_out(net.as_raw(), core::ptr::null_mut(), skb)
            }
        };
    }

    /// Strips `hdr_len` bytes of encapsulation headers (`__iptunnel_pull_header`), setting the
    /// protocol to `inner_proto`; `false` if the buffer is shorter.
    pub(crate) fn iptunnel_pull_header(&mut self, hdr_len: usize, inner_proto: u16) -> bool {
        let Ok(len) = c_int::try_from(hdr_len) else {
            return false;
        };
        // SAFETY: We own the buffer; the helper pulls (and checks) the headers itself.
        unsafe {
            bindings::__iptunnel_pull_header(self.raw(), len, inner_proto.to_be(), false, false)
                == 0
        }
    }

    /// Attaches receive tunnel metadata: the outer addresses (at the network header) and `key`.
    pub(crate) fn attach_rx_metadata(&mut self, outer_v6: bool, key: u32) -> Result {
        // `IP_TUNNEL_KEY_BIT`: the key (`id`) is set.
        const KEY_BIT: usize = 2;
        let flags: [usize; 1] = [1 << KEY_BIT];
        let family = if outer_v6 {
            bindings::AF_INET6
        } else {
            bindings::AF_INET
        };
        let id = u64::from(key).to_be();
        // SAFETY: We own the buffer, whose network header is the outer IP header (the UDP
        // layer validated it); `flags` is a valid bitmap for the call.
        let md =
            unsafe { bindings::udp_tun_rx_dst(self.raw(), family as u16, flags.as_ptr(), id, 0) };
        if md.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `md` is a new metadata route whose reference is handed over to the buffer.
        unsafe { bindings::lisp_skb_dst_set_metadata(self.raw(), md) };
        Ok(())
    }

    /// Applies RFC 6040 decapsulation to the packet at the network header from the outer IP
    /// header `outer_at` bytes into the head; the helper's result (above 1: drop), or 2 if
    /// the outer header is not where it is said to be.
    pub(crate) fn ecn_decapsulate(&mut self, outer_at: usize, outer_v6: bool) -> c_int {
        let hlen = if outer_v6 { 40 } else { 20 };
        if outer_at.saturating_add(hlen) > self.headroom() {
            return 2;
        }
        // SAFETY: The outer header lies in the head before `data` (checked above), where
        // pulling left it.
        let outer = unsafe { (*self.raw()).head.add(outer_at) }.cast();
        // SAFETY: We own the buffer; `outer` points to the outer IP header in it.
        unsafe {
            if outer_v6 {
                bindings::lisp_ip6_ecn_decapsulate(outer, self.raw())
            } else {
                bindings::lisp_ip_ecn_decapsulate(outer, self.raw())
            }
        }
    }
}
