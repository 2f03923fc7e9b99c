// SPDX-License-Identifier: GPL-2.0

//! Netlink attributes and extended acknowledgements.

use super::bindings;
use core::ffi::CStr;
use core::marker::PhantomData;

/// `NLA_HDRLEN`: attribute headers are padded to four bytes.
const NLA_HDRLEN: usize = (core::mem::size_of::<bindings::nlattr>() + 3) & !3;

/// A netlink attribute that has passed the core's length checks.
///
/// # Invariants
///
/// The wrapped `nlattr` is followed by `nla_len - NLA_HDRLEN` bytes of payload, all valid for
/// reads for the lifetime of the reference.
#[repr(transparent)]
pub(crate) struct Attr(bindings::nlattr);

impl Attr {
    /// The attribute's type, without the nested/byte-order flags.
    pub(crate) fn ty(&self) -> u16 {
        self.0.nla_type & NLA_TYPE_MASK
    }

    /// The payload as an `u8`, if it is at least that long (the policy fixed the length).
    pub(crate) fn get_u8(&self) -> u8 {
        self.data().first().copied().unwrap_or(0)
    }

    /// The payload as an `u32` (host byte order), if it has that length.
    pub(crate) fn get_u32(&self) -> Option<u32> {
        Some(u32::from_ne_bytes(self.data().get(..4)?.try_into().ok()?))
    }

    /// The attributes nested in this one, in order.
    pub(crate) fn nested(&self) -> AttrIter<'_> {
        AttrIter(self.data())
    }

    /// The payload.
    pub(crate) fn data(&self) -> &[u8] {
        let len = (self.0.nla_len as usize).saturating_sub(NLA_HDRLEN);
        let start = core::ptr::from_ref(self).cast::<u8>();
        // SAFETY: By the type invariant the payload starts `NLA_HDRLEN` bytes after the header
        // and is `len` bytes long.
        unsafe { core::slice::from_raw_parts(start.add(NLA_HDRLEN), len) }
    }
}

/// Iterates over a stream of attributes (the payload of a nest, or of a message).
pub(crate) struct AttrIter<'a>(&'a [u8]);

impl<'a> AttrIter<'a> {
    /// Iterates over the attributes in `data`, which must come from a validated message.
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Self(data)
    }
}

impl<'a> Iterator for AttrIter<'a> {
    type Item = &'a Attr;

    fn next(&mut self) -> Option<&'a Attr> {
        let hdr = self.0.get(..NLA_HDRLEN)?;
        let len = usize::from(u16::from_ne_bytes([hdr[0], hdr[1]]));
        if len < NLA_HDRLEN || len > self.0.len() {
            self.0 = &[];
            return None;
        }
        let p = self.0.as_ptr();
        self.0 = self.0.get((len + 3) & !3..).unwrap_or(&[]);
        // SAFETY: `p` starts a complete attribute of `len` bytes inside the borrowed buffer, and
        // netlink attributes are 4-byte aligned, enough for `nlattr`; `Attr` is transparent.
        Some(unsafe { &*p.cast::<Attr>() })
    }
}

/// `NLA_TYPE_MASK`: the type bits of `nla_type`.
const NLA_TYPE_MASK: u16 = !((1 << 15) | (1 << 14));

/// An attribute table as parsed by the netlink core (`struct nlattr *tb[]`).
///
/// # Invariants
///
/// `tb` points to `len` entries, each null or pointing to an [`Attr`]; valid for `'a`.
pub(crate) struct Attrs<'a> {
    tb: *const *mut bindings::nlattr,
    len: usize,
    _p: PhantomData<&'a Attr>,
}

impl<'a> Attrs<'a> {
    /// Wraps a parsed attribute table; a null `tb` is an empty table.
    ///
    /// # Safety
    ///
    /// Unless null, `tb` must point to `maxtype + 1` entries filled by `nla_parse` (each null or a
    /// validated attribute), valid and unchanged for `'a`.
    pub(crate) unsafe fn from_raw(tb: *const *mut bindings::nlattr, maxtype: u32) -> Self {
        let len = if tb.is_null() {
            0
        } else {
            maxtype as usize + 1
        };
        // INVARIANT: From the function's safety requirements.
        Self {
            tb,
            len,
            _p: PhantomData,
        }
    }

    /// The attribute of type `ty`, if present.
    pub(crate) fn get(&self, ty: impl Into<u32>) -> Option<&'a Attr> {
        let ty = ty.into() as usize;
        if ty >= self.len {
            return None;
        }
        // SAFETY: `ty < len`, so the entry is in bounds (type invariant).
        let p = unsafe { *self.tb.add(ty) };
        // SAFETY: A non-null entry points to a validated attribute that lives for `'a`, and
        // `Attr` is a transparent wrapper of `nlattr`.
        unsafe { p.cast::<Attr>().as_ref() }
    }
}

/// The extended acknowledgement of a netlink request: where an error message for the user goes.
///
/// # Invariants
///
/// `ptr` is null or points to a `netlink_ext_ack` that is valid and not otherwise written for
/// the lifetime of this object.
pub(crate) struct ExtAck<'a> {
    ptr: *mut bindings::netlink_ext_ack,
    _p: PhantomData<&'a mut bindings::netlink_ext_ack>,
}

impl ExtAck<'_> {
    /// Wraps the `extack` argument of a netlink callback.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or valid for writes, with no other writer, for the returned lifetime.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::netlink_ext_ack) -> Self {
        // INVARIANT: From the function's safety requirements.
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// Sets the message returned to the user with the error (`NL_SET_ERR_MSG`).
    pub(crate) fn msg(&mut self, msg: &'static CStr) {
        // SAFETY: By the type invariant `ptr` is null or valid for writes; the message is static.
        if let Some(ack) = unsafe { self.ptr.as_mut() } {
            ack._msg = msg.as_ptr().cast();
        }
    }

    /// Sets a formatted message (`NL_SET_ERR_MSG_FMT`), cut to the extack's buffer.
    pub(crate) fn msg_fmt(&mut self, args: core::fmt::Arguments<'_>) {
        /// Writes into a byte buffer, keeping its last byte for the terminating NUL.
        struct Buf<'b>(&'b mut [u8], usize);
        impl core::fmt::Write for Buf<'_> {
            fn write_str(&mut self, s: &str) -> core::fmt::Result {
                let room = self.0.len().saturating_sub(self.1 + 1);
                let n = s.len().min(room);
                self.0[self.1..self.1 + n].copy_from_slice(&s.as_bytes()[..n]);
                self.1 += n;
                Ok(())
            }
        }
        // SAFETY: By the type invariant `ptr` is null or valid for writes, by us alone.
        if let Some(ack) = unsafe { self.ptr.as_mut() } {
            // SAFETY: `c_char` and `u8` have the same size and alignment; the buffer is the
            // extack's own, valid for its length.
            let buf = unsafe {
                core::slice::from_raw_parts_mut(
                    ack._msg_buf.as_mut_ptr().cast::<u8>(),
                    ack._msg_buf.len(),
                )
            };
            let mut w = Buf(buf, 0);
            let _ = core::fmt::Write::write_fmt(&mut w, args);
            let end = w.1;
            if let Some(b) = buf.get_mut(end) {
                *b = 0;
            }
            ack._msg = ack._msg_buf.as_ptr();
        }
    }

    /// As [`ExtAck::msg_fmt`], pointing the user at the offending attribute.
    pub(crate) fn msg_fmt_attr(&mut self, args: core::fmt::Arguments<'_>, attr: &Attr) {
        self.msg_fmt(args);
        self.point_at(attr);
    }

    /// Points the user at the offending attribute (`bad_attr`).
    fn point_at(&mut self, attr: &Attr) {
        // SAFETY: As in `msg`; the attribute lives in the request the extack belongs to.
        if let Some(ack) = unsafe { self.ptr.as_mut() } {
            ack.bad_attr = core::ptr::from_ref(&attr.0);
        }
    }

    /// Sets the message and points the user at the offending attribute (`NL_SET_ERR_MSG_ATTR`).
    pub(crate) fn msg_attr(&mut self, msg: &'static CStr, attr: &Attr) {
        self.msg(msg);
        self.point_at(attr);
    }
}
