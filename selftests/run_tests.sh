#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs the given selftests in order inside the test VM, the way the kselftest runner would, and
# adds kernel-log checks: after every test the new dmesg lines must be free of warnings, and at
# the end kmemleak must report nothing allocated by the module. Prints each result and writes the
# counts to $LISP_RESULTS/summary as "passed failed skipped".

cd "$(dirname "$0")" || exit 1
: "${LISP_RESULTS:?}"
export KSFT_DIR LISP_KO LISP_VPORT_KO LISPCTL LISPD
timeout=$(sed -n 's/^timeout=//p' settings)

pass=0 fail=0 skip=0
BAD_LOG='WARNING:|BUG:|Oops|general protection|UBSAN|refcount_t|list_add corruption|list_del corruption|RCU stall|stack-protector|unreferenced object|Kernel panic'

result() {	# result ok|fail|skip DESC
	case $1 in
	ok) pass=$((pass + 1)); echo "ok - $2" ;;
	skip) skip=$((skip + 1)); echo "ok - $2 # SKIP" ;;
	*) fail=$((fail + 1)); echo "not ok - $2" ;;
	esac
}

mount -t debugfs none /sys/kernel/debug 2>/dev/null
kmemleak=/sys/kernel/debug/kmemleak
[ -w $kmemleak ] && echo clear >$kmemleak
dmesg -C

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
	klog=$(dmesg -c)
	if grep -qE "$BAD_LOG" <<<"$klog"; then
		result fail "$t: kernel log clean"
		sed 's/^/# dmesg: /' <<<"$klog"
	else
		result ok "$t: kernel log clean"
		# A failing test shows what the kernel said meanwhile.
		[ "$rc" != 0 ] && [ -n "$klog" ] && sed 's/^/# dmesg: /' <<<"$klog"
	fi
	rm -f "$log"
done

if [ -w $kmemleak ]; then
	lisp_unload_rc=0
	[ -d /sys/module/lisp_vport ] && { rmmod lisp_vport || lisp_unload_rc=1; }
	[ -d /sys/module/lisp ] && { rmmod lisp || lisp_unload_rc=1; }
	# Objects are reported once they stay unreferenced across two scans.
	echo scan >$kmemleak; sleep 1; echo scan >$kmemleak
	leaks=$(cat $kmemleak)
	if [ $lisp_unload_rc = 0 ] && ! grep -q 'lisp' <<<"$leaks"; then
		result ok "kmemleak: nothing leaked by lisp.ko"
	else
		result fail "kmemleak: nothing leaked by lisp.ko"
		sed 's/^/# kmemleak: /' <<<"$leaks"
	fi
else
	result skip "kmemleak: not available in this kernel"
fi

echo "$pass $fail $skip" >"$LISP_RESULTS/summary"
echo "# selftests: $pass passed, $fail failed, $skip skipped"
