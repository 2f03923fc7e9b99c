// SPDX-License-Identifier: GPL-2.0

//! Per-CPU counters: lock-free, contention-free increments on the packet path, summed on read.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h).

use super::bindings;
use core::ptr::NonNull;
use kernel::prelude::*;

/// `N` per-CPU `u64` counters.
///
/// # Invariants
///
/// `0` is a per-CPU allocation of `N` `u64`s owned by this object.
pub(crate) struct Counters<const N: usize>(NonNull<u64>);

// SAFETY: Each CPU only increments its own copy (with preemption-safe `this_cpu_inc`); reads
// of other CPUs' copies are plain 64-bit loads.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: As above.
unsafe impl<const N: usize> Sync for Counters<N> {}

impl<const N: usize> Counters<N> {
    /// Allocates zeroed counters.
    pub(crate) fn new() -> Result<Self> {
        let n = u32::try_from(N).map_err(|_| EINVAL)?;
        // SAFETY: Plain allocation (zeroed by the per-CPU allocator).
        let p = unsafe { bindings::lisp_alloc_percpu_u64(n) };
        // INVARIANT: Allocated just above.
        NonNull::new(p).map(Self).ok_or(ENOMEM)
    }

    /// Adds one to counter `idx` on this CPU (ignored for `idx >= N`).
    pub(crate) fn inc(&self, idx: usize) {
        if idx < N {
            // SAFETY: `idx < N` is within the allocation (type invariant).
            unsafe { bindings::lisp_percpu_inc(self.0.as_ptr(), idx as u32) };
        }
    }

    /// The sum of counter `idx` over all CPUs.
    pub(crate) fn sum(&self, idx: usize) -> u64 {
        if idx >= N {
            return 0;
        }
        // SAFETY: Plain read of a kernel global.
        let cpus = unsafe { bindings::lisp_nr_cpu_ids() } as i32;
        (0..cpus)
            // SAFETY: Plain query.
            .filter(|&cpu| unsafe { bindings::lisp_cpu_possible(cpu) })
            // SAFETY: `idx < N` and `cpu` is a possible CPU, so the copy exists.
            .map(|cpu| unsafe { bindings::lisp_percpu_read(self.0.as_ptr(), idx as u32, cpu) })
            .fold(0u64, u64::wrapping_add)
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: We own the allocation (type invariant).
        unsafe { bindings::free_percpu(self.0.as_ptr().cast()) };
    }
}
