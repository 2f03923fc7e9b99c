#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Sends N malformed or unacceptable LISP control messages to a lispd (UDP), seeded:
#   lispd_fuzz.py ADDR PORT N SEED
# A sixth of them are well-formed Map-Replies with nonces nobody asked for, a sixth Map-Notify
# messages with wrong authentication data, the rest mutations of valid messages (truncations,
# address family and LCAF length lies, huge record and locator counts, bit flips, random bytes).
# Paced, so that the receiver's socket buffer does not overflow: every datagram must arrive.
import random
import socket
import struct
import sys
import time

addr, port, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rnd = random.Random(seed)


def lcaf_iid(iid, afi, a):
    return struct.pack("!HBBBBH", 16387, 0, 0, 2, 0, 4 + 2 + len(a)) + struct.pack("!IH", iid, afi) + a


V4 = socket.inet_aton
EID = lcaf_iid(7, 1, V4("172.16.1.10"))
PFX = lcaf_iid(7, 1, V4("172.16.1.0"))


def locator(rloc):
    return struct.pack("!BBBBHH", 1, 100, 255, 0, 0x0005, 1) + V4(rloc)


def record(ttl, plen, locs, act=0):
    return struct.pack("!IBBHH", ttl, len(locs), plen, (act << 13) | 0x1000, 0) + PFX + b"".join(locs)


def request(nonce):
    # Type 1, IRC 0 (one ITR-RLOC), one EID record; source EID AFI 0.
    return (struct.pack("!BBBBQ", 0x10, 0, 0, 1, nonce) + struct.pack("!H", 0) +
            struct.pack("!H", 1) + V4("10.0.0.254") + struct.pack("!BB", 0, 32) + EID)


def reply(nonce):
    return struct.pack("!BBBBQ", 0x20, 0, 0, 1, nonce) + record(10, 24, [locator("10.0.0.9")])


def notify(nonce):
    auth = bytes(rnd.getrandbits(8) for _ in range(20))
    return (struct.pack("!BBBBQ", 0x40, 0, 0, 1, nonce) + struct.pack("!HH", 1, 20) + auth +
            record(10, 24, [locator("10.0.0.1")]))


def ecm(inner):
    udp = struct.pack("!HHHH", 4342, 4342, 8 + len(inner), 0)
    ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(udp) + len(inner), 0, 0, 64, 17, 0)
    ip += V4("10.0.0.254") + V4("172.16.1.10")
    return b"\x80\x00\x00\x00" + ip + udp + inner


def register(nonce):
    return (struct.pack("!BBBBQ", 0x30, 0, 1, 1, nonce) + struct.pack("!HH", 1, 20) + bytes(20) +
            record(10, 24, [locator("10.0.0.9")]))


def mutate(m):
    m = bytearray(m)
    kind = rnd.randrange(6)
    if kind == 0:  # truncated
        return bytes(m[:rnd.randrange(len(m))])
    if kind == 1:  # an address family nobody knows, where the first EID/RLOC AFI is
        i = bytes(m).find(b"\x40\x03")
        if i < 0:
            i = 12
        m[i:i + 2] = struct.pack("!H", rnd.choice([3, 5, 0x4004, 0xffff, 0x1234]))
        return bytes(m)
    if kind == 2:  # an LCAF length that lies
        i = bytes(m).find(b"\x40\x03")
        if i >= 0:
            m[i + 6:i + 8] = struct.pack("!H", rnd.choice([0, 1, 5, 7, 200, 65535]))
        else:
            del m[len(m) // 2:]
        return bytes(m)
    if kind == 3:  # huge counts: record count, then the first locator count
        m[3] = 255
        if len(m) > 16:
            m[16] = rnd.choice([m[16], 255])
        return bytes(m)
    if kind == 4:  # random bytes with a plausible type nibble
        return bytes([rnd.choice([0x10, 0x20, 0x30, 0x40, 0x50, 0x80, 0xf0])]) + \
            bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(0, 120)))
    # bit flips, then cut, so that the result does not decode as something valid
    for _ in range(rnd.randrange(1, 4)):
        i = rnd.randrange(len(m))
        m[i] ^= 1 << rnd.randrange(8)
    return bytes(m[:max(1, len(m) - rnd.randrange(1, 8))])


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
templates = [request, reply, notify, lambda x: ecm(request(x)), register]
for k in range(n):
    nonce = rnd.getrandbits(64)
    c = k % 6
    if c == 0:
        msg = reply(nonce)
    elif c == 1:
        msg = notify(nonce)
    else:
        msg = mutate(rnd.choice(templates)(nonce))
    if not msg:
        msg = b"\x20"
    s.sendto(msg, (addr, port))
    if k % 50 == 49:
        time.sleep(0.004)
print(f"sent {n}")
