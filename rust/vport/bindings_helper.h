/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel headers lisp_vport.ko's Rust code is bound against: the Open vSwitch datapath's
 * internal vport API (net/openvswitch, only in full source trees). bindgen reads this file with
 * the same flags the C compiler gets for the module.
 */
#include <linux/netdevice.h>
#include <net/netlink.h>

/* datapath.h first: it completes struct vport before its own inline helpers need it. */
#include "datapath.h"
#include "vport.h"
#include "vport-netdev.h"

#include "glue.h"
