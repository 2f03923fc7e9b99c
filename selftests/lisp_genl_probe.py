#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Sends lisp generic-netlink requests that name a device by interface index, from the network
# namespace (and with the credentials) the script runs in, and prints one line per request:
# "CMD IFINDEX ERRNO MESSAGE" (ERRNO 0 on success; MESSAGE: the kernel's extack message or -).
# lispctl names devices by name only; this checks that an index never reaches a device of
# another namespace. One process for every request, as python starts slowly under TCG.
#
#   lisp_genl_probe.py CMD:IFINDEX...     CMD: dev_get | map_flush | map_get_dump

import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
NETLINK_EXT_ACK = 11
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 0x1, 0x4, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLMSGERR_ATTR_MSG = 1
# rust/uapi/src/uapi.rs
LISP_CMD = {"map_flush": 4, "dev_get": 5, "map_get_dump": 3}
LISP_A_IFINDEX = 1


def attr(ty, data):
    a = struct.pack("=HH", 4 + len(data), ty) + data
    return a + b"\0" * (-len(a) % 4)


def attrs(buf):
    out = {}
    while len(buf) >= 4:
        ln, ty = struct.unpack_from("=HH", buf)
        if ln < 4:
            break
        out[ty & 0x3FFF] = buf[4:ln]
        buf = buf[(ln + 3) & ~3:]
    return out


class Genl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.s.setsockopt(270, NETLINK_EXT_ACK, 1)  # SOL_NETLINK
        self.s.bind((0, 0))
        self.seq = 0

    def request(self, family, flags, cmd, payload):
        """Returns (errno, extack message, the data messages after nlmsghdr)."""
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        self.s.send(struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0) + body)
        data = []
        while True:
            buf = self.s.recv(65536)
            while len(buf) >= 16:
                ln, ty, fl, seq, _ = struct.unpack_from("=IHHII", buf)
                msg, buf = buf[16:ln], buf[(ln + 3) & ~3:]
                if ty == NLMSG_DONE:
                    # A dump ends with its error code, and the extack after it.
                    err = -struct.unpack_from("=i", msg)[0] if len(msg) >= 4 else 0
                    m = attrs(msg[4:]).get(NLMSGERR_ATTR_MSG) if fl & 0x200 else None
                    return err, m.rstrip(b"\0").decode() if m else "-", data
                if ty != NLMSG_ERROR:
                    data.append(msg)
                    continue
                err = -struct.unpack_from("=i", msg)[0]
                text = "-"
                # With NLM_F_CAPPED (0x100) only the request's header is echoed back.
                off = 4 + (16 if fl & 0x100 else struct.unpack_from("=I", msg, 4)[0])
                if fl & 0x200:  # NLM_F_ACK_TLVS
                    m = attrs(msg[(off + 3) & ~3:]).get(NLMSGERR_ATTR_MSG)
                    if m:
                        text = m.rstrip(b"\0").decode()
                return err, text, data


def main():
    g = Genl()
    err, text, data = g.request(
        GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, CTRL_CMD_GETFAMILY,
        attr(CTRL_ATTR_FAMILY_NAME, b"lisp\0"))
    if err or not data:
        print(f"family lisp: {os.strerror(err) if err else 'no reply'}")
        return 1
    family = struct.unpack("=H", attrs(data[0][4:])[CTRL_ATTR_FAMILY_ID][:2])[0]
    for arg in sys.argv[1:]:
        name, idx = arg.split(":")
        flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_DUMP if name.endswith("_dump") else 0)
        err, text, _ = g.request(family, flags, LISP_CMD[name],
                                 attr(LISP_A_IFINDEX, struct.pack("=I", int(idx))))
        print(f"{name} {idx} {err} {text}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
