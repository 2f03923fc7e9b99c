// SPDX-License-Identifier: GPL-2.0
/*
 * C glue for the lisp module. See glue.h: wrappers of inline helpers and a table of struct
 * layouts that the Rust side checks its bindgen-generated layouts against at load time.
 */
#include <linux/etherdevice.h>
#include <linux/export.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/dst_cache.h>
#include <net/dst_metadata.h>
#include <net/genetlink.h>
#include <net/gro.h>
#include <net/inet_ecn.h>
#include <net/ip_tunnels.h>
#include <net/udp_tunnel.h>
#include <net/rtnetlink.h>

#include "glue.h"

void *lisp_netdev_priv(const struct net_device *dev) { return netdev_priv(dev); }
void lisp_eth_hw_addr_random(struct net_device *dev) { eth_hw_addr_random(dev); }
void lisp_netdev_set_lltx(struct net_device *dev) { dev->lltx = true; }
void lisp_netdev_set_netns_immutable(struct net_device *dev) { dev->netns_immutable = true; }
void lisp_netdev_set_tstats(struct net_device *dev) { dev->pcpu_stat_type = NETDEV_PCPU_STAT_TSTATS; }
void lisp_netdev_set_no_queue(struct net_device *dev) { dev->priv_flags |= IFF_NO_QUEUE; }
void lisp_netif_keep_dst(struct net_device *dev) { netif_keep_dst(dev); }
void lisp_dev_core_stats_tx_dropped_inc(struct net_device *dev) { dev_core_stats_tx_dropped_inc(dev); }
void lisp_dev_core_stats_rx_dropped_inc(struct net_device *dev) { dev_core_stats_rx_dropped_inc(dev); }
netdev_features_t lisp_tunnel_features(void) { return NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_RXCSUM | NETIF_F_FRAGLIST | NETIF_F_GSO_SOFTWARE; }
void lisp_kfree_skb_reason(struct sk_buff *skb, enum skb_drop_reason reason) { kfree_skb_reason(skb, reason); }

struct net *lisp_genl_info_net(const struct genl_info *info) { return genl_info_net(info); }
struct sk_buff *lisp_genlmsg_new_default(gfp_t flags) { return genlmsg_new(NLMSG_DEFAULT_SIZE, flags); }
void lisp_genlmsg_end(struct sk_buff *skb, void *hdr) { genlmsg_end(skb, hdr); }
void lisp_genlmsg_cancel(struct sk_buff *skb, void *hdr) { genlmsg_cancel(skb, hdr); }
int lisp_genlmsg_reply(struct sk_buff *skb, struct genl_info *info) { return genlmsg_reply(skb, info); }
int lisp_genlmsg_multicast_netns(const struct genl_family *family, struct net *net, struct sk_buff *skb, u32 group, gfp_t flags) { return genlmsg_multicast_netns(family, net, skb, 0, group, flags); }
void lisp_nlmsg_free(struct sk_buff *skb) { nlmsg_free(skb); }
struct nlattr *lisp_nla_nest_start(struct sk_buff *skb, int type) { return nla_nest_start(skb, type); }
void lisp_nla_nest_end(struct sk_buff *skb, struct nlattr *start) { nla_nest_end(skb, start); }
void lisp_nla_nest_cancel(struct sk_buff *skb, struct nlattr *start) { nla_nest_cancel(skb, start); }
const struct genl_info *lisp_genl_info_dump(struct netlink_callback *cb) { return genl_info_dump(cb); }
void lisp_genl_dump_check_consistent(struct netlink_callback *cb, void *hdr) { genl_dump_check_consistent(cb, hdr); }
int lisp_genl_has_listeners(const struct genl_family *family, struct net *net, unsigned int group) { return genl_has_listeners(family, net, group); }
u32 lisp_skb_len(const struct sk_buff *skb) { return skb->len; }
void lisp_dev_hold(struct net_device *dev) { dev_hold(dev); }
void lisp_dev_put(struct net_device *dev) { dev_put(dev); }
struct net *lisp_dev_net(const struct net_device *dev) { return dev_net(dev); }
struct net_device *lisp_next_netdev_rcu(struct net *net, unsigned long *ifindex) { return xa_find(&net->dev_by_index, ifindex, ULONG_MAX, XA_PRESENT); }
void lisp_rcu_read_lock(void) { rcu_read_lock(); }
void lisp_rcu_read_unlock(void) { rcu_read_unlock(); }
void lisp_kvfree_rcu(void *ptr) { kvfree_rcu_mightsleep(ptr); }
unsigned long lisp_jiffies(void) { return jiffies; }

/* Module parameters. */
static unsigned int miss_rate = 100;
module_param(miss_rate, uint, 0644);
MODULE_PARM_DESC(miss_rate, "Cache-miss notifications per second and device (default 100)");
unsigned int lisp_miss_rate(void) { return READ_ONCE(miss_rate); }
unsigned long lisp_msecs_to_jiffies(unsigned int ms) { return msecs_to_jiffies(ms); }
void lisp_init_delayed_work(struct delayed_work *work, work_func_t func) { INIT_DELAYED_WORK(work, func); }
bool lisp_schedule_delayed_work(struct delayed_work *work, unsigned long delay) { return queue_delayed_work(system_power_efficient_wq, work, delay); }
u64 __percpu *lisp_alloc_percpu_u64(unsigned int n) { return __alloc_percpu(n * sizeof(u64), sizeof(u64)); }
void lisp_percpu_inc(u64 __percpu *counters, unsigned int idx) { this_cpu_inc(counters[idx]); }
u64 lisp_percpu_read(u64 __percpu *counters, unsigned int idx, int cpu) { return READ_ONCE(per_cpu_ptr(counters, cpu)[idx]); }
bool lisp_cpu_possible(int cpu) { return cpu_possible(cpu); }
u64 *lisp_this_cpu_u64(u64 __percpu *p) { return this_cpu_ptr(p); }
unsigned int lisp_nr_cpu_ids(void) { return nr_cpu_ids; }

__be16 lisp_udp_flow_src_port(struct net *net, struct sk_buff *skb) { return udp_flow_src_port(net, skb, 0, 0, true); }
int lisp_udp_tunnel_handle_offloads(struct sk_buff *skb, bool udp_csum) { return udp_tunnel_handle_offloads(skb, udp_csum); }

/* Generic receive offload of the tunnel socket. */
unsigned int lisp_skb_gro_offset(const struct sk_buff *skb) { return skb_gro_offset(skb); }
void *lisp_skb_gro_header(struct sk_buff *skb, unsigned int hlen, unsigned int offset) { return skb_gro_header(skb, hlen, offset); }
void lisp_skb_gro_pull(struct sk_buff *skb, unsigned int len) { skb_gro_pull(skb, len); }
void lisp_skb_gro_postpull_rcsum(struct sk_buff *skb, const void *start, unsigned int len) { skb_gro_postpull_rcsum(skb, start, len); }
void lisp_skb_gro_flush_final(struct sk_buff *skb, struct sk_buff *pp, int flush) { skb_gro_flush_final(skb, pp, flush); }
struct sk_buff *lisp_gro_list_first(struct list_head *head) { return list_first_entry_or_null(head, struct sk_buff, list); }
struct sk_buff *lisp_gro_list_next(struct list_head *head, struct sk_buff *p) { return list_is_last(&p->list, head) ? NULL : list_next_entry(p, list); }
bool lisp_gro_same_flow(const struct sk_buff *p) { return NAPI_GRO_CB(p)->same_flow; }
void lisp_gro_clear_same_flow(struct sk_buff *p) { NAPI_GRO_CB(p)->same_flow = 0; }
struct sk_buff *lisp_call_gro_receive(const struct packet_offload *ptype, struct list_head *head, struct sk_buff *skb) { return call_gro_receive(ptype->callbacks.gro_receive, head, skb); }
int lisp_call_gro_complete(const struct packet_offload *ptype, struct sk_buff *skb, int nhoff) { return ptype->callbacks.gro_complete(skb, nhoff); }
void lisp_skb_set_inner_mac_header(struct sk_buff *skb, int offset) { skb_set_inner_mac_header(skb, offset); }
void lisp_skb_set_inner_protocol(struct sk_buff *skb, __be16 protocol) { skb_set_inner_protocol(skb, protocol); }
int lisp_skb_cow_head(struct sk_buff *skb, unsigned int headroom) { return skb_cow_head(skb, headroom); }
int lisp_skb_network_offset(const struct sk_buff *skb) { return skb_network_offset(skb); }
u8 lisp_ip_tunnel_ecn_encap(u8 tos, const struct sk_buff *skb) { return ip_tunnel_ecn_encap(tos, ip_hdr(skb), skb); }
unsigned int lisp_dst_headroom(const struct dst_entry *dst) { return LL_RESERVED_SPACE(dst->dev) + dst->header_len; }
struct dst_entry *lisp_rt_dst(struct rtable *rt) { return &rt->dst; }
bool lisp_pskb_may_pull(struct sk_buff *skb, unsigned int len) { return pskb_may_pull(skb, len); }
void *lisp_sk_user_data(struct sock *sk) { return rcu_dereference_sk_user_data(sk); }
int lisp_ip_ecn_decapsulate(void *outer, struct sk_buff *skb) { return IP_ECN_decapsulate(outer, skb); }
int lisp_ip6_ecn_decapsulate(void *outer, struct sk_buff *skb) { return IP6_ECN_decapsulate(outer, skb); }
unsigned char *lisp_skb_network_header(const struct sk_buff *skb) { return skb_network_header(skb); }
void lisp_skb_reset_mac_header(struct sk_buff *skb) { skb_reset_mac_header(skb); }
void lisp_skb_set_dev(struct sk_buff *skb, struct net_device *dev) { skb->dev = dev; }
void lisp_skb_reset_network_header(struct sk_buff *skb) { skb_reset_network_header(skb); }
void lisp_skb_set_pkt_type_host(struct sk_buff *skb) { skb->pkt_type = PACKET_HOST; }
void lisp_dev_sw_netstats_rx_add(struct net_device *dev, unsigned int len) { dev_sw_netstats_rx_add(dev, len); }
struct sock *lisp_socket_sk(struct socket *sock) { return sock->sk; }
bool lisp_is_err(const void *ptr) { return IS_ERR(ptr); }
u32 lisp_skb_get_hash(struct sk_buff *skb) { return skb_get_hash(skb); }
const struct ip_tunnel_info *lisp_skb_tunnel_info(const struct sk_buff *skb) { return skb_tunnel_info(skb); }
void lisp_skb_dst_set_metadata(struct sk_buff *skb, struct metadata_dst *md) { skb_dst_set(skb, &md->dst); }
bool lisp_netif_is_any_bridge_port(const struct net_device *dev) { return netif_is_any_bridge_port(dev); }
void lisp_skb_dst_set(struct sk_buff *skb, struct dst_entry *dst) { skb_dst_set(skb, dst); }
__be16 lisp_skb_protocol(const struct sk_buff *skb) { return skb->protocol; }
void lisp_skb_set_protocol(struct sk_buff *skb, __be16 protocol) { skb->protocol = protocol; }

EXPORT_SYMBOL_GPL(lisp_vport_dev_create);

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
	OFFSET(net_device, needed_headroom),
	OFFSET(net_device, flags),
	OFFSET(net_device, features),
	OFFSET(net_device, hw_features),
	OFFSET(net_device, header_ops),
	{ "net_device.type_", offsetof(struct net_device, type) },
	OFFSET(net_device, hard_header_len),
	OFFSET(net_device, addr_len),
	SIZE(net_device_ops),
	OFFSET(net_device_ops, ndo_start_xmit),
	OFFSET(net_device_ops, ndo_set_mac_address),
	OFFSET(net_device_ops, ndo_validate_addr),
	OFFSET(net_device_ops, ndo_uninit),
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
	SIZE(nlmsghdr),
	OFFSET(nlmsghdr, nlmsg_len),
	OFFSET(nlmsghdr, nlmsg_flags),
	SIZE(genl_info),
	OFFSET(genl_info, snd_seq),
	OFFSET(genl_info, snd_portid),
	OFFSET(genl_info, nlhdr),
	OFFSET(genl_info, genlhdr),
	OFFSET(genl_info, attrs),
	OFFSET(genl_info, extack),
	SIZE(netlink_callback),
	OFFSET(netlink_callback, extack),
	OFFSET(netlink_callback, seq),
	{ "netlink_callback.__bindgen_anon_1", offsetof(struct netlink_callback, ctx) },
	SIZE(sk_buff),
	OFFSET(sk_buff, len),
	OFFSET(sk_buff, data_len),
	OFFSET(sk_buff, data),
	SIZE(delayed_work),
	OFFSET(delayed_work, work),
	SIZE(callback_head),
};
const unsigned int lisp_layout_len = ARRAY_SIZE(lisp_layout_table);
