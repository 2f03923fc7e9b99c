/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Thin C glue for the lisp module: one-line wrappers of static inline functions and macros, and
 * bitfield setters, that Rust cannot call directly. No logic lives here.
 */
#ifndef LISP_GLUE_H
#define LISP_GLUE_H

#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/genetlink.h>

#include "uapi_generated.h"

struct dst_entry;
struct ip_tunnel_info;
struct metadata_dst;
struct rtable;
struct sock;
struct socket;

void *lisp_netdev_priv(const struct net_device *dev);
void lisp_eth_hw_addr_random(struct net_device *dev);
void lisp_netdev_set_lltx(struct net_device *dev);
void lisp_netdev_set_netns_immutable(struct net_device *dev);
void lisp_netdev_set_tstats(struct net_device *dev);
void lisp_netdev_set_no_queue(struct net_device *dev);
void lisp_netif_keep_dst(struct net_device *dev);
void lisp_dev_core_stats_tx_dropped_inc(struct net_device *dev);
void lisp_dev_core_stats_rx_dropped_inc(struct net_device *dev);
netdev_features_t lisp_tunnel_features(void);
void lisp_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason);

/* Generic netlink. */
extern struct genl_family lisp_genl_family;
extern const struct nla_policy lisp_rtnl_policy[];
struct net *lisp_genl_info_net(const struct genl_info *info);
struct sk_buff *lisp_genlmsg_new_default(gfp_t flags);
void lisp_genlmsg_end(struct sk_buff *skb, void *hdr);
void lisp_genlmsg_cancel(struct sk_buff *skb, void *hdr);
int lisp_genlmsg_reply(struct sk_buff *skb, struct genl_info *info);
int lisp_genlmsg_multicast_netns(const struct genl_family *family, struct net *net, struct sk_buff *skb, u32 group, gfp_t flags);
void lisp_nlmsg_free(struct sk_buff *skb);
struct nlattr *lisp_nla_nest_start(struct sk_buff *skb, int type);
void lisp_nla_nest_end(struct sk_buff *skb, struct nlattr *start);
void lisp_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start);
const struct genl_info *lisp_genl_info_dump(struct netlink_callback *cb);
void lisp_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr);
int lisp_genl_has_listeners(const struct genl_family *family, struct net *net, unsigned int group);
u32 lisp_skb_len(const struct sk_buff *skb);
void lisp_dev_hold(struct net_device *dev);
void lisp_dev_put(struct net_device *dev);
struct net *lisp_dev_net(const struct net_device *dev);
struct net_device *lisp_next_netdev_rcu(struct net *net, unsigned long *ifindex);
void lisp_rcu_read_lock(void);
void lisp_rcu_read_unlock(void);
void lisp_kvfree_rcu(void *ptr);
unsigned long lisp_jiffies(void);
unsigned int lisp_miss_rate(void);
unsigned long lisp_msecs_to_jiffies(unsigned int ms);
void lisp_init_delayed_work(struct delayed_work *work, work_func_t func);
bool lisp_schedule_delayed_work(struct delayed_work *work, unsigned long delay);
u64 __percpu *lisp_alloc_percpu_u64(unsigned int n);
void lisp_percpu_inc(u64 __percpu *counters, unsigned int idx);
u64 lisp_percpu_read(u64 __percpu *counters, unsigned int idx, int cpu);
u64 *lisp_this_cpu_u64(u64 __percpu *p);
bool lisp_cpu_possible(int cpu);
unsigned int lisp_nr_cpu_ids(void);

/* UDP tunnel data path. */
__be16 lisp_udp_flow_src_port(struct net *net, struct sk_buff *skb);
int lisp_udp_tunnel_handle_offloads(struct sk_buff *skb, bool udp_csum);

/* Generic receive offload of the tunnel socket. */
struct packet_offload;
unsigned int lisp_skb_gro_offset(const struct sk_buff *skb);
void *lisp_skb_gro_header(struct sk_buff *skb, unsigned int hlen, unsigned int offset);
void lisp_skb_gro_pull(struct sk_buff *skb, unsigned int len);
void lisp_skb_gro_postpull_rcsum(struct sk_buff *skb, const void *start, unsigned int len);
void lisp_skb_gro_flush_final(struct sk_buff *skb, struct sk_buff *pp, int flush);
struct sk_buff *lisp_gro_list_first(struct list_head *head);
struct sk_buff *lisp_gro_list_next(struct list_head *head, struct sk_buff *p);
bool lisp_gro_same_flow(const struct sk_buff *p);
void lisp_gro_clear_same_flow(struct sk_buff *p);
struct sk_buff *lisp_call_gro_receive(const struct packet_offload *ptype, struct list_head *head, struct sk_buff *skb);
int lisp_call_gro_complete(const struct packet_offload *ptype, struct sk_buff *skb, int nhoff);
void lisp_skb_set_inner_mac_header(struct sk_buff *skb, int offset);
void lisp_skb_set_inner_protocol(struct sk_buff *skb, __be16 protocol);
int lisp_skb_cow_head(struct sk_buff *skb, unsigned int headroom);
int lisp_skb_network_offset(const struct sk_buff *skb);
u8 lisp_ip_tunnel_ecn_encap(u8 tos, const struct sk_buff *skb);
unsigned int lisp_dst_headroom(const struct dst_entry *dst);
struct dst_entry *lisp_rt_dst(struct rtable *rt);
bool lisp_pskb_may_pull(struct sk_buff *skb, unsigned int len);
void *lisp_sk_user_data(struct sock *sk);
int lisp_ip_ecn_decapsulate(void *outer, struct sk_buff *skb);
int lisp_ip6_ecn_decapsulate(void *outer, struct sk_buff *skb);
unsigned char *lisp_skb_network_header(const struct sk_buff *skb);
void lisp_skb_set_dev(struct sk_buff *skb, struct net_device *dev);
void lisp_skb_reset_mac_header(struct sk_buff *skb);
void lisp_skb_reset_network_header(struct sk_buff *skb);
void lisp_skb_set_pkt_type_host(struct sk_buff *skb);
void lisp_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len);
struct sock *lisp_socket_sk(struct socket *sock);
bool lisp_is_err(const void *ptr);
u32 lisp_skb_get_hash(struct sk_buff *skb);
const struct ip_tunnel_info *lisp_skb_tunnel_info(const struct sk_buff *skb);
void lisp_skb_dst_set_metadata(struct sk_buff *skb, struct metadata_dst *md);
bool lisp_netif_is_any_bridge_port(const struct net_device *dev);
void lisp_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst);
__be16 lisp_skb_protocol(const struct sk_buff *skb);
void lisp_skb_set_protocol(struct sk_buff *skb, __be16 protocol);

/* Handlers of the generic netlink family, in Rust (netlink.rs). */
int lisp_nl_map_add_doit(struct sk_buff *skb, struct genl_info *info);
int lisp_nl_map_del_doit(struct sk_buff *skb, struct genl_info *info);
int lisp_nl_map_get_doit(struct sk_buff *skb, struct genl_info *info);
int lisp_nl_map_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int lisp_nl_map_flush_doit(struct sk_buff *skb, struct genl_info *info);
int lisp_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info);
int lisp_nl_dev_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);

/* Exported to lisp_vport.ko; in Rust (sys/export.rs). */
struct net_device *lisp_vport_dev_create(struct net *net, const char *name, u16 port,
					  bool ethernet);

/* One entry of the layout table: a struct size or a member offset as the C compiler sees it. */
struct lisp_layout {
	const char *name;
	unsigned long value;
};

extern const struct lisp_layout lisp_layout_table[];
extern const unsigned int lisp_layout_len;

#endif /* LISP_GLUE_H */
