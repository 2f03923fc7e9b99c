#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the given selftests in order inside the test VM, the way the kselftest runner would, and
# adds kernel-log checks: after every test the new dmesg lines must be free of every report of
# the kernel's checkers (warnings, lockdep, RCU, KASAN, KFENCE, SLUB, debug objects, refcount
# trackers, Rust panics; see bad_log below), lockdep must stay on, the module must unload with
# a clean log, and at the end kmemleak must report nothing allocated by the module. Prints each
# result and writes the counts to $LISP_RESULTS/summary as "passed failed skipped".
#
#   run_tests.sh TEST...              in the VM (as root; `make -C selftests run_tests`)
#   run_tests.sh --check-log-patterns on the host: the patterns catch every sample report and
#                                     pass the benign sample lines
#
# Environment: LISP_TIMEOUT_FACTOR multiplies each test's timeout (selftests/settings), for
# the debug kernels, which are several times slower (scripts/check.sh sets it).
#
# A test that provokes a report on purpose (fault injection with a stack dump, say) must turn
# the dump off (/sys/kernel/debug/failslab/verbose = 0): a "Call Trace:" fails the log check.

cd "$(dirname "$0")" || exit 1

BAD_NAMES=() BAD_RES=() BAD_SAMPLES=()
bad_log() {	# bad_log CHECKER ERE SAMPLE: what one checker prints, and a line of its report
	BAD_NAMES+=("$1") BAD_RES+=("$2") BAD_SAMPLES+=("$3")
}
# The samples are lines the 6.12 sources print (the files named), with made-up values.
bad_log "WARN()" 'WARNING:' \
	'WARNING: CPU: 1 PID: 42 at net/core/dev.c:11100 free_netdev+0x1a/0x200'
bad_log "stack dump (dump_stack, WARN, BUG)" 'Call Trace:' 'Call Trace:'
bad_log "BUG()" 'kernel BUG at' 'kernel BUG at net/core/skbuff.c:210!'
bad_log "oops" 'Oops|general protection fault|BUG: unable to handle' \
	'Oops: general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN'
bad_log "NULL dereference" 'BUG: kernel NULL pointer dereference' \
	'BUG: kernel NULL pointer dereference, address: 0000000000000008'
bad_log "panic" 'Kernel panic' 'Kernel panic - not syncing: Fatal exception in interrupt'
bad_log "stack protector" 'stack-protector' \
	'Kernel panic - not syncing: stack-protector: Kernel stack is corrupted in: lisp_xmit+0x1f0/0x200 [lisp]'
bad_log "lockdep: circular (kernel/locking/lockdep.c)" 'possible circular locking' \
	'WARNING: possible circular locking dependency detected'
bad_log "lockdep: recursive" 'possible recursive locking' 'WARNING: possible recursive locking detected'
bad_log "lockdep: inconsistent state" 'inconsistent lock state' 'WARNING: inconsistent lock state'
bad_log "lockdep: irq inversion" 'lock inversion dependency|-safe -> .*-unsafe lock order' \
	'WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected'
bad_log "lockdep: wait context" 'BUG: Invalid wait context' '[ BUG: Invalid wait context ]'
bad_log "lockdep: unregistered key" 'INFO: trying to register non-static key' \
	'INFO: trying to register non-static key.'
bad_log "lockdep: bad unlock, freed or leaked locks" \
	'bad unlock balance|held lock freed|still has locks held|lock held when returning to user' \
	'WARNING: bad unlock balance detected!'
bad_log "lockdep turned off by a taint" 'Disabling lock debugging' \
	'Disabling lock debugging due to kernel taint'
bad_log "PROVE_RCU" 'suspicious RCU usage' 'WARNING: suspicious RCU usage'
bad_log "RCU stall (kernel/rcu/tree_stall.h)" 'detected (expedited )?stalls? on|self-detected stall' \
	'rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:'
bad_log "hung task" 'INFO: task .* blocked for more than' \
	'INFO: task ip:1234 blocked for more than 122 seconds.'
bad_log "lockup" 'soft lockup|hard LOCKUP' 'watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [ip:1234]'
bad_log "DEBUG_ATOMIC_SLEEP" 'BUG: sleeping function called|BUG: scheduling while atomic' \
	'BUG: sleeping function called from invalid context at mm/slab.h:318'
bad_log "KASAN" 'BUG: KASAN' 'BUG: KASAN: slab-use-after-free in lisp_rcv+0x42/0x100 [lisp]'
bad_log "KFENCE (mm/kfence/report.c)" 'BUG: KFENCE' \
	'BUG: KFENCE: out-of-bounds read in lisp_rcv+0x42/0x100 [lisp]'
bad_log "SLUB debugging (mm/slub.c)" 'BUG [^ ]+ \([^)]*\): ' \
	'BUG kmalloc-64 (Tainted: G           O      ): Poison overwritten'
bad_log "other BUG: reports" 'BUG:' 'BUG: Bad rss-counter state mm:000000003ae4e0b0 type:MM_ANONPAGES val:1'
bad_log "page state" 'Bad page (state|map)' 'BUG: Bad page state in process ip  pfn:0a2b3'
bad_log "DEBUG_OBJECTS (lib/debugobjects.c)" 'ODEBUG: ' \
	'ODEBUG: free active (active state 0) object: 00000000c0ffee00 object type: timer_list hint: lisp_sweep+0x0/0x100 [lisp]'
bad_log "refcount_t" 'refcount_t: ' 'refcount_t: underflow; use-after-free.'
bad_log "ref_tracker (lib/ref_tracker.c)" 'ref_tracker: ' \
	'ref_tracker: netdev@00000000f0e3b1a2 has 1/2 users at'
bad_log "netdev reference leak (net/core/dev.c)" 'unregister_netdevice: waiting for' \
	'unregister_netdevice: waiting for lisp0 to become free. Usage count = 2'
bad_log "DEBUG_LIST (lib/list_debug.c)" 'list_(add|del) (corruption|double add)' \
	'list_del corruption, ffff888004a1c000->next is LIST_POISON1 (dead000000000100)'
bad_log "UBSAN" 'UBSAN:' 'UBSAN: shift-out-of-bounds in net/core/dev.c:42:7'
bad_log "Rust panic (rust/kernel/lib.rs)" 'panicked at' \
	'rust_kernel: panicked at rust/module/map_cache.rs:120:9:'
bad_log "kmemleak" 'unreferenced object|suspected memory leak' \
	'kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)'
BAD_LOG=$(IFS='|'; echo "${BAD_RES[*]}")

# Lines the tests make the kernel print in normal operation, which must pass.
BENIGN=(
	'lisp: loading out-of-tree module taints kernel.'
	'lisp: module verification failed: signature and/or required key missing - tainting kernel'
	'lisp: lisp9: cannot go up: another lisp device that is up serves instance ID 1 on UDP port 4341'
	'br0: port 1(veth0) entered blocking state'
	'netlink: 4 bytes leftover after parsing attributes in process `ip'"'"'.'
	'openvswitch: Open vSwitch switching datapath'
	'IPv6: ADDRCONF(NETDEV_CHANGE): veth0: link becomes ready'
	'kmemleak: Kernel memory leak detector initialized (mem pool available: 15760)'
)

# The patterns alone: every sample is caught by its own pattern, no benign line by any.
check_log_patterns() {
	local i rc=0 line
	for i in "${!BAD_SAMPLES[@]}"; do
		if ! grep -qE -- "${BAD_RES[$i]}" <<<"${BAD_SAMPLES[$i]}"; then
			echo "not caught: ${BAD_NAMES[$i]}: ${BAD_SAMPLES[$i]}"
			rc=1
		fi
	done
	for line in "${BENIGN[@]}"; do
		grep -qE -- "$BAD_LOG" <<<"$line" && { echo "false alarm: $line"; rc=1; }
	done
	[ $rc = 0 ] && echo "${#BAD_SAMPLES[@]} checkers' reports caught, ${#BENIGN[@]} benign lines passed"
	return $rc
}

if [ "${1:-}" = --check-log-patterns ]; then
	check_log_patterns
	exit
fi

: "${LISP_RESULTS:?}"
export KSFT_DIR LISP_KO LISP_VPORT_KO LISPCTL LISPD
timeout=$(sed -n 's/^timeout=//p' settings)
timeout=$((timeout * ${LISP_TIMEOUT_FACTOR:-1}))

pass=0 fail=0 skip=0
result() {	# result ok|fail|skip DESC
	case $1 in
	ok) pass=$((pass + 1)); echo "ok - $2" ;;
	skip) skip=$((skip + 1)); echo "ok - $2 # SKIP" ;;
	*) fail=$((fail + 1)); echo "not ok - $2" ;;
	esac
}

# The log check end to end: one sample report per checker written to /dev/kmsg must come back
# from `dmesg -c` and be caught; benign lines must not. The samples are cleared before the
# first test, so they count against none.
check_log_end_to_end() {
	local i missed=0 devkmsg klog line
	devkmsg=$(cat /proc/sys/kernel/printk_devkmsg 2>/dev/null)
	# Writes to /dev/kmsg are rate-limited (10 per 5 s) unless this is "on".
	[ -n "$devkmsg" ] && echo on >/proc/sys/kernel/printk_devkmsg
	dmesg -C
	echo "<6>lisp: log check self-test: the next ${#BAD_SAMPLES[@]} lines are samples, not reports" >/dev/kmsg
	dmesg -C
	for i in "${!BAD_SAMPLES[@]}"; do
		echo "<6>${BAD_SAMPLES[$i]}" >/dev/kmsg
		klog=$(dmesg -c)
		if ! grep -qF -- "${BAD_SAMPLES[$i]}" <<<"$klog" ||
		   ! grep -qE -- "${BAD_RES[$i]}" <<<"$klog" || ! grep -qE -- "$BAD_LOG" <<<"$klog"; then
			echo "# log check: ${BAD_NAMES[$i]} not caught through /dev/kmsg: $klog"
			missed=$((missed + 1))
		fi
	done
	for line in "${BENIGN[@]}"; do
		echo "<6>$line" >/dev/kmsg
	done
	klog=$(dmesg -c)
	if grep -E -- "$BAD_LOG" <<<"$klog" | sed 's/^/# log check: false alarm: /' | grep .; then
		missed=$((missed + 1))
	fi
	echo "<6>lisp: log check self-test: done" >/dev/kmsg
	[ -n "$devkmsg" ] && echo "$devkmsg" >/proc/sys/kernel/printk_devkmsg
	dmesg -C
	[ $missed = 0 ]
}

# lockdep turns itself off at its first report (or a taint that makes it unreliable); what
# follows would then go unchecked.
lockdep_on() { grep -qE '^ *debug_locks: +1$' /proc/lockdep_stats 2>/dev/null; }
lockdep_off_in=

mount -t debugfs none /sys/kernel/debug 2>/dev/null
kmemleak=/sys/kernel/debug/kmemleak
[ -w $kmemleak ] && echo clear >$kmemleak
dmesg -C

if check_log_end_to_end; then
	result ok "kernel log check: each of ${#BAD_SAMPLES[@]} checkers' reports is caught through /dev/kmsg"
else
	result fail "kernel log check: each of ${#BAD_SAMPLES[@]} checkers' reports is caught through /dev/kmsg"
fi
lockdep=0
lockdep_on && lockdep=1
echo "# kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s, lockdep $([ $lockdep = 1 ] && echo on || echo off), timeout ${timeout} s per test"

log_clean() {	# log_clean DESC: the kernel log since the last check is free of reports
	local klog
	klog=$(dmesg -c)
	if grep -qE "$BAD_LOG" <<<"$klog"; then
		result fail "$1"
		sed 's/^/# dmesg: /' <<<"$klog"
		return 1
	fi
	result ok "$1"
	# A failing test shows what the kernel said meanwhile.
	[ "${2:-0}" != 0 ] && [ -n "$klog" ] && sed 's/^/# dmesg: /' <<<"$klog"
	return 0
}

# Static keys held on through the run (see hold_static_keys.py): receive timestamps and UDP
# encapsulation by a helper's sockets, tc ingress and egress by a clsact qdisc on lo.
keys_out=$(mktemp)
"$(dirname "$0")/hold_static_keys.py" >"$keys_out" 2>&1 &
keys_pid=$!
tc qdisc add dev lo clsact 2>/dev/null && keys_tc=1 || keys_tc=0
for _ in $(seq 60); do
	grep -q held "$keys_out" || ! kill -0 $keys_pid 2>/dev/null && break
	sleep 0.5
done
if grep -q held "$keys_out" && [ $keys_tc = 1 ]; then
	result ok "static keys held through the run (timestamps, UDP encap, tc)"
else
	result fail "static keys held through the run (timestamps, UDP encap, tc)"
	sed 's/^/# /' "$keys_out"
fi

times=()
for t in "$@"; do
	echo "# ==== $t"
	log=$(mktemp)
	start=$SECONDS
	timeout --kill-after=10 "$timeout" "./$t" >"$log" 2>&1
	rc=$?
	sed 's/^/# /' "$log"
	np=$(grep -cE '^ok [0-9]+ ' "$log" | tr -d ' ')
	ns=$(grep -E '^ok [0-9]+ ' "$log" | grep -c '# SKIP')
	nf=$(grep -cE '^not ok [0-9]+ ' "$log")
	pass=$((pass + np - ns)) skip=$((skip + ns)) fail=$((fail + nf))
	if [ "$rc" = 4 ] && [ $((np + nf)) = 0 ]; then
		result skip "$t: $(grep -m1 -i skip "$log")"
	elif [ "$rc" != 0 ] && [ "$nf" = 0 ]; then
		result fail "$t: exited with status $rc$([ "$rc" = 124 ] && echo ' (timeout)')"
	elif [ "$rc" = 0 ] && [ $((np + nf)) = 0 ]; then
		result fail "$t: reported no test"
	fi
	echo "# $t: $np ok ($ns skipped), $nf not ok, exit $rc, $((SECONDS - start)) s"
	times+=("$t $((SECONDS - start))")
	log_clean "$t: kernel log clean" "$rc"
	if [ $lockdep = 1 ] && [ -z "$lockdep_off_in" ] && ! lockdep_on; then
		lockdep_off_in=$t
		echo "# lockdep turned itself off during $t: later tests run without it"
	fi
	rm -f "$log"
done
echo "# times (s): ${times[*]}"
end=$SECONDS

# Unloading releases every device, socket and netns reference the module holds: a leaked
# reference shows up here (ref_tracker, "waiting for ... to become free") or hangs rmmod.
unload_rc=0
for m in lisp_vport lisp; do
	[ -d /sys/module/$m ] || continue
	timeout 120 rmmod $m || { unload_rc=1; echo "# rmmod $m failed"; }
done
if [ $unload_rc = 0 ]; then
	log_clean "module unload: kernel log clean"
else
	result fail "module unload: kernel log clean"
	dmesg -c | sed 's/^/# dmesg: /'
fi

kill "$keys_pid" 2>/dev/null
wait "$keys_pid" 2>/dev/null
[ $keys_tc = 1 ] && tc qdisc del dev lo clsact

if [ $lockdep = 1 ]; then
	if [ -z "$lockdep_off_in" ] && lockdep_on; then
		result ok "lockdep stayed on through every test"
	else
		result fail "lockdep stayed on through every test (off after ${lockdep_off_in:-the unload})"
	fi
fi

if [ -w $kmemleak ]; then
	# Objects are reported once they stay unreferenced across two scans.
	echo scan >$kmemleak; sleep 1; echo scan >$kmemleak
	leaks=$(cat $kmemleak)
	if [ $unload_rc = 0 ] && ! grep -q 'lisp' <<<"$leaks"; then
		result ok "kmemleak: nothing leaked by lisp.ko"
	else
		result fail "kmemleak: nothing leaked by lisp.ko"
		sed 's/^/# kmemleak: /' <<<"$leaks"
	fi
else
	result skip "kmemleak: not available in this kernel"
fi

echo "# unload and kmemleak: $((SECONDS - end)) s"
echo "$pass $fail $skip" >"$LISP_RESULTS/summary"
echo "# selftests: $pass passed, $fail failed, $skip skipped"
