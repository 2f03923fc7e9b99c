/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin C glue for the lisp module: one-line wrappers of static inline functions and macros, and
 * bitfield setters, that Rust cannot call directly. No logic lives here.
 */
#ifndef LISP_GLUE_H
#define LISP_GLUE_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>

void *lisp_netdev_priv(const struct net_device *dev);
void lisp_eth_hw_addr_random(struct net_device *dev);
void lisp_netdev_set_lltx(struct net_device *dev);
void lisp_netdev_set_netns_immutable(struct net_device *dev);
void lisp_netdev_set_tstats(struct net_device *dev);
void lisp_netdev_set_no_queue(struct net_device *dev);
void lisp_dev_core_stats_tx_dropped_inc(struct net_device *dev);
void lisp_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);

/* One entry of the layout table: a struct size or a member offset as the C compiler sees it. */
struct lisp_layout {
	const char *name;
	unsigned long value;
};

extern const struct lisp_layout lisp_layout_table[];
extern const unsigned int lisp_layout_len;

#endif /* LISP_GLUE_H */
