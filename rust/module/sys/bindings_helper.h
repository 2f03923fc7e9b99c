/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel headers the lisp module's Rust code is bound against. bindgen reads this file with
 * the same flags the C compiler gets for the module, so struct layouts match the tree.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/dst_cache.h>
#include <net/dst_metadata.h>
#include <net/gro.h>
#include <net/gro_cells.h>
#include <net/ip_tunnels.h>
#include <net/rtnetlink.h>
#include <net/udp_tunnel.h>

#include "glue.h"
