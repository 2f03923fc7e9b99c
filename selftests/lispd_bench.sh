#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-plane figures (`make bench-lispd`, not part of `make check`): N distinct cache misses
# on hv1 resolved through Open Overlay Router as Map-Server/Map-Resolver and installed, the
# rate, and lispd's memory with N learned entries. The EIDs are in a lisp-site nobody
# registers, so each miss gets its own negative /32 answer from the Map-Server.
#
#   [ hv1: lisp0 + lispd ]-u1 ==== eth0-[ ms: OOR MS/MR 10.0.0.254 ]
#    10.0.0.1, sends one UDP datagram to each of 172.18.0.0 + i, i < N

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
: "${LISPD:?LISPD must point to the lispd binary}"
N=${N:-10000}
KEY=bench-key

oor_available || { echo "no $OOR_BIN"; exit 4; }
[ -d /sys/module/lisp ] || insmod "$LISP_KO" miss_rate=100000 || exit 1
echo 100000 >/sys/module/lisp/parameters/miss_rate
setup_ns HV1 MS || exit 1
D=$(mktemp -d)
cleanup() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; oor_stop_all; cleanup_all_ns; rm -rf "$D"; }
trap cleanup EXIT
ip link add u1 netns "$HV1" type veth peer name eth0 netns "$MS" || exit 1
hv 1 ip addr add 10.0.0.1/24 dev u1 && hv 1 ip link set u1 up
ip -n "$MS" addr add 10.0.0.254/24 dev eth0 && ip -n "$MS" link set eth0 up
hv 1 "$LISPCTL" link add lisp0 iid 7 && hv 1 ip link set lisp0 up
hv 1 ip route add 172.18.0.0/16 dev lisp0

OOR_DEBUG=0 oor_ms_config eth0 172.16.0.0/16,7,$KEY 172.18.0.0/16,7,$KEY >"$D/ms.conf"
oor_start "$MS" "$D/ms.conf" || exit 1
cat >"$D/hv1.toml" <<EOT
status-socket = "$D/hv1.sock"
log-level = "warn"
[timers]
request-rate = 100000
request-timeout = 5.0
max-learned = 2000000
[[device]]
name = "lisp0"
instance-ids = [7]
[[map-server]]
address = "10.0.0.254"
key = "$KEY"
[[map-resolver]]
address = "10.0.0.254"
[[database-mapping]]
iid = 7
eid-prefix = "172.16.1.0/24"
[[database-mapping.rloc]]
address = "10.0.0.1"
EOT
# A simple command, not a function: $! is lispd itself.
ip netns exec "$HV1" "$LISPD" -c "$D/hv1.toml" -f 2>"$D/hv1.log" &
pid=$!
st() { "$LISPD" status -s "$D/hv1.sock" -j | jq -r "$@"; }
up() { st .uptime_s >/dev/null 2>&1; }
slowwait 20 up || { cat "$D/hv1.log"; exit 1; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"; }
rss0=$(rss)

echo "# $N distinct misses..."
t0=$(date +%s%N)
hv 1 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x", ("172.18.%d.%d" % (i // 250, 1 + i % 250), 9))
' "$N"
t1=$(date +%s%N)
installed() { st '(.events.installed // 0) + (.events.installed_negative // 0)'; }
# Done when every miss is installed, or nothing moved for 20 s (lost or unanswered).
last=-1 t2=$t1 stall=0
while [ "$(installed)" -lt "$N" ] && [ $stall -lt 20 ]; do
	n=$(installed)
	if [ "$n" != "$last" ]; then last=$n t2=$(date +%s%N) stall=0; else stall=$((stall + 1)); fi
	sleep 1
done
n=$(installed)
[ "$n" != "$last" ] && t2=$(date +%s%N)
ms_send=$(( (t1 - t0) / 1000000 )) ms_all=$(( (t2 - t0) / 1000000 ))
echo "misses sent in $ms_send ms; $n installed (learned now: $(st .learned)) after $ms_all ms:" \
	"$(( n * 1000 / (ms_all > 0 ? ms_all : 1) )) resolutions/s"
echo "kernel: miss_notify $(hv 1 "$LISPCTL" -j stats dev lisp0 | jq '.[0].stats.miss_notify')," \
	"miss_ratelimited $(hv 1 "$LISPCTL" -j stats dev lisp0 | jq '.[0].stats.miss_ratelimited')"
echo "lispd: RSS $rss0 -> $(rss) KiB (peak $(hwm) KiB) with $(st .learned) learned entries;" \
	"miss to install avg $(st .resolution.avg_ms) ms, max $(st .resolution.max_ms) ms"
echo "lispd counters: sent $(st -c .sent) received $(st -c .received) events $(st -c .events)"
