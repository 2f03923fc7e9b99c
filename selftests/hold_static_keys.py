#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Holds the networking static keys the selftests would otherwise switch on and off, for as
long as it runs (run_tests.sh starts it before the first test and stops it after the last).

Under QEMU's TCG a CPU twice hit the int3 that x86 code patching leaves in a static branch
while another CPU switched the key (`Oops: int3` in __netif_receive_skb_core, from a ping: the
timestamp key), and the guest panicked. With each key held on, the tests only move its count:
no code is patched while they run.
"""
import signal
import socket
import sys

SO_TIMESTAMP = 29  # asm-generic/socket.h (Python's socket module lacks it)
UDP_ENCAP = 100  # linux/udp.h
UDP_ENCAP_L2TPINUDP = 3

held = []
# netstamp_needed_key: ping and tcpdump ask for receive timestamps.
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
held.append(s)
# udp_encap_needed_key and udpv6_encap_needed_key: every UDP tunnel socket (lisp0's, OOR's,
# the kernel's) moves them.
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_L2TPINUDP)
held.append(s)
print("static keys held", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
signal.pause()
