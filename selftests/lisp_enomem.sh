#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Last in the suite. A failure injected into lispctl (LISPCTL_FAIL_NTH) must never reach the
# VM's root filesystem: in a full run, with the page cache evicted, one once landed in a 9p
# read of lispctl's own text, and from then on every exec in the VM failed with EINVAL
# ("libc.so.6: cannot open shared object file"). lispctl now locks its pages in memory
# (mlockall) before it arms fail-nth and disarms it when its command is done.
#
# Memory pressure on map-cache adds. Every failed allocation must reach lispctl as an error
# saying memory could not be allocated (non-zero exit), a batch must say how many of its
# entries went in before the failure, the map-cache must then hold exactly those (no half-made
# entry), nothing may leak, and the tunnel must keep forwarding.
#
#   fail-nth   fail-nth (LISPCTL_FAIL_NTH) on single `lispctl map add`s: the 1st, 2nd, ...
#              allocation of the running lispctl fails, until the add succeeds.
#   failslab   a batch of 20000 adds with its 4000th (else 8000th, 2000th, 1000th) allocation
#              failing, fail-nth again: the failure comes part-way through the batch.
#   memcg      "a VM with too little memory": lispctl in a memory cgroup with a small
#              memory.max, oom_score_adj -1000 and its pages locked (LISPCTL_MLOCK) adds a
#              million entries; map-cache memory is charged to the cgroup
#              (GFP_KERNEL_ACCOUNT), the memcg OOM killer finds no
#              victim and the charge fails with ENOMEM. The kernel prints its memcg OOM report
#              ("lispctl invoked oom-killer" ... "Out of memory and no killable processes").
#              Flushing gives the cgroup its memory back. memory.max is lispctl's own peak
#              (its batch text and requests, measured by a dry run in a second cgroup) plus
#              room for the entries: lispctl's user memory must never hit the limit, as a page
#              fault over a limit without an OOM victim would retry forever. Seen before
#              LISPCTL_MLOCK: once the entries filled the room, reclaim evicted the file pages
#              lispctl runs from, and the fault that read them back hung it in that loop.
#
#   vm1 ---tap0-[ hv1: lisp0 ]-u1 ==== u2-[ hv2: lisp0 ]-tap0--- vm2
#   172.16.1.10     10.0.0.1                10.0.0.2     172.16.2.10
#
# Environment: LISP_ENOMEM_MEMCG=0 (skip the memcg test),
# LISP_ENOMEM_NTH_MAX (last allocation fail-nth tries, default 400), LISP_ENOMEM_ROOM (MiB of map-cache the cgroup leaves room for, default 8),
# LISP_ENOMEM_ENTRIES (entries the memcg test tries to add, default 1000000).

source "$(dirname "$0")/lib.sh"

: "${LISPCTL:?LISPCTL must point to the lispctl binary}"
ROOM=${LISP_ENOMEM_ROOM:-8}
ENTRIES=${LISP_ENOMEM_ENTRIES:-1000000}
NOMEM='cannot allocate memory'	# strerror(ENOMEM), and the module's extack for an entry
# What a failed allocation may come back as: ENOMEM, ENOBUFS (a netlink buffer), ENFILE (the
# socket's file).
NOMEM_ANY="$NOMEM|no buffer space|too many open files in system"

ktap_print_header
ktap_set_plan 3

lisp_load || ktap_exit_fail_msg "cannot load $LISP_KO"
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
FS=/sys/kernel/debug/failslab
setup_ns HV1 HV2 VM1 VM2 || ktap_exit_fail_msg "cannot create namespaces"
D=$(mktemp -d)
CG="" CGROOT=""
# Back to failslab's defaults (fail-nth needs only failslab_setup's settings).
failslab_off() {
	[ -d "$FS" ] || return 0
	echo Y >"$FS/ignore-gfp-wait"
	echo 2 >"$FS/verbose"
}
cleanup() {
	failslab_off
	cleanup_all_ns
	[ -n "$CG" ] && rmdir "$CG" "$CG-dry" 2>/dev/null
	[ -n "$CGROOT" ] && umount "$CGROOT" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT

lc() { local i=$1; shift; hv "$i" "$LISPCTL" "$@"; }
map_count() { lc 1 -j link show lisp0 | jq -r '.[0].map_count'; }
# The entries of hv1's lisp0 whose EID starts with $1, as "EID RLOC" lines, sorted.
entries() {
	lc 1 -j map show dev lisp0 |
		jq -r --arg p "$1" '.[] | select(.eid | startswith($p)) | "\(.eid) \(.rlocs[0].addr // "-")"' |
		sort
}
# What lines 1..N of batch FILE add, in the same form.
expected() { head -n "$2" "$1" | awk '{ print $3, $5 }' | sort; }
forwards() { vm 1 ping -c 1 -W 1 172.16.2.10 >/dev/null && vm 2 ping -c 1 -W 1 172.16.1.10 >/dev/null; }
tunnel_entries() {
	lc 1 map replace 172.16.2.0/24 rloc 10.0.0.2 dev lisp0 &&
		lc 2 map replace 172.16.1.0/24 rloc 10.0.0.1 dev lisp0
}

setup_hypervisors || ktap_exit_fail_msg "cannot build the topology"
for i in 1 2; do
	j=$((3 - i))
	hv $i ip link add lisp0 type lisp && hv $i ip link set lisp0 up &&
		hv $i ip route add 172.16.$j.0/24 dev lisp0 || ktap_exit_fail_msg "cannot create lisp0"
done
tunnel_entries && forwards || ktap_exit_fail_msg "no ping through the tunnel"

# batch FILE N PREFIX-BYTE: N adds of PREFIX-BYTE.x.y.0/24 towards 192.0.2.1..200.
batch() {
	awk -v n="$2" -v p="$3" 'BEGIN { for (i = 0; i < n; i++)
		printf "map add %d.%d.%d.0/24 rloc 192.0.2.%d dev lisp0\n", p + int(i / 65536), int(i / 256) % 256, i % 256, 1 + i % 200 }' >"$1"
}

# Arms failslab for GFP_KERNEL allocations too (by default it only fails those that cannot
# sleep), silently (the kernel would print a stack for every injected failure).
failslab_setup() {
	echo N >"$FS/ignore-gfp-wait" && echo 0 >"$FS/verbose" && echo 0 >"$FS/space" &&
		echo 0 >"$FS/probability" && echo 0 >"$FS/times"
}

# fail_nth N ARGS...: lispctl ARGS in hv1 with the Nth allocation failing that the kernel
# makes for it once it is running (LISPCTL_FAIL_NTH arms /proc/thread-self/fail-nth just before
# lispctl opens its first socket, with its pages locked: exec, the dynamic loader and page
# faults are spared); stderr in $D/err.
fail_nth() {
	local n=$1
	shift
	LISPCTL_FAIL_NTH=$n ip netns exec "$HV1" "$LISPCTL" "$@" >/dev/null 2>"$D/err"
}

# Adds 30.0.N.0/24 with the Nth allocation failing, N = 1, 2, ...: the netlink sockets', the
# requests', the generic-netlink core's and the module's. Some failures are absorbed (a
# fallback): the add succeeds. Every other one must reach lispctl, which says it could not
# allocate memory and exits with status 2. The loop ends once LISP_ENOMEM_NTH_PAST adds in a
# row succeeded (allocation N is past the last one of an add) or at LISP_ENOMEM_NTH_MAX. Then
# the map-cache must hold exactly the prefixes whose add succeeded, except that one reported
# as ENOBUFS may be in too: netlink could not allocate its ack, so the add was made but its
# answer lost (the socket's error says only that).
test_fail_nth() {
	local n rc out ours=0 okrun=0 max=${LISP_ENOMEM_NTH_MAX:-400}
	local past=${LISP_ENOMEM_NTH_PAST:-20} want=$D/nth.want maybe=$D/nth.maybe got
	failslab_setup || return 1
	: >"$want"
	: >"$maybe"
	for n in $(seq "$max"); do
		fail_nth "$n" map add 30.0.$((n / 256)).$((n % 256))/32 rloc 192.0.2.1 dev lisp0
		rc=$?
		if [ $rc = 0 ]; then
			echo "30.0.$((n / 256)).$((n % 256))/32 192.0.2.1" >>"$want"
			okrun=$((okrun + 1))
			[ $ours -gt 0 ] && [ $okrun -ge "$past" ] && break
			continue
		fi
		okrun=0
		out=$(head -c 300 "$D/err")
		if [ $rc != 2 ] || ! grep -q '^lispctl: ' <<<"$out" ||
			! grep -qiE "$NOMEM_ANY" <<<"$out"; then
			echo "# allocation $n: exit $rc, stderr: $out"
			return 1
		fi
		ours=$((ours + 1))
		grep -m1 '^lispctl: ' <<<"$out" >>"$D/nth.msgs"
		# ENOBUFS on the socket: a reply (maybe the ack of an add that was made) was lost.
		grep -qi 'no buffer space' <<<"$out" &&
			echo "30.0.$((n / 256)).$((n % 256))/32 192.0.2.1" >>"$maybe"
		echo "30.0.$((n / 256)).$((n % 256))/32: $(grep -m1 '^lispctl: ' <<<"$out")" >>"$D/nth.log"
	done
	echo "# fail-nth: allocations 1-$n: $ours failures reported by lispctl, $(wc -l <"$want") adds succeeded"
	sort "$D/nth.msgs" 2>/dev/null | uniq -c | sed 's/^/# /'
	[ $ours -gt 0 ] && [ $okrun -ge "$past" ] || { echo "# did not get past the last allocation"; return 1; }
	# Exactly the successful adds are in, each whole; one whose reply was lost may be in too.
	got=$(entries 30. | grep -vxFf "$maybe")
	echo "# fail-nth: of $(wc -l <"$maybe") adds that lost their reply (ENOBUFS), $(($(entries 30. | wc -l) - $(grep -c . <<<"$got"))) went in"
	[ "$got" = "$(sort "$want")" ] || {
		diff <(echo "$got") <(sort "$want") | head -n 5 | sed 's/^/# /'
		sed 's/^/# failed: /' "$D/nth.log"
		return 1
	}
	lc 1 map flush dev lisp0 && tunnel_entries && forwards
}

# The applied count of lispctl's note "N commands before line L applied...", from $D/err.
applied() { sed -n 's/^lispctl: \([0-9]*\) commands\? before line [0-9]* applied.*/\1/p' "$D/err"; }

test_failslab_batch() {
	local k n=20000 rc got tries=0
	batch "$D/fs.batch" $n 40
	failslab_setup || return 1
	# The Kth allocation after lispctl's start fails: with K past the first request, in the
	# middle of the batch. Another K if the batch made fewer, or the failure came first.
	for k in 4000 8000 2000 1000; do
		tries=$((tries + 1))
		LISPCTL_FAIL_NTH=$k ip netns exec "$HV1" "$LISPCTL" -batch "$D/fs.batch" \
			>/dev/null 2>"$D/err"
		rc=$?
		got=$(applied)
		sed 's/^/# failslab: /' "$D/err"
		if [ $rc = 0 ]; then
			echo "# allocation $k: its failure was absorbed (a fallback), or the batch made fewer"
			lc 1 map flush dev lisp0 && tunnel_entries || return 1
			continue
		fi
		[ $rc = 2 ] && grep -qiE "$NOMEM_ANY" "$D/err" || return 1
		[ -n "$got" ] && [ "$got" -gt 0 ] && break
		lc 1 map flush dev lisp0 && tunnel_entries || return 1
		got=""
	done
	[ -n "$got" ] || { echo "# no run failed inside the batch"; return 1; }
	echo "# failslab: allocation $k failed (run $tries): $got of $n entries in before the failure"
	# The map-cache holds exactly the entries before the failing one, each whole. When the
	# request (not an entry) failed, lispctl gives a range; then what went in is a prefix.
	if grep -q 'may be partly applied' "$D/err"; then
		got=$(($(map_count) - 1))
		[ "$got" -ge "$(applied)" ] || return 1
	fi
	[ "$(entries 40.)" = "$(expected "$D/fs.batch" "$got")" ] || {
		echo "# the map-cache is not the first $got entries:"
		diff <(entries 40.) <(expected "$D/fs.batch" "$got") | head -n 5 | sed 's/^/# /'
		lc 1 -j map show dev lisp0 | jq -c '.[0]' | sed 's/^/# /'
		return 1
	}
	lc 1 map flush dev lisp0 && tunnel_entries && [ "$(map_count)" = 1 ] && forwards
}

# memory.stat's slab_unreclaimable of the cgroup, in bytes.
cg_slab() { awk '$1 == "slab_unreclaimable" { print $2 }' "$CG/memory.stat"; }
slab_back() { [ "$(cg_slab)" -lt $((SLAB0 + 1048576)) ]; }

# The memcg OOM reports lispctl's failed charges make ("lispctl invoked oom-killer" ... "Out
# of memory and no killable processes...") carry a stack dump, which the runner's log check
# would take for a bug. They are cut out of the kernel log; the rest goes back into it
# through /dev/kmsg, for the runner to check as usual. A report that does not end is not cut.
cut_oom_reports() {
	local klog kept devkmsg left
	klog=$(dmesg -c)
	kept=$(awk '/lispctl invoked oom-killer:/ { cut = 1 } !cut { print }
		cut && /Out of memory and no killable processes/ { cut = 0 }
		END { exit cut }' <<<"$klog") || kept=$klog
	left=$(grep -c 'lispctl invoked oom-killer:' <<<"$kept")
	devkmsg=$(cat /proc/sys/kernel/printk_devkmsg)
	echo on >/proc/sys/kernel/printk_devkmsg
	while IFS= read -r line; do
		[ -n "$line" ] && printf '<6>%s\n' "$line" >/dev/kmsg
	done <<<"$kept"
	echo "$devkmsg" >/proc/sys/kernel/printk_devkmsg
	echo "# memcg: $(grep -c 'lispctl invoked oom-killer:' <<<"$klog") OOM reports in the kernel log, $left left uncut"
	[ "$left" = 0 ]
}

test_memcg() {
	local rc got peak max
	CG=$CGROOT/lisp-enomem-$$
	mkdir "$CG" "$CG-dry" || return 1
	batch "$D/cg.batch" "$ENTRIES" 50
	# The dry run: vm1 has no lisp0, so lispctl reads and checks the batch, builds its first
	# requests and fails on the first send.
	ip netns exec "$VM1" bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -batch "$3"' \
		sh "$CG-dry" "$LISPCTL" "$D/cg.batch" >/dev/null 2>&1
	max=$(($(cat "$CG-dry/memory.peak") + ROOM * 1048576))
	echo "# memcg: lispctl's own peak $(($(cat "$CG-dry/memory.peak") >> 20)) MiB, memory.max $((max >> 20)) MiB"
	echo "$max" >"$CG/memory.max" || return 1
	[ -e "$CG/memory.swap.max" ] && echo 0 >"$CG/memory.swap.max"
	SLAB0=$(cg_slab)
	ip netns exec "$HV1" bash -c 'echo $$ >"$1/cgroup.procs" &&
		echo -1000 >/proc/self/oom_score_adj && LISPCTL_MLOCK=1 exec "$2" -batch "$3"' \
		sh "$CG" "$LISPCTL" "$D/cg.batch" >/dev/null 2>"$D/err"
	rc=$?
	sed 's/^/# memcg: /' "$D/err"
	cut_oom_reports || return 1
	got=$(applied)
	peak=$(cg_slab)
	echo "# memcg: $got of $ENTRIES entries in, slab charged $(( (peak - SLAB0) / 1024 )) KiB ($(( (peak - SLAB0) / (got > 0 ? got : 1) )) bytes/entry), oom events $(awk '$1 == "oom" { print $2 }' "$CG/memory.events")"
	[ $rc = 2 ] && grep -qi "$NOMEM" "$D/err" && [ -n "$got" ] && [ "$got" -gt 0 ] &&
		[ "$got" -lt "$ENTRIES" ] || return 1
	[ "$(map_count)" = $((got + 1)) ] || { echo "# $(map_count) entries, $got reported"; return 1; }
	forwards || { echo "# no forwarding with the map-cache at the limit"; return 1; }
	# Flushed, the entries are freed (after a grace period) and uncharged.
	lc 1 map flush dev lisp0 && tunnel_entries || return 1
	slowwait 60 slab_back || { echo "# cgroup slab still $(cg_slab) bytes, $SLAB0 before"; return 1; }
	forwards
}

if [ -w /proc/self/fail-nth ] && [ -d "$FS" ]; then
	check "fail-nth: each failed single map add reports ENOMEM (or a lost reply) and leaves nothing" test_fail_nth
	check "failslab: a batch stops at the failure, reports what went in, holds exactly that" test_failslab_batch
else
	ktap_test_skip "fail-nth: no CONFIG_FAULT_INJECTION_DEBUG_FS/CONFIG_FAILSLAB"
	ktap_test_skip "failslab: no CONFIG_FAULT_INJECTION_DEBUG_FS/CONFIG_FAILSLAB"
fi
# The cgroup v2 hierarchy, mounted again outside /sys: `ip netns exec` mounts a sysfs of its
# own, without /sys/fs/cgroup.
if grep -qw cgroup2 /proc/filesystems; then
	CGROOT=$D/cgroup
	mkdir "$CGROOT" && mount -t cgroup2 none "$CGROOT"
fi
if [ "${LISP_ENOMEM_MEMCG:-1}" = 0 ]; then
	ktap_test_skip "memcg: LISP_ENOMEM_MEMCG=0"
elif ! grep -qw memory "$CGROOT/cgroup.controllers" 2>/dev/null; then
	ktap_test_skip "memcg: no cgroup v2 memory controller"
elif ! grep -qw memory "$CGROOT/cgroup.subtree_control" &&
	! echo +memory >"$CGROOT/cgroup.subtree_control"; then
	ktap_test_fail "memcg: cannot enable the memory controller"
else
	check "memcg: $ENTRIES adds over memory.max stop with ENOMEM, partial batch, no leak" test_memcg
fi

ktap_finished
