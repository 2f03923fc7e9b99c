#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Side-by-side data-path measurements in one boot (`make bench`): TCP throughput and UDP
# 64-byte packet rate between two VMs behind two hypervisors, over the same veth underlay,
# routed plainly (no tunnel), through lisp0, through lisp0 with the source check on both
# receivers (lisp-sc: one more map-cache lookup per received packet), VXLAN and GENEVE; ROUNDS
# interleaved rounds, medians and ratios to GENEVE, and lisp-sc's to lisp. Also the map-cache
# load rate and memory per entry.
#
#   vm1 --- hv1 =(u1/u2 veth, 10.0.0.0/24)= hv2 --- vm2
#   172.16.1.10                                  172.16.2.10

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-3}

lisp_load || exit 1
setup_ns HV1 HV2 VM1 VM2 || exit 1
trap cleanup_all_ns EXIT
setup_hypervisors || exit 1
for i in 1 2; do
	j=$((3 - i))
	hv $i ip link add lisp0 mtu 1400 type lisp; hv $i ip link set lisp0 up
	hv $i "$LISPCTL" map add 172.16.$j.0/24 rloc 10.0.0.$j dev lisp0
	hv $i ip link add vxlan0 mtu 1400 type vxlan id 1 remote 10.0.0.$j dstport 4789
	hv $i ip link add geneve0 mtu 1400 type geneve id 1 remote 10.0.0.$j
	hv $i ip link set vxlan0 up; hv $i ip link set geneve0 up
	hv $i ip addr add 10.1.0.$i/24 dev vxlan0; hv $i ip addr add 10.2.0.$i/24 dev geneve0
done
vm 2 iperf3 -s -D -B 172.16.2.10 >/dev/null
slowwait 10 vm 2 bash -c "ss -ltn | grep -q ':5201'"

route() {	# route MODE: how each hypervisor reaches the other VM
	local i j
	for i in 1 2; do
		j=$((3 - i))
		# The source check of lisp-sc; hv I's entry for the other VM's subnet, the inner
		# source of what it receives, lists the other hypervisor's address.
		if [ "$1" = lisp-sc ]; then
			hv $i "$LISPCTL" link set lisp0 srccheck
		else
			hv $i "$LISPCTL" link set lisp0 nosrccheck
		fi
		case $1 in
		none) hv $i ip route replace 172.16.$j.0/24 via 10.0.0.$j dev u$i ;;
		lisp | lisp-sc) hv $i ip route replace 172.16.$j.0/24 dev lisp0 ;;
		vxlan) hv $i ip route replace 172.16.$j.0/24 via 10.1.0.$j dev vxlan0 ;;
		geneve) hv $i ip route replace 172.16.$j.0/24 via 10.2.0.$j dev geneve0 ;;
		esac
	done
	vm 1 ping -c 1 -W 2 172.16.2.10 >/dev/null
}

declare -A TCP UDP
MODES="none lisp lisp-sc vxlan geneve"
for r in $(seq "$ROUNDS"); do
	for m in $MODES; do
		route $m || { echo "# $m: no connectivity"; continue; }
		t=$(vm 1 iperf3 -c 172.16.2.10 -t "$SECS" -J | jq -r '.end.sum_received.bits_per_second')
		u=$(vm 1 iperf3 -c 172.16.2.10 -u -b 0 -l 64 -t "$SECS" -J |
			jq -r '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds')
		TCP[$m]="${TCP[$m]} ${t%.*}" UDP[$m]="${UDP[$m]} ${u%.*}"
		echo "# round $r $m: TCP $((${t%.*} / 1000000)) Mbit/s, UDP-64B ${u%.*} pps"
	done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
printf '%-8s %14s %14s %10s %10s\n' mode "TCP Mbit/s" "UDP-64B pps" "TCP/gnv" "UDP/gnv"
gt=$(median <<<"${TCP[geneve]}") gu=$(median <<<"${UDP[geneve]}")
for m in $MODES; do
	t=$(median <<<"${TCP[$m]}") u=$(median <<<"${UDP[$m]}")
	printf '%-8s %14d %14d %10.2f %10.2f\n' $m $((t / 1000000)) "$u" \
		"$(echo "$t $gt" | awk '{ print $2 ? $1 / $2 : 0 }')" "$(echo "$u $gu" | awk '{ print $2 ? $1 / $2 : 0 }')"
done
lt=$(median <<<"${TCP[lisp]}") lu=$(median <<<"${UDP[lisp]}")
st=$(median <<<"${TCP[lisp-sc]}") su=$(median <<<"${UDP[lisp-sc]}")
# Every packet of the lisp-sc rounds passed the check: none may have been counted as spoofed.
spoofed=$(( $(hv 1 "$LISPCTL" -j stats dev lisp0 | jq '.[0].stats.rx_spoofed') +
	$(hv 2 "$LISPCTL" -j stats dev lisp0 | jq '.[0].stats.rx_spoofed') ))
echo "source check: lisp-sc/lisp TCP $(echo "$st $lt" | awk '{ printf "%.2f", $2 ? $1 / $2 : 0 }'), UDP-64B $(echo "$su $lu" | awk '{ printf "%.2f", $2 ? $1 / $2 : 0 }') ($spoofed packets counted as spoofed)"

# Map-cache: load rate and memory (this boot runs without kmemleak's per-object bookkeeping).
N=${MAP_N:-1000000}
f=$(mktemp)
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "map add %d.%d.%d.0/24 rloc 10.0.0.2 dev lisp0\n", 32 + int(i / 65536), int(i / 256) % 256, i % 256 }' >"$f"
sync; echo 3 >/proc/sys/vm/drop_caches
s0=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
t0=$(date +%s%N)
hv 1 "$LISPCTL" -batch "$f"
t1=$(date +%s%N)
s1=$(awk '/^Slab:/ { print $2 }' /proc/meminfo)
ms=$(( (t1 - t0) / 1000000 ))
echo "map-cache: $N IPv4 /24 prefixes loaded with lispctl -batch in $ms ms ($(( N * 1000 / ms )) prefixes/s)"
echo "map-cache: slab +$(( s1 - s0 )) KiB, $(( (s1 - s0) * 1024 / N )) bytes per entry"
rm -f "$f"
