// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "lisp": attribute policies, operations and multicast groups. Tables
 * only; the handlers are Rust functions (netlink.rs) exported under the names declared in
 * glue.h. The attribute numbers come from rust/uapi/src/uapi.rs via uapi_generated.h.
 *
 * Policies check types and lengths; value ranges are mostly checked by the handlers, which can
 * name the attribute in their error message (LISP_MAP_A_ORIGIN's range is the policy's).
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "glue.h"

static const struct nla_policy lisp_rloc_policy[LISP_RLOC_A_MAX + 1] = {
	[LISP_RLOC_A_ADDR] = { .type = NLA_BINARY, .len = 16 },
	[LISP_RLOC_A_PRIORITY] = { .type = NLA_U8 },
	[LISP_RLOC_A_WEIGHT] = { .type = NLA_U8 },
	[LISP_RLOC_A_UP] = { .type = NLA_U8 },
};

static const struct nla_policy lisp_map_policy[LISP_MAP_A_MAX + 1] = {
	[LISP_MAP_A_IID] = { .type = NLA_U32 },
	[LISP_MAP_A_EID] = { .type = NLA_BINARY, .len = 16 },
	[LISP_MAP_A_PLEN] = { .type = NLA_U8 },
	[LISP_MAP_A_RLOC] = NLA_POLICY_NESTED(lisp_rloc_policy),
	[LISP_MAP_A_TTL] = { .type = NLA_U32 },
	[LISP_MAP_A_ACTION] = { .type = NLA_U8 },
	[LISP_MAP_A_EXPIRES] = { .type = NLA_REJECT },
	[LISP_MAP_A_SELECTED] = { .type = NLA_REJECT },
	[LISP_MAP_A_ORIGIN] = NLA_POLICY_MAX(NLA_U8, LISP_ORIGIN_MAX),
	[LISP_MAP_A_USED] = { .type = NLA_REJECT },
};

static const struct nla_policy lisp_policy[LISP_A_MAX + 1] = {
	[LISP_A_IFINDEX] = { .type = NLA_U32 },
	[LISP_A_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[LISP_A_MAP] = NLA_POLICY_NESTED(lisp_map_policy),
	[LISP_A_IID] = { .type = NLA_U32 },
	[LISP_A_LOOKUP] = { .type = NLA_BINARY, .len = 16 },
	[LISP_A_HASH] = { .type = NLA_U32 },
	[LISP_A_STATS] = { .type = NLA_REJECT },
	[LISP_A_MAP_COUNT] = { .type = NLA_REJECT },
	[LISP_A_DEFAULT_IID] = { .type = NLA_REJECT },
	[LISP_A_PORT] = { .type = NLA_REJECT },
};

static const struct genl_ops lisp_genl_ops[] = {
	{ .cmd = LISP_CMD_MAP_ADD, .doit = lisp_nl_map_add_doit, .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = LISP_CMD_MAP_DEL, .doit = lisp_nl_map_del_doit, .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = LISP_CMD_MAP_GET, .doit = lisp_nl_map_get_doit, .dumpit = lisp_nl_map_get_dumpit },
	{ .cmd = LISP_CMD_MAP_FLUSH, .doit = lisp_nl_map_flush_doit, .flags = GENL_UNS_ADMIN_PERM },
	{ .cmd = LISP_CMD_DEV_GET, .doit = lisp_nl_dev_get_doit, .dumpit = lisp_nl_dev_get_dumpit },
};

static const struct genl_multicast_group lisp_genl_mcgrps[] = {
	[LISP_MCGRP_EVENTS_INDEX] = { .name = "events" },
};

struct genl_family lisp_genl_family = {
	.name = "lisp",
	.version = LISP_GENL_VERSION,
	.maxattr = LISP_A_MAX,
	.policy = lisp_policy,
	.netnsok = true,
	.resv_start_op = LISP_CMD_MISS + 1,
	.ops = lisp_genl_ops,
	.n_ops = ARRAY_SIZE(lisp_genl_ops),
	.mcgrps = lisp_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(lisp_genl_mcgrps),
	.module = THIS_MODULE,
};

/* IFLA_INFO_DATA of kind "lisp" (rtnetlink). */
const struct nla_policy lisp_rtnl_policy[IFLA_LISP_MAX + 1] = {
	[IFLA_LISP_PORT] = { .type = NLA_BE16 },
	[IFLA_LISP_LOCAL] = { .type = NLA_BINARY, .len = 16 },
	[IFLA_LISP_IID] = { .type = NLA_U32 },
	[IFLA_LISP_TTL] = { .type = NLA_U8 },
	[IFLA_LISP_TOS] = { .type = NLA_U8 },
	[IFLA_LISP_EXTERNAL] = { .type = NLA_U8 },
	[IFLA_LISP_UDP_CSUM] = { .type = NLA_U8 },
	[IFLA_LISP_NONCE] = { .type = NLA_U8 },
	[IFLA_LISP_SRC_CHECK] = { .type = NLA_U8 },
	[IFLA_LISP_MAP_MAX] = { .type = NLA_U32 },
};
