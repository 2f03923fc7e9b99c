// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the lisp module. See glue.h: wrappers of inline helpers and a table of struct
 * layouts that the Rust side checks its bindgen-generated layouts against at load time.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <net/rtnetlink.h>

#include "glue.h"

void *lisp_netdev_priv(const struct net_device *dev) { return netdev_priv(dev); }
void lisp_eth_hw_addr_random(struct net_device *dev) { eth_hw_addr_random(dev); }
void lisp_netdev_set_lltx(struct net_device *dev) { dev->lltx = true; }
void lisp_netdev_set_netns_immutable(struct net_device *dev) { dev->netns_immutable = true; }
void lisp_netdev_set_tstats(struct net_device *dev) { dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS; }
void lisp_netdev_set_no_queue(struct net_device *dev) { dev->priv_flags |= IFF_NO_QUEUE; }
void lisp_dev_core_stats_tx_dropped_inc(struct net_device *dev) { dev_core_stats_tx_dropped_inc(dev); }
void lisp_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason) { kfree_skb_reason(skb, reason); }

#define SIZE(type) { "sizeof(struct " #type ")", sizeof(struct type) }
#define OFFSET(type, member) { #type "." #member, offsetof(struct type, member) }

/* Keep in step with `LAYOUT` in sys/mod.rs: every struct and member Rust touches directly. */
const struct lisp_layout lisp_layout_table[] = {
	SIZE(net_device),
	OFFSET(net_device, netdev_ops),
	OFFSET(net_device, rtnl_link_ops),
	OFFSET(net_device, needs_free_netdev),
	OFFSET(net_device, priv_destructor),
	OFFSET(net_device, mtu),
	OFFSET(net_device, min_mtu),
	OFFSET(net_device, max_mtu),
	OFFSET(net_device, ifindex),
	OFFSET(net_device, name),
	SIZE(net_device_ops),
	OFFSET(net_device_ops, ndo_start_xmit),
	OFFSET(net_device_ops, ndo_set_mac_address),
	OFFSET(net_device_ops, ndo_validate_addr),
	SIZE(rtnl_link_ops),
	OFFSET(rtnl_link_ops, kind),
	OFFSET(rtnl_link_ops, priv_size),
	OFFSET(rtnl_link_ops, setup),
	OFFSET(rtnl_link_ops, maxtype),
	OFFSET(rtnl_link_ops, validate),
	OFFSET(rtnl_link_ops, newlink),
	SIZE(netlink_ext_ack),
	OFFSET(netlink_ext_ack, _msg),
	OFFSET(netlink_ext_ack, bad_attr),
	SIZE(nlattr),
};
const unsigned int lisp_layout_len = ARRAY_SIZE(lisp_layout_table);
