#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Seeded fuzzers of the lisp module (python3 standard library only).
#
#   lisp_fuzz.py packets --family 4|6 --count N --seed S --ifname DEV --src-mac MAC --dst-mac MAC \
#       --src ADDR --dst ADDR --inner-src ADDR --inner-dst ADDR [--iid IID] [--budget SECONDS]
#       [--classes LIST] [--report FILE]
#     Sends N mutated LISP data packets from an AF_PACKET socket on DEV (outer IPv4 or IPv6,
#     the other family inside, so that what the inner stack drops never mixes with the outer
#     counters), and writes a JSON report: frames sent, datagrams (a set of fragments is one
#     datagram), datagrams per mutation class, fragment sets and atomic fragments (the
#     reassembly counters they must show up in).
#
#   lisp_fuzz.py netlink --count N --link-count M --seed S --ifname DEV --uapi FILE [--k K]
#       [--entries E] [--report FILE]
#     Sends N malformed generic-netlink requests to the "lisp" family and M malformed
#     RTM_NEWLINK requests, the map of DEV holding E entries (see the netlink part below).
#
#   lisp_fuzz.py account --before FILE --after FILE --report FILE
#     Checks that the counters around a packets run account for every datagram it sent.
import argparse
import array
import hashlib
import json
import os
import random
import re
import socket
import struct
import sys
import time

# ---- packets ----------------------------------------------------------------------------------

ETH_P_IP, ETH_P_IPV6 = 0x0800, 0x86DD
LISP_PORT = 4341
FLAG_N, FLAG_L, FLAG_E, FLAG_V, FLAG_I = 0x80, 0x40, 0x20, 0x10, 0x08
INNER_PORT = 9  # discard: nobody listens, the inner stack answers or drops as it likes


def csum(data):
    """The Internet checksum of data (RFC 1071), as the two bytes to store."""
    if len(data) & 1:
        data = bytes(data) + b"\0"
    s = sum(array.array("H", bytes(data)))  # native order: the sum is byte-order neutral
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


def ip4_hdr(src, dst, proto, payload_len, tos=0, ident=0, frag=0x4000, ttl=64, opts=b""):
    ihl = 5 + len(opts) // 4
    h = bytearray(struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, tos, ihl * 4 + payload_len, ident, frag,
                              ttl, proto, 0, src, dst) + opts)
    h[10:12] = csum(h)
    return h


def ip6_hdr(src, dst, nxt, payload_len, tc=0, flow=0, hlim=64):
    return bytearray(struct.pack("!IHBB16s16s", (6 << 28) | (tc << 20) | flow, payload_len, nxt,
                                 hlim, src, dst))


def pseudo(v6, src, dst, proto, length):
    if v6:
        return src + dst + struct.pack("!IxxxB", length, proto)
    return src + dst + struct.pack("!xBH", proto, length)


def udp(v6, src, dst, sport, dport, payload, zero_csum=False):
    h = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0))
    if not zero_csum:
        c = csum(pseudo(v6, src, dst, 17, 8 + len(payload)) + h + payload)
        h[6:8] = c if c != b"\0\0" else b"\xff\xff"
    return h + payload


def flip(buf, lo, hi, rnd, n):
    """Flips n distinct random bits of buf[lo:hi]."""
    bits = rnd.sample(range(lo * 8, hi * 8), min(n, (hi - lo) * 8))
    for b in bits:
        buf[b >> 3] ^= 0x80 >> (b & 7)


class Packets:
    """Builds LISP packets of one outer family; each class method returns a list of frames
    (several for a fragmented datagram)."""

    def __init__(self, a, rnd):
        self.rnd = rnd
        self.v6 = a.family == 6
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        ifam = socket.AF_INET if self.v6 else socket.AF_INET6
        self.src, self.dst = socket.inet_pton(fam, a.src), socket.inet_pton(fam, a.dst)
        self.isrc, self.idst = socket.inet_pton(ifam, a.inner_src), socket.inet_pton(ifam, a.inner_dst)
        self.iid = a.iid
        self.eth = bytes.fromhex(a.dst_mac.replace(":", "")) + bytes.fromhex(
            a.src_mac.replace(":", "")) + struct.pack("!H", ETH_P_IPV6 if self.v6 else ETH_P_IP)
        self.ident = rnd.randrange(65536)
        # One check of every class, so that the accounting is told what to expect.
        self.counts = {}
        self.frag_sets = 0
        self.atomic = 0

    # -- building blocks --

    def inner(self, size=None):
        """An inner UDP packet of the other family (well-formed)."""
        rnd = self.rnd
        n = rnd.randrange(0, 160) if size is None else size
        pay = rnd.randbytes(n)
        if self.v6:  # inner IPv4; ID 0xffff so that a version lie to 6 is a length lie too
            u = udp(False, self.isrc, self.idst, 40000 + rnd.randrange(1000), INNER_PORT, pay, True)
            return ip4_hdr(self.isrc, self.idst, 17, len(u), ident=0xFFFF, frag=0) + u
        u = udp(True, self.isrc, self.idst, 40000 + rnd.randrange(1000), INNER_PORT, pay)
        return ip6_hdr(self.isrc, self.idst, 17, len(u)) + u

    def lisp(self, flags=None, iid=None):
        rnd = self.rnd
        f = FLAG_I if flags is None else flags
        nonce = rnd.randrange(1 << 24) if f & FLAG_N else 0
        i = self.iid if iid is None else iid
        second = (i << 8) | rnd.randrange(256) if f & FLAG_I else rnd.randrange(1 << 32)
        return bytearray(struct.pack("!I", (f << 24) | nonce) + struct.pack("!I", second))

    def outer(self, payload, opts=b"", tos=0, udp_zero=False, udp_bad=False, sport=None):
        """Outer IP + UDP around payload (the LISP header and what follows)."""
        rnd = self.rnd
        sp = rnd.randrange(49152, 65536) if sport is None else sport
        u = udp(self.v6, self.src, self.dst, sp, LISP_PORT, bytes(payload), udp_zero)
        if udp_bad:
            u[6] ^= 1 + rnd.randrange(255)
            if u[6:8] == b"\0\0":
                u[7] = 1
        if self.v6:
            return ip6_hdr(self.src, self.dst, 17, len(u), tc=tos) + u
        self.ident = (self.ident + 1) & 0xFFFF
        return ip4_hdr(self.src, self.dst, 17, len(u), tos=tos, ident=self.ident, opts=opts) + u

    def frame(self, pkt):
        return self.eth + bytes(pkt)

    def base(self, **kw):
        return self.outer(self.lisp() + self.inner(), **kw)

    @property
    def ohl(self):
        return 40 if self.v6 else 20

    # -- mutation classes: each returns the frames of one datagram --

    def c_valid(self):
        r = self.rnd.random()
        if r < 0.3:  # nonce, map-version, echo-nonce, LSBs: accepted and ignored
            f = FLAG_I | self.rnd.choice([FLAG_N, FLAG_V, FLAG_L, FLAG_E, FLAG_N | FLAG_E | FLAG_L])
            return [self.frame(self.outer(self.lisp(f) + self.inner()))]
        if r < 0.5 and self.iid == 0:  # no instance ID: instance 0
            return [self.frame(self.outer(self.lisp(self.rnd.choice([0, FLAG_N])) + self.inner()))]
        return [self.frame(self.base())]

    def c_flip_outer_ip(self):
        # IPv4: the header checksum catches every flip. IPv6: one flip (more would reach
        # next-header values such as TCP, whose counters are not the LISP socket's business).
        p = self.base()
        flip(p, 0, self.ohl, self.rnd, 1 if self.v6 else self.rnd.randrange(1, 4))
        return [self.frame(p)]

    def c_flip_outer_fixed(self):
        # IPv4 only (as IPv6 has no checksum): TOS (ECN included), ID, DF, TTL flipped and the
        # header checksum fixed: delivered, or the RFC 6040 ECN drop.
        p = self.base()
        if self.v6:
            flip(p, 0, 4, self.rnd, self.rnd.randrange(1, 3))  # version excluded below
            p[0] = (p[0] & 0x0F) | 0x60
            return [self.frame(p)]
        byte = self.rnd.choice([1, 4, 5, 8])
        p[byte] ^= 1 << self.rnd.randrange(8)
        p[10:12] = b"\0\0"
        p[10:12] = csum(p[:20])
        if self.rnd.random() < 0.3:
            p[6] ^= 0x40  # DF
            p[10:12] = b"\0\0"
            p[10:12] = csum(p[:20])
        return [self.frame(p)]

    def c_flip_udp(self):
        p = self.base()
        flip(p, self.ohl, self.ohl + 8, self.rnd, self.rnd.randrange(1, 4))
        return [self.frame(p)]

    def c_flip_lisp(self):
        p = self.base()
        o = self.ohl + 8
        flip(p, o, o + 8, self.rnd, self.rnd.randrange(1, 4))
        self.fix_udp(p)
        return [self.frame(p)]

    def c_flip_inner(self):
        p = self.base()
        o = self.ohl + 16
        flip(p, o, o + (20 if self.v6 else 40), self.rnd, self.rnd.randrange(1, 4))
        self.fix_udp(p)
        return [self.frame(p)]

    def c_flip_any(self):
        # Anywhere after the outer IP header, UDP checksum fixed up or not.
        p = self.base()
        flip(p, self.ohl, len(p), self.rnd, self.rnd.randrange(1, 6))
        if self.rnd.random() < 0.5:
            self.fix_udp(p)
        return [self.frame(p)]

    def c_truncate(self):
        # Cut the frame anywhere; half the time the outer lengths (and UDP checksum) are made
        # to match, so the short packet reaches UDP or LISP.
        p = self.base()
        cut = self.rnd.randrange(1, len(p))
        p = p[:cut]
        if self.rnd.random() < 0.5 and cut >= self.ohl + 8:
            self.set_len(p)
            ul = len(p) - self.ohl
            p[self.ohl + 4:self.ohl + 6] = struct.pack("!H", ul)
            self.fix_udp(p)
        return [self.frame(p)]

    def c_oversize(self):
        # A large inner packet (veth MTU allows it), or an outer length larger than the frame.
        r = self.rnd.random()
        if r < 0.5:
            return [self.frame(self.outer(self.lisp() + self.inner(self.rnd.randrange(1500, 8000))))]
        p = self.base()
        if self.v6:
            p[4:6] = struct.pack("!H", len(p) - 40 + self.rnd.randrange(1, 3000))
        else:
            p[2:4] = struct.pack("!H", min(65535, len(p) + self.rnd.randrange(1, 3000)))
            p[10:12] = b"\0\0"
            p[10:12] = csum(p[:20])
        return [self.frame(p)]

    def c_udp_len(self):
        # UDP length lies (larger: a short packet; smaller: trimmed, then checksum or LISP).
        p = self.base()
        ul = len(p) - self.ohl
        new = self.rnd.choice([0, 1, 7, 8, 9, 15, 16, ul - 1, ul + 1, ul + 100, 65535,
                               self.rnd.randrange(65536)])
        p[self.ohl + 4:self.ohl + 6] = struct.pack("!H", new & 0xFFFF)
        if self.rnd.random() < 0.5:
            self.fix_udp(p, max(0, min(new, ul)))
        return [self.frame(p)]

    def c_udp_csum(self):
        if self.rnd.random() < 0.5:
            return [self.frame(self.base(udp_zero=True))]
        return [self.frame(self.base(udp_bad=True))]

    def c_inner_lie(self):
        rnd = self.rnd
        inner = self.inner()
        r = rnd.randrange(5)
        if r == 0:  # version: anything but the real one
            inner[0] = (inner[0] & 0x0F) | (rnd.choice([0, 1, 2, 3, 4, 5, 6, 7, 8, 15]) << 4)
        elif self.v6:  # inner IPv4: IHL or total length lies, checksum fixed
            if r == 1:
                inner[0] = 0x40 | rnd.choice([0, 1, 4, 6, 15])
            else:
                tl = len(inner)
                inner[2:4] = struct.pack("!H", rnd.choice(
                    [0, 1, 19, tl + 1, tl + 20, 65535, rnd.randrange(tl + 1, 65536)]))
            inner[10:12] = b"\0\0"
            inner[10:12] = csum(inner[:(inner[0] & 15) * 4 if (inner[0] & 15) >= 5 else 20])
        else:  # inner IPv6: payload length lies
            pl = len(inner) - 40
            inner[4:6] = struct.pack("!H", rnd.choice([pl + 1, pl + 40, 65535,
                                                       rnd.randrange(pl + 1, 65536)]))
        if rnd.random() < 0.2:
            inner = inner[:rnd.randrange(1, 40)]  # inner shorter than its header
        return [self.frame(self.outer(self.lisp() + inner))]

    def c_lisp_iid(self):
        # Instance IDs the device does not serve; or no inner packet at all.
        if self.rnd.random() < 0.7:
            iid = self.rnd.choice([1, 2, 0xFFFFFF, self.rnd.randrange(1, 1 << 24)])
            return [self.frame(self.outer(self.lisp(iid=(self.iid + iid) & 0xFFFFFF) + self.inner()))]
        return [self.frame(self.outer(self.lisp()[:self.rnd.randrange(0, 9)]))]

    def c_options(self):
        rnd = self.rnd
        if self.v6:
            return self.ext_headers()
        # IPv4 options: valid (NOP, EOL, record route, timestamp) or malformed lengths.
        valid = [b"\x01\x01\x01\x01", b"\x00\x00\x00\x00", b"\x07\x07\x04" + bytes(4) + b"\x00",
                 b"\x44\x0c\x05\x00" + bytes(8), b"\x01\x07\x07\x04" + bytes(4)]
        bad = [b"\x07\x00\x04\x00", b"\x07\x01\x04\x00", b"\x07\x28\x04\x00", b"\x07\x07\x01" + bytes(5),
               b"\x44\x03\x05\x00", b"\x44\x0c\x01\x00" + bytes(8)]
        opt = rnd.choice(valid if rnd.random() < 0.5 else bad)
        opt = opt + b"\0" * (-len(opt) % 4)
        return [self.frame(self.base(opts=opt))]

    def ext_headers(self):
        # IPv6 extension headers before UDP: hop-by-hop and destination options with padding
        # (valid), an unknown option whose type says "discard", routing header type 0 with and
        # without segments left, an atomic fragment (offset 0, M=0).
        rnd = self.rnd
        u = udp(True, self.src, self.dst, rnd.randrange(49152, 65536), LISP_PORT,
                bytes(self.lisp() + self.inner()))
        kind = rnd.randrange(6)
        if kind == 0:
            ext, first = b"\x11\x00\x01\x04\x00\x00\x00\x00", 0  # HBH, PadN
        elif kind == 1:
            ext, first = b"\x11\x00\x01\x04\x00\x00\x00\x00", 60  # dest opts, PadN
        elif kind == 2:
            ext, first = b"\x11\x00\x81\x04\x00\x00\x00\x00", 60  # unknown option, discard
        elif kind == 3:
            ext, first = b"\x11\x00\x00\x00" + bytes(4), 43  # RH0, segments left 0: ignored
        elif kind == 4:
            ext, first = b"\x11\x02\x00\x01" + bytes(4) + bytes(16), 43  # RH0, 1 left: error
        else:
            self.atomic += 1
            ext, first = b"\x11\x00\x00\x00" + struct.pack("!I", rnd.randrange(1 << 32)), 44
        return [self.frame(ip6_hdr(self.src, self.dst, first, len(ext) + len(u)) + ext + u)]

    def c_fragments(self):
        # A well-formed outer datagram in 2 or 3 fragments, in order or not: reassembled.
        rnd = self.rnd
        u = udp(self.v6, self.src, self.dst, rnd.randrange(49152, 65536), LISP_PORT,
                bytes(self.lisp() + self.inner(rnd.randrange(40, 400))))
        n = rnd.choice([2, 3])
        step = max(8, (len(u) // n) & ~7)
        cuts = [i * step for i in range(n)] + [len(u)]
        pieces = [(cuts[i], u[cuts[i]:cuts[i + 1]], i == n - 1) for i in range(n) if cuts[i] < len(u)]
        self.ident = (self.ident + 1) & 0xFFFF
        ident = self.ident
        frames = []
        for off, data, last in pieces:
            if self.v6:
                fh = struct.pack("!BBHI", 17, 0, off | (0 if last else 1), 0x10000 + ident)
                frames.append(self.frame(ip6_hdr(self.src, self.dst, 44, 8 + len(data)) + fh + data))
            else:
                fr = (off >> 3) | (0 if last else 0x2000)
                frames.append(self.frame(ip4_hdr(self.src, self.dst, 17, len(data), ident=ident,
                                                 frag=fr) + data))
        if rnd.random() < 0.5:
            frames.reverse()
        if len(frames) > 1:
            self.frag_sets += 1
        return frames

    # -- helpers --

    def set_len(self, p):
        if self.v6:
            p[4:6] = struct.pack("!H", len(p) - 40)
        else:
            p[2:4] = struct.pack("!H", len(p))
            p[10:12] = b"\0\0"
            p[10:12] = csum(p[:20])

    def fix_udp(self, p, ulen=None):
        """Recomputes the UDP checksum over ulen bytes (default: its length field)."""
        o = self.ohl
        if len(p) < o + 8:
            return
        n = struct.unpack("!H", p[o + 4:o + 6])[0] if ulen is None else ulen
        n = min(n, len(p) - o)
        if n < 8:
            return
        p[o + 6:o + 8] = b"\0\0"
        c = csum(pseudo(self.v6, bytes(p[o - 32:o - 16]) if self.v6 else bytes(p[12:16]),
                        bytes(p[o - 16:o]) if self.v6 else bytes(p[16:20]), 17,
                        struct.unpack("!H", p[o + 4:o + 6])[0]) + p[o:o + n])
        p[o + 6:o + 8] = c if c != b"\0\0" else b"\xff\xff"


CLASSES = [("valid", 8), ("flip_outer_ip", 8), ("flip_outer_fixed", 6), ("flip_udp", 8),
           ("flip_lisp", 10), ("flip_inner", 10), ("flip_any", 8), ("truncate", 10),
           ("oversize", 5), ("udp_len", 6), ("udp_csum", 6), ("inner_lie", 10), ("lisp_iid", 6),
           ("options", 6), ("fragments", 5)]


def packets(a):
    rnd = random.Random(a.seed * 2 + a.family)
    g = Packets(a, rnd)
    only = a.classes.split(",") if a.classes else None
    names = [c for c, _ in CLASSES if not only or c in only]
    weights = [w for c, w in CLASSES if not only or c in only]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.ifname, 0))
    frames = datagrams = 0
    counts = {c: 0 for c in names}
    t0 = time.time()
    # The classes are drawn in batches (random.choices is much faster than one call each).
    budget_hit = False
    while datagrams < a.count:
        if a.budget and time.time() - t0 > a.budget:
            budget_hit = True
            break
        for c in rnd.choices(names, weights, k=min(250, a.count - datagrams)):
            fs = getattr(g, "c_" + c)()
            for f in fs:
                s.send(f)
            frames += len(fs)
            datagrams += 1
            counts[c] += 1
        if a.pace:
            time.sleep(a.pace)
    rep = {"family": a.family, "frames": frames, "datagrams": datagrams, "classes": counts,
           "frag_sets": g.frag_sets, "atomic_frags": g.atomic, "seconds": round(time.time() - t0, 2),
           "budget_hit": budget_hit}
    out = json.dumps(rep)
    if a.report:
        with open(a.report, "w") as f:
            f.write(out + "\n")
    print(out)



# ---- netlink ----------------------------------------------------------------------------------
#
# Generic netlink: every LISP_CMD_* (and commands that do not exist), with unknown, reply-only,
# oversize and truncated attributes, wrong nesting, lying nla_len and nlmsg_len, values our
# handlers refuse, dumps abandoned, resumed and interrupted. rtnetlink: RTM_NEWLINK creating a
# "lisp" device or changing the existing one, with IFLA_INFO_DATA that the policy or the
# module's validation refuses. Every request is invalid by construction and must be answered
# with an error (or, for an nlmsg_len longer than the datagram, be ignored: the kernel drops
# such a message without a reply); the state (map dump, device attributes, link list) is
# hashed every K requests and at the end and must not change. The attribute numbers come from
# the uAPI file (rust/uapi/src/uapi.rs), so new attributes are fuzzed without edits.

NETLINK_GENERIC, NETLINK_ROUTE = 16, 0
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_DUMP = 1, 2, 4, 0x10, 0x300
NLM_F_REPLACE, NLM_F_EXCL, NLM_F_CREATE, NLM_F_ACK_TLVS = 0x100, 0x200, 0x400, 0x200
NLA_F_NESTED = 0x8000
SOL_NETLINK, NETLINK_CAP_ACK, NETLINK_EXT_ACK = 270, 10, 11
NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS = 1, 2
RTM_NEWLINK, RTM_GETLINK = 16, 18
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINKINFO = 1, 3, 4, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2


def read_uapi(path):
    """Name -> value of the integer constants in uapi.rs (MAX ones resolved)."""
    consts = {}
    for m in re.finditer(r"pub const (\w+): \w+ = ([^;]+);", open(path).read()):
        name, expr = m.group(1), m.group(2).strip()
        if re.fullmatch(r"\d+", expr):
            consts[name] = int(expr)
        elif expr in consts:
            consts[name] = consts[expr]
        elif re.fullmatch(r"\(1 << (\d+)\) - 1", expr):
            consts[name] = (1 << int(re.fullmatch(r"\(1 << (\d+)\) - 1", expr).group(1))) - 1
    return consts


def nla(ty, data, ln=None):
    n = 4 + len(data) if ln is None else ln
    return struct.pack("=HH", n, ty) + data + b"\0" * (-(4 + len(data)) % 4)


def nest(ty, *parts, flag=True):
    return nla(ty | (NLA_F_NESTED if flag else 0), b"".join(parts))


def u8(ty, v):
    return nla(ty, struct.pack("=B", v))


def u32(ty, v):
    return nla(ty, struct.pack("=I", v))


def attrs(buf):
    """(type, payload) of the attributes in buf (flags stripped), stopping at garbage."""
    out, o = [], 0
    while o + 4 <= len(buf):
        n, ty = struct.unpack_from("=HH", buf, o)
        if n < 4 or o + n > len(buf):
            break
        out.append((ty & 0x3FFF, buf[o + 4:o + n]))
        o += (n + 3) & ~3
    return out


class Nl:
    def __init__(self, proto):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
        self.s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.s.bind((0, 0))
        self.s.settimeout(10)
        self.seq = int(time.time()) & 0xFFFF

    def next_seq(self):
        self.seq += 1
        return self.seq

    def send_raw(self, data):
        self.s.send(data)

    def msgs(self, bufsize=1 << 16):
        data = self.s.recv(bufsize)
        o = 0
        while o + 16 <= len(data):
            ln, ty, fl, seq, pid = struct.unpack_from("=IHHII", data, o)
            if ln < 16:
                break
            yield ty, fl, seq, data[o + 16:o + ln]
            o += (ln + 3) & ~3

    def answer(self, seq):
        """(errno, extack message or None, multipart messages) for request seq: errno 0 for
        an ack or a complete dump."""
        parts = []
        while True:
            for ty, fl, sq, pay in self.msgs():
                if sq != seq:
                    continue
                if ty == NLMSG_ERROR or ty == NLMSG_DONE:
                    err = -struct.unpack_from("=i", pay)[0] if len(pay) >= 4 else 0
                    skip = 4 + (16 if ty == NLMSG_ERROR else 0)
                    if ty == NLMSG_ERROR and not fl & 0x100:  # payload not capped
                        skip = 4 + struct.unpack_from("=I", pay, 4)[0]
                    msg = None
                    for t, v in attrs(pay[skip:]) if fl & NLM_F_ACK_TLVS else []:
                        if t == NLMSGERR_ATTR_MSG:
                            msg = v.rstrip(b"\0").decode(errors="replace")
                    return err, msg, parts
                parts.append((ty, fl, pay))
                if not fl & NLM_F_MULTI:
                    return 0, None, parts

    def request(self, ty, flags, payload, raw_len=None):
        seq = self.next_seq()
        n = 16 + len(payload) if raw_len is None else raw_len
        self.send_raw(struct.pack("=IHHII", n, ty, flags, seq, 0) + payload)
        return seq


def genl_family(nl, name):
    # CTRL_CMD_GETFAMILY (3) with CTRL_ATTR_FAMILY_NAME (2); the reply's CTRL_ATTR_FAMILY_ID (1).
    seq = nl.request(0x10, NLM_F_REQUEST, struct.pack("=BBH", 3, 1, 0) +
                     nla(2, name.encode() + b"\0"))
    err, _, parts = nl.answer(seq)
    if err:
        raise OSError(err, "no genetlink family " + name)
    for t, v in attrs(parts[0][2][4:]):
        if t == 1:
            return struct.unpack("=H", v)[0]
    raise OSError("no family id")


class Fuzz:
    def __init__(self, a):
        self.a = a
        self.u = read_uapi(a.uapi)
        self.rnd = random.Random(a.seed)
        self.g = Nl(NETLINK_GENERIC)
        self.r = Nl(NETLINK_ROUTE)
        self.fam = genl_family(self.g, "lisp")
        self.ifindex = socket.if_nametoindex(a.ifname)
        self.lo = socket.if_nametoindex("lo")
        self.hist = {}
        self.classes = {}
        self.no_msg = {}
        self.failures = []
        self.dump_stats = {"abandoned": 0, "resumed": 0, "interrupted": 0, "intr_flagged": 0}
        self.sent = self.links_sent = 0

    # -- requests --

    def genl(self, cmd, attrs_, flags=NLM_F_REQUEST | NLM_F_ACK, raw_len=None, sock=None):
        return (sock or self.g).request(self.fam, flags, struct.pack("=BBH", cmd, 1, 0) + attrs_,
                                        raw_len)

    def map_nest(self, pfx, plen, rlocs=(("192.0.2.1",),), extra=b"", v6=False):
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        parts = [nla(self.u["LISP_MAP_A_EID"], socket.inet_pton(fam, pfx)),
                 u8(self.u["LISP_MAP_A_PLEN"], plen)]
        for r in rlocs:
            rf = socket.AF_INET6 if ":" in r[0] else socket.AF_INET
            parts.append(nest(self.u["LISP_MAP_A_RLOC"],
                              nla(self.u["LISP_RLOC_A_ADDR"], socket.inet_pton(rf, r[0]))))
        return nest(self.u["LISP_A_MAP"], *parts, extra)

    def populate(self, n):
        """n /24 entries (10.100.0.0/24 upwards) and two IPv6 ones, in bulk requests."""
        self.existing = []
        for base in range(0, n, 50):
            body = u32(self.u["LISP_A_IFINDEX"], self.ifindex)
            for i in range(base, min(n, base + 50)):
                p = "10.%d.%d.0" % (100 + i // 256, i % 256)
                self.existing.append((p, 24))
                body += self.map_nest(p, 24, (("192.0.2.%d" % (1 + i % 200),),))
            err, msg, _ = self.g.answer(self.genl(self.u["LISP_CMD_MAP_ADD"], body))
            if err:
                raise OSError(err, "populating the map: %s" % msg)

    # -- state --

    def dump_map(self, sock=None):
        nl = sock or self.g
        seq = self.genl(self.u["LISP_CMD_MAP_GET"], u32(self.u["LISP_A_IFINDEX"], self.ifindex),
                        NLM_F_REQUEST | NLM_F_DUMP, sock=nl)
        err, msg, parts = nl.answer(seq)
        if err:
            raise OSError(err, "map dump: %s" % msg)
        return sorted(v for _, _, pay in parts for t, v in attrs(pay[4:])
                      if t == self.u["LISP_A_MAP"])

    def dev_info(self):
        err, msg, parts = self.g.answer(self.genl(self.u["LISP_CMD_DEV_GET"],
                                                  u32(self.u["LISP_A_IFINDEX"], self.ifindex),
                                                  NLM_F_REQUEST))
        if err:
            raise OSError(err, "dev get: %s" % msg)
        return sorted((t, v) for t, v in attrs(parts[0][2][4:]) if t != self.u["LISP_A_STATS"])

    def links(self):
        seq = self.r.request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, struct.pack("=BxHiII", 0, 0, 0, 0, 0))
        err, _, parts = self.r.answer(seq)
        if err:
            raise OSError(err, "link dump")
        out = []
        for _, _, pay in parts:
            idx, flags = struct.unpack_from("=iI", pay, 4)
            keep = []
            for t, v in attrs(pay[16:]):
                if t in (IFLA_IFNAME, IFLA_MTU, IFLA_ADDRESS):
                    keep.append((t, v))
                elif t == IFLA_LINKINFO:
                    keep.append((t, sorted(attrs(v))))
            out.append((idx, flags & 1, keep))  # IFF_UP only: carrier bits may move
        return sorted(out)

    def state(self):
        h = hashlib.sha256(repr((self.dump_map(), self.dev_info(), self.links())).encode())
        return h.hexdigest()

    # -- outcome bookkeeping --

    def outcome(self, cls, err, msg, ours):
        self.classes[cls] = self.classes.get(cls, 0) + 1
        name = os.strerror(err) if err else "accepted"
        key = "%d %s" % (err, name)
        self.hist[key] = self.hist.get(key, 0) + 1
        if err == 0:
            self.failures.append("%s: accepted" % cls)
        elif msg is None:
            self.no_msg[cls] = self.no_msg.get(cls, 0) + 1
            if ours:
                self.failures.append("%s: errno %d without an extack message" % (cls, err))

    def expect_ignored(self, cls, seq, nl):
        """The request seq must get no answer: a DEV_GET probe behind it is answered first."""
        probe = self.genl(self.u["LISP_CMD_DEV_GET"], u32(self.u["LISP_A_IFINDEX"], self.ifindex),
                          NLM_F_REQUEST, sock=nl) if nl is self.g else nl.request(
            RTM_GETLINK, NLM_F_REQUEST, struct.pack("=BxHiII", 0, 0, self.ifindex, 0, 0))
        while True:
            for ty, fl, sq, pay in nl.msgs():
                if sq == seq:
                    self.failures.append("%s: answered (type %d)" % (cls, ty))
                if sq == probe:
                    self.classes[cls] = self.classes.get(cls, 0) + 1
                    self.hist["ignored"] = self.hist.get("ignored", 0) + 1
                    return

    # -- generic netlink mutations --

    def base(self, cmd):
        """A valid request body for cmd, and whether it would change state if it succeeded."""
        u, r = self.u, self.rnd
        dev = u32(u["LISP_A_IFINDEX"], self.ifindex) if r.random() < 0.7 else nla(
            u["LISP_A_IFNAME"], self.a.ifname.encode() + b"\0")
        pfx, plen = r.choice(self.existing)
        if cmd == u["LISP_CMD_MAP_ADD"]:
            return dev + self.map_nest("10.250.%d.0" % r.randrange(256), 24)
        if cmd in (u["LISP_CMD_MAP_DEL"], u["LISP_CMD_MAP_GET"]):
            if cmd == u["LISP_CMD_MAP_GET"] and r.random() < 0.5:
                return dev + nla(u["LISP_A_LOOKUP"], socket.inet_aton(pfx[:-1] + "7"))
            return dev + nest(u["LISP_A_MAP"], nla(u["LISP_MAP_A_EID"], socket.inet_aton(pfx)),
                              u8(u["LISP_MAP_A_PLEN"], plen))
        if cmd == u["LISP_CMD_MAP_FLUSH"]:
            return dev + (u32(u["LISP_A_IID"], 0) if r.random() < 0.5 else b"")
        return dev

    def top_max(self):
        return self.u["LISP_A_MAX"]

    def m_unknown(self, cmd, body):
        r = self.rnd
        ty = r.choice([0] + list(range(self.top_max() + 1, self.top_max() + 6)))
        a = nla(ty, r.randbytes(r.choice([0, 1, 4, 8, 17])))
        return self.insert(body, a), False

    def m_reject(self, cmd, body):
        u = self.u
        ty = self.rnd.choice([u["LISP_A_STATS"], u["LISP_A_MAP_COUNT"], u["LISP_A_DEFAULT_IID"],
                              u["LISP_A_PORT"]])
        return self.insert(body, u32(ty, 1)), False

    def m_length(self, cmd, body):
        # A fixed-size attribute of the wrong size, or a bounded one too long.
        u, r = self.u, self.rnd
        k = r.randrange(5)
        if k == 0:
            dev = nla(u["LISP_A_IFINDEX"], struct.pack("=I", self.ifindex)[:r.choice([0, 1, 2, 3])] if
                      r.random() < 0.5 else struct.pack("=IB", self.ifindex, 0))
            return dev + self.strip_dev(body), False
        if k == 1:  # a name longer than IFNAMSIZ - 1, or not NUL-terminated
            name = self.a.ifname.encode() + (b"x" * r.randrange(16, 40) + b"\0" if r.random() < 0.5 else b"")
            return nla(u["LISP_A_IFNAME"], name) + self.strip_dev(body), False
        if k == 2:
            ty = r.choice([u["LISP_A_IID"], u["LISP_A_HASH"]])
            return body + nla(ty, r.randbytes(r.choice([0, 1, 2, 3, 5, 8]))), False
        if k == 3:
            return body + nla(u["LISP_A_LOOKUP"], r.randbytes(r.randrange(17, 64))), False
        # inside the map nest: EID too long, PLEN/IID of the wrong size
        inner = r.choice([nla(u["LISP_MAP_A_EID"], r.randbytes(r.randrange(17, 40))),
                          nla(u["LISP_MAP_A_PLEN"], b""),
                          nla(u["LISP_MAP_A_PLEN"], b"\x18\0"),
                          nla(u["LISP_MAP_A_IID"], b"\0\0"),
                          nla(u["LISP_MAP_A_TTL"], b"\0" * 8),
                          nest(u["LISP_MAP_A_RLOC"], nla(u["LISP_RLOC_A_ADDR"], r.randbytes(r.randrange(17, 30)))),
                          nest(u["LISP_MAP_A_RLOC"], nla(u["LISP_RLOC_A_WEIGHT"], b"\x01\x02"))])
        return self.strip_map(body) + nest(u["LISP_A_MAP"], nla(u["LISP_MAP_A_EID"], socket.inet_aton("10.251.0.0")),
                                           u8(u["LISP_MAP_A_PLEN"], 24), inner), False

    def m_nesting(self, cmd, body):
        u, r = self.u, self.rnd
        k = r.randrange(5)
        eid = nla(u["LISP_MAP_A_EID"], socket.inet_aton("10.252.0.0")) + u8(u["LISP_MAP_A_PLEN"], 24)
        rloc = nla(u["LISP_RLOC_A_ADDR"], socket.inet_aton("192.0.2.9"))
        if k == 0:  # LISP_A_MAP without NLA_F_NESTED
            m = nest(u["LISP_A_MAP"], eid, nest(u["LISP_MAP_A_RLOC"], rloc), flag=False)
        elif k == 1:  # a map nest holding garbage
            m = nla(u["LISP_A_MAP"] | NLA_F_NESTED, r.randbytes(r.choice([1, 2, 3])))
        elif k == 2:  # RLOC attributes one level too high
            m = nest(u["LISP_A_MAP"], eid, nla(u["LISP_MAP_A_RLOC"] | NLA_F_NESTED, b"\x01"))
        elif k == 3:  # a nest inside the RLOC nest where a u8 belongs
            m = nest(u["LISP_A_MAP"], eid, nest(u["LISP_MAP_A_RLOC"], rloc,
                                              nest(u["LISP_RLOC_A_UP"], u8(1, 1))))
        else:  # unknown attributes inside the nests
            ty = r.randrange(u["LISP_MAP_A_MAX"] + 1, u["LISP_MAP_A_MAX"] + 6)
            ty2 = r.randrange(u["LISP_RLOC_A_MAX"] + 1, u["LISP_RLOC_A_MAX"] + 6)
            m = nest(u["LISP_A_MAP"], eid, nest(u["LISP_MAP_A_RLOC"], rloc,
                                              *([nla(ty2, b"\0" * 4)] if r.random() < 0.5 else [])),
                     nla(ty, b"\0" * 4))
        return self.strip_map(body) + m, False

    def m_nla_len(self, cmd, body):
        # The last attribute's nla_len shorter than a header, or running past the message.
        r = self.rnd
        body = bytearray(body + nla(self.u["LISP_A_LOOKUP"], b"\x0a\0\0\x01"))
        last = len(body) - 8
        n = r.choice([0, 1, 2, 3, 9, 12, 100, 0xFFFF])
        body[last:last + 2] = struct.pack("=H", n)
        return bytes(body), False

    def m_semantic(self, cmd, body, dump=False):
        # Values the policy lets through and our handlers refuse (with an extack message).
        u, r = self.u, self.rnd
        dev = self.strip_dev(body)
        eid = lambda p, l: nla(u["LISP_MAP_A_EID"], socket.inet_aton(p)) + u8(u["LISP_MAP_A_PLEN"], l)
        rl = lambda *x: nest(u["LISP_MAP_A_RLOC"], nla(u["LISP_RLOC_A_ADDR"], socket.inet_aton("192.0.2.5")), *x)
        ifx = u32(u["LISP_A_IFINDEX"], self.ifindex)
        choices = [
            nest(u["LISP_A_MAP"], u32(u["LISP_MAP_A_IID"], r.randrange(1 << 24, 1 << 32)), eid("10.253.0.0", 24), rl()),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", r.randrange(33, 256)), rl()),
            nest(u["LISP_A_MAP"], nla(u["LISP_MAP_A_EID"], r.randbytes(r.choice([0, 1, 3, 5, 8, 15]))), u8(u["LISP_MAP_A_PLEN"], 8), rl()),
            nest(u["LISP_A_MAP"], eid("10.253.1.1", 24), rl()),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), nest(u["LISP_MAP_A_RLOC"], nla(u["LISP_RLOC_A_ADDR"], r.randbytes(r.choice([0, 3, 5, 15]))))),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), rl(u8(u["LISP_RLOC_A_WEIGHT"], r.randrange(101, 256)))),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), rl(u8(u["LISP_RLOC_A_UP"], r.randrange(2, 256)))),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), *[rl()] * (u["LISP_MAX_RLOCS"] + 1)),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24)),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), rl(), u8(u["LISP_MAP_A_ACTION"], 1)),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), u8(u["LISP_MAP_A_ACTION"], r.randrange(3, 256))),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), rl(), u8(u["LISP_MAP_A_ORIGIN"], r.randrange(u["LISP_ORIGIN_MAX"] + 1, 256))),
            nest(u["LISP_A_MAP"], eid("10.253.0.0", 24), rl(), u32(r.choice([u["LISP_MAP_A_EXPIRES"], u["LISP_MAP_A_SELECTED"]]), 1)),
        ]
        if dump:  # a dump only looks at the device and the instance ID
            k = len(choices) + r.randrange(6)
        elif cmd == u["LISP_CMD_MAP_ADD"]:
            k = r.randrange(len(choices) + 7)
        else:  # the prefix errors, or the device ones
            k = r.choice([0, 1, 2, 3] + list(range(len(choices), len(choices) + 7)))
        if k < len(choices):
            return (ifx if r.random() < 0.7 else nla(u["LISP_A_IFNAME"], self.a.ifname.encode() + b"\0")) + \
                choices[k], True
        k -= len(choices)
        if k == 0:  # no device
            return self.strip_dev(body) or nest(u["LISP_A_MAP"], eid("10.100.0.0", 24)), True
        if k == 1:  # both names
            return ifx + nla(u["LISP_A_IFNAME"], self.a.ifname.encode() + b"\0") + dev, True
        if k == 2:  # no such device
            return u32(u["LISP_A_IFINDEX"], r.randrange(100000, 1 << 31)) + dev, True
        if k == 3:  # not a lisp device
            return u32(u["LISP_A_IFINDEX"], self.lo) + dev, True
        if k == 4:  # no such name
            return nla(u["LISP_A_IFNAME"], b"nosuchlisp%d\0" % r.randrange(100)) + dev, True
        if k == 5:  # instance ID beyond 24 bits
            return ifx + u32(u["LISP_A_IID"], r.randrange(1 << 24, 1 << 32)) + (
                nla(u["LISP_A_LOOKUP"], socket.inet_aton("10.100.0.1")) if cmd == u["LISP_CMD_MAP_GET"] else b""), True
        return ifx + nla(u["LISP_A_LOOKUP"], r.randbytes(r.choice([0, 1, 5, 15]))), True

    def strip_dev(self, body):
        return b"".join(nla(t | (NLA_F_NESTED if t == self.u["LISP_A_MAP"] else 0), v)
                        for t, v in attrs(body) if t not in (self.u["LISP_A_IFINDEX"], self.u["LISP_A_IFNAME"]))

    def strip_map(self, body):
        return b"".join(nla(t, v) for t, v in attrs(body) if t != self.u["LISP_A_MAP"])

    def insert(self, body, a):
        parts = [nla(t | (NLA_F_NESTED if t == self.u["LISP_A_MAP"] else 0), v) for t, v in attrs(body)]
        parts.insert(self.rnd.randrange(len(parts) + 1), a)
        return b"".join(parts)

    def one_genl(self):
        u, r = self.u, self.rnd
        cmds = [u[k] for k in u if k.startswith("LISP_CMD_") and k != "LISP_CMD_UNSPEC"]
        k = r.random()
        if k < 0.04:  # commands that do not exist (or have no handler: the MISS event)
            cmd = r.choice([0, u["LISP_CMD_MISS"]] + list(range(max(cmds) + 1, max(cmds) + 6)) + [255])
            self.outcome("unknown_cmd", *self.g.answer(self.genl(cmd, self.base(u["LISP_CMD_DEV_GET"])))[:2], False)
            return
        cmd = r.choice([c for c in cmds if c != u["LISP_CMD_MISS"]])
        dumpable = cmd in (u["LISP_CMD_MAP_GET"], u["LISP_CMD_DEV_GET"])
        flags = NLM_F_REQUEST | NLM_F_ACK
        if dumpable and r.random() < 0.3:
            flags = NLM_F_REQUEST | NLM_F_DUMP
        body = self.base(cmd)
        if k < 0.08 and not dumpable:  # a dump of a command without one
            self.outcome("dump_of_do", *self.g.answer(self.genl(cmd, body, NLM_F_REQUEST | NLM_F_DUMP))[:2], False)
            return
        if k < 0.12:  # nlmsg_len: past the datagram (ignored), or inside the genl header
            if r.random() < 0.5:
                data = struct.pack("=BBH", cmd, 1, 0) + body
                seq = self.g.next_seq()
                self.g.send_raw(struct.pack("=IHHII", 16 + len(data) + r.choice([1, 4, 64, 4096]),
                                            self.fam, flags, seq, 0) + data)
                self.expect_ignored("nlmsg_len_long", seq, self.g)
            else:
                seq = self.g.next_seq()
                self.g.send_raw(struct.pack("=IHHII", r.choice([16, 17, 18, 19]), self.fam, NLM_F_REQUEST | NLM_F_ACK,
                                            seq, 0) + struct.pack("=BBH", cmd, 1, 0))
                self.outcome("nlmsg_len_short", *self.g.answer(seq)[:2], False)
            return
        if k < 0.16:  # nlmsg_len cutting the last attribute (less than a header left over)
            full = body + nla(u["LISP_A_LOOKUP"], socket.inet_pton(socket.AF_INET6, "fd00::1"))
            data = struct.pack("=BBH", cmd, 1, 0) + full
            seq = self.g.next_seq()
            cut = 16 + len(data) - r.randrange(1, 16)
            self.g.send_raw(struct.pack("=IHHII", cut, self.fam, flags, seq, 0) + data)
            self.outcome("nlmsg_len_cut", *self.g.answer(seq)[:2], False)
            return
        muts = [("unknown_attr", self.m_unknown), ("reply_only_attr", self.m_reject),
                ("attr_length", self.m_length), ("nesting", self.m_nesting),
                ("nla_len", self.m_nla_len), ("semantic", self.m_semantic)]
        name, fn = r.choice(muts)
        if name == "semantic":
            body, ours = fn(cmd, body, bool(flags & NLM_F_DUMP) and cmd == u["LISP_CMD_MAP_GET"])
        else:
            body, ours = fn(cmd, body)
        if name == "semantic" and cmd == u["LISP_CMD_DEV_GET"] and flags & NLM_F_DUMP:
            flags = NLM_F_REQUEST | NLM_F_ACK  # the netns-wide dump takes no device
        if name == "semantic" and cmd == u["LISP_CMD_DEV_GET"] and not self.dev_refused(body):
            body = u32(u["LISP_A_IFINDEX"], self.lo)
        if name == "semantic" and cmd == u["LISP_CMD_MAP_FLUSH"] and not self.dev_refused(body) and \
                not any(t == u["LISP_A_IID"] and len(v) == 4 and struct.unpack("=I", v)[0] >> 24 for t, v in attrs(body)):
            body = u32(u["LISP_A_IFINDEX"], self.ifindex) + u32(u["LISP_A_IID"], 1 << 24 | r.randrange(1 << 24))
        seq = self.genl(cmd, body, flags)
        self.outcome("%s%s" % (name, "_dump" if flags & NLM_F_DUMP else ""), *self.g.answer(seq)[:2], ours)

    def dev_refused(self, body):
        """Whether the device naming in body is one a handler refuses."""
        u = self.u
        a = attrs(body)
        names = [(t, v) for t, v in a if t in (u["LISP_A_IFINDEX"], u["LISP_A_IFNAME"])]
        if len(names) != 1:
            return True
        t, v = names[0]
        if t == u["LISP_A_IFINDEX"]:
            return len(v) != 4 or struct.unpack("=I", v)[0] != self.ifindex
        return v != self.a.ifname.encode() + b"\0"

    # -- dumps --

    def dumps(self, ref):
        u, r = self.u, self.rnd
        k = r.randrange(3)
        nl = Nl(NETLINK_GENERIC)
        nl.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        seq = self.genl(u["LISP_CMD_MAP_GET"], u32(u["LISP_A_IFINDEX"], self.ifindex),
                        NLM_F_REQUEST | NLM_F_DUMP, sock=nl)
        first = list(nl.msgs(16384))
        if not first or not all(fl & NLM_F_MULTI for _, fl, _, _ in first):
            self.failures.append("dump: first part not multipart (map too small?)")
        if k == 0:  # abandoned after the first part
            self.dump_stats["abandoned"] += 1
            nl.s.close()
            return
        if k == 2:  # a change between two parts: the rest of the dump must say so
            self.dump_stats["interrupted"] += 1
            p = "10.254.%d.0" % r.randrange(256)
            err, msg, _ = self.g.answer(self.genl(u["LISP_CMD_MAP_ADD"], u32(u["LISP_A_IFINDEX"], self.ifindex) +
                                                  self.map_nest(p, 24)))
            if err:
                self.failures.append("dump: temporary entry refused: %s" % msg)
        else:
            self.dump_stats["resumed"] += 1
        entries = [v for ty, fl, sq, pay in first if ty == self.fam for t, v in attrs(pay[4:])
                   if t == u["LISP_A_MAP"]]
        intr = False
        done = False
        while not done:
            for ty, fl, sq, pay in nl.msgs(1 << 16):
                intr |= bool(fl & NLM_F_DUMP_INTR)
                if ty == NLMSG_DONE:
                    done = True
                    break
                entries += [v for t, v in attrs(pay[4:]) if t == u["LISP_A_MAP"]]
        nl.s.close()
        if k == 1 and sorted(entries) != ref:
            self.failures.append("dump: resumed dump differs from the full one")
        if k == 2:
            self.dump_stats["intr_flagged"] += intr
            err, msg, _ = self.g.answer(self.genl(u["LISP_CMD_MAP_DEL"], u32(u["LISP_A_IFINDEX"], self.ifindex) +
                                                  nest(u["LISP_A_MAP"], nla(u["LISP_MAP_A_EID"], socket.inet_aton(p)),
                                                       u8(u["LISP_MAP_A_PLEN"], 24))))
            if err:
                self.failures.append("dump: temporary entry not deleted: %s" % msg)

    # -- rtnetlink --

    def ifla_lisp(self, change):
        """Valid IFLA_LISP_* attributes for a new device (change: the existing one's values)."""
        u, r = self.u, self.rnd
        out = []
        if r.random() < 0.3 and not change:
            out.append(nla(u["IFLA_LISP_PORT"], struct.pack("!H", r.randrange(1024, 65536))))
        if r.random() < 0.3:
            out.append(u8(u["IFLA_LISP_TTL"], r.randrange(256)))
        if r.random() < 0.3:
            out.append(u8(u["IFLA_LISP_UDP_CSUM"], r.randrange(2)))
        if r.random() < 0.3:
            out.append(u8(u["IFLA_LISP_NONCE"], r.randrange(2)))
        return out

    def bad_ifla_lisp(self, change):
        u, r = self.u, self.rnd
        mx = u["IFLA_LISP_MAX"]
        one = [u[k] for k in u if k.startswith("IFLA_LISP_") and k != "IFLA_LISP_MAX"
               and u[k] not in (u["IFLA_LISP_PORT"], u["IFLA_LISP_LOCAL"], u["IFLA_LISP_IID"])]
        bools = [u[k] for k in ("IFLA_LISP_EXTERNAL", "IFLA_LISP_UDP_CSUM", "IFLA_LISP_NONCE") if k in u]
        k = r.randrange(10 if change else 9)
        if k == 0:
            return "port_zero", nla(u["IFLA_LISP_PORT"], b"\0\0"), True
        if k == 1:
            return "short_attr", nla(r.choice(one + [u["IFLA_LISP_PORT"]]), b""), False
        if k == 2:
            return "short_attr", nla(r.choice([u["IFLA_LISP_PORT"], u["IFLA_LISP_IID"]]), b"\x01"), False
        if k == 3:
            ln = r.choice([0, 1, 2, 3, 5, 6, 8, 12, 15])
            return "local_length", nla(u["IFLA_LISP_LOCAL"], r.randbytes(ln)), True
        if k == 4:
            return "local_too_long", nla(u["IFLA_LISP_LOCAL"], r.randbytes(r.randrange(17, 40))), False
        if k == 5:
            a = r.choice([b"\0\0\0\0", bytes([r.randrange(224, 256)]) + r.randbytes(3), b"\xff" + r.randbytes(15),
                          bytes(16)])
            return "local_not_unicast", nla(u["IFLA_LISP_LOCAL"], a), True
        if k == 6:
            return "iid_range", u32(u["IFLA_LISP_IID"], r.randrange(1 << 24, 1 << 32)), True
        if k == 7:
            return "bool_range", u8(r.choice(bools), r.randrange(2, 256)), True
        if k == 8:  # a type this module does not know (rtnetlink itself would ignore it)
            ty = r.choice([0] + list(range(mx + 1, mx + 6)))
            return "unknown_attr", nla(ty, r.randbytes(r.choice([0, 1, 2, 4, 16]))), True
        # change only: the fixed ones
        c = r.randrange(3)
        if c == 0:
            return "change_fixed", nla(u["IFLA_LISP_PORT"], struct.pack("!H", r.randrange(1, 4341))), True
        if c == 1:
            return "change_fixed", nla(u["IFLA_LISP_LOCAL"], socket.inet_aton("10.9.%d.1" % r.randrange(256))), True
        return "change_fixed", u8(u["IFLA_LISP_EXTERNAL"], 1), True

    def one_link(self, change):
        u, r = self.u, self.rnd
        cls, bad, ours = self.bad_ifla_lisp(change)
        # Valid attributes besides, never of the bad one's type (the last of a type wins).
        bad_ty = struct.unpack_from("=H", bad, 2)[0]
        data = [d for d in self.ifla_lisp(change) if struct.unpack_from("=H", d, 2)[0] != bad_ty]
        data.insert(r.randrange(len(data) + 1), bad)
        if r.random() < 0.3:  # unknown types too: still refused for the bad one
            ty = r.randrange(u["IFLA_LISP_MAX"] + 1, u["IFLA_LISP_MAX"] + 6)
            data.insert(r.randrange(len(data) + 1), nla(ty, r.randbytes(r.choice([0, 1, 4]))))
        info = nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, b"lisp"), nest(IFLA_INFO_DATA, *data))
        if change:
            hdr = struct.pack("=BxHiII", 0, 0, self.ifindex, 0, 0)
            flags = NLM_F_REQUEST | NLM_F_ACK
            extra = b""
        else:
            hdr = struct.pack("=BxHiII", 0, 0, 0, 0, 0)
            flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
            extra = nla(IFLA_IFNAME, b"lispfz%d\0" % r.randrange(4))
            if r.random() < 0.1:  # and an MTU outside the device's range (the core's check)
                cls, ours = "create_mtu", False
                info = nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, b"lisp"))
                extra += u32(IFLA_MTU, r.choice([0, 1, 67, 65535 - 55, 1 << 20]))
            elif r.random() < 0.05:
                cls, ours = "create_mac", True
                info = nest(IFLA_LINKINFO, nla(IFLA_INFO_KIND, b"lisp"))
                extra += nla(IFLA_ADDRESS, r.choice([b"\x01\0\0\0\0\x01", bytes(6), b"\xff" * 6]))
        seq = self.r.request(RTM_NEWLINK, flags, hdr + extra + info)
        err, msg, _ = self.r.answer(seq)
        self.outcome("link_%s_%s" % ("change" if change else "create", cls), err, msg, ours)
        if err == 0 and not change:
            # Take it away again, so that the run goes on; the failure stays recorded.
            for n in range(4):
                try:
                    idx = socket.if_nametoindex("lispfz%d" % n)
                except OSError:
                    continue
                self.r.answer(self.r.request(17, NLM_F_REQUEST | NLM_F_ACK, struct.pack("=BxHiII", 0, 0, idx, 0, 0)))

    # -- the run --

    def run(self):
        a = self.a
        self.populate(a.entries)
        ref_map = self.dump_map()
        ref = self.state()
        checks = 0
        t0 = time.time()
        total = a.count + a.link_count
        link_every = max(1, total // max(1, a.link_count))
        i = 0
        while self.sent < a.count or self.links_sent < a.link_count:
            i += 1
            if self.links_sent < a.link_count and (i % link_every == 0 or self.sent >= a.count):
                self.one_link(self.rnd.random() < 0.5)
                self.links_sent += 1
            elif self.rnd.random() < 0.02:
                self.dumps(ref_map)
                self.sent += 1
            else:
                self.one_genl()
                self.sent += 1
            if i % a.k == 0:
                checks += 1
                if self.state() != ref:
                    self.failures.append("state changed before request %d" % i)
                    ref = self.state()
        checks += 1
        if self.state() != ref:
            self.failures.append("state changed by the end")
        rep = {"genl": self.sent, "rtnl": self.links_sent, "checks": checks, "errno": self.hist,
               "classes": self.classes, "without_extack": self.no_msg, "dumps": self.dump_stats,
               "failures": self.failures[:50], "n_failures": len(self.failures),
               "seconds": round(time.time() - t0, 2)}
        out = json.dumps(rep, sort_keys=True)
        if a.report:
            with open(a.report, "w") as f:
                f.write(out + "\n")
        print(out)
        return 1 if self.failures else 0


def netlink(a):
    return Fuzz(a).run()



# ---- accounting -------------------------------------------------------------------------------
#
# Every datagram the packet fuzzer sent ends in exactly one counter of the receiving namespace:
# a LISP fate (lisp0's rx_* counters: delivered or a drop reason), a drop of the outer IP or UDP
# layer (of the outer family only: the inner packets are of the other family, so whatever the
# inner stack does with a delivered packet is counted elsewhere), or a veth drop. The real
# traffic (ping) adds its echo requests to rx_packets; the receiver's InEchos counters say how
# many.

OUTER = {4: ["Ip.InHdrErrors", "Ip.InAddrErrors", "IpExt.InTruncatedPkts", "Ip.InUnknownProtos",
             "Ip.InDiscards", "Ip.ReasmFails", "Udp.InErrors", "Udp.NoPorts"],
         6: ["Ip6InHdrErrors", "Ip6InAddrErrors", "Ip6InTruncatedPkts", "Ip6InUnknownProtos",
             "Ip6InDiscards", "Ip6InNoRoutes", "Ip6ReasmFails", "Udp6InErrors", "Udp6NoPorts"]}
REASM = {4: "Ip.ReasmOKs", 6: "Ip6ReasmOKs"}
L2 = ["veth.u1_tx_dropped", "veth.u2_rx_dropped"]


def read_snap(path):
    d = {}
    for line in open(path):
        k, _, v = line.strip().partition("=")
        if v.lstrip("-").isdigit():
            d[k] = int(v)
    return d


def account(a):
    b, e = read_snap(a.before), read_snap(a.after)
    rep = json.load(open(a.report))
    fam = rep["family"]
    delta = lambda k: e.get(k, 0) - b.get(k, 0)
    lisp = {k[5:]: delta(k) for k in sorted(set(b) | set(e)) if k.startswith("lisp.rx_")}
    outer = {k: delta(k) for k in OUTER[fam]}
    l2 = {k: delta(k) for k in L2}
    real = delta("Icmp.InEchos") + delta("Icmp6InEchos")
    total = sum(lisp.values()) - real + sum(outer.values()) + sum(l2.values())
    want_reasm = rep["frag_sets"] + rep["atomic_frags"]
    ok = True
    print("# outer IPv%d: %d frames, %d datagrams sent in %.1f s" %
          (fam, rep["frames"], rep["datagrams"], rep["seconds"]))
    print("# lisp0: " + ", ".join("%s %d" % kv for kv in lisp.items()) +
          " (of which real traffic: %d)" % real)
    print("# outer stack: " + ", ".join("%s %d" % kv for kv in outer.items() if kv[1]) +
          "; veth drops %d" % sum(l2.values()))
    print("# accounted %d of %d; %s %d (fragment sets %d, atomic fragments %d)" %
          (total, rep["datagrams"], REASM[fam], delta(REASM[fam]), rep["frag_sets"],
           rep["atomic_frags"]))
    bad_drops = e.get("lisp0.rx_dropped", 0) - b.get("lisp0.rx_dropped", 0)
    lisp_drops = sum(v for k, v in lisp.items() if k != "rx_packets")
    print("# lisp0 rx_dropped %d, lisp drop counters %d" % (bad_drops, lisp_drops))
    if total != rep["datagrams"]:
        print("# MISMATCH: %+d datagrams unaccounted for" % (rep["datagrams"] - total))
        ok = False
    if delta(REASM[fam]) != want_reasm:
        print("# reassembled %d, expected %d" % (delta(REASM[fam]), want_reasm))
        ok = False
    if bad_drops != lisp_drops:
        print("# rx_dropped disagrees with the per-reason counters")
        ok = False
    return 0 if ok else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("packets")
    q.add_argument("--family", type=int, choices=[4, 6], required=True)
    q.add_argument("--count", type=int, required=True)
    q.add_argument("--seed", type=int, default=1)
    q.add_argument("--ifname", required=True)
    q.add_argument("--src-mac", required=True)
    q.add_argument("--dst-mac", required=True)
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--inner-src", required=True)
    q.add_argument("--inner-dst", required=True)
    q.add_argument("--iid", type=int, default=0)
    q.add_argument("--pace", type=float, default=0.0)
    q.add_argument("--classes", help="comma-separated subset of the mutation classes")
    q.add_argument("--budget", type=float, default=0, help="stop after this many seconds")
    q.add_argument("--report")
    n = sub.add_parser("netlink")
    n.add_argument("--count", type=int, required=True)
    n.add_argument("--link-count", type=int, required=True)
    n.add_argument("--seed", type=int, default=1)
    n.add_argument("--ifname", required=True)
    n.add_argument("--uapi", required=True)
    n.add_argument("--k", type=int, default=200)
    n.add_argument("--entries", type=int, default=300)
    n.add_argument("--report")
    c = sub.add_parser("account")
    c.add_argument("--before", required=True)
    c.add_argument("--after", required=True)
    c.add_argument("--report", required=True)
    a = p.parse_args()
    if a.cmd == "packets":
        packets(a)
    elif a.cmd == "account":
        sys.exit(account(a))
    else:
        sys.exit(netlink(a))


if __name__ == "__main__":
    main()
