/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin C glue for lisp_vport.ko: what lisp.ko exports to it, its module parameter, and a table
 * of struct layouts that the Rust side checks its bindgen-generated layouts against at load
 * time. No logic lives here.
 */
#ifndef LISP_VPORT_GLUE_H
#define LISP_VPORT_GLUE_H

#include <linux/netdevice.h>

struct net;

/* Exported by lisp.ko (rust/module/sys/export.rs). */
struct net_device *lisp_vport_dev_create(struct net *net, const char *name, u16 port,
					  bool ethernet);

/* The `ethernet` module parameter. */
bool lisp_vport_ethernet(void);

/* One entry of the layout table: a struct size or a member offset as the C compiler sees it. */
struct lisp_vport_layout {
	const char *name;
	unsigned long value;
};

extern const struct lisp_vport_layout lisp_vport_layout_table[];
extern const unsigned int lisp_vport_layout_len;

#endif /* LISP_VPORT_GLUE_H */
