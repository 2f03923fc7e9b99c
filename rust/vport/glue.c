// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for lisp_vport.ko: its module parameter, and the struct layouts GCC computes for what
 * Rust touches directly.
 */
#include "datapath.h"
#include "vport.h"
#include "glue.h"

static bool ethernet;
module_param(ethernet, bool, 0444);
MODULE_PARM_DESC(ethernet, "Deliver decapsulated packets as Ethernet frames with the fixed MAC 02:00:00:00:00:00, for ports with options:packet_type=ptap (default: bare IP, for the default legacy_l3 ports)");
bool lisp_vport_ethernet(void) { return ethernet; }

#define SIZE(type) { "sizeof(struct " #type ")", sizeof(struct type) }
#define OFFSET(type, member) { #type "." #member, offsetof(struct type, member) }

/* Keep in step with `LAYOUT` in lisp_vport.rs. */
const struct lisp_vport_layout lisp_vport_layout_table[] = {
	SIZE(vport_ops),
	{ "vport_ops.type_", offsetof(struct vport_ops, type) },
	OFFSET(vport_ops, create),
	OFFSET(vport_ops, destroy),
	OFFSET(vport_ops, get_options),
	OFFSET(vport_ops, send),
	OFFSET(vport_ops, owner),
	SIZE(vport_parms),
	OFFSET(vport_parms, name),
	OFFSET(vport_parms, options),
	OFFSET(vport_parms, dp),
	SIZE(vport),
	OFFSET(datapath, net),
	SIZE(nlattr),
};
const unsigned int lisp_vport_layout_len = ARRAY_SIZE(lisp_vport_layout_table);
